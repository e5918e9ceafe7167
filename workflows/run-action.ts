import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
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
import { worstCaseCallMs } from '../shared/actions/call-budget';

/**
 * Option preset for one HTTP call: the step's timeout and retry policy; typed failures that retrying cannot fix.
 * A call that cannot outlast the turn deadline, every attempt included, runs as a local activity: recorded as one
 * marker, with no activity task to dispatch and no second workflow task, it costs a turn a fraction of a normal
 * activity. Longer ones stay normal activities, so a slow API never holds the workflow task (and the answer at the
 * deadline) up.
 */
function httpCall(timeoutMs: number, retry: RetryPolicy, local: boolean) {
  const options = {
    startToCloseTimeout: timeoutMs + 5_000,
    retry: {
      maximumAttempts: retry.maxAttempts,
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maxIntervalMs,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  };
  return local ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>(options);
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
function failureResult(error: ActivityFailure): HttpStepResult {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure)
    return failedResult(cause.type ?? 'Error', cause.message, cause.details ?? undefined);
  const type = cause instanceof TimeoutFailure ? FailureType.timeout : 'Error';
  return failedResult(type, cause?.message ?? error.message, undefined);
}

/**
 * Executes an action's chain in the run's environment: each decision comes from the pure interpreter
 * (shared/actions/interpreter), each call is an activity retried under the step's policy. Failures take the step's
 * `onError` path; when the chain stops, completed steps with a `compensate` request are undone in reverse order.
 */
export async function executeAction(
  execution: ActionExecution,
  environment: RunEnvironment,
  options: { localWithinMs?: number } = {},
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
      const local = options.localWithinMs !== undefined && worstCaseCallMs(timeoutMs, retry) <= options.localWithinMs;
      result = await httpCall(timeoutMs, retry, local).executeHttpStep({
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
      });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      result = failureResult(error);
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
