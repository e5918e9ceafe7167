import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import busboy from 'busboy';
import express, { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createTurnReader } from '../../infrastructure/turn-reader';
import type { Services } from '../../infrastructure/services';
import { conversationSettings, type Chatbot } from '../../shared/chatbot';
import { startEmailThread } from '../../shared/conversation/email';
import type { RoutedText } from '../../shared/conversation/state';
import { EMAIL_INBOUND_SECRET, readInboundEmail, threadKeys, type InboundEmail } from '../../shared/email/inbound';
import { conversationWorkflowId } from '../../shared/ids';
import { limiterKeys, retryAfterSeconds, type TrafficLimits } from '../../shared/security/traffic';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../shared/security/visitor-limits';
import { sendMessageUpdate, type ConversationInput, type EventContext } from '../../workflows/messages';
import { hashToken, sameSecret } from '../auth';
import { ApiError } from '../errors';
import { conversationError, conversationStart, type TemporalDeps } from '../temporal';

/**
 * What an inbound-parse webhook posts, as the OpenAPI document describes it: the plain field names. The route reads
 * the common providers' spellings too (shared/email/inbound.ts), so anything else is allowed.
 */
export const EmailInboundBodySchema = z.looseObject({
  from: z.string().describe('The sender: `Ada <ada@example.com>` or an address'),
  to: z.string().optional().describe('The address the visitor wrote to (the reply comes from it)'),
  subject: z.string().optional(),
  text: z.string().optional().describe('The plain-text body (else `html` is read as text); quoted text is dropped'),
  html: z.string().optional(),
  'message-id': z.string().optional(),
  'in-reply-to': z.string().optional(),
  references: z.string().optional().describe('Message-IDs of the thread, space separated'),
  headers: z.unknown().optional().describe("The raw header block (SendGrid) or Postmark's [{Name, Value}]"),
});

/** What the inbound route answers a provider. */
export const EmailInboundResponseSchema = z.object({
  accepted: z.boolean(),
  conversationId: z.string().optional(),
  continued: z.boolean().optional().describe('The email continued the conversation its thread leads to'),
  duplicate: z.boolean().optional().describe('The same email was taken before; its turn ran once'),
  closed: z.boolean().optional(),
  reason: z.string().optional().describe("Why an email is not answered (automatic, or the inbox's own)"),
});

/**
 * The email channel's inbound endpoint: an email provider's inbound-parse webhook posts each email a chatbot's
 * address receives to `POST /v1/chatbots/:botId/email/inbound`. The email starts a conversation (channel `email`,
 * the sender as the visitor) or continues the one its thread belongs to (In-Reply-To / References), its new text is
 * the visitor's message, and the conversation replies by SMTP once the turn is over (workflows/conversation.ts).
 */

/** The largest JSON or form body taken (Postmark sends attachments inside its JSON; Parley does not read them). */
const MAX_BODY = '10mb';
/** The largest multipart field read, and all fields together (attachments are skipped unread). */
const MAX_MULTIPART_FIELD_BYTES = 1024 * 1024;
const MAX_MULTIPART_BYTES = 10 * 1024 * 1024;

/** What the email route needs. */
export type EmailDeps = {
  services: Services;
  temporal: TemporalDeps;
  defaultIdleTimeoutMinutes: number;
  traffic: TrafficLimits;
  llmEnabled: boolean;
  logger: Logger;
};

/** The secret a provider presented: the password of HTTP Basic credentials, else the `secret` query parameter. */
function presentedSecret(req: Request): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.get('authorization') ?? '');
  if (match?.[1]) {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : decoded;
  }
  const query = req.query['secret'];
  return typeof query === 'string' && query !== '' ? query : undefined;
}

/** A multipart/form-data body's fields (the first value of each); files (attachments) are read past, unkept. */
const readMultipart: RequestHandler = (req, _res, next) => {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { fieldSize: MAX_MULTIPART_FIELD_BYTES, fields: 100, parts: 500 },
    });
  } catch (error) {
    next(new ApiError('invalid_request', `body: ${(error as Error).message}`));
    return;
  }
  const fields: Record<string, string> = {};
  let failed = false;
  let bytes = 0;
  const fail = (message: string, code: 'invalid_request' | 'payload_too_large' = 'invalid_request') => {
    if (failed) return;
    failed = true;
    req.unpipe(parser);
    req.resume();
    next(new ApiError(code, message));
  };
  parser.on('field', (name, value) => {
    bytes += value.length;
    if (bytes > MAX_MULTIPART_BYTES) fail('body: the form fields hold more than 10 MB', 'payload_too_large');
    else if (!(name in fields)) fields[name] = value;
  });
  parser.on('file', (_name, file) => file.resume());
  parser.on('fieldsLimit', () => fail('body: more than 100 form fields'));
  parser.on('partsLimit', () => fail('body: more than 500 form parts'));
  parser.on('error', (error: Error) => fail(`body: the multipart/form-data body cannot be read (${error.message})`));
  parser.on('close', () => {
    if (failed) return;
    req.body = fields;
    next();
  });
  req.pipe(parser);
};

const readJson = express.json({ limit: MAX_BODY });
const readForm = express.urlencoded({ extended: false, limit: MAX_BODY, parameterLimit: 500 });

/** Reads the body as the provider sent it: JSON, a urlencoded form or multipart/form-data; anything else is 415. */
const readInboundBody: RequestHandler = (req, res, next) => {
  if (req.is('application/json')) {
    readJson(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
        return next(new ApiError('invalid_request', `the request body nests more than ${MAX_JSON_DEPTH} levels deep`));
      }
      next();
    });
  } else if (req.is('application/x-www-form-urlencoded')) readForm(req, res, next);
  else if (req.is('multipart/form-data')) readMultipart(req, res, next);
  else {
    const sent = req.get('content-type')?.slice(0, 100);
    next(
      new ApiError(
        'unsupported_media_type',
        'send the email as application/json, multipart/form-data or application/x-www-form-urlencoded' +
          (sent ? ` (got ${sent})` : ' (no Content-Type was sent)'),
      ),
    );
  }
};

/** The turn's message id: the same for every delivery of one email, so a provider's retry is answered once. */
const turnMessageId = (emailMessageId: string) =>
  `email:${createHash('sha256').update(emailMessageId).digest('base64url').slice(0, 40)}`;

/** A Message-ID for an email that came without one, from what it says (so a retried delivery gets the same). */
function standInMessageId(email: InboundEmail): string {
  const digest = createHash('sha256')
    .update(`${email.from.address}\n${email.inbox}\n${email.subject}\n${email.text}`)
    .digest('hex');
  return `<inbound.${digest.slice(0, 32)}@parley.invalid>`;
}

/** Routes for the email channel's inbound webhook; mounted before the JSON-only body parser. */
export function emailRoutes(deps: EmailDeps): Router {
  const { services, temporal, traffic } = deps;
  const { store, email: channel } = services;
  const router = Router();
  const reader = createTurnReader({
    store,
    encoder: services.encoder,
    onEncoderError: (error) =>
      deps.logger.warn({ error: error.message }, 'sentence encoder failed; routing by words alone'),
  });

  /** The chatbot whose inbound secret the request presents; 401 otherwise (the same for an unknown chatbot). */
  const authenticate: RequestHandler = async (req, res, next) => {
    const presented = presentedSecret(req);
    const chatbot = await store.getChatbot(String(req.params['botId']));
    const secret = chatbot
      ? (await store.readSecrets(chatbot.id, [EMAIL_INBOUND_SECRET])).values[EMAIL_INBOUND_SECRET]
      : undefined;
    if (!presented || !secret || !sameSecret(presented, secret)) {
      res.set('www-authenticate', 'Basic realm="Parley email", charset="UTF-8"');
      throw new ApiError(
        'unauthorized',
        `inbound email needs the chatbot's ${EMAIL_INBOUND_SECRET} secret as the Basic auth password or ?secret=; ` +
          'this one does not belong to that chatbot',
      );
    }
    if (!channel.configured) {
      throw new ApiError(
        'unavailable',
        'this Parley has no SMTP server (PARLEY_SMTP_URL), so it cannot answer email; the email was not taken',
      );
    }
    res.locals['chatbot'] = chatbot;
    next();
  };

  /** How the chatbot's email router routes the message, sent with the turn (null: the worker routes it). */
  async function routed(chatbot: Chatbot, text: string): Promise<RoutedText | null> {
    try {
      const catalog = await reader.catalogOf(chatbot.id, chatbot.catalogRevision);
      const routing = catalog?.revision === chatbot.catalogRevision ? await reader.route(catalog, text, 'email') : null;
      if (routing) services.metrics.routed(chatbot.id, routing.result);
      return routing;
    } catch (error) {
      deps.logger.warn({ error: (error as Error).message }, 'email not routed by the API; the worker will');
      return null;
    }
  }

  /** Takes a conversation start from one of the chatbot's start budgets, or refuses it with 429 and Retry-After. */
  async function limitStart(chatbot: Chatbot): Promise<void> {
    const budgets = [
      [
        services.burstLimiter,
        limiterKeys.startBurstsByChatbot(chatbot.id),
        traffic.startsPerChatbotPerSecond,
        'second',
      ],
      [services.rateLimiter, limiterKeys.startsByChatbot(chatbot.id), traffic.startsPerChatbotPerMinute, 'minute'],
    ] as const;
    for (const [limiter, key, limit, per] of budgets) {
      const decision = await limiter.take(key, limit);
      if (!decision.allowed) {
        services.metrics.refused(
          chatbot.id,
          per === 'second' ? 'starts_per_chatbot_second' : 'starts_per_chatbot_minute',
        );
        throw new ApiError(
          'rate_limited',
          `at most ${limit} conversation starts a ${per} for this chatbot; please retry later`,
          retryAfterSeconds(decision.retryAfterMs),
        );
      }
    }
  }

  /** Starts an email conversation with the email's message as its first turn; answers its id once accepted. */
  async function startConversation(chatbot: Chatbot, email: InboundEmail, turn: TurnArgs): Promise<string> {
    await limitStart(chatbot);
    const conversationId = randomUUID();
    const input: ConversationInput = {
      chatbotId: chatbot.id,
      conversationId,
      visitor: { email: email.from.address, ...(email.from.name ? { name: email.from.name } : {}) },
      attributes: {},
      settings: {
        ...conversationSettings(chatbot, deps.defaultIdleTimeoutMinutes),
        idleTimeoutMs: Math.round(channel.idleTimeoutMinutes * 60_000),
        channel: 'email',
        ...(deps.llmEnabled ? { llm: true } : {}),
      },
      // Nothing to press in an email: the fallback names what the bot can do.
      buttons: [],
      email: startEmailThread(email.from.address, email.inbox, email.subject),
    };
    const start = conversationStart(temporal, input);
    await temporal.client.workflow.startUpdateWithStart(sendMessageUpdate, {
      args: [turn],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      startWorkflowOperation: start,
    });
    // Email conversations have no visitor token: the record's is a random one nobody holds.
    await store.createConversation({
      id: conversationId,
      chatbotId: chatbot.id,
      tokenHash: hashToken(randomBytes(32).toString('base64url')),
      createdAt: new Date().toISOString(),
    });
    return conversationId;
  }

  /**
   * Hands the email's message to a conversation; false when that conversation is closed (the email then starts a
   * new one). A message over the conversation's budget is 429, so the provider delivers it again later.
   */
  async function continueConversation(handle: WorkflowHandle, turn: TurnArgs): Promise<boolean> {
    try {
      await handle.startUpdate(sendMessageUpdate, { args: [turn], waitForStage: WorkflowUpdateStage.ACCEPTED });
      return true;
    } catch (error) {
      const mapped = conversationError(error);
      if (mapped instanceof ApiError && mapped.code === 'conversation_closed') return false;
      throw mapped;
    }
  }

  /** The open conversation of this chatbot a Message-ID's thread leads to, for this sender; null when none. */
  async function threadConversation(chatbot: Chatbot, email: InboundEmail): Promise<string | null> {
    const keys = threadKeys(email);
    const known = await channel.lookup(chatbot.id, keys);
    for (const key of keys) {
      const found = known.find((message) => message.messageId === key);
      // Another sender's reply in the thread is a conversation of its own.
      if (found && found.visitor === email.from.address) return found.conversationId;
    }
    return null;
  }

  router.post('/v1/chatbots/:botId/email/inbound', authenticate, readInboundBody, async (req, res) => {
    const chatbot = res.locals['chatbot'] as Chatbot;
    const read = readInboundEmail(req.body);
    if ('problems' in read) throw new ApiError('invalid_request', read.problems.join('; '));
    const { email } = read;
    // Auto-replies, bulk mail and Parley's own replies are not answered: two robots must not talk forever.
    if (email.automatic || email.from.address === email.inbox) {
      res.json({ accepted: false, reason: 'automatic or own email: not answered' });
      return;
    }
    const messageId = email.messageId ?? standInMessageId(email);
    const references = email.references.length > 0 ? email.references : email.inReplyTo ? [email.inReplyTo] : [];
    const routing = await routed(chatbot, email.text);
    const limits = {
      messagesPerMinute: traffic.visitorMessagesPerMinute,
      callsPerMinute: traffic.conversationCallsPerMinute,
    };
    const context: EventContext = {
      catalogRevision: chatbot.catalogRevision,
      chatbot: {
        callsPerMinute: chatbot.rateLimitPerMinute ?? traffic.chatbotCallsPerMinute,
        egressAllowlist: chatbot.egressAllowlist,
      },
      limits,
      ...(routing ? { routed: routing } : {}),
      inboundEmail: { messageId, references },
    };
    const turn: TurnArgs = { messageId: turnMessageId(messageId), text: email.text, ...context };
    const handleOf = (id: string) => temporal.client.workflow.getHandle(conversationWorkflowId(chatbot.id, id));

    // The same email delivered again (a provider's retry) goes to the conversation that took it, and only there.
    const [taken] = await channel.lookup(chatbot.id, [messageId]);
    if (taken) {
      const open = await continueConversation(handleOf(taken.conversationId), turn);
      res.json({
        accepted: true,
        conversationId: taken.conversationId,
        duplicate: true,
        ...(open ? {} : { closed: true }),
      });
      return;
    }
    const threaded = await threadConversation(chatbot, email);
    const record = threaded ? await store.getConversation(threaded) : null;
    let conversationId: string;
    if (record?.chatbotId === chatbot.id && (await continueConversation(handleOf(record.id), turn))) {
      conversationId = record.id;
    } else {
      conversationId = await startConversation(chatbot, email, turn);
    }
    await channel.remember(chatbot.id, { messageId, conversationId, visitor: email.from.address });
    res.json({ accepted: true, conversationId, continued: conversationId === threaded });
  });

  return router;
}

/** The sendMessage update's argument. */
type TurnArgs = { messageId: string; text: string } & EventContext;
