import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { maskSecret } from '../../infrastructure/secret-box';
import type { Services } from '../../infrastructure/services';
import { DuplicateError } from '../../infrastructure/store';
import { ActionDefinitionSchema, type ActionDefinition, type StoredAction } from '../../shared/actions/action';
import { importActions, ImportRequestSchema } from '../../shared/actions/import';
import { actionWarnings } from '../../shared/actions/save-warnings';
import { ACTION_NAME } from '../../shared/actions/vocabulary';
import type { EgressPolicy } from '../../shared/security/address-policy';
import {
  chatbotWarnings,
  ChatbotInputSchema,
  ChatbotPatchSchema,
  SECRET_NAME,
  SecretInputSchema,
  type Chatbot,
} from '../../shared/chatbot';
import { isJsonObject } from '../../shared/json';
import { JsonSchema } from '../../shared/json-schema';
import { nextMissing, withDefaults } from '../../shared/understanding/parameters';
import { conversationWorkflowId } from '../../shared/ids';
import { actionTest } from '../../workflows/action-test';
import { agentMessageUpdate, handBackUpdate, stateQuery, transcriptQuery } from '../../workflows/messages';
import { ApiError, parseOr400 } from '../errors';
import type { ConversationSummary } from '../response-schemas';
import { ChatbotIdSearchAttribute, conversationError, type TemporalDeps } from '../temporal';

/** `GET …/actions/:name/logs?limit=`: how many of the latest entries. */
export const LogsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict();

/** `POST …/actions/:name/test`: sample parameters, visitor and attributes for a test run of the action. */
export const TestRunSchema = z
  .object({
    parameters: z.record(z.string(), JsonSchema).default({}),
    visitor: z
      .object({
        id: z.string().max(128).optional(),
        name: z.string().max(200).optional(),
        email: z.string().email().optional(),
        phone: z.string().max(40).optional(),
        locale: z.string().max(35).optional(),
      })
      .strict()
      .default({}),
    attributes: z.record(z.string().max(64), JsonSchema).default({}),
    /** What `user_message` and `trigger_message` read in the test run. */
    message: z.string().min(1).max(4000).default('This is a test message.'),
  })
  .strict();

/** A person's message to a handed-off conversation. */
export const AgentMessageSchema = z
  .object({ text: z.string().trim().min(1).max(4000), messageId: z.string().min(1).max(128).optional() })
  .strict();
/** An agent handing a conversation back to the bot, optionally with a last message from the bot. */
export const HandBackSchema = z
  .object({ text: z.string().trim().min(1).max(4000).optional(), messageId: z.string().min(1).max(128).optional() })
  .strict();
/** `GET …/conversations/:conversationId/messages?after=`: the transcript after a sequence number. */
export const AfterQuerySchema = z.object({ after: z.coerce.number().int().min(0).default(0) }).strict();
/** `GET /:botId/conversations?limit=`: how many of the chatbot's latest conversations. */
export const ConversationsQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(200).default(20) })
  .strict();

function actionView(action: StoredAction) {
  return {
    name: action.definition.name,
    version: action.version,
    updatedAt: action.updatedAt,
    definition: action.definition,
  };
}

/**
 * Admin routes under /v1/chatbots: chatbots, their actions and their (write-only) secrets. Mounted behind the admin
 * key. Saves answer `warnings` for what saves but will not work under the current `egressPolicy`.
 */
export function adminRoutes(deps: {
  services: Services;
  temporal: TemporalDeps;
  egressPolicy: EgressPolicy;
  /** The optional LLM is configured (reply instructions take effect). */
  llmEnabled?: boolean;
}): Router {
  const { store, callLog, alerts, catalog } = deps.services;
  const router = Router();
  async function existingAction(botId: string, name: string): Promise<StoredAction> {
    const action = await store.getAction(botId, name);
    if (!action) throw new ApiError('not_found', `action ${name} not found`);
    return action;
  }

  async function existingChatbot(id: string): Promise<Chatbot> {
    const chatbot = await store.getChatbot(id);
    if (!chatbot) throw new ApiError('not_found', `chatbot ${id} not found`);
    return chatbot;
  }

  router.post('/', async (req, res) => {
    const input = parseOr400(ChatbotInputSchema, req.body);
    try {
      const created = await store.createChatbot({ ...input, id: input.id ?? randomUUID() });
      res.status(201).json({ ...created, warnings: chatbotWarnings(created, []) });
    } catch (error) {
      if (error instanceof DuplicateError) throw new ApiError('conflict', error.message);
      throw error;
    }
  });

  router.get('/', async (_req, res) => {
    res.json({ chatbots: await store.listChatbots() });
  });

  router.get('/:botId', async (req, res) => {
    res.json(await existingChatbot(req.params.botId));
  });

  router.patch('/:botId', async (req, res) => {
    const patch = parseOr400(ChatbotPatchSchema, req.body);
    const updated = await store.updateChatbot(req.params.botId, patch);
    if (!updated) throw new ApiError('not_found', `chatbot ${req.params.botId} not found`);
    const actionNames = (await store.listActions(updated.id)).map((action) => action.definition.name);
    res.json({ ...updated, warnings: chatbotWarnings(updated, actionNames) });
  });

  router.delete('/:botId', async (req, res) => {
    if (!(await store.deleteChatbot(req.params.botId)))
      throw new ApiError('not_found', `chatbot ${req.params.botId} not found`);
    res.status(204).end();
  });

  router.get('/:botId/actions', async (req, res) => {
    await existingChatbot(req.params.botId);
    res.json({ actions: (await store.listActions(req.params.botId)).map(actionView) });
  });

  router.get('/:botId/actions/:name', async (req, res) => {
    const action = await store.getAction(req.params.botId, req.params.name);
    if (!action) throw new ApiError('not_found', `action ${req.params.name} not found`);
    res.json(actionView(action));
  });

  router.put('/:botId/actions/:name', async (req, res) => {
    const { botId, name } = req.params;
    if (!ACTION_NAME.test(name)) throw new ApiError('invalid_request', 'name: must match ^[A-Za-z][A-Za-z0-9_]{0,63}$');
    if (!isJsonObject(req.body)) throw new ApiError('invalid_request', 'body: must be an action definition object');
    if (req.body['name'] !== undefined && req.body['name'] !== name) {
      throw new ApiError(
        'invalid_request',
        `name: "${String(req.body['name'])}" does not match the URL's action name "${name}"`,
      );
    }
    const definition = parseOr400(ActionDefinitionSchema, { ...req.body, name });
    const chatbot = await existingChatbot(botId);
    const target = definition.reply.actionButton?.action;
    if (target !== undefined && target !== name && !(await store.getAction(botId, target))) {
      throw new ApiError('invalid_request', `reply.actionButton.action: this chatbot has no action "${target}"`);
    }
    const { created, action } = await store.putAction(botId, definition).catch((error: unknown) => {
      throw error instanceof DuplicateError ? new ApiError('conflict', error.message) : error;
    });
    await catalog.publish(botId);
    res
      .status(created ? 201 : 200)
      .json({ ...actionView(action), warnings: await saveWarnings(chatbot, action.definition) });
  });

  /** What saving a definition would warn of under this Parley's egress policy and setup and the chatbot's secrets. */
  async function saveWarnings(chatbot: Chatbot, definition: ActionDefinition): Promise<string[]> {
    const egress: EgressPolicy = {
      allowLoopback: deps.egressPolicy.allowLoopback,
      allowlist: [...deps.egressPolicy.allowlist, ...chatbot.egressAllowlist],
    };
    const setup = {
      llm: deps.llmEnabled === true,
      mail: alerts.mailConfigured,
      secrets: (await store.listSecrets(chatbot.id)).map((secret) => secret.name),
    };
    return actionWarnings(definition, egress, setup);
  }

  /**
   * Drafts from a cURL command line or an OpenAPI document's operations, not saved: the operator reviews and PUTs
   * them. Credentials become secrets the drafts name; their values are never answered, only where each came from.
   */
  router.post('/:botId/actions/import', async (req, res) => {
    const request = parseOr400(ImportRequestSchema, req.body);
    const chatbot = await existingChatbot(req.params.botId);
    const imported = importActions(request);
    if (!imported.ok) throw new ApiError('invalid_request', `${imported.path}: ${imported.message}`);
    const existing = new Set((await store.listActions(chatbot.id)).map((action) => action.definition.name));
    const warnings = [...imported.warnings];
    for (const draft of imported.actions) {
      if (existing.has(draft.name))
        warnings.push(
          `${draft.name}: the chatbot has an action of this name; saving the draft makes a new version of it`,
        );
      const said = await saveWarnings(chatbot, ActionDefinitionSchema.parse(draft));
      warnings.push(...said.map((warning) => `${draft.name}: ${warning}`));
    }
    res.json({ actions: imported.actions, secrets: imported.secrets, warnings, samples: imported.samples });
  });

  router.delete('/:botId/actions/:name', async (req, res) => {
    if (!(await store.deleteAction(req.params.botId, req.params.name))) {
      throw new ApiError('not_found', `action ${req.params.name} not found`);
    }
    await catalog.publish(req.params.botId);
    res.status(204).end();
  });

  router.get('/:botId/actions/:name/logs', async (req, res) => {
    const { limit } = parseOr400(LogsQuerySchema, req.query, 'query');
    const action = await existingAction(req.params.botId, req.params.name);
    const entries = await callLog.latest(req.params.botId, action.definition.name, limit);
    res.json({ logs: entries });
  });

  router.post('/:botId/actions/:name/test', async (req, res) => {
    const body = parseOr400(TestRunSchema, req.body);
    const { botId } = req.params;
    const action = await existingAction(botId, req.params.name);
    const parameters = withDefaults(action.definition.parameters, body.parameters);
    const missing = nextMissing(action.definition.parameters, parameters);
    if (missing)
      throw new ApiError('invalid_request', `parameters.${missing.name}: a value is required to test this action`);
    const testId = randomUUID();
    const result = await deps.temporal.client.workflow.execute(actionTest, {
      workflowId: `action-test:${botId}:${action.definition.name}:${testId}`,
      taskQueue: deps.temporal.taskQueue,
      args: [
        {
          chatbotId: botId,
          testId,
          action: action.definition,
          version: action.version,
          parameters,
          visitor: body.visitor,
          attributes: body.attributes,
          message: body.message,
        },
      ],
    });
    res.json({ action: action.definition.name, version: action.version, ...result });
  });

  router.post('/:botId/actions/:name/alerts/reset', async (req, res) => {
    const action = await existingAction(req.params.botId, req.params.name);
    const cleared = await alerts.resetThrottle(req.params.botId, action.definition.name);
    res.json({ reset: true, wasThrottled: cleared });
  });

  /**
   * The chatbot's recent conversations, newest first, from Temporal's visibility (the `ParleyChatbotId` search
   * attribute): id, status, who answers (`mode`), when each started and closed. A continued run counts once.
   */
  router.get('/:botId/conversations', async (req, res) => {
    const { limit } = parseOr400(ConversationsQuerySchema, req.query, 'query');
    const chatbot = await existingChatbot(req.params.botId);
    if (!deps.temporal.searchAttributes)
      throw new ApiError(
        'unavailable',
        `listing conversations needs the ${ChatbotIdSearchAttribute.name} search attribute, which this Temporal namespace lacks`,
      );
    const prefix = conversationWorkflowId(chatbot.id, '');
    const conversations: ConversationSummary[] = [];
    for await (const run of deps.temporal.client.workflow.list({
      query: `${ChatbotIdSearchAttribute.name} = "${chatbot.id}" AND ExecutionStatus != "ContinuedAsNew"`,
      pageSize: limit,
    })) {
      const mode = run.memo?.['ParleyMode'];
      conversations.push({
        conversationId: run.workflowId.startsWith(prefix) ? run.workflowId.slice(prefix.length) : run.workflowId,
        workflowId: run.workflowId,
        status: run.status.name.toLowerCase(),
        mode: typeof mode === 'string' ? mode : 'bot',
        startedAt: run.startTime.toISOString(),
        closedAt: run.closeTime?.toISOString() ?? null,
      });
      if (conversations.length >= limit) break;
    }
    res.json({ conversations });
  });

  /** A conversation of this chatbot, for agents: 404 when it is not the chatbot's. */
  async function agentConversation(botId: string, conversationId: string) {
    const record = await store.getConversation(conversationId);
    if (!record || record.chatbotId !== botId)
      throw new ApiError('not_found', `conversation ${conversationId} not found`);
    return deps.temporal.client.workflow.getHandle(conversationWorkflowId(botId, conversationId));
  }

  router.get('/:botId/conversations/:conversationId', async (req, res) => {
    const handle = await agentConversation(req.params.botId, req.params.conversationId);
    res.json(await handle.query(stateQuery).catch((error: unknown) => Promise.reject(conversationError(error))));
  });

  router.get('/:botId/conversations/:conversationId/messages', async (req, res) => {
    const { after } = parseOr400(AfterQuerySchema, req.query, 'query');
    const handle = await agentConversation(req.params.botId, req.params.conversationId);
    const messages = await handle
      .query(transcriptQuery, { after })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.json({ messages });
  });

  router.post('/:botId/conversations/:conversationId/agent-messages', async (req, res) => {
    const { text, messageId } = parseOr400(AgentMessageSchema, req.body);
    const handle = await agentConversation(req.params.botId, req.params.conversationId);
    const result = await handle
      .executeUpdate(agentMessageUpdate, { args: [{ messageId: messageId ?? randomUUID(), text }] })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.json(result);
  });

  router.post('/:botId/conversations/:conversationId/hand-back', async (req, res) => {
    const { text, messageId } = parseOr400(HandBackSchema, req.body);
    const handle = await agentConversation(req.params.botId, req.params.conversationId);
    const result = await handle
      .executeUpdate(handBackUpdate, { args: [{ messageId: messageId ?? randomUUID(), ...(text ? { text } : {}) }] })
      .catch((error: unknown) => Promise.reject(conversationError(error)));
    res.json(result);
  });

  router.put('/:botId/secrets/:name', async (req, res) => {
    const { botId, name } = req.params;
    if (!SECRET_NAME.test(name)) throw new ApiError('invalid_request', 'name: must match ^[A-Za-z][A-Za-z0-9_]{0,63}$');
    const { value, hosts } = parseOr400(SecretInputSchema, req.body);
    await existingChatbot(botId);
    const { created } = await store.putSecret(botId, name, value, hosts);
    res.status(created ? 201 : 200).json({ name, set: true, masked: maskSecret(value), hosts });
  });

  router.get('/:botId/secrets', async (req, res) => {
    await existingChatbot(req.params.botId);
    res.json({ secrets: await store.listSecrets(req.params.botId) });
  });

  router.delete('/:botId/secrets/:name', async (req, res) => {
    if (!(await store.deleteSecret(req.params.botId, req.params.name))) {
      throw new ApiError('not_found', `secret ${req.params.name} not found`);
    }
    res.status(204).end();
  });

  return router;
}
