import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { assertSecretHostAllowed, SecretHostError } from '../shared/security/secret-hosts';
import {
  secretNamesOf,
  SIGNING_SECRET,
  type RequestDefinition,
  type StepDefinition,
} from '../shared/actions/step-schema';
import { extractFields } from '../shared/actions/extract';
import { FailureType, isRetryableStatus, parseRetryAfter } from '../shared/failures';
import type { StepOutcome } from '../shared/actions/interpreter';
import type { Json, JsonObject } from '../shared/json';
import { REDACTED, redactBody, redactJson, redactText, secretForms } from '../shared/actions/redact';
import { renderRequest, responseConventions, type RenderedRequest, type RequestMeta } from '../shared/actions/request';
import { TemplateError, type TemplateContext } from '../shared/actions/template';
import { limiterKeys } from '../shared/security/traffic';
import type { CallLogEntry, createCallLog } from '../infrastructure/call-log';
import { EgressError, type Egress } from '../infrastructure/egress';
import type { createRateLimiter } from '../infrastructure/rate-limit';
import { standardWebhookHeaders } from '../infrastructure/signing';
import type { SecretsForCall } from '../infrastructure/store';

/** What the workflow hands the HTTP activity for one call: templates and values, never secret values. */
export type HttpCallInput = {
  chatbotId: string;
  conversationId: string;
  action: string;
  actionVersion: number;
  step: string;
  /** `compensate` runs a step's undo request. */
  kind: 'step' | 'compensate';
  request: RequestDefinition;
  response: StepDefinition['response'];
  timeoutMs: number;
  context: TemplateContext;
  meta: RequestMeta;
  idempotencyKey: string;
  /** A test run (the test endpoint): the result carries the redacted request and the response. */
  test: boolean;
};

/** What a test run shows of one call: the rendered request with secrets masked, and the response. */
export type CallDetail = {
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; body: string | null } | null;
};

/** A successful call: the step outcome, whether the response's structure changed, and test details. */
export type HttpCallResult = Extract<StepOutcome, { ok: true }> & {
  structureChanged: boolean;
  detail: CallDetail | null;
};

const DETAIL_BODY_CHARS = 4000;

export type HttpActivityDeps = {
  egress: Egress;
  readSecrets: (chatbotId: string, names: string[]) => Promise<SecretsForCall>;
  /** The chatbot's and each of its conversations' call budgets per minute, and the private destinations it may reach. */
  chatbotLimits: (
    chatbotId: string,
  ) => Promise<{ rateLimitPerMinute: number; conversationCallsPerMinute: number; egressAllowlist: string[] }>;
  callLog: ReturnType<typeof createCallLog>;
  rateLimiter: ReturnType<typeof createRateLimiter>;
  logger: Logger;
  clock?: () => Date;
};

/** How an egress refusal or failure is reported: the failure type and whether a retry could help. */
function egressFailure(error: EgressError): { type: string; nonRetryable: boolean } {
  switch (error.code) {
    case 'blocked_destination':
    case 'bad_scheme':
    case 'too_many_redirects':
      return { type: FailureType.blockedDestination, nonRetryable: true };
    case 'unsafe_redirect':
      return { type: FailureType.redirectRefused, nonRetryable: true };
    case 'response_too_large':
      return { type: FailureType.invalidResponse, nonRetryable: true };
    case 'timeout':
      return { type: FailureType.timeout, nonRetryable: false };
    case 'network':
      return { type: FailureType.network, nonRetryable: false };
  }
}

/** How much of an upstream's error `message` a visitor may be shown. */
const UPSTREAM_MESSAGE_CHARS = 500;

/** The `message` string of an error body (already redacted), never the body itself; null when there is none. */
function upstreamMessage(body: string | null): string | null {
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

function clip(text: string | null): string | null {
  return text === null || text.length <= DETAIL_BODY_CHARS ? text : `${text.slice(0, DETAIL_BODY_CHARS)}…`;
}

/** The redacted request and response of an attempt, for test runs. */
function detailOf(entry: CallLogEntry, redact: (text: string) => string): CallDetail {
  const headers = Object.fromEntries(
    Object.entries(entry.requestHeaders).map(([name, value]) => [
      name,
      /authorization|cookie|key|token|secret/i.test(name) ? REDACTED : redact(value),
    ]),
  );
  return {
    request: {
      method: entry.method,
      url: redact(entry.url),
      headers,
      body: clip(entry.requestBody === null ? null : redact(entry.requestBody)),
    },
    response:
      entry.status === null
        ? null
        : { status: entry.status, body: clip(entry.responseBody === null ? null : redact(entry.responseBody)) },
  };
}

/** HTTP activities: each call of `executeHttpStep` is one attempt of one step; Temporal retries it. */
export function createHttpActivities(deps: HttpActivityDeps) {
  const { egress, logger, callLog } = deps;
  const clock = deps.clock ?? (() => new Date());
  return {
    /**
     * Renders a request (resolving secrets here and only here), takes a slot of the chatbot's rate limit,
     * sends it with undici, logs the attempt and extracts the mapped fields. Throws typed ApplicationFailures:
     * retryable for 5xx/408/429/network errors (honouring Retry-After), non-retryable for other 4xx, bodies
     * that are not JSON, `success: false`, requests that cannot be built and a spent rate limit. The body is
     * redacted of every form in which the step sent a secret before anything reads it, so no result, failure
     * or log line carries one an upstream echoed.
     */
    async executeHttpStep(input: HttpCallInput): Promise<HttpCallResult> {
      const { info, cancellationSignal } = Context.current();
      const names = secretNamesOf(input.request);
      const { values: secrets, hosts: secretHosts } = await deps.readSecrets(input.chatbotId, names);
      // The forms in which this step sends its secrets; Basic auth's credentials join them once rendered.
      let forms = secretForms(Object.values(secrets));
      const redact = (text: string) => redactText(text, forms);
      const started = performance.now();
      const entry: CallLogEntry = {
        chatbotId: input.chatbotId,
        action: input.action,
        step: input.kind === 'compensate' ? `${input.step}:compensate` : input.step,
        conversationId: input.conversationId,
        attempt: info.attempt,
        method: input.request.method,
        url: input.request.url,
        requestHeaders: {},
        requestBody: null,
        status: null,
        responseBody: null,
        durationMs: 0,
        fields: null,
        error: null,
        structureChanged: false,
        test: input.test,
      };
      const fail = async (
        type: string,
        message: string,
        options: { nonRetryable?: boolean; nextRetryDelay?: number; said?: string | null } = {},
      ) => {
        const { said, ...retry } = options;
        entry.error = { type, message };
        entry.durationMs = Math.round(performance.now() - started);
        await callLog.record(entry, redact);
        // Details: the test run's call detail, then what the API said (its `message`, for steps that opt in).
        const saying = said ? [{ said: redact(said).slice(0, UPSTREAM_MESSAGE_CHARS) }] : [];
        const details =
          input.test || saying.length ? [input.test ? detailOf(entry, redact) : null, ...saying] : undefined;
        return ApplicationFailure.create({ type, message: redact(message), details, ...retry });
      };

      let rendered: RenderedRequest;
      try {
        const extraHeaders: Record<string, string> = ['GET', 'HEAD'].includes(input.request.method)
          ? {}
          : { 'idempotency-key': input.idempotencyKey };
        rendered = renderRequest(input.request, { ...input.context, secrets }, { extraHeaders, meta: input.meta });
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        throw await fail(FailureType.requestRejected, error.message, { nonRetryable: true });
      }
      const basicCredentials = input.request.auth.type === 'basic' ? rendered.headers['authorization'] : undefined;
      if (basicCredentials) forms = secretForms(Object.values(secrets), [basicCredentials.replace(/^Basic /, '')]);
      const target = new URL(rendered.url);
      const where = redact(`${rendered.method} ${target.origin}${target.pathname}`);
      Object.assign(entry, { url: rendered.url, requestHeaders: rendered.headers, requestBody: rendered.body });

      // Credentials go only to the hosts the operator bound them to, whatever the templates rendered.
      const checkSecretHosts = (url: string) => {
        for (const name of names) assertSecretHostAllowed(name, secretHosts, url);
      };
      try {
        checkSecretHosts(rendered.url);
      } catch (error) {
        if (!(error instanceof SecretHostError)) throw error;
        throw await fail(FailureType.requestRejected, `secret "${error.secretName}" may not be sent to ${error.host}`, {
          nonRetryable: true,
        });
      }
      if (input.request.sign) {
        const signingKey = secrets[SIGNING_SECRET];
        if (!signingKey) {
          throw await fail(FailureType.requestRejected, `secret "${SIGNING_SECRET}" is not set for this chatbot`, {
            nonRetryable: true,
          });
        }
        const timestamp = Math.floor(clock().getTime() / 1000);
        Object.assign(
          rendered.headers,
          standardWebhookHeaders(signingKey, input.idempotencyKey, rendered.body ?? '', timestamp),
        );
      }

      const limits = await deps.chatbotLimits(input.chatbotId);
      // The conversation's own budget first, so one visitor's extra calls never spend the chatbot's.
      if (
        !input.test &&
        !(await deps.rateLimiter.tryAcquire(
          limiterKeys.conversationCalls(input.conversationId),
          limits.conversationCallsPerMinute,
        ))
      ) {
        throw await fail(
          FailureType.rateLimited,
          `${where} not called: this conversation's calls-per-minute limit is reached`,
          { nonRetryable: true },
        );
      }
      if (!(await deps.rateLimiter.tryAcquire(limiterKeys.chatbotCalls(input.chatbotId), limits.rateLimitPerMinute))) {
        throw await fail(
          FailureType.rateLimited,
          `${where} not called: the chatbot's calls-per-minute limit is reached`,
          {
            nonRetryable: true,
          },
        );
      }

      const log = logger.child({
        action: input.action,
        step: entry.step,
        conversationId: input.conversationId,
        attempt: info.attempt,
      });
      let response: Awaited<ReturnType<Egress['send']>>;
      try {
        response = await egress.send({
          method: rendered.method,
          url: rendered.url,
          headers: rendered.headers,
          body: rendered.body,
          timeoutMs: input.timeoutMs,
          signal: cancellationSignal,
          followRedirects: input.request.followRedirects,
          credentialHeaders: Object.entries(rendered.headers)
            .filter(([, value]) => redact(value) !== value)
            .map(([name]) => name),
          carriesSecrets: names.length > 0,
          credentialQuery:
            input.request.auth.type === 'api_key' && input.request.auth.in === 'query' ? [input.request.auth.name] : [],
          allowlist: limits.egressAllowlist,
          checkRedirect: checkSecretHosts,
        });
      } catch (error) {
        if (cancellationSignal.aborted) throw error;
        if (error instanceof SecretHostError) {
          throw await fail(
            FailureType.requestRejected,
            `a redirect would send secret "${error.secretName}" to ${error.host}`,
            {
              nonRetryable: true,
            },
          );
        }
        if (!(error instanceof EgressError)) throw error;
        const { type, nonRetryable } = egressFailure(error);
        log.warn({ where, code: error.code }, 'API call refused or failed');
        throw await fail(type, `${where}: ${error.message}`, { nonRetryable });
      }

      const { status } = response;
      entry.status = status;
      const bodyText = response.body;
      entry.responseBody = redactBody(bodyText, forms);
      log.info({ where, status, durationMs: Math.round(performance.now() - started) }, 'API call');

      const accepted = (status >= 200 && status < 300) || input.response.acceptStatus.includes(status);
      if (!accepted) {
        const message = `${where} answered ${status}`;
        const said = upstreamMessage(entry.responseBody);
        if (isRetryableStatus(status)) {
          const retryAfter = response.headers['retry-after'];
          const delay = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
          throw await fail(FailureType.httpServerError, message, {
            said,
            ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
          });
        }
        throw await fail(FailureType.httpClientError, message, { nonRetryable: true, said });
      }

      let body: Json;
      if (input.response.responseType === 'text') body = entry.responseBody;
      else if (bodyText.trim() === '') body = null;
      else {
        try {
          body = redactJson(JSON.parse(bodyText) as Json, forms);
        } catch {
          const contentType = String(response.headers['content-type'] ?? 'none');
          throw await fail(
            FailureType.invalidResponse,
            `${where} answered ${status} with a body that is not JSON (content-type: ${contentType})`,
            {
              nonRetryable: true,
            },
          );
        }
      }

      const conventions = responseConventions(body);
      if (conventions.success === false) {
        const said = conventions.message ? ` (${conventions.message})` : '';
        throw await fail(FailureType.apiReportedFailure, `${where} reported success: false${said}`, {
          nonRetryable: true,
          said: conventions.message ?? null,
        });
      }
      const fields: JsonObject = extractFields(body, input.response.fields);
      const structureChanged =
        input.response.responseType === 'json' && body !== null
          ? await callLog.structureChanged(input.chatbotId, input.action, entry.step, body)
          : false;
      Object.assign(entry, { fields, structureChanged, durationMs: Math.round(performance.now() - started) });
      await callLog.record(entry, redact);

      return {
        ok: true,
        status,
        fields,
        message: conventions.message ?? null,
        attributes: conventions.attributes ?? null,
        structureChanged,
        detail: input.test ? detailOf(entry, redact) : null,
      };
    },
  };
}
