/**
 * Every failure type Parley throws or records, in one catalogue: activities throw them, workflows branch on them,
 * retry policies list them, the API maps them. A type string, not a class, so it survives serialization through
 * Temporal. Add a type here, never as a literal where it is thrown.
 */
export const FailureType = {
  // An HTTP step's call.
  /** The API answered 4xx (other than 408/429): retrying will not help. */
  httpClientError: 'HttpClientError',
  /** The API answered 5xx, 408 or 429. */
  httpServerError: 'HttpServerError',
  /** Connecting, or waiting for headers or body, failed. */
  network: 'NetworkError',
  /** Connecting, or waiting for headers or body, took longer than the step allows (or the activity timed out). */
  timeout: 'Timeout',
  /** The body was not what the step expects (e.g. not JSON). */
  invalidResponse: 'InvalidResponse',
  /** The API said `success: false`. */
  apiReportedFailure: 'ApiReportedFailure',
  /** The request could not be built (bad URL, header injection, missing secret). */
  requestRejected: 'RequestRejected',
  /** The chatbot's or the conversation's calls-per-minute budget is spent. */
  rateLimited: 'RateLimited',
  /** The destination is not one Parley may call (private, loopback, metadata…), or a redirect went there. */
  blockedDestination: 'BlockedDestination',
  /** A redirect to another origin would have sent a request carrying a secret again (307/308, or with its body). */
  redirectRefused: 'RedirectRefused',

  // The optional LLM.
  /** No LLM is configured. */
  llmDisabled: 'LlmDisabled',
  /** The LLM could not be reached, timed out, or answered with an error status. */
  llmUnavailable: 'LlmUnavailable',
  /** The LLM answered, but not with something Parley can use. */
  llmBadResponse: 'LlmBadResponse',

  // Conversations and chatbots.
  /** The chatbot a conversation belongs to was deleted. */
  chatbotNotFound: 'ChatbotNotFound',
  /** The conversation is closed: it takes no more messages (the API answers 409 `conversation_closed`). */
  conversationClosed: 'ConversationClosed',
  /** A turn deadline's answer was asked for a turn that has already answered (the API reads the turn's own). */
  turnAnswered: 'TurnAnswered',
  /** The operator's handoff webhook answered with an error status. */
  handoffWebhookFailed: 'HandoffWebhookFailed',
  /** An email reply is due but this worker has no SMTP server (PARLEY_SMTP_URL). */
  emailNotConfigured: 'EmailNotConfigured',
  /** The SMTP server refused an email reply for good (a 5xx answer). */
  emailRejected: 'EmailRejected',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** The failure types of an HTTP step's call: what the call log, alerts and templates (`reason`) report. */
export const STEP_FAILURE_TYPES = [
  FailureType.httpClientError,
  FailureType.httpServerError,
  FailureType.network,
  FailureType.timeout,
  FailureType.invalidResponse,
  FailureType.apiReportedFailure,
  FailureType.requestRejected,
  FailureType.rateLimited,
  FailureType.blockedDestination,
  FailureType.redirectRefused,
] as const satisfies readonly FailureTypeName[];
export type StepFailureType = (typeof STEP_FAILURE_TYPES)[number];

/** Step failures that retrying the same request cannot fix. */
export const NON_RETRYABLE_FAILURES: FailureTypeName[] = [
  FailureType.httpClientError,
  FailureType.invalidResponse,
  FailureType.apiReportedFailure,
  FailureType.requestRejected,
  FailureType.rateLimited,
  FailureType.blockedDestination,
  FailureType.redirectRefused,
];

/** LLM failures that retrying the same request cannot fix. */
export const NON_RETRYABLE_LLM_FAILURES: FailureTypeName[] = [FailureType.llmDisabled, FailureType.llmBadResponse];

const REASONS: Record<FailureTypeName, string> = {
  [FailureType.httpClientError]: 'http_client_error',
  [FailureType.httpServerError]: 'http_server_error',
  [FailureType.network]: 'network_error',
  [FailureType.invalidResponse]: 'invalid_response',
  [FailureType.apiReportedFailure]: 'api_reported_failure',
  [FailureType.requestRejected]: 'request_rejected',
  [FailureType.rateLimited]: 'rate_limited',
  [FailureType.blockedDestination]: 'blocked_destination',
  [FailureType.redirectRefused]: 'redirect_refused',
  [FailureType.timeout]: 'timeout',
  [FailureType.llmDisabled]: 'llm_disabled',
  [FailureType.llmUnavailable]: 'llm_unavailable',
  [FailureType.llmBadResponse]: 'llm_bad_response',
  [FailureType.chatbotNotFound]: 'chatbot_not_found',
  [FailureType.conversationClosed]: 'conversation_closed',
  [FailureType.turnAnswered]: 'turn_answered',
  [FailureType.handoffWebhookFailed]: 'handoff_webhook_failed',
  [FailureType.emailNotConfigured]: 'email_not_configured',
  [FailureType.emailRejected]: 'email_rejected',
};

/** The reason a step failed, as operators and templates see it (e.g. `rate_limited`), from a failure type. */
export function failureReason(type: string): string {
  return (REASONS as Record<string, string>)[type] ?? 'error';
}

/** Whether an HTTP status is worth retrying: 5xx, 408 Request Timeout and 429 Too Many Requests. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * The delay a `Retry-After` header asks for, in ms (seconds or an HTTP date), capped at `maxMs`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number, maxMs = 60_000): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, maxMs);
  // HTTP-date in its preferred form (RFC 9110 IMF-fixdate), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(date - nowMs, 0), maxMs);
}
