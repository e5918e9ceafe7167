import { randomBytes, randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Store } from '../../activities/store';
import { conversationSettings } from '../../shared/chatbot';
import { actionButtons, openingMessages } from '../../shared/conversation';
import { conversationWorkflowId } from '../../shared/ids';
import { JsonSchema } from '../../shared/json';
import { conversation } from '../../workflows/conversation';
import {
  buttonClickedSignal,
  closeSignal,
  leadCapturedSignal,
  sendMessageUpdate,
  transcriptQuery,
  type ConversationInput,
} from '../../workflows/messages';
import { bearerToken, hashToken, sameSecret } from '../auth';
import { ApiError, parseOr400 } from '../errors';
import { ChatbotIdSearchAttribute, conversationError, type TemporalDeps } from '../temporal';

const MESSAGE_ID = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 letters, digits or _.:-');

const StartConversationSchema = z
  .object({
    visitor: z
      .object({
        id: z.string().min(1).max(128).optional(),
        name: z.string().min(1).max(200).optional(),
        email: z.string().email().max(320).optional(),
        phone: z.string().min(3).max(40).optional(),
        locale: z.string().min(2).max(35).optional(),
      })
      .strict()
      .default({}),
    attributes: z.record(z.string().max(64), JsonSchema).default({}),
  })
  .strict();

const SendMessageSchema = z
  .object({ text: z.string().trim().min(1).max(4000), messageId: MESSAGE_ID.optional() })
  .strict();
const ButtonSchema = z.object({ payload: z.string().min(1).max(256), messageId: MESSAGE_ID.optional() }).strict();
const LeadSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    email: z.string().email().max(320).optional(),
    phone: z.string().min(3).max(40).optional(),
    fields: z.record(z.string().max(64), z.string().max(2000)).optional(),
    messageId: MESSAGE_ID.optional(),
  })
  .strict();
const CloseSchema = z.object({ reason: z.string().min(1).max(200).optional() }).strict();
const AfterSchema = z.object({ after: z.coerce.number().int().min(0).optional() });

/** Chat routes for frontends: start a conversation, then talk to it with its token. */
export function chatRoutes(deps: { store: Store; temporal: TemporalDeps; defaultIdleTimeoutMinutes: number }): Router {
  const { store, temporal } = deps;
  const router = Router();

  /** Finds the conversation and checks the caller holds its token; answers with its workflow handle. */
  async function authorizedConversation(req: Request) {
    const id = String(req.params['id']);
    const token = bearerToken(req);
    if (!token)
      throw new ApiError('unauthorized', 'conversation routes need Authorization: Bearer <conversation token>');
    const record = await store.getConversation(id);
    if (!record || !sameSecret(hashToken(token), record.tokenHash)) {
      throw new ApiError('not_found', 'conversation not found, or the token does not belong to it');
    }
    return temporal.client.workflow.getHandle(conversationWorkflowId(record.chatbotId, record.id));
  }

  router.post('/v1/chatbots/:botId/conversations', async (req, res) => {
    const body = parseOr400(StartConversationSchema, req.body);
    const chatbot = await store.getChatbot(req.params.botId);
    if (!chatbot) throw new ApiError('not_found', `chatbot ${req.params.botId} not found`);
    const catalog = await store.loadCatalog(chatbot.id);
    const settings = conversationSettings(chatbot, deps.defaultIdleTimeoutMinutes);
    const buttons = actionButtons((catalog?.actions ?? []).map((entry) => entry.definition));
    const conversationId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    await store.createConversation({
      id: conversationId,
      chatbotId: chatbot.id,
      tokenHash: hashToken(token),
      createdAt: new Date().toISOString(),
    });
    const input: ConversationInput = {
      chatbotId: chatbot.id,
      conversationId,
      visitor: body.visitor,
      attributes: body.attributes,
      settings,
      buttons,
    };
    await temporal.client.workflow.start(conversation, {
      workflowId: conversationWorkflowId(chatbot.id, conversationId),
      taskQueue: temporal.taskQueue,
      args: [input],
      ...(temporal.searchAttributes
        ? { typedSearchAttributes: [{ key: ChatbotIdSearchAttribute, value: chatbot.id }] }
        : {}),
    });
    res.status(201).json({ conversationId, token, messages: openingMessages(settings, buttons) });
  });

  router.post('/v1/conversations/:id/messages', async (req, res) => {
    const body = parseOr400(SendMessageSchema, req.body);
    const handle = await authorizedConversation(req);
    try {
      const result = await handle.executeUpdate(sendMessageUpdate, {
        args: [{ messageId: body.messageId ?? randomUUID(), text: body.text }],
      });
      res.json({ messages: result.messages });
    } catch (error) {
      throw conversationError(error);
    }
  });

  router.post('/v1/conversations/:id/buttons', async (req, res) => {
    const body = parseOr400(ButtonSchema, req.body);
    const handle = await authorizedConversation(req);
    await handle
      .signal(buttonClickedSignal, { messageId: body.messageId ?? randomUUID(), payload: body.payload })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.status(202).json({ accepted: true });
  });

  router.post('/v1/conversations/:id/lead', async (req, res) => {
    const body = parseOr400(LeadSchema, req.body);
    const handle = await authorizedConversation(req);
    await handle
      .signal(leadCapturedSignal, { ...body, messageId: body.messageId ?? randomUUID() })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.status(202).json({ accepted: true });
  });

  router.get('/v1/conversations/:id/messages', async (req, res) => {
    const { after } = parseOr400(AfterSchema, req.query, 'query');
    const handle = await authorizedConversation(req);
    const entries = await handle
      .query(transcriptQuery, { after: after ?? 0 })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.json({ messages: entries });
  });

  router.post('/v1/conversations/:id/close', async (req, res) => {
    const body = parseOr400(CloseSchema, req.body);
    const handle = await authorizedConversation(req);
    await handle
      .signal(closeSignal, { reason: body.reason ?? 'closed by visitor' })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.status(202).json({ accepted: true });
  });

  return router;
}
