import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import type { ActionDefinition } from '../shared/actions/action';
import type { ParameterDefinition } from '../shared/actions/parameter-schema';
import { FailureType, isRetryableStatus } from '../shared/failures';
import type { Json } from '../shared/json';
import {
  composerRequest,
  extractorRequest,
  parseComposerResponse,
  parseExtractorResponse,
  parseRouterResponse,
  routerRequest,
  type LlmRoute,
  type LlmSettings,
  type TranscriptLine,
} from '../shared/understanding/llm';

export type LlmActivityDeps = { settings: LlmSettings | null; dispatcher: Dispatcher; logger: Logger };

/** The largest LLM answer Parley reads. */
const MAX_ANSWER_BYTES = 1024 * 1024;

type Task = 'route' | 'extract' | 'compose';

/**
 * LLM activities (router, extractor, composer) against an OpenAI-compatible chat-completions API. Built to fail
 * fast and cheaply: one bounded wait (`settings.timeoutMs` for the whole call) and typed failures — `LlmDisabled`
 * when no LLM is configured, `LlmUnavailable` for network errors, timeouts and error statuses (non-retryable for
 * 4xx), `LlmBadResponse` (non-retryable) for answers Parley cannot use — so the workflow falls back to the
 * deterministic path. Logs carry model, status and duration only: never prompts, answers or the key.
 */
export function createLlmActivities(deps: LlmActivityDeps) {
  const { settings, dispatcher, logger } = deps;

  const hideKey = (text: string) => (settings?.apiKey ? text.split(settings.apiKey).join('***') : text);

  /** POSTs a chat-completions body and runs `parse` on the JSON answer, mapping every failure to a type. */
  async function complete<T>(task: Task, body: Record<string, unknown>, parse: (answer: unknown) => T): Promise<T> {
    if (!settings) {
      throw ApplicationFailure.create({
        type: FailureType.llmDisabled,
        message: 'no LLM is configured',
        nonRetryable: true,
      });
    }
    const { cancellationSignal } = Context.current();
    const url = `${settings.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    let where: string;
    try {
      const target = new URL(url);
      where = `${target.origin}${target.pathname}`;
    } catch {
      throw ApplicationFailure.create({
        type: FailureType.llmUnavailable,
        message: 'the LLM base URL is not a valid URL',
        nonRetryable: true,
      });
    }
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    const log = (status: number | null, failure?: string) =>
      failure
        ? logger.warn({ model: settings.model, status, durationMs: durationMs(), task, failure }, 'LLM call failed')
        : logger.info({ model: settings.model, status, durationMs: durationMs(), task }, 'LLM call');
    const fail = (type: string, message: string, nonRetryable: boolean, status: number | null = null) => {
      log(status, type);
      return ApplicationFailure.create({ type, message: hideKey(message), nonRetryable });
    };

    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (settings.apiKey) headers['authorization'] = `Bearer ${settings.apiKey}`;
    let status: number | null = null;
    let text: string;
    try {
      const response = await request(url, {
        dispatcher,
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
        signal: AbortSignal.any([cancellationSignal, timeout]),
      });
      status = response.statusCode;
      text = await readLimited(response.body, MAX_ANSWER_BYTES);
    } catch (error) {
      if (cancellationSignal.aborted) throw error;
      if (error instanceof ApplicationFailure)
        throw fail(error.type ?? FailureType.llmBadResponse, error.message, true, status);
      const code = (error as { code?: string }).code;
      const isTimeout =
        timeout.aborted ||
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT' ||
        code === 'UND_ERR_CONNECT_TIMEOUT';
      const reason = isTimeout
        ? `timed out after ${settings.timeoutMs} ms`
        : `failed: ${code ?? (error as Error).message}`;
      throw fail(FailureType.llmUnavailable, `LLM call to ${where} ${reason}`, false, status);
    }

    if (status < 200 || status >= 300) {
      throw fail(FailureType.llmUnavailable, `LLM at ${where} answered ${status}`, !isRetryableStatus(status), status);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw fail(
        FailureType.llmBadResponse,
        `LLM at ${where} answered ${status} with a body that is not JSON`,
        true,
        status,
      );
    }
    let result: T;
    try {
      result = parse(answer);
    } catch (error) {
      throw fail(FailureType.llmBadResponse, `LLM at ${where}: ${(error as Error).message}`, true, status);
    }
    log(status);
    return result;
  }

  return {
    /**
     * Asks the LLM which action (if any) the visitor's message asks for, offering the actions as strict tools.
     * The arguments are limited to the chosen action's parameters; the workflow still validates them.
     */
    async llmRoute(input: {
      message: string;
      history: TranscriptLine[];
      actions: ActionDefinition[];
    }): Promise<LlmRoute> {
      if (settings && input.actions.length === 0) return { action: null, arguments: {} };
      const model = settings?.model ?? '';
      const offered = input.actions.map((action) => action.name);
      const route = await complete('route', routerRequest({ model, ...input }), (answer) =>
        parseRouterResponse(answer, offered),
      );
      const chosen = input.actions.find((action) => action.name === route.action);
      if (!chosen) return { action: null, arguments: {} };
      return { action: chosen.name, arguments: onlyParameters(route.arguments, chosen.parameters) };
    },

    /** Asks the LLM for the values of some parameters in a message; the workflow validates what it finds. */
    async llmExtract(input: {
      message: string;
      params: ParameterDefinition[];
      now: string;
    }): Promise<Record<string, Json>> {
      if (settings && input.params.length === 0) return {};
      const model = settings?.model ?? '';
      const values = await complete('extract', extractorRequest({ model, ...input }), parseExtractorResponse);
      return onlyParameters(values, input.params);
    },

    /** Rewrites a draft reply following the action's response instructions, drawing on the data. */
    async llmCompose(input: { instructions: string; draft: string; data: Json }): Promise<{ text: string }> {
      const model = settings?.model ?? '';
      const text = await complete('compose', composerRequest({ model, ...input }), parseComposerResponse);
      return { text };
    },
  };
}
export type LlmActivities = ReturnType<typeof createLlmActivities>;

function onlyParameters(values: Record<string, Json>, params: ParameterDefinition[]): Record<string, Json> {
  const names = new Set(params.map((param) => param.name));
  return Object.fromEntries(Object.entries(values).filter(([name]) => names.has(name)));
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw ApplicationFailure.create({
        type: FailureType.llmBadResponse,
        message: `the LLM's answer is larger than ${limit} bytes`,
        nonRetryable: true,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
