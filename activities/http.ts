import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { secretNamesOf, type StepDefinition } from '../shared/action';
import { extractFields } from '../shared/extract';
import { FailureType, isRetryableStatus, parseRetryAfter } from '../shared/failures';
import type { StepOutcome } from '../shared/interpreter';
import type { Json } from '../shared/json';
import { redactSecrets, renderRequest, responseConventions } from '../shared/request';
import { TemplateError, type TemplateContext } from '../shared/template';

/** What the workflow hands the HTTP activity for one step: templates and values, never secret values. */
export type HttpStepInput = {
  chatbotId: string;
  conversationId: string;
  action: string;
  actionVersion: number;
  step: StepDefinition;
  context: TemplateContext;
  idempotencyKey: string;
};

/** The largest response body Parley reads. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export type HttpActivityDeps = {
  dispatcher: Dispatcher;
  readSecrets: (chatbotId: string, names: string[]) => Promise<Record<string, string>>;
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

/** HTTP activities: each call of `executeHttpStep` is one attempt of one step; Temporal retries it. */
export function createHttpActivities({ dispatcher, readSecrets, logger }: HttpActivityDeps) {
  return {
    /**
     * Renders a step's request (resolving secrets here and only here), sends it with undici and extracts
     * the mapped fields. Throws typed ApplicationFailures: retryable for 5xx/408/429/network errors
     * (honouring Retry-After), non-retryable for other 4xx, bodies that are not JSON and `success: false`.
     */
    async executeHttpStep(input: HttpStepInput): Promise<Extract<StepOutcome, { ok: true }>> {
      const { step } = input;
      const { info, cancellationSignal } = Context.current();
      const secrets = await readSecrets(input.chatbotId, secretNamesOf(step));
      const redact = (text: string) => redactSecrets(text, secrets);
      const extraHeaders: Record<string, string> =
        step.request.method === 'GET' || step.request.method === 'HEAD'
          ? {}
          : { 'idempotency-key': input.idempotencyKey };

      let rendered;
      try {
        rendered = renderRequest(step, { ...input.context, secrets }, extraHeaders);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        throw ApplicationFailure.create({
          type: FailureType.requestRejected,
          message: redact(error.message),
          nonRetryable: true,
        });
      }
      const target = new URL(rendered.url);
      const where = redact(`${rendered.method} ${target.origin}${target.pathname}`);
      const log = logger.child({
        action: input.action,
        step: step.id,
        conversationId: input.conversationId,
        attempt: info.attempt,
      });

      const started = performance.now();
      let response: Dispatcher.ResponseData;
      try {
        response = await request(rendered.url, {
          dispatcher,
          method: rendered.method,
          headers: rendered.headers,
          body: rendered.body,
          headersTimeout: step.timeoutMs,
          bodyTimeout: step.timeoutMs,
          signal: cancellationSignal,
        });
      } catch (error) {
        if (cancellationSignal.aborted) throw error;
        const reason = redact((error as { code?: string }).code ?? (error as Error).message);
        log.warn({ where, reason, durationMs: Math.round(performance.now() - started) }, 'API call failed to connect');
        throw ApplicationFailure.create({ type: FailureType.network, message: `${where} failed: ${reason}` });
      }

      const bodyText = await readBody(response.body, MAX_RESPONSE_BYTES);
      const durationMs = Math.round(performance.now() - started);
      const { statusCode: status } = response;
      log.info({ where, status, durationMs }, 'API call');

      if (status >= 300) {
        const retryAfter = response.headers['retry-after'];
        const message = `${where} answered ${status}`;
        if (isRetryableStatus(status)) {
          const delay = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
          throw ApplicationFailure.create({
            type: FailureType.httpServerError,
            message,
            details: [status],
            ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
          });
        }
        throw ApplicationFailure.create({
          type: FailureType.httpClientError,
          message,
          details: [status],
          nonRetryable: true,
        });
      }

      let body: Json;
      if (step.response.responseType === 'text') {
        body = bodyText;
      } else if (bodyText.trim() === '') {
        body = null;
      } else {
        try {
          body = JSON.parse(bodyText) as Json;
        } catch {
          const contentType = String(response.headers['content-type'] ?? 'none');
          throw ApplicationFailure.create({
            type: FailureType.invalidResponse,
            message: `${where} answered ${status} with a body that is not JSON (content-type: ${redact(contentType)})`,
            nonRetryable: true,
          });
        }
      }

      const conventions = responseConventions(body);
      if (conventions.success === false) {
        throw ApplicationFailure.create({
          type: FailureType.apiReportedFailure,
          message: `${where} reported success: false${conventions.message ? ` (${redact(conventions.message)})` : ''}`,
          nonRetryable: true,
        });
      }
      return {
        ok: true,
        status,
        fields: extractFields(body, step.response.fields),
        message: conventions.message ?? null,
        attributes: conventions.attributes ?? null,
      };
    },
  };
}
