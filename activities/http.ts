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
import {
  interpretResponse,
  isFinalFailure,
  rateLimited,
  requestRejected,
  sendFailure,
  type CallFailure,
  type Interpretation,
  type UpstreamResponse,
} from '../shared/actions/interpret-call';
import { requestMeta, runContext, type RunEnvironment } from '../shared/actions/interpreter';
import { FailureType } from '../shared/failures';
import type { Json, JsonObject } from '../shared/json';
import { redactText, secretForms } from '../shared/actions/redact';
import { renderRequest, type RenderedRequest } from '../shared/actions/request';
import { callDetail, type HttpStepResult } from '../shared/actions/step-result';
import { TemplateError } from '../shared/actions/template';
import { limiterKeys } from '../shared/security/traffic';
import type { CallLogEntry, createCallLog, SendingAttempt } from '../infrastructure/call-log';
import { EgressError, type Egress } from '../infrastructure/egress';
import { createMetrics, type Metrics, type StepAttemptOutcome } from '../infrastructure/metrics';
import type { createRateLimiter } from '../infrastructure/rate-limit';
import { standardWebhookHeaders } from '../infrastructure/signing';
import type { SecretsForCall } from '../infrastructure/store';

/**
 * What the workflow hands the HTTP activity for one call: the step's templates and the run's values, each once
 * (the activity builds the template context and the request envelope from them), never secret values.
 */
export type HttpStepInput = {
  action: string;
  actionVersion: number;
  step: string;
  /** `compensate` runs a step's undo request. */
  kind: 'step' | 'compensate';
  request: RequestDefinition;
  response: StepDefinition['response'];
  timeoutMs: number;
  /** Who and where: chatbot, conversation, visitor, attributes, messages, trigger and time. */
  environment: RunEnvironment;
  /** The action's parameter values. */
  values: Record<string, Json>;
  /** What the run's completed steps extracted, by step id (`steps.<id>.*`). */
  steps: JsonObject;
  idempotencyKey: string;
  /** A test run (the test endpoint): the result carries the redacted request and the response. */
  test: boolean;
  /**
   * When one step's attempts are split between calls (the first a local activity, the rest a normal one): the
   * attempts made before this call, and the step's total. Absent: this call's own retry policy counts them all.
   */
  attempts?: { before: number; total: number };
  /**
   * The conversation's call budget, when the conversation keeps it (its own count of calls): `kept` — the call fits;
   * `spent` — it does not, and the attempt is refused and logged as such. Absent: the shared limiter counts it.
   */
  conversationBudget?: 'kept' | 'spent';
  /** The chatbot's call settings as the API read them with the turn's event; absent: the activity reads them. */
  chatbot?: ChatbotLimits;
};

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
  /** Where attempts' durations, failures and refusals are counted (absent: a registry nothing exposes). */
  metrics?: Metrics;
  clock?: () => Date;
};

/** What a call needs of its chatbot's settings: its call budgets and the private destinations it may reach. */
export type ChatbotLimits = Awaited<ReturnType<HttpActivityDeps['chatbotLimits']>>;

/** What redacts a step's secrets, and where they may go. */
type SecretUse = {
  names: string[];
  /** Every form in which the step sends a secret. */
  forms: string[];
  redact: (text: string) => string;
  /** Credentials go only to the hosts the operator bound them to, whatever the templates rendered. */
  checkSecretHosts: (url: string) => void;
};

/** A request as prepared: ready to send, or refused (with what was rendered of it, for the call log). */
type Prepared = SecretUse &
  (
    | { ready: true; rendered: RenderedRequest; where: string }
    | { ready: false; rendered: RenderedRequest | null; refused: CallFailure }
  );

/** How often a step running as a normal activity heartbeats (its heartbeat timeout is a few of these). */
const HEARTBEAT_EVERY_MS = 1_000;

/** One attempt of one step, as it goes: what the call log records of it (from when its request goes out). */
type Attempt = { input: HttpStepInput; entry: CallLogEntry; started: number; log: Logger; sending?: SendingAttempt };

/** HTTP activities: each call of `executeHttpStep` is one attempt of one step; Temporal retries it. */
export function createHttpActivities(deps: HttpActivityDeps) {
  const { egress, logger, callLog, rateLimiter } = deps;
  const clock = deps.clock ?? (() => new Date());
  const metrics = deps.metrics ?? createMetrics();

  /** Counts one attempt: how long it took, how it ended and, when it failed, why (by default, as its entry says). */
  function observe(attempt: Attempt, cutOff?: { outcome: StepAttemptOutcome; failureType: string }): void {
    const { entry } = attempt;
    metrics.stepAttempt({
      chatbotId: entry.chatbotId,
      action: entry.action,
      outcome: cutOff?.outcome ?? (entry.error === null ? 'ok' : attempt.sending ? 'failed' : 'not_sent'),
      seconds: (performance.now() - attempt.started) / 1000,
      failureType: cutOff ? cutOff.failureType : (entry.error?.type ?? null),
    });
  }

  /** Prepare: reads the secrets the step uses, renders and signs the request, checks the secrets' hosts. */
  async function prepare(input: HttpStepInput): Promise<Prepared> {
    const { request, environment } = input;
    const names = secretNamesOf(request);
    const { values: secrets, hosts } = await deps.readSecrets(environment.chatbotId, names);
    const use: SecretUse = {
      names,
      forms: secretForms(Object.values(secrets)),
      redact: (text) => redactText(text, use.forms),
      checkSecretHosts: (url) => {
        for (const name of names) assertSecretHostAllowed(name, hosts, url);
      },
    };
    let rendered: RenderedRequest;
    try {
      const extraHeaders: Record<string, string> = ['GET', 'HEAD'].includes(request.method)
        ? {}
        : { 'idempotency-key': input.idempotencyKey };
      const context = runContext({ name: input.action }, input.values, environment, input.steps);
      const meta = requestMeta({ name: input.action }, environment);
      rendered = renderRequest(request, { ...context, secrets }, { extraHeaders, meta });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return { ...use, ready: false, rendered: null, refused: requestRejected(error.message) };
    }
    const refused = (failure: CallFailure): Prepared => ({ ...use, ready: false, rendered, refused: failure });
    // Basic auth's credentials join the secret forms once rendered.
    const basicCredentials = request.auth.type === 'basic' ? rendered.headers['authorization'] : undefined;
    if (basicCredentials) use.forms = secretForms(Object.values(secrets), [basicCredentials.replace(/^Basic /, '')]);
    try {
      use.checkSecretHosts(rendered.url);
    } catch (error) {
      if (!(error instanceof SecretHostError)) throw error;
      return refused(requestRejected(`secret "${error.secretName}" may not be sent to ${error.host}`));
    }
    if (request.sign) {
      const signingKey = secrets[SIGNING_SECRET];
      if (!signingKey) return refused(requestRejected(`secret "${SIGNING_SECRET}" is not set for this chatbot`));
      const timestamp = Math.floor(clock().getTime() / 1000);
      Object.assign(
        rendered.headers,
        standardWebhookHeaders(signingKey, input.idempotencyKey, rendered.body ?? '', timestamp),
      );
    }
    const target = new URL(rendered.url);
    const where = use.redact(`${rendered.method} ${target.origin}${target.pathname}`);
    return { ...use, ready: true, rendered, where };
  }

  /**
   * Admit: the conversation's budget first (so one visitor's extra calls never spend the chatbot's; test runs have
   * no conversation) — as the conversation counted it, or else a slot of the shared limiter — then a slot of the
   * chatbot's. A refusal is a `RateLimited` failure.
   */
  async function admit(input: HttpStepInput, where: string, limits: ChatbotLimits): Promise<CallFailure | null> {
    const { chatbotId, conversationId } = input.environment;
    const conversationKey = limiterKeys.conversationCalls(conversationId);
    const refuse = (whose: 'conversation' | 'chatbot') => {
      metrics.refused(chatbotId, whose === 'conversation' ? 'conversation_calls' : 'chatbot_calls');
      return rateLimited(where, whose);
    };
    if (!input.test && input.conversationBudget === 'spent') return refuse('conversation');
    const counted = input.test || input.conversationBudget === 'kept';
    if (!counted && !(await rateLimiter.tryAcquire(conversationKey, limits.conversationCallsPerMinute))) {
      return refuse('conversation');
    }
    if (!(await rateLimiter.tryAcquire(limiterKeys.chatbotCalls(chatbotId), limits.rateLimitPerMinute))) {
      return refuse('chatbot');
    }
    return null;
  }

  /** Send: the request through the egress policy (destinations, redirects, secrets' hosts, size and time limits). */
  async function send(
    attempt: Attempt,
    prepared: Extract<Prepared, { ready: true }>,
    limits: ChatbotLimits,
  ): Promise<{ ok: true; response: UpstreamResponse } | { ok: false; failure: CallFailure }> {
    const { input } = attempt;
    const { rendered, redact, where } = prepared;
    const { cancellationSignal } = Context.current();
    try {
      const response = await egress.send({
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
        carriesSecrets: prepared.names.length > 0,
        credentialQuery:
          input.request.auth.type === 'api_key' && input.request.auth.in === 'query' ? [input.request.auth.name] : [],
        allowlist: limits.egressAllowlist,
        checkRedirect: prepared.checkSecretHosts,
      });
      attempt.log.info(
        { where, status: response.status, durationMs: Math.round(performance.now() - attempt.started) },
        'API call',
      );
      return { ok: true, response };
    } catch (error) {
      if (cancellationSignal.aborted) {
        // Cut off by Temporal (the attempt's timeout, a lost heartbeat, shutdown): counted, then retried as Temporal says.
        const timedOut = Context.current().cancellationDetails?.timedOut === true;
        observe(attempt, { outcome: 'interrupted', failureType: timedOut ? FailureType.timeout : 'Interrupted' });
        throw error;
      }
      if (error instanceof SecretHostError) {
        const failure = requestRejected(`a redirect would send secret "${error.secretName}" to ${error.host}`);
        return { ok: false, failure };
      }
      if (!(error instanceof EgressError)) throw error;
      attempt.log.warn({ where, code: error.code }, 'API call refused or failed');
      return { ok: false, failure: sendFailure(error.code, `${where}: ${error.message}`) };
    }
  }

  /**
   * Record: writes the attempt to the call log. Bookkeeping never decides a step: when the database is down the
   * entry waits in the call log's outbox and is written once it is back, and the step's result stands — an
   * upstream's answer is never thrown away, and never sent again, because the log could not be written.
   */
  async function record(attempt: Attempt, redact: (text: string) => string): Promise<void> {
    attempt.entry.durationMs = Math.round(performance.now() - attempt.started);
    observe(attempt);
    if ((await callLog.record(attempt.entry, redact, attempt.sending)) === 'pending') {
      attempt.log.warn('call log entry not written yet: it is kept until the database answers');
    }
  }

  /** Whether the response's structure differs from the last one seen; false (and logged) when that cannot be told. */
  async function structureChanged(attempt: Attempt, json: Json): Promise<boolean> {
    const { input } = attempt;
    if (input.response.responseType !== 'json' || json === null) return false;
    try {
      const { chatbotId } = input.environment;
      return await callLog.structureChanged(chatbotId, input.action, attempt.entry.step, json, input.actionVersion);
    } catch (error) {
      attempt.log.error({ error: (error as Error).message }, 'response structure not compared');
      return false;
    }
  }

  /**
   * A failed attempt: recorded, then returned as the step's result when it is final (it cannot be retried, or
   * this was the last attempt), else thrown for Temporal to retry (honouring the API's Retry-After).
   */
  async function failed(attempt: Attempt, prepared: SecretUse, failure: CallFailure): Promise<HttpStepResult> {
    const message = prepared.redact(failure.message);
    attempt.entry.error = { type: failure.type, message: failure.message };
    await record(attempt, prepared.redact);
    const { info } = Context.current();
    const { attempts } = attempt.input;
    const final = attempts
      ? isFinalFailure(failure, attempt.entry.attempt, attempts.total)
      : isFinalFailure(failure, info.attempt, info.retryPolicy?.maximumAttempts);
    if (!final) {
      throw ApplicationFailure.create({
        type: failure.type,
        message,
        ...(failure.retryAfterMs !== undefined ? { nextRetryDelay: failure.retryAfterMs } : {}),
      });
    }
    metrics.stepResult(attempt.entry.chatbotId, attempt.input.action, false);
    return {
      ok: false,
      type: failure.type,
      message,
      said: failure.said === null ? null : prepared.redact(failure.said),
      detail: attempt.input.test ? callDetail(attempt.entry, prepared.redact) : null,
    };
  }

  /** A successful attempt: its structure compared, recorded, and returned. */
  async function succeeded(
    attempt: Attempt,
    prepared: SecretUse,
    result: Extract<Interpretation, { ok: true }>,
  ): Promise<HttpStepResult> {
    const changed = await structureChanged(attempt, result.json);
    Object.assign(attempt.entry, { fields: result.fields, structureChanged: changed });
    await record(attempt, prepared.redact);
    metrics.stepResult(attempt.entry.chatbotId, attempt.input.action, true);
    return {
      ok: true,
      status: result.status,
      fields: result.fields,
      message: result.message,
      attributes: result.attributes,
      structureChanged: changed,
      detail: attempt.input.test ? callDetail(attempt.entry, prepared.redact) : null,
    };
  }

  /**
   * One attempt of one step: prepare (secrets, rendering, signing, secret-host checks) → admit (rate limits) →
   * send (egress) → interpret (shared/actions/interpret-call: what the response means, which failure it is) →
   * record (call log). Secrets are resolved here and only here; every form in which the step sent one is masked
   * before anything reads the response, so no result, failure or log line carries one an upstream echoed. A
   * failure that is final comes back as a typed result; one Temporal should retry is thrown.
   */
  async function attemptStep(input: HttpStepInput): Promise<HttpStepResult> {
    const { info } = Context.current();
    const attemptNumber = info.attempt + (input.attempts?.before ?? 0);
    const started = performance.now();
    // Read alongside the secrets; only an admitted request waits for it.
    const limits = input.chatbot ? Promise.resolve(input.chatbot) : deps.chatbotLimits(input.environment.chatbotId);
    limits.catch(() => undefined);
    const step = input.kind === 'compensate' ? `${input.step}:compensate` : input.step;
    const attempt: Attempt = {
      input,
      started,
      log: logger.child({
        action: input.action,
        step,
        conversationId: input.environment.conversationId,
        attempt: attemptNumber,
      }),
      entry: {
        chatbotId: input.environment.chatbotId,
        action: input.action,
        step,
        conversationId: input.environment.conversationId,
        attempt: attemptNumber,
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
      },
    };

    const prepared = await prepare(input);
    const { rendered } = prepared;
    if (rendered) {
      Object.assign(attempt.entry, {
        url: rendered.url,
        requestHeaders: rendered.headers,
        requestBody: rendered.body,
      });
    }
    if (!prepared.ready) return failed(attempt, prepared, prepared.refused);

    const chatbotLimits = await limits;
    const refusal = await admit(input, prepared.where, chatbotLimits);
    if (refusal) return failed(attempt, prepared, refusal);

    attempt.sending = callLog.sending(attempt.entry, prepared.redact, {
      idempotencyKey: input.idempotencyKey,
      timeoutMs: input.timeoutMs,
    });
    const sent = await send(attempt, prepared, chatbotLimits);
    if (!sent.ok) return failed(attempt, prepared, sent.failure);
    attempt.entry.status = sent.response.status;

    const result = interpretResponse(sent.response, input.response, {
      where: prepared.where,
      secretForms: prepared.forms,
      nowMs: Date.now(),
    });
    attempt.entry.responseBody = result.loggedBody;
    return result.ok ? succeeded(attempt, prepared, result) : failed(attempt, prepared, result.failure);
  }

  return {
    /**
     * One attempt of one step (`attemptStep`). As a normal activity it heartbeats while it waits on the upstream,
     * so a worker that dies mid-call is known within the heartbeat timeout (workflows/run-action.ts) and the step
     * retried, not only after its whole timeout.
     */
    async executeHttpStep(input: HttpStepInput): Promise<HttpStepResult> {
      const context = Context.current();
      const beating = context.info.isLocal ? null : setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await attemptStep(input);
      } finally {
        if (beating) clearInterval(beating);
      }
    },
  };
}
