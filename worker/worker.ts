import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type Activities } from '../activities';
import type { Runtime } from '../infrastructure/runtime';
import type { Config } from '../shared/config';

/** What a Parley worker needs; tests pass their own task queue and a pre-built workflow bundle. */
export type WorkerDeps = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  workflowBundle?: WorkerOptions['workflowBundle'];
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Payload encryption (and encoded failure attributes) when a data-encryption key is configured. */
  dataConverter?: DataConverter;
};

/** The workflows module the worker bundles: TypeScript sources in development, compiled JS in dist/. */
export const workflowsPath =
  ['index.ts', 'index.js'].map((file) => join(__dirname, '..', 'workflows', file)).find((path) => existsSync(path)) ??
  join(__dirname, '..', 'workflows');

/** Creates (but does not run) a worker that hosts conversation workflows and Parley's activities. */
export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: deps.activities,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath }),
    ...(deps.dataConverter ? { dataConverter: deps.dataConverter } : {}),
    shutdownGraceTime: deps.shutdownGraceTime ?? '10 seconds',
  });
}

/** Parley's activities over a runtime, with the traffic budgets and LLM settings of config. */
export function workerActivities(runtime: Runtime, config: Config, logger: Logger): Activities {
  return createActivities({
    services: runtime.services,
    egress: runtime.egress,
    logger,
    defaultRateLimitPerMinute: config.traffic.chatbotCallsPerMinute,
    conversationCallsPerMinute: config.traffic.conversationCallsPerMinute,
    llm: { settings: config.llm, dispatcher: runtime.llmDispatcher },
  });
}
