import { MongoClient, MongoInvalidArgumentError, MongoParseError, MongoServerError, type Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { ConfigError, type Config } from '../shared/config';
import { createMailTransport } from './alerts';
import { createEgress, type Egress } from './egress';
import { createSentenceEncoder, encoderInstalled, type SentenceEncoder } from './encoder';
import { createLiveSigning, createLivePush, type LivePush, type LiveSigning } from './live-events';
import { createLlmDispatcher } from './llm-dispatcher';
import { createMetrics, type Metrics } from './metrics';
import { parseKeyRing, type KeyRing } from './secret-box';
import { createServices, type Services } from './services';
import { maskCredentials, waitFor } from './startup';

/** What the worker, the API and the tests all run on, built once from config by `createRuntime`. */
export type Runtime = {
  /** Store, call log, rate limiters, alerts (with their mail transport), email channel and encoder, over one database. */
  services: Services;
  /** The database the services use. */
  db: Db;
  /** Outbound HTTP to operators' APIs, alert webhooks and handoff hooks. */
  egress: Egress;
  /** The HTTP dispatcher for the LLM endpoint (Parley's own configuration, so not the operators' egress). */
  llmDispatcher: Dispatcher;
  /** Live delivery between Parley's processes: signing pushes and stream tokens, and pushing (workers). */
  live: { signing: LiveSigning; push: LivePush };
  /** This process's Prometheus metrics (also `services.metrics`), served at /metrics. */
  metrics: Metrics;
  /** The key ring secrets at rest are sealed with. */
  secretKeys: KeyRing;
  /** The key ring Temporal payloads are encrypted with; null when payload encryption is off. */
  payloadKeys: KeyRing | null;
  /** Closes the connections and the encoder this runtime opened. */
  close: () => Promise<void>;
};

/** What a caller may hand `createRuntime` instead of having it built from config. */
export type RuntimeOverrides = {
  /** A sentence encoder the caller owns (and closes): tests share one per process. */
  encoder?: SentenceEncoder | null;
  /** Whether the metrics include the process's own (CPU, memory, event loop); default yes, tests say no. */
  processMetrics?: boolean;
};

/** Parses a key ring variable, turning a bad one into a ConfigError naming it. */
export function keyRingFrom(variable: string, spec: string | undefined): KeyRing {
  if (!spec) throw new ConfigError(`${variable} is required (npm start generates one for development)`);
  try {
    return parseKeyRing(spec);
  } catch (error) {
    throw new ConfigError(`${variable}: ${(error as Error).message}`);
  }
}

/**
 * The sentence encoder when it is installed; otherwise null, with a warning: routing then goes by words alone,
 * and actions written as a description and a few examples are understood far less well.
 */
export function sentenceEncoder(config: Config, logger: Logger): SentenceEncoder | null {
  if (encoderInstalled(config.encoder.dir)) return createSentenceEncoder(config.encoder);
  logger.warn(
    { dir: config.encoder.dir },
    'no sentence encoder installed (PARLEY_ENCODER_DIR): semantic routing is off; run npm run bootstrap to install it',
  );
  return null;
}

/** How long a database operation waits for a server: past it, the API answers 503 rather than hang. */
const MONGO_SELECTION_MS = 2_000;

/** Failures of connecting to MongoDB that no wait cures: a malformed URI, wrong credentials. */
function mongoRefusal(error: unknown): boolean {
  if (error instanceof MongoParseError || error instanceof MongoInvalidArgumentError) return true;
  return error instanceof MongoServerError && (error.code === 18 || error.codeName === 'AuthenticationFailed');
}

/**
 * Connects to MongoDB, retrying with backoff for PARLEY_STARTUP_WAIT_SECONDS (a database that starts alongside
 * Parley), each wait logged naming MONGODB_URI without its password; operations then give up after
 * MONGO_SELECTION_MS when the database is down later.
 */
async function connectMongo(config: Config, logger: Logger): Promise<MongoClient> {
  const dependency = { variable: 'MONGODB_URI', address: maskCredentials(config.mongodb.uri), service: 'MongoDB' };
  return waitFor(dependency, { waitSeconds: config.startupWaitSeconds, logger, permanent: mongoRefusal }, async () => {
    const client = new MongoClient(config.mongodb.uri, { serverSelectionTimeoutMS: MONGO_SELECTION_MS });
    try {
      return await client.connect();
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  });
}

/**
 * The composition root shared by the worker, the API and the tests: parses the key rings, connects to MongoDB
 * and builds the services, the egress, the LLM dispatcher and the process's metrics from parsed config, once.
 */
export async function createRuntime(
  config: Config,
  logger: Logger,
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  const secretKeys = keyRingFrom('PARLEY_SECRET_KEYS', config.secretKeys);
  const payloadKeys = config.payloadKeys ? keyRingFrom('PARLEY_PAYLOAD_KEYS', config.payloadKeys) : null;
  const mongo = await connectMongo(config, logger);
  const db = mongo.db(config.mongodb.database);
  const egress = createEgress({ policy: config.egress, connectTimeoutMs: config.http.connectTimeoutMs });
  const llmDispatcher = createLlmDispatcher(config.http.connectTimeoutMs);
  const liveSigning = createLiveSigning(secretKeys);
  const live = { signing: liveSigning, push: createLivePush(liveSigning) };
  const ownEncoder = overrides.encoder === undefined ? sentenceEncoder(config, logger) : null;
  const encoder = overrides.encoder === undefined ? ownEncoder : overrides.encoder;
  const metrics = createMetrics({ processMetrics: overrides.processMetrics ?? true });
  const services = createServices(db, {
    secretKeys,
    logRetentionDays: config.logRetentionDays,
    mail: { transport: createMailTransport(config.alerts.smtpUrl), from: config.alerts.from },
    email: config.email,
    egress,
    logger,
    encoder,
    metrics,
  });
  await services.ensureIndexes();
  if (config.egress.allowLoopback) logger.warn('PARLEY_ALLOW_LOOPBACK=true: actions may call services on this machine');
  return {
    services,
    db,
    egress,
    llmDispatcher,
    live,
    metrics,
    secretKeys,
    payloadKeys,
    close: async () => {
      // Call-log entries still waiting for the database get one more try while it is connected.
      await services.callLog.flush();
      await Promise.allSettled([
        egress.close(),
        llmDispatcher.close(),
        live.push.close(),
        mongo.close(),
        ownEncoder?.close(),
      ]);
    },
  };
}
