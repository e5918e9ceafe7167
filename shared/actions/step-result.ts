import { failureReason } from '../failures';
import type { Json } from '../json';
import { discoverFields, type FieldDiscovery } from './field-discovery';
import type { StepOutcome } from './interpreter';
import { REDACTED } from './redact';

/**
 * The contract between the HTTP activity and the workflow that runs an action: what one step's call returns (its
 * outcome, and for test runs what was sent and received), and how the workflow reads it — including results and
 * failures recorded by older workers, so that every recorded history still replays.
 */

/**
 * What a test run shows of one call: the rendered request with secrets masked, and the response — with, for a JSON
 * body, its paths (field discovery; absent from results recorded before it, and for bodies that are not JSON).
 */
export type CallDetail = {
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; body: string | null; discovery?: FieldDiscovery } | null;
};

/** The paths of a (redacted) response body when it is JSON, read before the body is cut for display. */
function discovery(body: string | null): { discovery?: FieldDiscovery } {
  if (body === null) return {};
  let json: Json;
  try {
    json = JSON.parse(body) as Json;
  } catch {
    return {};
  }
  return { discovery: discoverFields(json) };
}

/** A call that succeeded: the step outcome, whether the response's structure changed, and test details. */
export type StepSucceeded = Extract<StepOutcome, { ok: true }> & {
  structureChanged: boolean;
  detail: CallDetail | null;
};

/** A call that failed for good: its catalogue type, the (redacted) message, what the API said, and test details. */
export type StepFailed = {
  ok: false;
  type: string;
  message: string;
  said: string | null;
  detail: CallDetail | null;
};

/** What `executeHttpStep` returns. Results recorded before failures were returned have `ok: true` only. */
export type HttpStepResult = StepSucceeded | StepFailed;

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

const DETAIL_BODY_CHARS = 4000;

function clip(text: string | null): string | null {
  return text === null || text.length <= DETAIL_BODY_CHARS ? text : `${text.slice(0, DETAIL_BODY_CHARS)}…`;
}

/** What an attempt sent and received, as the call log holds it before redaction. */
export type AttemptRecord = {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  status: number | null;
  responseBody: string | null;
};

/** The redacted request and response of an attempt, for test runs: credential headers masked by name. */
export function callDetail(attempt: AttemptRecord, redact: (text: string) => string): CallDetail {
  const headers = Object.fromEntries(
    Object.entries(attempt.requestHeaders).map(([name, value]) => [
      name,
      /authorization|cookie|key|token|secret/i.test(name) ? REDACTED : redact(value),
    ]),
  );
  return {
    request: {
      method: attempt.method,
      url: redact(attempt.url),
      headers,
      body: clip(attempt.requestBody === null ? null : redact(attempt.requestBody)),
    },
    response: attempt.status === null ? null : responseDetail(attempt.status, attempt.responseBody, redact),
  };
}

function responseDetail(status: number, body: string | null, redact: (text: string) => string) {
  const redacted = body === null ? null : redact(body);
  return { status, body: clip(redacted), ...discovery(redacted) };
}

/**
 * A failure thrown by an activity, as a failed result. Workers before typed results threw every failure, with
 * details `[callDetail | null, { said }?]`; those are read here so that recorded histories replay.
 */
export function failedResult(type: string, message: string, details: readonly unknown[] | undefined): StepFailed {
  const detail = (details?.[0] as CallDetail | null | undefined) ?? null;
  const said = (details?.[1] as { said?: string } | undefined)?.said ?? null;
  return { ok: false, type, message, said, detail };
}

/** A step's result as the interpreter records it, and as a test run reports it. */
export function settleStep(
  step: string,
  kind: 'step' | 'compensate',
  result: HttpStepResult,
): { outcome: StepOutcome; report: CallReport } {
  if (result.ok) {
    // The rest is the outcome as recorded, whatever keys the worker that ran it wrote.
    const { structureChanged, detail, ...outcome } = result;
    return {
      outcome,
      report: {
        step,
        kind,
        outcome: 'ok',
        failure: null,
        message: null,
        fields: outcome.fields,
        structureChanged,
        detail,
      },
    };
  }
  const reason = failureReason(result.type);
  return {
    outcome: { ok: false, failure: reason, message: result.message, ...(result.said ? { said: result.said } : {}) },
    report: {
      step,
      kind,
      outcome: 'failed',
      failure: reason,
      message: result.message,
      fields: null,
      structureChanged: false,
      detail: result.detail,
    },
  };
}

/** A step whose `when` did not hold, as a test run reports it. */
export function skippedReport(step: string): CallReport {
  return {
    step,
    kind: 'step',
    outcome: 'skipped',
    failure: null,
    message: null,
    fields: null,
    structureChanged: false,
    detail: null,
  };
}
