import { randomBytes, randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../shared/failures';
import { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { SentenceEncoder } from '../../infrastructure/encoder';
import type { Metrics, RateLimitName, TurnOutcome } from '../../infrastructure/metrics';
import { createTurnReader } from '../../infrastructure/turn-reader';
import type { RoutedText } from '../../shared/conversation/state';
import type { z } from 'zod';
import type { RateLimiter } from '../../infrastructure/rate-limit';
import type { Store } from '../../infrastructure/store';
import type { Chatbot } from '../../shared/chatbot';
import { conversationSettings } from '../../shared/chatbot';
import { actionButtons } from '../../shared/conversation/catalog';
import {
  ButtonClickBodySchema,
  CloseBodySchema,
  LeadBodySchema,
  SendMessageBodySchema,
  StartConversationBodySchema,
  TranscriptQuerySchema,
} from '../../shared/chat-api';
import {
  buttonClickedSignal,
  closeSignal,
  leadCapturedSignal,
  answerAtDeadlineUpdate,
  visitorMessageSignal,
  openingUpdate,
  sendMessageUpdate,
  transcriptQuery,
  type ConversationInput,
  type EventContext,
} from '../../workflows/messages';
import { messageBudgetSpent } from '../../shared/conversation/budgets';
import { DEFAULT_TURN_DEADLINE_SECONDS } from '../../shared/conversation/deadline';
import type { BotMessage } from '../../shared/messages';
import { hashToken, sameSecret } from '../auth';
import { attributesProblem } from '../../shared/security/visitor-limits';
import { ApiError, decodePathSegment, ERROR_STATUS, parseOr400, validationError } from '../errors';
import { createTurnAdmission } from '../admission';
import { createBudgetPeeks } from '../budget-peeks';
import type { ChatbotCache } from '../chatbot-cache';
import type { ConversationAccess } from '../conversation-access';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../outages';
import { clientAddressKey, limiterKeys, retryAfterSeconds, type TrafficLimits } from '../../shared/security/traffic';
import { conversationError, conversationStart, type TemporalDeps } from '../temporal';

/**
 * Parses what a visitor sent: a field over its size limit answers 413 (too large), anything else wrong 400, each
 * naming the field.
 */
function parseVisitorInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const error = validationError(parsed.error);
  const tooLarge = parsed.error.issues.every(
    (issue) => issue.code === 'too_big' || (issue.code === 'custom' && issue.path[0] === 'fields'),
  );
  throw tooLarge ? new ApiError('payload_too_large', error.message) : error;
}

/** How long past the chatbot's turn deadline the API waits before asking the workflow to answer with what it has. */
const DEADLINE_GRACE_MS = 100;
/**
 * How long the deadline's answer may take before the API concludes that no worker serves conversations (a worker
 * answers it in milliseconds, well under a second even under load): the message is then handed over durably.
 */
const NO_WORKER_MS = 600;

/** Whether the workflow refused the deadline's answer because the turn has answered. */
function turnAnswered(error: unknown): boolean {
  return (
    error instanceof WorkflowUpdateFailedError &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === FailureType.turnAnswered
  );
}

/** An admitted visitor event: how to end it, its chatbot, and what the API tells the workflow with it. */
type AdmittedEvent = { leave: () => void; chatbot: Chatbot | null; context: EventContext };

/** What the chat routes need. */
export type ChatDeps = {
  store: Store;
  temporal: TemporalDeps;
  defaultIdleTimeoutMinutes: number;
  rateLimiter: RateLimiter;
  /** The same limiter over one-second windows, for bursts. */
  burstLimiter: RateLimiter;
  /** Budgets and caps per chatbot, conversation and client address. */
  traffic: TrafficLimits;
  /** The optional LLM is configured: new conversations use it. */
  llmEnabled: boolean;
  /** The chatbots this process read lately; admin writes in this process make it forget them (api/chatbot-cache.ts). */
  chatbots: ChatbotCache;
  /** The sentence encoder: the API routes each message as it admits it (null: by words alone). */
  encoder: SentenceEncoder | null;
  /** Conversation records and the token check (api/conversation-access.ts), shared with the event streams. */
  conversations: ConversationAccess;
  /** Where turns, routing decisions and refusals are counted. */
  metrics: Metrics;
  logger?: Logger;
};

/**
 * Chat routes for frontends: start a conversation with the chatbot's publishable key, then talk to it with the
 * conversation's token. Browsers may call them only from the chatbot's allowed origins (CORS).
 */
export function chatRoutes(deps: ChatDeps): Router {
  const { store, temporal, metrics } = deps;
  const router = Router();
  const { chatbots } = deps;
  const reader = createTurnReader({
    store,
    encoder: deps.encoder,
    onEncoderError: (error) =>
      deps.logger?.warn({ error: error.message }, 'sentence encoder failed; routing by words alone'),
  });

  /**
   * How the chatbot's router, at the revision this turn names, routes the message: sent with the turn, so the
   * conversation needs no round trip to the worker to read it (null: the workflow asks the worker instead).
   */
  async function routedMessage(chatbot: Chatbot | null, text: string): Promise<RoutedText | null> {
    if (!chatbot) return null;
    try {
      const catalog = await reader.catalogOf(chatbot.id, chatbot.catalogRevision);
      const routed = catalog?.revision === chatbot.catalogRevision ? await reader.route(catalog, text) : null;
      if (routed) metrics.routed(chatbot.id, routed.result);
      return routed;
    } catch (error) {
      deps.logger?.warn({ error: (error as Error).message }, 'message not routed by the API; the worker will');
      return null;
    }
  }

  /** The chatbot a chat request concerns, for CORS: from the URL, or through the conversation record. */
  async function chatbotOf(req: Request): Promise<Chatbot | null> {
    const byBot = /^\/v1\/chatbots\/([^/]+)\/conversations\/?$/.exec(req.path);
    if (byBot?.[1]) return chatbots.get(decodePathSegment(byBot[1]));
    const byConversation = /^\/v1\/conversations\/([^/]+)\//.exec(req.path);
    if (!byConversation?.[1]) return null;
    const record = await store.getConversation(decodePathSegment(byConversation[1]));
    return record ? chatbots.get(record.chatbotId) : null;
  }

  const cors: RequestHandler = async (req, res, next) => {
    const origin = req.get('origin');
    const isChatRoute = /^\/v1\/(chatbots\/[^/]+\/conversations\/?$|conversations\/)/.test(req.path);
    if (!origin || !isChatRoute) return next();
    const chatbot = await chatbotOf(req);
    const allowed = chatbot?.allowedOrigins.includes(origin) ?? false;
    if (allowed) {
      res.set({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type, authorization, x-parley-key',
        'access-control-max-age': '600',
      });
    }
    res.vary('origin');
    if (req.method === 'OPTIONS') {
      res.status(allowed ? 204 : 403).end();
      return;
    }
    next();
  };
  router.use(cors);

  const { traffic, rateLimiter } = deps;
  const budgets = createBudgetPeeks(rateLimiter);
  const admission = createTurnAdmission({ total: traffic.concurrentTurns, perChatbot: traffic.chatbotConcurrentTurns });
  /** A 429 with Retry-After, counted as a refusal by `limit` (`chatbotId` empty when the chatbot is not known yet). */
  const tooMany = (limit: RateLimitName, chatbotId: string, message: string, waitMs: number) => {
    metrics.refused(chatbotId, limit);
    return new ApiError('rate_limited', message, retryAfterSeconds(waitMs));
  };

  /**
   * Admits a visitor event (message, button, lead) of a conversation, or refuses it with 429 and Retry-After
   * before any workflow work: when its chatbot already has its share of turns running in this process, when the
   * chatbot's API-call budget is spent (the turn could only apologise), or — for buttons and leads — when the
   * visitor sends more than the per-minute message limit. A message's own budgets (messages, and its
   * conversation's API calls) are the conversation's to keep: they go with the event, and its update validator
   * refuses what is over. Answers the function that ends the admitted turn.
   */
  async function admitVisitorEvent(
    record: { id: string; chatbotId: string },
    kind: 'message' | 'button or lead',
  ): Promise<AdmittedEvent> {
    const leave = admission.enter(record.chatbotId);
    if (!leave) {
      throw tooMany(
        'concurrent_turns',
        record.chatbotId,
        'this chatbot is answering as many visitors as it may at once; please retry in a moment',
        1000,
      );
    }
    try {
      // The conversation keeps its own budgets (see `limits` below); the chatbot's is shared by all its visitors.
      const chatbot = await chatbots.get(record.chatbotId);
      const chatbotCalls = chatbot?.rateLimitPerMinute ?? traffic.chatbotCallsPerMinute;
      const chatbotWait = await budgets.retryAfterMs(limiterKeys.chatbotCalls(record.chatbotId), chatbotCalls);
      if (chatbotWait > 0) {
        throw tooMany(
          'chatbot_calls',
          record.chatbotId,
          `this chatbot has made its ${chatbotCalls} API calls for this minute; please wait a moment`,
          chatbotWait,
        );
      }
      const limits = {
        messagesPerMinute: traffic.visitorMessagesPerMinute,
        callsPerMinute: traffic.conversationCallsPerMinute,
      };
      const context = {
        ...(chatbot
          ? {
              catalogRevision: chatbot.catalogRevision,
              chatbot: { callsPerMinute: chatbotCalls, egressAllowlist: chatbot.egressAllowlist },
            }
          : {}),
        limits,
      };
      // A message's budget is the conversation's to keep (its update validator counts what the visitor said, and
      // refuses a message while its actions' call budget is spent); buttons and leads arrive as signals, which
      // cannot be refused there, so the limiter counts them here.
      if (kind === 'message') return { leave, chatbot, context };
      const visitor = await rateLimiter.take(limiterKeys.visitorMessages(record.id), traffic.visitorMessagesPerMinute);
      if (!visitor.allowed) {
        throw tooMany(
          'visitor_messages',
          record.chatbotId,
          messageBudgetSpent(traffic.visitorMessagesPerMinute),
          visitor.retryAfterMs,
        );
      }
      return { leave, chatbot, context };
    } catch (error) {
      leave();
      throw error;
    }
  }

  /**
   * The visitor's turn, answered by the turn deadline: when the turn is still running then (an action waiting on
   * a slow API), the workflow answers with what it has said so far and that it is still working, and the turn
   * runs on. The deadline is kept here, not by a timer in the workflow, so a turn writes no timer events.
   */
  async function turnWithinDeadline(
    handle: WorkflowHandle,
    turn: Promise<{ messages: BotMessage[] }>,
    message: { messageId: string; text: string; context: EventContext },
    chatbot: Chatbot | null,
  ): Promise<{ messages: BotMessage[]; outcome: 'answered' | 'still_working' }> {
    const { messageId, text, context } = message;
    // A little after the workflow's own deadline, which conversations recorded with one still keep.
    const deadlineMs = (chatbot?.turnDeadlineSeconds ?? DEFAULT_TURN_DEADLINE_SECONDS) * 1000 + DEADLINE_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(resolve, deadlineMs, null);
    });
    try {
      const first = await Promise.race([turn, late]);
      if (first) return { messages: first.messages, outcome: 'answered' };
    } finally {
      clearTimeout(timer);
    }
    // The turn goes on without this request; its result joins the transcript.
    turn.catch(() => undefined);
    const answer = handle
      .executeUpdate(answerAtDeadlineUpdate, { args: [{ messageId }] })
      .then(({ messages }) => ({ messages, outcome: 'still_working' as const }))
      // The turn answered meanwhile: its own answer is on its way.
      .catch((error: unknown) =>
        turnAnswered(error)
          ? turn.then(({ messages }) => ({ messages, outcome: 'answered' as const }))
          : Promise.reject(error),
      );
    answer.catch(() => undefined);
    const noWorker = new Promise<null>((resolve) => {
      timer = setTimeout(resolve, NO_WORKER_MS, null);
    });
    try {
      const late = await Promise.race([answer, noWorker]);
      if (late) return late;
    } finally {
      clearTimeout(timer);
    }
    // Not even the deadline's answer came: no worker is serving conversations. The message goes to the conversation
    // durably (a signal, deduplicated by its id), so it is answered once a worker is back.
    await handle.signal(visitorMessageSignal, { messageId, text, ...context });
    throw new ApiError(
      'unavailable',
      'your message was received, but the chat cannot answer right now; the reply will appear in the conversation',
      OUTAGE_RETRY_AFTER_SECONDS,
    );
  }

  /** Takes a conversation start from a budget, or refuses it with 429 and Retry-After (counted as `budget`). */
  async function limitStarts(
    limiter: RateLimiter,
    key: string,
    limit: number,
    per: 'minute' | 'second',
    whose: string,
    budget: { name: RateLimitName; chatbotId: string },
  ): Promise<void> {
    const decision = await limiter.take(key, limit);
    if (!decision.allowed) {
      throw tooMany(
        budget.name,
        budget.chatbotId,
        `at most ${limit} conversation starts a ${per} ${whose}; please wait a moment`,
        decision.retryAfterMs,
      );
    }
  }

  const authorizedConversation = (req: Request) => deps.conversations.authorized(req);

  /** Runs a visitor message's turn, counting how it ended (a 4xx is a refusal, anything else unavailable) and when. */
  async function countedTurn<T extends { outcome: TurnOutcome }>(chatbotId: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await run();
      metrics.turn(chatbotId, result.outcome, seconds());
      return result;
    } catch (error) {
      const refused = error instanceof ApiError && ERROR_STATUS[error.code] < 500;
      metrics.turn(chatbotId, refused ? 'refused' : 'unavailable', seconds());
      throw error;
    }
  }

  router.post('/v1/chatbots/:botId/conversations', async (req, res) => {
    const body = parseVisitorInput(StartConversationBodySchema, req.body);
    const tooLarge = attributesProblem(body.attributes);
    if (tooLarge) throw new ApiError('payload_too_large', tooLarge);
    // Before any other work, so a flood of starts from one address costs one lookup each.
    const address = clientAddressKey(req.ip);
    await limitStarts(
      rateLimiter,
      limiterKeys.startsByAddress(address),
      traffic.startsPerAddressPerMinute,
      'minute',
      'from one address',
      // Before the key is checked: the chatbot in the URL is not known to exist, so it is no label.
      { name: 'starts_per_address', chatbotId: '' },
    );
    const key = req.get('x-parley-key');
    if (!key)
      throw new ApiError('unauthorized', "starting a conversation needs the chatbot's publishable key in X-Parley-Key");
    const chatbot = await chatbots.get(req.params.botId);
    // The same answer for an unknown chatbot and a wrong key: keys do not reveal which chatbots exist.
    if (!chatbot || !chatbot.publishableKey || !sameSecret(key, chatbot.publishableKey)) {
      throw new ApiError('forbidden', 'this key does not belong to that chatbot');
    }
    await limitStarts(
      deps.burstLimiter,
      limiterKeys.startBurstsByChatbot(chatbot.id),
      traffic.startsPerChatbotPerSecond,
      'second',
      'for this chatbot',
      { name: 'starts_per_chatbot_second', chatbotId: chatbot.id },
    );
    await limitStarts(
      rateLimiter,
      limiterKeys.startsByChatbot(chatbot.id),
      traffic.startsPerChatbotPerMinute,
      'minute',
      'for this chatbot',
      { name: 'starts_per_chatbot_minute', chatbotId: chatbot.id },
    );
    const catalog = await store.loadCatalog(chatbot.id);
    const settings = {
      ...conversationSettings(chatbot, deps.defaultIdleTimeoutMinutes),
      ...(deps.llmEnabled ? { llm: true } : {}),
    };
    const buttons = actionButtons((catalog?.actions ?? []).map((entry) => entry.definition));
    const conversationId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const input: ConversationInput = {
      chatbotId: chatbot.id,
      conversationId,
      visitor: body.visitor,
      attributes: body.attributes,
      settings,
      buttons,
    };
    // Update-with-start: one call starts the workflow and answers the messages it opened with.
    const start = conversationStart(temporal, input);
    const opening = await temporal.client.workflow.executeUpdateWithStart(openingUpdate, {
      startWorkflowOperation: start,
    });
    // The record is written once the workflow runs, so no record is ever left without a workflow; the visitor
    // learns the conversation's id and token only from this answer, after the record exists.
    await store
      .createConversation({
        id: conversationId,
        chatbotId: chatbot.id,
        tokenHash: hashToken(token),
        createdAt: new Date().toISOString(),
      })
      .catch(async (error: unknown) => {
        // Nobody can reach a conversation without its record: end the workflow rather than leave it idling.
        const handle = await start.workflowHandle();
        await handle.signal(closeSignal, { reason: 'its record could not be saved' }).catch(() => undefined);
        throw error;
      });
    res.status(201).json({ conversationId, token, messages: opening.messages });
  });

  router.post('/v1/conversations/:id/messages', async (req, res) => {
    const { record, handle } = await authorizedConversation(req);
    const body = parseVisitorInput(SendMessageBodySchema, req.body);
    const result = await countedTurn(record.chatbotId, async () => {
      const { leave, chatbot, context } = await admitVisitorEvent(record, 'message');
      try {
        const messageId = body.messageId ?? randomUUID();
        const routed = await routedMessage(chatbot, body.text);
        const turn = handle.executeUpdate(sendMessageUpdate, {
          args: [{ messageId, text: body.text, ...context, ...(routed ? { routed } : {}) }],
        });
        return await turnWithinDeadline(handle, turn, { messageId, text: body.text, context }, chatbot);
      } catch (error) {
        const refusal = conversationError(error);
        // The conversation's update validator refused the message: its own message or call budget is spent.
        if (refusal instanceof ApiError && refusal.code === 'rate_limited')
          metrics.refused(record.chatbotId, 'conversation');
        throw refusal;
      } finally {
        leave();
      }
    });
    res.json({ messages: result.messages });
  });

  router.post('/v1/conversations/:id/buttons', async (req, res) => {
    const { record, handle } = await authorizedConversation(req);
    const body = parseVisitorInput(ButtonClickBodySchema, req.body);
    const { leave, context } = await admitVisitorEvent(record, 'button or lead');
    await handle
      .signal(buttonClickedSignal, { messageId: body.messageId ?? randomUUID(), payload: body.payload, ...context })
      .catch((error: unknown) => Promise.reject(conversationError(error)))
      .finally(leave);
    res.status(202).json({ accepted: true });
  });

  router.post('/v1/conversations/:id/lead', async (req, res) => {
    const { record, handle } = await authorizedConversation(req);
    const body = parseVisitorInput(LeadBodySchema, req.body);
    const { leave, context } = await admitVisitorEvent(record, 'button or lead');
    await handle
      .signal(leadCapturedSignal, { ...body, messageId: body.messageId ?? randomUUID(), ...context })
      .catch((error: unknown) => Promise.reject(conversationError(error)))
      .finally(leave);
    res.status(202).json({ accepted: true });
  });

  router.get('/v1/conversations/:id/messages', async (req, res) => {
    const { handle } = await authorizedConversation(req);
    const { after } = parseOr400(TranscriptQuerySchema, req.query, 'query');
    const entries = await handle
      .query(transcriptQuery, { after: after ?? 0 })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.json({ messages: entries });
  });

  router.post('/v1/conversations/:id/close', async (req, res) => {
    const { handle } = await authorizedConversation(req);
    const body = parseVisitorInput(CloseBodySchema, req.body);
    await handle
      .signal(closeSignal, { reason: body.reason ?? 'closed by visitor' })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.status(202).json({ accepted: true });
  });

  return router;
}
