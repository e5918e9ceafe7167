import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { secretNamesOf, type RequestDefinition, type StepDefinition } from '../shared/action';
import { extractFields } from '../shared/extract';
import { FailureType, isRetryableStatus, parseRetryAfter } from '../shared/failures';
import type { StepOutcome } from '../shared/interpreter';
import type { Json, JsonObject } from '../shared/json';
import {
  redactSecrets,
  renderRequest,
  responseConventions,
  type RenderedRequest,
  type RequestMeta,
} from '../shared/request';
import { TemplateError, type TemplateContext } from '../shared/template';
import type { CallLogEntry, createCallLog } from './call-log';
import type { createRateLimiter } from './rate-limit';

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

/** The largest response body Parley reads. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
const DETAIL_BODY_CHARS = 4000;

export type HttpActivityDeps = {
  dispatcher: Dispatcher;
  readSecrets: (chatbotId: string, names: string[]) => Promise<Record<string, string>>;
  rateLimitFor: (chatbotId: string) => Promise<number>;
  callLog: ReturnType<typeof createCallLog>;
  rateLimiter: ReturnType<typeof createRateLimiter>;
  logger: Logger;
};

async function readBody(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw ApplicationFailure.create({
        type: FailureType.invalidResponse,
        message: `the response is larger than ${limit} bytes`,
        nonRetryable: true,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function clip(text: string | null): string | null {
  return text === null || text.length <= DETAIL_BODY_CHARS ? text : `${text.slice(0, DETAIL_BODY_CHARS)}…`;
}

/** The redacted request and response of an attempt, for test runs. */
function detailOf(entry: CallLogEntry, redact: (text: string) => string): CallDetail {
  const headers = Object.fromEntries(
    Object.entries(entry.requestHeaders).map(([name, value]) => [
      name,
      /authorization|cookie|key|token|secret/i.test(name) ? '***' : redact(value),
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
  const { dispatcher, logger, callLog } = deps;
  return {
    /**
     * Renders a request (resolving secrets here and only here), takes a slot of the chatbot's rate limit,
     * sends it with undici, logs the attempt and extracts the mapped fields. Throws typed ApplicationFailures:
     * retryable for 5xx/408/429/network errors (honouring Retry-After), non-retryable for other 4xx, bodies
     * that are not JSON, `success: false`, requests that cannot be built and a spent rate limit.
     */
    async executeHttpStep(input: HttpCallInput): Promise<HttpCallResult> {
      const { info, cancellationSignal } = Context.current();
      const secrets = await deps.readSecrets(input.chatbotId, secretNamesOf(input.request));
      const redact = (text: string) => redactSecrets(text, secrets);
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
        options: { nonRetryable?: boolean; nextRetryDelay?: number } = {},
      ) => {
        entry.error = { type, message };
        entry.durationMs = Math.round(performance.now() - started);
        await callLog.record(entry, redact);
        const details = input.test ? [detailOf(entry, redact)] : undefined;
        return ApplicationFailure.create({ type, message: redact(message), details, ...options });
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
      const target = new URL(rendered.url);
      const where = redact(`${rendered.method} ${target.origin}${target.pathname}`);
      Object.assign(entry, { url: rendered.url, requestHeaders: rendered.headers, requestBody: rendered.body });

      if (!(await deps.rateLimiter.tryAcquire(input.chatbotId, await deps.rateLimitFor(input.chatbotId)))) {
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
      let response: Dispatcher.ResponseData;
      try {
        response = await request(rendered.url, {
          dispatcher,
          method: rendered.method,
          headers: rendered.headers,
          body: rendered.body,
          headersTimeout: input.timeoutMs,
          bodyTimeout: input.timeoutMs,
          signal: cancellationSignal,
        });
      } catch (error) {
        if (cancellationSignal.aborted) throw error;
        const reason = (error as { code?: string }).code ?? (error as Error).message;
        log.warn({ where, reason: redact(reason) }, 'API call failed to connect');
        throw await fail(FailureType.network, `${where} failed: ${reason}`);
      }

      const { statusCode: status } = response;
      entry.status = status;
      let bodyText: string;
      try {
        bodyText = await readBody(response.body, MAX_RESPONSE_BYTES);
      } catch (error) {
        if (error instanceof ApplicationFailure)
          throw await fail(error.type ?? FailureType.invalidResponse, error.message, { nonRetryable: true });
        throw await fail(FailureType.network, `${where} failed while reading the body: ${(error as Error).message}`);
      }
      entry.responseBody = bodyText;
      log.info({ where, status, durationMs: Math.round(performance.now() - started) }, 'API call');

      const accepted = (status >= 200 && status < 300) || input.response.acceptStatus.includes(status);
      if (!accepted) {
        const message = `${where} answered ${status}`;
        if (isRetryableStatus(status)) {
          const retryAfter = response.headers['retry-after'];
          const delay = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
          throw await fail(FailureType.httpServerError, message, delay !== undefined ? { nextRetryDelay: delay } : {});
        }
        throw await fail(FailureType.httpClientError, message, { nonRetryable: true });
      }

      let body: Json;
      if (input.response.responseType === 'text') body = bodyText;
      else if (bodyText.trim() === '') body = null;
      else {
        try {
          body = JSON.parse(bodyText) as Json;
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
