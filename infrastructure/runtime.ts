import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../shared/config';
import { createMailTransport } from './alerts';
import { createEgress, type Egress } from './egress';
import { createSentenceEncoder, encoderInstalled, type SentenceEncoder } from './encoder';
import { parseKeyRing, type KeyRing } from './secret-box';
import { createServices, type Services } from './services';

/** What both the API and the worker run on: MongoDB services and the egress, built once from config. */
export type Runtime = { services: Services; egress: Egress; secretKeys: KeyRing; close: () => Promise<void> };

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

/** Connects to MongoDB and builds the services and the egress the composition roots share. */
export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const secretKeys = keyRingFrom('PARLEY_SECRET_KEYS', config.secretKeys);
  const mongo = await MongoClient.connect(config.mongodb.uri, { serverSelectionTimeoutMS: 10_000 });
  const egress = createEgress({ policy: config.egress, connectTimeoutMs: config.http.connectTimeoutMs });
  const encoder = sentenceEncoder(config, logger);
  const services = createServices(mongo.db(config.mongodb.database), {
    secretKeys,
    logRetentionDays: config.logRetentionDays,
    mail: { transport: createMailTransport(config.alerts.smtpUrl), from: config.alerts.from },
    egress,
    logger,
    encoder,
  });
  await services.ensureIndexes();
  if (config.egress.allowLoopback) logger.warn('PARLEY_ALLOW_LOOPBACK=true: actions may call services on this machine');
  return {
    services,
    egress,
    secretKeys,
    close: async () => {
      await Promise.allSettled([egress.close(), mongo.close(), encoder?.close()]);
    },
  };
}
