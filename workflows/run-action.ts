import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  TemporalFailure,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HttpStepInput } from '../activities/http';
import type { ActionDefinition } from '../shared/actions/action';
import type { RequestDefinition, RetryPolicy, StepDefinition } from '../shared/actions/step-schema';
import { FailureType, NON_RETRYABLE_FAILURES } from '../shared/failures';
import { idempotencyKey } from '../shared/ids';
import {
  decideNext,
  recordCompensation,
  recordOutcome,
  recordSkip,
  startRun,
  stepFields,
  templateContext,
  type RunEnvironment,
  type RunProgress,
  type StepOutcome,
} from '../shared/actions/interpreter';
import {
  failedResult,
  settleStep,
  skippedReport,
  type CallReport,
  type HttpStepResult,
} from '../shared/actions/step-result';
import type { Json } from '../shared/json';
import { windowWait } from '../shared/conversation/budgets';

/**
 * How soon a step running as a normal activity is known lost when its worker dies mid-call: the activity
 * heartbeats every second while it waits on the upstream (activities/http.ts), so a few seconds without one mean
 * the attempt is gone, and Temporal retries it (with the same Idempotency-Key) rather than waiting out its timeout.
 */
const HTTP_HEARTBEAT_TIMEOUT = '4 seconds';

/** Option preset for one HTTP call: the step's timeout and retry policy; typed failures that retrying cannot fix. */
function httpCall(timeoutMs: number, retry: RetryPolicy) {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs + 5_000,
    heartbeatTimeout: HTTP_HEARTBEAT_TIMEOUT,
    retry: {
      maximumAttempts: retry.maxAttempts,
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maxIntervalMs,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  });
}

/**
 * Option preset for a step's first attempt as a local activity: recorded as one marker, with no activity task to
 * dispatch and no second workflow task, it costs a turn a fraction of a normal activity. One attempt only: the
 * step's retries run as a normal activity, so a struggling API never holds the workflow task up for long.
 */
function firstAttempt(timeoutMs: number) {
  return proxyLocalActivities<Activities>({
    startToCloseTimeout: timeoutMs + 5_000,
    retry: { maximumAttempts: 1, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
  });
}

/**
 * Why an activity failed, or null when the error is not an activity's: a normal activity's failure comes wrapped
 * in an ActivityFailure, a local activity's as its cause itself (an ApplicationFailure, a TimeoutFailure).
 */
export function activityFailureCause(error: unknown): TemporalFailure | null {
  if (error instanceof ActivityFailure) return error.cause instanceof TemporalFailure ? error.cause : error;
  return error instanceof ApplicationFailure || error instanceof TimeoutFailure ? error : null;
}

/** An action to execute with its parameter values; `turn` keys idempotency (same across retries, new per turn). */
export type ActionExecution = {
  action: ActionDefinition;
  version: number;
  values: Record<string, Json>;
  turn: number;
  test: boolean;
};

/**
 * A call that failed as an activity failure rather than a result: a timeout, or a failure recorded by a worker
 * from before failed calls came back as results.
 */
function failureResult(cause: TemporalFailure): HttpStepResult {
  if (cause instanceof ApplicationFailure)
    return failedResult(cause.type ?? 'Error', cause.message, cause.details ?? undefined);
  const type = cause instanceof TimeoutFailure ? FailureType.timeout : 'Error';
  return failedResult(type, cause.message, undefined);
}

/**
 * A step's first attempt as a local activity and, when it failed in a way worth retrying, the rest of its attempts
 * as a normal activity after the backoff the API asked for (Retry-After) or the policy's first interval.
 */
async function locallyFirst(input: HttpStepInput, timeoutMs: number, retry: RetryPolicy): Promise<HttpStepResult> {
  const total = retry.maxAttempts;
  try {
    return await firstAttempt(timeoutMs).executeHttpStep({ ...input, attempts: { before: 0, total } });
  } catch (error) {
    const cause = activityFailureCause(error);
    const retryable = cause instanceof ApplicationFailure || cause instanceof TimeoutFailure;
    if (!retryable || total <= 1 || (cause instanceof ApplicationFailure && cause.nonRetryable)) throw error;
    const asked = cause instanceof ApplicationFailure ? cause.nextRetryDelay : undefined;
    await sleep(asked ?? retry.initialIntervalMs);
    const second = Math.min(retry.initialIntervalMs * retry.backoffCoefficient, retry.maxIntervalMs ?? Infinity);
    const rest = { ...retry, maxAttempts: total - 1, initialIntervalMs: second };
    return httpCall(timeoutMs, rest).executeHttpStep({ ...input, attempts: { before: 1, total } });
  }
}

/** Counts a call against the conversation's own budget, when it keeps one: whether it fits, for the activity. */
function budgetFor(budget: { limit: number; times: number[] } | undefined): Pick<HttpStepInput, 'conversationBudget'> {
  if (!budget) return {};
  const now = Date.now();
  if (windowWait(budget.times, budget.limit, now) > 0) return { conversationBudget: 'spent' };
  budget.times.push(now);
  return { conversationBudget: 'kept' };
}

/**
 * Executes an action's chain in the run's environment: each decision comes from the pure interpreter
 * (shared/actions/interpreter), each call is an activity retried under the step's policy. Failures take the step's
 * `onError` path; when the chain stops, completed steps with a `compensate` request are undone in reverse order.
 */
export async function executeAction(
  execution: ActionExecution,
  environment: RunEnvironment,
  options: {
    localWithinMs?: number;
    /** The conversation's call budget, kept by the conversation: its limit and its calls' times (ms), added to. */
    callBudget?: { limit: number; times: number[] };
    /** The chatbot's call settings the API named with the turn's event (else the HTTP step reads them). */
    chatbot?: HttpStepInput['chatbot'];
  } = {},
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
  ): Promise<StepOutcome> => {
    const key = idempotencyKey(environment.conversationId, execution.turn, step.id);
    let result: HttpStepResult;
    try {
      const input = {
        action: action.name,
        actionVersion: execution.version,
        step: step.id,
        kind,
        request,
        response: step.response,
        timeoutMs,
        environment,
        values: execution.values,
        steps: stepFields(progress),
        idempotencyKey: kind === 'compensate' ? `${key}-compensate` : key,
        test: execution.test,
        ...budgetFor(options.callBudget),
        ...(options.chatbot ? { chatbot: options.chatbot } : {}),
      };
      const local = options.localWithinMs !== undefined && timeoutMs <= options.localWithinMs;
      result = local
        ? await locallyFirst(input, timeoutMs, retry)
        : await httpCall(timeoutMs, retry).executeHttpStep(input);
    } catch (error) {
      const cause = activityFailureCause(error);
      if (!cause) throw error;
      result = failureResult(cause);
    }
    const { outcome, report } = settleStep(step.id, kind, result);
    if (!outcome.ok) log.warn('API call failed', { action: action.name, step: step.id, kind, reason: outcome.failure });
    calls.push(report);
    return outcome;
  };

  for (;;) {
    const decision = decideNext(action, progress, templateContext(action, execution.values, environment, progress));
    if (decision.kind === 'done') break;
    const { step } = decision;
    if (decision.kind === 'skip') {
      progress = recordSkip(progress, step);
      calls.push(skippedReport(step.id));
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
