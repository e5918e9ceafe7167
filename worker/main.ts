import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { Agent } from 'undici';
import { createActivities } from '../activities';
import { createMailTransport } from '../activities/alerts';
import { createServices } from '../activities/services';
import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { createWorker } from './worker';

/** The worker process: reads config, builds dependencies, runs until SIGINT/SIGTERM, closes everything. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'parley-worker');
  const temporalLevel: LogLevel = config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(temporalLevel, ({ level, message, meta }) => {
      const method = level === 'ERROR' ? 'error' : level === 'WARN' ? 'warn' : level === 'INFO' ? 'info' : 'debug';
      logger[method](meta ?? {}, message);
    }),
  });

  const mongo = await MongoClient.connect(config.mongodb.uri, { serverSelectionTimeoutMS: 10_000 });
  const dispatcher = new Agent({ connect: { timeout: config.http.connectTimeoutMs } });
  let connection: NativeConnection | undefined;
  try {
    const services = createServices(mongo.db(config.mongodb.database), {
      logRetentionDays: config.logRetentionDays,
      mail: { transport: createMailTransport(config.alerts.smtpUrl), from: config.alerts.from },
      dispatcher,
      logger,
    });
    await services.ensureIndexes();
    connection = await NativeConnection.connect({ address: config.temporal.address });
    const worker = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities({
        services,
        dispatcher,
        logger,
        defaultRateLimitPerMinute: config.defaultRateLimitPerMinute,
      }),
    });
    logger.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address }, 'worker started');
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection?.close();
    await dispatcher.close();
    await mongo.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
