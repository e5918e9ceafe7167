import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { EncryptionCodec, encryptedDataConverter } from '../infrastructure/payload-codec';
import { createRuntime } from '../infrastructure/runtime';
import { attemptTimeoutMs, malformedTemporalAddress, temporalDependency, waitFor } from '../infrastructure/startup';
import { loadConfig } from '../shared/config';
import { createLogger } from '../infrastructure/logger';
import { createApp } from './app';
import { LIVE_PUSH_PATH } from './routes/live';
import { apiConnectionOptions, ensureSearchAttributes } from './temporal';

/**
 * The API process: reads config, connects to MongoDB and Temporal (waiting for them at start-up), serves until
 * SIGINT/SIGTERM. Anything that stops start-up is one line on stderr and a non-zero exit.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'parley-api');
  const adminKey = config.adminKey ?? randomBytes(24).toString('base64url');
  if (!config.adminKey)
    logger.warn({ adminKey }, 'PARLEY_ADMIN_KEY is not set: using a generated development admin key');

  const runtime = await createRuntime(config, logger);
  const payloadRing = runtime.payloadKeys;
  const connection = await waitFor(
    temporalDependency(config.temporal.address),
    { waitSeconds: config.startupWaitSeconds, logger, permanent: malformedTemporalAddress },
    (remainingMs) =>
      Connection.connect({
        ...apiConnectionOptions(config.temporal.address),
        connectTimeout: attemptTimeoutMs(remainingMs),
      }),
  );
  const searchAttributes = await ensureSearchAttributes(connection, config.temporal.namespace).then(
    () => true,
    (error: unknown) => {
      logger.warn(
        { error: (error as Error).message },
        'could not register search attributes; conversations start without them',
      );
      return false;
    },
  );
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(payloadRing ? { dataConverter: encryptedDataConverter(payloadRing) } : {}),
  });
  const app = createApp({
    services: runtime.services,
    temporal: { client, taskQueue: config.temporal.taskQueue, searchAttributes },
    adminKey,
    defaultIdleTimeoutMinutes: config.defaultIdleTimeoutMinutes,
    traffic: config.traffic,
    trustProxy: config.trustProxy,
    egressPolicy: config.egress,
    llmEnabled: config.llm !== null,
    codec: payloadRing ? { codec: new EncryptionCodec(payloadRing), allowedOrigin: config.codecCorsOrigin } : null,
    live: { signing: runtime.live.signing, pushUrl: () => `${config.apiInternalUrl}${LIVE_PUSH_PATH}` },
    logger,
  });
  const server = app.listen(config.port, () => logger.info({ port: config.port }, 'API listening'));

  const stop = () => {
    logger.info('API stopping');
    server.close(() => {
      void Promise.allSettled([connection.close(), runtime.close()]).then(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
