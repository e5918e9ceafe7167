import { extractFields } from './extract';
import { redactBody, redactJson } from './redact';
import { responseConventions } from './request';
import type { StepDefinition } from './step-schema';
import { FailureType, isRetryableStatus, parseRetryAfter, type StepFailureType } from '../failures';
import type { Json, JsonObject } from '../json';

/**
 * What an HTTP step's call came to, as functions of data: how a response is read (status, JSON, the response
 * conventions, the mapped fields) and which failure — of which type, retryable or not — a refusal, a send error or
 * a response is. The HTTP activity only gathers the inputs and acts on the answer.
 */

/** Why a call failed: its catalogue type, the message operators see, whether (and when) a retry could help. */
export type CallFailure = {
  type: StepFailureType;
  message: string;
  retryable: boolean;
  /** The delay the API asked for (`Retry-After`), in ms. */
  retryAfterMs?: number;
  /** The API's own error `message` (redacted, clipped), for steps that say it to the visitor. */
  said: string | null;
};

/** A response as the egress received it. */
export type UpstreamResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** A response read: the step's outcome (and the parsed body, for its shape), or why it is a failure. */
export type Interpretation =
  | {
      ok: true;
      status: number;
      fields: JsonObject;
      message: string | null;
      attributes: JsonObject | null;
      /** The parsed body (null for text and empty bodies). */
      json: Json;
      /** The body with every secret form masked: what may be logged. */
      loggedBody: string;
    }
  | { ok: false; failure: CallFailure; loggedBody: string };

/** How an egress refusal or send failure is named (the egress's error codes). */
export type SendErrorCode =
  | 'blocked_destination'
  | 'bad_scheme'
  | 'too_many_redirects'
  | 'unsafe_redirect'
  | 'response_too_large'
  | 'timeout'
  | 'network';

/** How much of an upstream's error `message` a visitor may be shown. */
export const UPSTREAM_MESSAGE_CHARS = 500;

function failure(type: StepFailureType, message: string, retryable = false, said: string | null = null): CallFailure {
  return { type, message, retryable, said };
}

/** A request that cannot be sent as built (template, secret binding, signing key): retrying cannot fix it. */
export function requestRejected(message: string): CallFailure {
  return failure(FailureType.requestRejected, message);
}

/** A call the conversation's or the chatbot's calls-per-minute budget refused. */
export function rateLimited(where: string, whose: 'conversation' | 'chatbot'): CallFailure {
  const budget = whose === 'conversation' ? "this conversation's" : "the chatbot's";
  return failure(FailureType.rateLimited, `${where} not called: ${budget} calls-per-minute limit is reached`);
}

/** An egress refusal or a send that failed: blocked destinations and refused redirects for good, the network maybe not. */
export function sendFailure(code: SendErrorCode, message: string): CallFailure {
  switch (code) {
    case 'blocked_destination':
    case 'bad_scheme':
    case 'too_many_redirects':
      return failure(FailureType.blockedDestination, message);
    case 'unsafe_redirect':
      return failure(FailureType.redirectRefused, message);
    case 'response_too_large':
      return failure(FailureType.invalidResponse, message);
    case 'timeout':
      return failure(FailureType.timeout, message, true);
    case 'network':
      return failure(FailureType.network, message, true);
  }
}

function clipSaid(text: string | null | undefined): string | null {
  return text ? text.slice(0, UPSTREAM_MESSAGE_CHARS) : null;
}

/** The `message` string of an error body (already redacted), never the body itself; null when there is none. */
export function upstreamMessage(body: string | null): string | null {
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as unknown;
    const message =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['message'] : null;
    return typeof message === 'string' && message.trim() !== '' ? message.trim() : null;
  } catch {
    return null;
  }
}

function header(headers: UpstreamResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads a response the way the step expects it. Not accepted (not 2xx nor in `acceptStatus`): a server error
 * (5xx/408/429, retryable, honouring Retry-After) or a client error. Accepted: JSON unless the step says text (a body
 * that is not JSON is an invalid response), `success: false` is the API reporting a failure, else the mapped fields
 * and the conventions (`message`, `attributes`). Every secret form is masked before anything reads the body.
 * `where` names the call in messages ("GET https://host/path", already redacted).
 */
export function interpretResponse(
  response: UpstreamResponse,
  expected: StepDefinition['response'],
  options: { where: string; secretForms: readonly string[]; nowMs: number },
): Interpretation {
  const { status } = response;
  const { where, secretForms } = options;
  const loggedBody = redactBody(response.body, secretForms);
  const accepted = (status >= 200 && status < 300) || expected.acceptStatus.includes(status);
  if (!accepted) {
    const message = `${where} answered ${status}`;
    const said = clipSaid(upstreamMessage(loggedBody));
    if (!isRetryableStatus(status))
      return { ok: false, failure: failure(FailureType.httpClientError, message, false, said), loggedBody };
    const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'), options.nowMs);
    const serverError = failure(FailureType.httpServerError, message, true, said);
    return {
      ok: false,
      failure: retryAfterMs === undefined ? serverError : { ...serverError, retryAfterMs },
      loggedBody,
    };
  }

  let json: Json;
  if (expected.responseType === 'text') json = loggedBody;
  else if (response.body.trim() === '') json = null;
  else {
    try {
      json = redactJson(JSON.parse(response.body) as Json, secretForms);
    } catch {
      const contentType = String(response.headers['content-type'] ?? 'none');
      const message = `${where} answered ${status} with a body that is not JSON (content-type: ${contentType})`;
      return { ok: false, failure: failure(FailureType.invalidResponse, message), loggedBody };
    }
  }
  const conventions = responseConventions(json);
  if (conventions.success === false) {
    const said = conventions.message ? ` (${conventions.message})` : '';
    const message = `${where} reported success: false${said}`;
    const reported = failure(FailureType.apiReportedFailure, message, false, clipSaid(conventions.message));
    return { ok: false, failure: reported, loggedBody };
  }
  return {
    ok: true,
    status,
    fields: extractFields(json, expected.fields),
    message: conventions.message ?? null,
    attributes: conventions.attributes ?? null,
    json: expected.responseType === 'json' ? json : null,
    loggedBody,
  };
}

/**
 * Whether a failure is the step's last word: it cannot be retried, or this was the policy's last attempt. A last
 * word is returned to the workflow as data; anything else is thrown for Temporal to retry.
 */
export function isFinalFailure(failure: CallFailure, attempt: number, maximumAttempts: number | undefined): boolean {
  if (!failure.retryable) return true;
  return maximumAttempts !== undefined && maximumAttempts > 0 && attempt >= maximumAttempts;
}
