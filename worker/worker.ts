import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { type InjectedSinks, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type Activities } from '../activities';
import type { Metrics } from '../infrastructure/metrics';
import type { Runtime } from '../infrastructure/runtime';
import type { ParleySinks } from '../workflows/messages';
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
  /** The process's metrics, which conversations tell of their action runs (a sink). */
  metrics: Metrics;
};

/** What conversations' sinks do in this process: count action runs; never when a conversation is replayed. */
export function parleySinks(metrics: Metrics): InjectedSinks<ParleySinks> {
  return {
    metrics: {
      actionRun: {
        fn: (_info, chatbotId, action, outcome) => metrics.actionRun(chatbotId, action, outcome),
        callDuringReplay: false,
      },
    },
  };
}

/** The workflows module the worker bundles: TypeScript sources in development, compiled JS in dist/. */
export const workflowsPath =
  ['index.ts', 'index.js'].map((file) => join(__dirname, '..', 'workflows', file)).find((path) => existsSync(path)) ??
  join(__dirname, '..', 'workflows');

/**
 * How long a conversation's next workflow task waits for the worker that has it cached before any worker may take
 * it (replaying its history). A worker that died (SIGKILL, a lost machine) never answers, so this bounds the first
 * turn after a crash: 1.5 s rather than the SDK's 10 s, still well above a turn's queueing under load (p99 under
 * 1 s at 100 visitors on two cores, README "Performance").
 */
const STICKY_QUEUE_TIMEOUT = '1.5 seconds';

/**
 * How often at most an activity's heartbeats reach Temporal. The SDK's default (80% of the heartbeat timeout) would
 * send an HTTP step's heartbeats 3.2 s apart against its 4 s timeout (workflows/run-action.ts), so a busy second
 * would look like a dead worker and send the call again; once a second leaves three beats of margin.
 */
const HEARTBEAT_THROTTLE = '1 second';

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
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_TIMEOUT,
    sinks: parleySinks(deps.metrics),
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
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
    live: runtime.live.push,
  });
}
