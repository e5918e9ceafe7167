import { ActivityFailure, ApplicationFailure, log, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CallDetail } from '../activities/http';
import type { ActionDefinition } from '../shared/actions/action';
import type { RequestDefinition, RetryPolicy, StepDefinition } from '../shared/actions/step-schema';
import { failureReason, NON_RETRYABLE_FAILURES } from '../shared/failures';
import { idempotencyKey } from '../shared/ids';
import {
  decideNext,
  recordCompensation,
  recordOutcome,
  recordSkip,
  requestMeta,
  startRun,
  templateContext,
  type RunEnvironment,
  type RunProgress,
  type StepOutcome,
} from '../shared/actions/interpreter';
import type { Json } from '../shared/json';

/** Option preset for one HTTP call: the step's timeout and retry policy; typed failures that retrying cannot fix. */
function httpCall(timeoutMs: number, retry: RetryPolicy) {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs + 5_000,
    retry: {
      maximumAttempts: retry.maxAttempts,
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maxIntervalMs,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  });
}

/** An action to execute with its parameter values; `turn` keys idempotency (same across retries, new per turn). */
export type ActionExecution = {
  action: ActionDefinition;
  version: number;
  values: Record<string, Json>;
  turn: number;
  test: boolean;
};

/** One call as a test run reports it. */
export type CallReport = {
  step: string;
  kind: 'step' | 'compensate';
  outcome: 'ok' | 'failed' | 'skipped';
  failure: string | null;
  message: string | null;
  fields: Record<string, Json> | null;
  structureChanged: boolean;
  detail: CallDetail | null;
};

function failureOf(error: ActivityFailure): {
  type: string;
  message: string;
  detail: CallDetail | null;
  said: string | null;
} {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) {
    const detail = (cause.details?.[0] as CallDetail | null | undefined) ?? null;
    const said = (cause.details?.[1] as { said?: string } | undefined)?.said ?? null;
    return { type: cause.type ?? 'Error', message: cause.message, detail, said };
  }
  return {
    type: cause instanceof TimeoutFailure ? 'Timeout' : 'Error',
    message: cause?.message ?? error.message,
    detail: null,
    said: null,
  };
}

/**
 * Executes an action's chain: each decision comes from the pure interpreter (shared/interpreter), each call
 * is an activity retried under the step's policy. Failures take the step's `onError` path; when the chain
 * stops, completed steps with a `compensate` request are undone in reverse order.
 * `environment()` is read before each call so templates see the latest state.
 */
export async function executeAction(
  execution: ActionExecution,
  environment: () => RunEnvironment,
): Promise<{ progress: RunProgress; calls: CallReport[] }> {
  const { action } = execution;
  let progress = startRun();
  const calls: CallReport[] = [];

  const call = async (
    step: StepDefinition,
    kind: 'step' | 'compensate',
    request: RequestDefinition,
    timeoutMs: number,
    retry: RetryPolicy,
  ) => {
    const env = environment();
    const key = idempotencyKey(env.conversationId, execution.turn, step.id);
    try {
      const result = await httpCall(timeoutMs, retry).executeHttpStep({
        chatbotId: env.chatbotId,
        conversationId: env.conversationId,
        action: action.name,
        actionVersion: execution.version,
        step: step.id,
        kind,
        request,
        response: step.response,
        timeoutMs,
        context: templateContext(action, execution.values, env, progress),
        meta: requestMeta(action, env),
        idempotencyKey: kind === 'compensate' ? `${key}-compensate` : key,
        test: execution.test,
      });
      const { structureChanged, detail, ...outcome } = result;
      calls.push({
        step: step.id,
        kind,
        outcome: 'ok',
        failure: null,
        message: null,
        fields: outcome.fields,
        structureChanged,
        detail,
      });
      return outcome as StepOutcome;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const { type, message, detail, said } = failureOf(error);
      const reason = failureReason(type);
      log.warn('API call failed', { action: action.name, step: step.id, kind, reason });
      calls.push({
        step: step.id,
        kind,
        outcome: 'failed',
        failure: reason,
        message,
        fields: null,
        structureChanged: false,
        detail,
      });
      return { ok: false, failure: reason, message, ...(said ? { said } : {}) } satisfies StepOutcome;
    }
  };

  for (;;) {
    const decision = decideNext(action, progress, templateContext(action, execution.values, environment(), progress));
    if (decision.kind === 'done') break;
    const { step } = decision;
    if (decision.kind === 'skip') {
      progress = recordSkip(progress, step);
      calls.push({
        step: step.id,
        kind: 'step',
        outcome: 'skipped',
        failure: null,
        message: null,
        fields: null,
        structureChanged: false,
        detail: null,
      });
    } else if (decision.kind === 'call') {
      const outcome = await call(step, 'step', step.request, step.timeoutMs, step.retry);
      progress = recordOutcome(action, progress, step, outcome);
    } else if (step.compensate) {
      const outcome = await call(
        step,
        'compensate',
        step.compensate.request,
        step.compensate.timeoutMs,
        step.compensate.retry,
      );
      progress = recordCompensation(progress, step, outcome.ok);
    }
  }
  return { progress, calls };
}
