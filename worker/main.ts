import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { serveMetrics } from '../infrastructure/metrics';
import { encryptedDataConverter } from '../infrastructure/payload-codec';
import { createRuntime } from '../infrastructure/runtime';
import { malformedTemporalAddress, temporalDependency, waitFor } from '../infrastructure/startup';
import { loadConfig } from '../shared/config';
import { createLogger } from '../infrastructure/logger';
import { createWorker, workerActivities } from './worker';

/**
 * The worker process: reads config, builds dependencies (waiting for MongoDB and Temporal at start-up), runs until
 * SIGINT/SIGTERM, closes everything. Anything that stops start-up is one line on stderr and a non-zero exit.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'parley-worker');
  const temporalLevel: LogLevel = config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(temporalLevel, ({ level, message, meta }) => {
      const method = level === 'ERROR' ? 'error' : level === 'WARN' ? 'warn' : level === 'INFO' ? 'info' : 'debug';
      logger[method](meta ?? {}, message);
    }),
    // The SDK's own worker metrics (task slots, pollers, latencies), served by its Prometheus exporter at /metrics.
    ...(config.workerMetrics.temporalAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: { bindAddress: config.workerMetrics.temporalAddress, useSecondsForDurations: true },
            },
          },
        }
      : {}),
  });

  const runtime = await createRuntime(config, logger);
  let connection: NativeConnection | undefined;
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    if (config.workerMetrics.port !== null) {
      const { port } = config.workerMetrics;
      metricsServer = await serveMetrics(runtime.metrics, { port }).catch((error: unknown) => {
        throw new Error(`PARLEY_WORKER_METRICS_PORT: cannot listen on ${port}: ${(error as Error).message}`);
      });
      logger.info({ url: metricsServer.url }, 'worker metrics listening');
    }
    if (config.workerMetrics.temporalAddress) {
      logger.info({ address: config.workerMetrics.temporalAddress }, 'Temporal SDK metrics listening (/metrics)');
    }
    connection = await waitFor(
      temporalDependency(config.temporal.address),
      { waitSeconds: config.startupWaitSeconds, logger, permanent: malformedTemporalAddress },
      () => NativeConnection.connect({ address: config.temporal.address }),
    );
    const worker = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: workerActivities(runtime, config, logger),
      metrics: runtime.services.metrics,
      ...(runtime.payloadKeys ? { dataConverter: encryptedDataConverter(runtime.payloadKeys) } : {}),
    });
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        temporal: config.temporal.address,
        payloadEncryption: Boolean(config.payloadKeys),
      },
      'worker started',
    );
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await metricsServer?.close();
    await connection?.close();
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
