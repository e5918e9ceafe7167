import { z } from 'zod';
import { ActionDefinitionSchema } from '../shared/actions/action';
import { ImportRequestSchema } from '../shared/actions/import';
import {
  AcceptedResponseSchema,
  ButtonClickBodySchema,
  CloseBodySchema,
  LeadBodySchema,
  SendMessageBodySchema,
  StartConversationBodySchema,
  StartConversationResponseSchema,
  StreamTokenResponseSchema,
  TranscriptQuerySchema,
  TranscriptResponseSchema,
  TurnResponseSchema,
} from '../shared/chat-api';
import { ChatbotInputSchema, ChatbotPatchSchema, ChatbotSchema, SecretInputSchema } from '../shared/chatbot';
import { JsonSchema } from '../shared/json-schema';
import { BotMessageSchema, TranscriptEntrySchema } from '../shared/message-schema';
import { ERROR_STATUS, type ErrorCode } from './errors';
import { OUTAGE_RETRY_AFTER_SECONDS } from './outages';
import {
  ActionImportResponseSchema,
  ActionListSchema,
  ActionSavedSchema,
  ActionTestResponseSchema,
  ActionViewSchema,
  AgentTranscriptSchema,
  AlertResetResponseSchema,
  CallLogResponseSchema,
  ChatbotListSchema,
  ChatbotSavedSchema,
  CodecResponseSchema,
  ConversationListSchema,
  ConversationModeSchema,
  ConversationStateSchema,
  HealthResponseSchema,
  LiveBatchSchema,
  LivePushResponseSchema,
  SecretListSchema,
  SecretSavedSchema,
} from './response-schemas';
import {
  AfterQuerySchema,
  AgentMessageSchema,
  ConversationsQuerySchema,
  HandBackSchema,
  LogsQuerySchema,
  TestRunSchema,
} from './routes/admin';
import { CodecRequestSchema } from './routes/codec';
import { EmailInboundBodySchema, EmailInboundResponseSchema } from './routes/email';
import { EventsQuerySchema, LIVE_PUSH_PATH } from './routes/live';

/**
 * Parley's OpenAPI 3.1 document, generated from the zod schemas the routes validate requests with and the
 * response schemas beside them (zod's own JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses). Served at
 * `GET /openapi.json` and rendered at `GET /docs`. Every route the app serves has an entry in `OPERATIONS`; a
 * test walks the app's router and fails on a route without one.
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Security =
  | 'publishableKey'
  | 'conversationToken'
  | 'adminKey'
  | 'conversationOrStreamToken'
  | 'emailInboundSecret'
  | null;
type Tag =
  | 'Chat'
  | 'Email'
  | 'Admin: chatbots'
  | 'Admin: actions'
  | 'Admin: conversations'
  | 'Admin: secrets'
  | 'Service';

/** A success answer: its status, what it means, and its JSON body's schema (none: no body, or not JSON). */
type Success = {
  status: number;
  description: string;
  body?: { name: string; schema: z.ZodType } | { contentType: string; schema: Record<string, unknown> };
};

/** One route as the document describes it; `path` is written the way Express declares it (`/:id`). */
export type OperationEntry = {
  method: Method;
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  security: Security;
  pathParams?: Record<string, string>;
  query?: z.ZodObject;
  /** Request headers the route reads (beyond credentials), with what they mean. */
  headers?: Record<string, string>;
  /** The request body's schema; JSON unless `contentTypes` names the others it is also read as. */
  body?: { name: string; schema: z.ZodType; required?: boolean; contentTypes?: string[] };
  responses: Success[];
  /** The statuses of the error envelope this route may answer (500 is always possible). */
  errors: number[];
};

/** Statuses any route that reads MongoDB or Temporal, or takes a JSON body, may answer. */
const WITH_BODY = [400, 413, 415, 503];
const READS = [503];
const ADMIN = [401, 403];
const CONVERSATION = [401, 404];

const BOT_ID = 'The chatbot id';
const CONVERSATION_ID = 'The conversation id (from the start response)';
const ACTION_NAME = 'The action name (^[A-Za-z][A-Za-z0-9_]{0,63}$)';

const RETRY_RULE =
  '**Retries must reuse `messageId`.** Send a `messageId` with every visitor event and, after a network error or ' +
  'a 503, send the same text with the same id: the conversation answers a repeated id with the reply it already ' +
  'gave (or is giving) and never runs the turn twice. Without an id the API makes a new one, so a retry becomes a ' +
  'second turn (a second API call, a second ticket).';

/** Every route of the app, as the document describes it. */
export const OPERATIONS: OperationEntry[] = [
  {
    method: 'get',
    path: '/healthz',
    tag: 'Service',
    summary: 'Health: whether Temporal and MongoDB answer',
    description:
      'Answers within about a second whatever is down; 503 (with the same body) when either cannot be reached.',
    security: null,
    responses: [
      { status: 200, description: 'Both answer', body: { name: 'Health', schema: HealthResponseSchema } },
      { status: 503, description: 'One of them does not', body: { name: 'Health', schema: HealthResponseSchema } },
    ],
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Service',
    summary: 'This OpenAPI 3.1 document',
    security: null,
    responses: [
      {
        status: 200,
        description: 'The document',
        body: { contentType: 'application/json', schema: { type: 'object' } },
      },
    ],
    errors: [],
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'Service',
    summary: 'This document as a readable HTML page',
    security: null,
    responses: [
      { status: 200, description: 'The page', body: { contentType: 'text/html', schema: { type: 'string' } } },
    ],
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'Service',
    summary: "This API process's Prometheus metrics",
    description:
      'Turns, routing decisions, rate-limit refusals, open event streams and the call-log outbox, in the Prometheus ' +
      'text format (README "Metrics"). Workers serve theirs on their own port (PARLEY_WORKER_METRICS_PORT).',
    security: null,
    responses: [
      {
        status: 200,
        description: 'The metrics',
        body: { contentType: 'text/plain; version=0.0.4', schema: { type: 'string' } },
      },
    ],
    errors: [],
  },

  // Chat: what frontends call.
  {
    method: 'get',
    path: '/widget.js',
    tag: 'Chat',
    summary: 'The web chat: one script any page embeds',
    description:
      'A `<script>` tag with `data-chatbot` and `data-key` (the publishable key) adds a chat launcher to the page ' +
      '(README "Web chat"). It calls the chat routes below from the page, so the page\'s origin must be one of the ' +
      "chatbot's `allowedOrigins`. Served with an ETag, gzipped when the browser accepts it.",
    security: null,
    responses: [
      {
        status: 200,
        description: 'The script',
        body: { contentType: 'text/javascript', schema: { type: 'string' } },
      },
      { status: 304, description: 'Unchanged since the ETag the browser has (If-None-Match)' },
    ],
    errors: [],
  },
  {
    method: 'post',
    path: '/v1/chatbots/:botId/conversations',
    tag: 'Chat',
    summary: 'Start a conversation',
    description:
      "Needs the chatbot's publishable key in `X-Parley-Key`. Answers the conversation's id, its token (returned " +
      'only here: keep it, it alone reads and writes the conversation) and the messages it opens with.',
    security: 'publishableKey',
    pathParams: { botId: BOT_ID },
    body: { name: 'StartConversationBody', schema: StartConversationBodySchema, required: false },
    responses: [
      {
        status: 201,
        description: 'Started',
        body: { name: 'StartConversationResponse', schema: StartConversationResponseSchema },
      },
    ],
    errors: [...WITH_BODY, 401, 403, 429],
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/messages',
    tag: 'Chat',
    summary: "Send a visitor's message; answers the bot's reply",
    description:
      `${RETRY_RULE}\n\nThe answer comes by the chatbot's turn deadline (8 s unless set): an action still running ` +
      'then answers with what was said so far and that the bot is still working; its result joins the transcript. ' +
      'A 503 may mean the message was received but no worker could answer yet: retry with the same `messageId` ' +
      'after `Retry-After` seconds, or read the transcript.',
    security: 'conversationToken',
    pathParams: { id: CONVERSATION_ID },
    body: { name: 'SendMessageBody', schema: SendMessageBodySchema },
    responses: [
      {
        status: 200,
        description: "The bot's messages for this turn",
        body: { name: 'TurnResponse', schema: TurnResponseSchema },
      },
    ],
    errors: [...WITH_BODY, ...CONVERSATION, 409, 429],
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/buttons',
    tag: 'Chat',
    summary: 'Press a button or quick reply',
    description: `Its replies join the transcript. ${RETRY_RULE}`,
    security: 'conversationToken',
    pathParams: { id: CONVERSATION_ID },
    body: { name: 'ButtonClickBody', schema: ButtonClickBodySchema },
    responses: [
      {
        status: 202,
        description: 'Handed to the conversation',
        body: { name: 'Accepted', schema: AcceptedResponseSchema },
      },
    ],
    errors: [...WITH_BODY, ...CONVERSATION, 409, 429],
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/lead',
    tag: 'Chat',
    summary: 'Submit the lead form',
    description: `Fires the chatbot's \`lead_captured\` actions, in order; their replies join the transcript. ${RETRY_RULE}`,
    security: 'conversationToken',
    pathParams: { id: CONVERSATION_ID },
    body: { name: 'LeadBody', schema: LeadBodySchema },
    responses: [
      {
        status: 202,
        description: 'Handed to the conversation',
        body: { name: 'Accepted', schema: AcceptedResponseSchema },
      },
    ],
    errors: [...WITH_BODY, ...CONVERSATION, 409, 429],
  },
  {
    method: 'get',
    path: '/v1/conversations/:id/messages',
    tag: 'Chat',
    summary: 'Read the transcript',
    description: 'Every line of the conversation after `after`, oldest first: poll with the last `seq` you have.',
    security: 'conversationToken',
    pathParams: { id: CONVERSATION_ID },
    query: TranscriptQuerySchema,
    responses: [
      {
        status: 200,
        description: 'Transcript entries',
        body: { name: 'TranscriptResponse', schema: TranscriptResponseSchema },
      },
    ],
    errors: [400, ...CONVERSATION, 409, ...READS],
  },
  {
    method: 'post',
    path: '/v1/conversations/:id/close',
    tag: 'Chat',
    summary: 'End the conversation',
    security: 'conversationToken',
    pathParams: { id: CONVERSATION_ID },
    body: { name: 'CloseBody', schema: CloseBodySchema, required: false },
    responses: [{ status: 202, description: 'Closing', body: { name: 'Accepted', schema: AcceptedResponseSchema } }],
    errors: [...WITH_BODY, ...CONVERSATION, 409],
  },

  {
    method: 'post',
    path: '/v1/conversations/:id/stream-token',
    tag: 'Chat',
    summary: 'A short-lived token to open the event stream with',
    description:
      "For a browser's EventSource, which cannot send an Authorization header. 503 when live delivery is off.",
    security: 'conversationToken',
    pathParams: { id: CONVERSATION_ID },
    responses: [
      {
        status: 201,
        description: 'The token',
        body: { name: 'StreamTokenResponse', schema: StreamTokenResponseSchema },
      },
    ],
    errors: [...CONVERSATION, ...READS],
  },
  {
    method: 'get',
    path: '/v1/conversations/:id/events',
    tag: 'Chat',
    summary: "Stream the bot's messages as they are produced (Server-Sent Events)",
    description:
      'Each bot or agent message is an event `message` whose `id` is its transcript `seq` and whose `data` is a ' +
      '`TranscriptEntry` as JSON; `event: closed` ends the stream when the conversation closes. Reconnect with ' +
      '`Last-Event-ID` (or `?after=`) to get what was missed, nothing twice. Authenticated by the conversation ' +
      'token, or by `?token=` from POST …/stream-token. 503 when live delivery is off.',
    security: 'conversationOrStreamToken',
    pathParams: { id: CONVERSATION_ID },
    query: EventsQuerySchema,
    headers: { 'Last-Event-ID': 'The `seq` of the last message received: the stream resumes after it' },
    responses: [
      {
        status: 200,
        description: 'An open event stream',
        body: { contentType: 'text/event-stream', schema: { type: 'string' } },
      },
    ],
    errors: [400, ...CONVERSATION, 409, ...READS],
  },

  // Admin: chatbots.
  {
    method: 'post',
    path: '/v1/chatbots',
    tag: 'Admin: chatbots',
    summary: 'Create a chatbot',
    description: 'Without an `id` one is generated; without a `publishableKey` a random `pk_…` is.',
    security: 'adminKey',
    body: { name: 'ChatbotInput', schema: ChatbotInputSchema },
    responses: [{ status: 201, description: 'Created', body: { name: 'ChatbotSaved', schema: ChatbotSavedSchema } }],
    errors: [...WITH_BODY, ...ADMIN, 409],
  },
  {
    method: 'get',
    path: '/v1/chatbots',
    tag: 'Admin: chatbots',
    summary: 'List chatbots',
    security: 'adminKey',
    responses: [
      { status: 200, description: 'Every chatbot', body: { name: 'ChatbotList', schema: ChatbotListSchema } },
    ],
    errors: [...ADMIN, ...READS],
  },
  {
    method: 'get',
    path: '/v1/chatbots/:botId',
    tag: 'Admin: chatbots',
    summary: 'Read a chatbot',
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    responses: [{ status: 200, description: 'The chatbot', body: { name: 'Chatbot', schema: ChatbotSchema } }],
    errors: [...ADMIN, 404, ...READS],
  },
  {
    method: 'patch',
    path: '/v1/chatbots/:botId',
    tag: 'Admin: chatbots',
    summary: 'Change a chatbot',
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    body: { name: 'ChatbotPatch', schema: ChatbotPatchSchema },
    responses: [{ status: 200, description: 'Changed', body: { name: 'ChatbotSaved', schema: ChatbotSavedSchema } }],
    errors: [...WITH_BODY, ...ADMIN, 404],
  },
  {
    method: 'delete',
    path: '/v1/chatbots/:botId',
    tag: 'Admin: chatbots',
    summary: 'Delete a chatbot',
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    responses: [{ status: 204, description: 'Deleted' }],
    errors: [...ADMIN, 404, ...READS],
  },

  // Admin: actions.
  {
    method: 'get',
    path: '/v1/chatbots/:botId/actions',
    tag: 'Admin: actions',
    summary: "List a chatbot's actions",
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    responses: [
      {
        status: 200,
        description: 'The actions, current versions',
        body: { name: 'ActionList', schema: ActionListSchema },
      },
    ],
    errors: [...ADMIN, 404, ...READS],
  },
  {
    method: 'get',
    path: '/v1/chatbots/:botId/actions/:name',
    tag: 'Admin: actions',
    summary: 'Read an action',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: ACTION_NAME },
    responses: [{ status: 200, description: 'The action', body: { name: 'ActionView', schema: ActionViewSchema } }],
    errors: [...ADMIN, 404, ...READS],
  },
  {
    method: 'put',
    path: '/v1/chatbots/:botId/actions/:name',
    tag: 'Admin: actions',
    summary: 'Save an action (a new version)',
    description:
      'The body is an action definition; its `name` may be left out (the URL names the action). A 400 names the ' +
      'bad field; `warnings` say what saves but will not work (an address the egress policy refuses, a missing ' +
      'secret). A conversation keeps the version it started an action with.',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: ACTION_NAME },
    body: { name: 'ActionDefinitionInput', schema: ActionDefinitionSchema },
    responses: [
      {
        status: 200,
        description: 'A new version of an existing action',
        body: { name: 'ActionSaved', schema: ActionSavedSchema },
      },
      { status: 201, description: 'A new action', body: { name: 'ActionSaved', schema: ActionSavedSchema } },
    ],
    errors: [...WITH_BODY, ...ADMIN, 404, 409],
  },
  {
    method: 'delete',
    path: '/v1/chatbots/:botId/actions/:name',
    tag: 'Admin: actions',
    summary: 'Delete an action',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: ACTION_NAME },
    responses: [{ status: 204, description: 'Deleted' }],
    errors: [...ADMIN, 404, ...READS],
  },
  {
    method: 'get',
    path: '/v1/chatbots/:botId/actions/:name/logs',
    tag: 'Admin: actions',
    summary: "An action's latest API calls",
    description: 'Each attempt of each HTTP step, newest first, credentials masked.',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: ACTION_NAME },
    query: LogsQuerySchema,
    responses: [
      {
        status: 200,
        description: 'Call-log entries',
        body: { name: 'CallLogResponse', schema: CallLogResponseSchema },
      },
    ],
    errors: [400, ...ADMIN, 404, ...READS],
  },
  {
    method: 'post',
    path: '/v1/chatbots/:botId/actions/:name/test',
    tag: 'Admin: actions',
    summary: 'Test an action (the test button)',
    description: "Runs the action's real chain with sample parameters outside any conversation and reports each call.",
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: ACTION_NAME },
    body: { name: 'TestRunBody', schema: TestRunSchema, required: false },
    responses: [
      {
        status: 200,
        description: 'What each call sent and received',
        body: { name: 'ActionTestResponse', schema: ActionTestResponseSchema },
      },
    ],
    errors: [...WITH_BODY, ...ADMIN, 404],
  },
  {
    method: 'post',
    path: '/v1/chatbots/:botId/actions/:name/alerts/reset',
    tag: 'Admin: actions',
    summary: "Clear an action's failure-alert throttle",
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: ACTION_NAME },
    responses: [
      { status: 200, description: 'Cleared', body: { name: 'AlertReset', schema: AlertResetResponseSchema } },
    ],
    errors: [...ADMIN, 404, ...READS],
  },

  {
    method: 'post',
    path: '/v1/chatbots/:botId/actions/import',
    tag: 'Admin: actions',
    summary: 'Draft actions from a cURL command or an OpenAPI document',
    description:
      'Give `curl` (a command line) or `openapi` (a 3.0 or 3.1 document, as an object or YAML/JSON text) and the ' +
      '`operations` to import. Answers drafts valid under the action schema, not saved: review them, then PUT each. ' +
      "Credentials become secrets the drafts name, bound to the API's host; the answer says where each value was, " +
      'never the value. `$ref`s resolve within the document; references elsewhere are refused (nothing is fetched). ' +
      'A 400 names the field at fault (`curl: unknown option --foo`, `operations[0]: no operation …`).',
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    body: { name: 'ActionImportBody', schema: ImportRequestSchema },
    responses: [
      {
        status: 200,
        description: 'Drafts, the secrets they use, warnings and sample parameters',
        body: { name: 'ActionImportResponse', schema: ActionImportResponseSchema },
      },
    ],
    errors: [...WITH_BODY, ...ADMIN, 404],
  },

  // Admin: conversations (agents).
  {
    method: 'get',
    path: '/v1/chatbots/:botId/conversations',
    tag: 'Admin: conversations',
    summary: "The chatbot's recent conversations",
    description:
      "Newest first, from Temporal's visibility (the `ParleyChatbotId` search attribute): a conversation that " +
      'continued as new is listed once. 503 when the Temporal namespace lacks the search attribute.',
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    query: ConversationsQuerySchema,
    responses: [
      {
        status: 200,
        description: 'Recent conversations',
        body: { name: 'ConversationList', schema: ConversationListSchema },
      },
    ],
    errors: [...ADMIN, 400, 404, ...READS],
  },
  {
    method: 'get',
    path: '/v1/chatbots/:botId/conversations/:conversationId',
    tag: 'Admin: conversations',
    summary: "A conversation's state",
    security: 'adminKey',
    pathParams: { botId: BOT_ID, conversationId: CONVERSATION_ID },
    responses: [
      { status: 200, description: 'Its state', body: { name: 'ConversationState', schema: ConversationStateSchema } },
    ],
    errors: [...ADMIN, 404, 409, ...READS],
  },
  {
    method: 'get',
    path: '/v1/chatbots/:botId/conversations/:conversationId/messages',
    tag: 'Admin: conversations',
    summary: "A conversation's transcript",
    security: 'adminKey',
    pathParams: { botId: BOT_ID, conversationId: CONVERSATION_ID },
    query: AfterQuerySchema,
    responses: [
      {
        status: 200,
        description: 'Transcript entries',
        body: { name: 'AgentTranscript', schema: AgentTranscriptSchema },
      },
    ],
    errors: [400, ...ADMIN, 404, 409, ...READS],
  },
  {
    method: 'post',
    path: '/v1/chatbots/:botId/conversations/:conversationId/agent-messages',
    tag: 'Admin: conversations',
    summary: "A person's message to a handed-off conversation",
    description: 'Idempotent by `messageId`, like visitor messages.',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, conversationId: CONVERSATION_ID },
    body: { name: 'AgentMessageBody', schema: AgentMessageSchema },
    responses: [
      {
        status: 200,
        description: 'Who answers now',
        body: { name: 'ConversationMode', schema: ConversationModeSchema },
      },
    ],
    errors: [...WITH_BODY, ...ADMIN, 404, 409],
  },
  {
    method: 'post',
    path: '/v1/chatbots/:botId/conversations/:conversationId/hand-back',
    tag: 'Admin: conversations',
    summary: 'Hand a conversation back to the bot',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, conversationId: CONVERSATION_ID },
    body: { name: 'HandBackBody', schema: HandBackSchema, required: false },
    responses: [
      {
        status: 200,
        description: 'Who answers now',
        body: { name: 'ConversationMode', schema: ConversationModeSchema },
      },
    ],
    errors: [...WITH_BODY, ...ADMIN, 404, 409],
  },

  // Email: what email providers' inbound-parse webhooks call.
  {
    method: 'post',
    path: '/v1/chatbots/:botId/email/inbound',
    tag: 'Email',
    summary: 'An email to the chatbot, as an inbound-parse webhook posts it',
    description:
      'Starts a conversation for a new email thread, or continues the one its In-Reply-To/References lead to (same ' +
      'sender); the reply goes out by SMTP once the turn is over (README "Email channel"). SendGrid, Mailgun and ' +
      'Postmark field names are read too; attachments are ignored. The same email delivered twice runs one turn.',
    security: 'emailInboundSecret',
    pathParams: { botId: BOT_ID },
    body: {
      name: 'EmailInbound',
      schema: EmailInboundBodySchema,
      contentTypes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
    },
    responses: [
      {
        status: 200,
        description: "Taken (or, for an automatic reply or the inbox's own email, received and left unanswered)",
        body: { name: 'EmailInboundAnswer', schema: EmailInboundResponseSchema },
      },
    ],
    errors: [400, 401, 413, 415, 429, 503],
  },

  // Admin: secrets.
  {
    method: 'put',
    path: '/v1/chatbots/:botId/secrets/:name',
    tag: 'Admin: secrets',
    summary: 'Set a secret (write-only)',
    description: 'Actions read it as `secrets.<name>`, inside the HTTP call only; no response ever shows its value.',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: 'The secret name (^[A-Za-z][A-Za-z0-9_]{0,63}$)' },
    body: { name: 'SecretInput', schema: SecretInputSchema },
    responses: [
      { status: 200, description: 'Replaced', body: { name: 'SecretSaved', schema: SecretSavedSchema } },
      { status: 201, description: 'Created', body: { name: 'SecretSaved', schema: SecretSavedSchema } },
    ],
    errors: [...WITH_BODY, ...ADMIN, 404],
  },
  {
    method: 'get',
    path: '/v1/chatbots/:botId/secrets',
    tag: 'Admin: secrets',
    summary: "List a chatbot's secrets (masked)",
    security: 'adminKey',
    pathParams: { botId: BOT_ID },
    responses: [
      { status: 200, description: 'Names and masked hints', body: { name: 'SecretList', schema: SecretListSchema } },
    ],
    errors: [...ADMIN, 404, ...READS],
  },
  {
    method: 'delete',
    path: '/v1/chatbots/:botId/secrets/:name',
    tag: 'Admin: secrets',
    summary: 'Delete a secret',
    security: 'adminKey',
    pathParams: { botId: BOT_ID, name: 'The secret name' },
    responses: [{ status: 204, description: 'Deleted' }],
    errors: [...ADMIN, 404, ...READS],
  },

  {
    method: 'post',
    path: LIVE_PUSH_PATH,
    tag: 'Service',
    summary: "Internal: a worker pushes a conversation's new messages to this API process",
    description:
      'Not for clients: only Parley workers can sign a push (the signature header covers the exact body). Served ' +
      'when live delivery is on.',
    security: null,
    body: { name: 'LiveBatch', schema: LiveBatchSchema },
    responses: [
      {
        status: 200,
        description: 'Delivered to the open streams; `watching: false` tells the conversation to stop pushing here',
        body: { name: 'LivePushResponse', schema: LivePushResponseSchema },
      },
    ],
    errors: [400, 401, 413],
  },

  // Temporal's codec server protocol (only when payloads are encrypted).
  ...(['encode', 'decode'] as const).map(
    (operation): OperationEntry => ({
      method: 'post',
      path: `/codec/${operation}`,
      tag: 'Service',
      summary: `Codec server: ${operation} payloads (for the Temporal UI and CLI)`,
      description:
        'Served only when workflow payloads are encrypted (PARLEY_PAYLOAD_KEYS). Takes the admin key (or a codec ' +
        'token) as a bearer token; accepts bodies up to 8 MB.',
      security: 'adminKey',
      body: { name: 'CodecRequest', schema: CodecRequestSchema },
      responses: [
        {
          status: 200,
          description: `The payloads, ${operation}d`,
          body: { name: 'CodecResponse', schema: CodecResponseSchema },
        },
      ],
      errors: [400, 401],
    }),
  ),
];

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is not valid: the message names each bad field',
  401: 'No credentials, or not the kind this route needs',
  403: 'The credentials are not valid for this route',
  404: 'Not found (or the token does not belong to it)',
  409: 'Conflict: the id is taken, or the conversation is closed',
  413: 'A field or the body is too large',
  415: 'The body is not JSON (send Content-Type: application/json)',
  429: 'Too many requests: wait `Retry-After` seconds',
  500: 'Internal error (logged, never echoed)',
  503: 'A dependency (Temporal, MongoDB, a worker) cannot be reached: retry after `Retry-After` seconds',
};

/** The error codes answered with each status, from the one map in api/errors.ts. */
function codesByStatus(): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, status] of Object.entries(ERROR_STATUS) as [ErrorCode, number][]) {
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

type JsonSchemaObject = Record<string, unknown>;

/**
 * Converts the zod schemas in a registry to components: one per registered id, in the `io` direction (requests
 * are `input`: defaults make fields optional; responses `output`), with `$ref`s pointing into components.
 */
function componentsOf(
  registry: z.core.$ZodRegistry<{ id: string }>,
  io: 'input' | 'output',
): Record<string, JsonSchemaObject> {
  const prefix = 'urn:parley:';
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `${prefix}${id}` }) as {
    schemas: Record<string, JsonSchemaObject>;
  };
  const shared = (schemas['__shared']?.['$defs'] ?? {}) as Record<string, JsonSchemaObject>;
  const sharedName = (name: string) => `Shared${io === 'input' ? 'Input' : ''}_${name}`;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value).filter(([key]) => key !== '$schema' && key !== '$id');
    return Object.fromEntries(
      entries.map(([key, inner]) => {
        if (key !== '$ref' || typeof inner !== 'string') return [key, rewrite(inner)];
        const local = /^#\/\$defs\/(.+)$/.exec(inner);
        const target = inner.startsWith(prefix) ? inner.slice(prefix.length) : null;
        const sharedRef = target?.match(/^__shared#\/\$defs\/(.+)$/);
        if (sharedRef?.[1]) return [key, `#/components/schemas/${sharedName(sharedRef[1])}`];
        if (target && !target.includes('#')) return [key, `#/components/schemas/${target}`];
        if (local?.[1]) return [key, `#/components/schemas/${sharedName(local[1])}`];
        throw new Error(`unexpected $ref ${inner} in the OpenAPI components`);
      }),
    );
  };
  const components: Record<string, JsonSchemaObject> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    if (id !== '__shared') components[id] = rewrite(schema) as JsonSchemaObject;
  }
  for (const [name, schema] of Object.entries(shared))
    components[sharedName(name)] = rewrite(schema) as JsonSchemaObject;
  return components;
}

/** Adds a schema to a registry under an id, or checks it is already there under that id. */
function register(registry: z.core.$ZodRegistry<{ id: string }>, schema: z.ZodType, id: string): void {
  const existing = registry.get(schema);
  if (existing && existing.id !== id) throw new Error(`one schema is named both ${existing.id} and ${id}`);
  if (!existing) registry.add(schema, { id });
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** One path parameter or query parameter's JSON Schema, without the description it carries on the parameter. */
function parameterSchema(schema: JsonSchemaObject): JsonSchemaObject {
  const { description: _description, ...rest } = schema;
  return rest;
}

/** Builds the OpenAPI 3.1 document from OPERATIONS and the zod schemas they name. */
export function buildOpenApiDocument(operations: OperationEntry[] = OPERATIONS): JsonSchemaObject {
  const requests = z.registry<{ id: string }>();
  const responses = z.registry<{ id: string }>();
  // Named once, referenced wherever they appear.
  register(requests, JsonSchema, 'JsonValue');
  register(responses, JsonSchema, 'JsonValue');
  register(responses, BotMessageSchema, 'BotMessage');
  register(responses, TranscriptEntrySchema, 'TranscriptEntry');
  register(responses, ChatbotSchema, 'Chatbot');
  register(responses, ActionDefinitionSchema, 'ActionDefinition');

  const byStatus = codesByStatus();
  const errorStatuses = new Set<number>([500]);
  for (const operation of operations) {
    if (operation.body) register(requests, operation.body.schema, operation.body.name);
    for (const response of operation.responses) {
      if (response.body && 'name' in response.body) register(responses, response.body.schema, response.body.name);
    }
    for (const status of operation.errors) errorStatuses.add(status);
  }
  for (const status of errorStatuses) {
    const codes = byStatus.get(status);
    if (!codes?.length) throw new Error(`no error code answers ${status}`);
    register(
      responses,
      z.object({
        error: z.object({
          code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
          message: z.string().describe('What went wrong, in words a person (or a chat widget) can show'),
        }),
      }),
      `Error${status}`,
    );
  }

  const input = componentsOf(requests, 'input');
  const output = componentsOf(responses, 'output');
  const schemas: Record<string, JsonSchemaObject> = { ...output };
  for (const [name, schema] of Object.entries(input)) {
    if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(schema)) {
      throw new Error(`component ${name} differs between requests and responses`);
    }
    schemas[name] = schema;
  }
  // An action's name may be left out of its body: the URL names it.
  const actionInput = schemas['ActionDefinitionInput'];
  if (actionInput && Array.isArray(actionInput['required'])) {
    actionInput['required'] = actionInput['required'].filter((field) => field !== 'name');
  }

  const retryAfter = {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  };
  const errorResponses = Object.fromEntries(
    [...errorStatuses]
      .sort((a, b) => a - b)
      .map((status) => [
        `Error${status}`,
        {
          description: `${STATUS_TEXT[status] ?? 'Error'} (codes: ${(byStatus.get(status) ?? []).join(', ')})`,
          ...(status === 429 || status === 503 ? { headers: { 'Retry-After': retryAfter } } : {}),
          content: { 'application/json': { schema: ref(`Error${status}`) } },
        },
      ]),
  );

  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const path = operation.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [name, description] of Object.entries(operation.pathParams ?? {})) {
      parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
    }
    for (const [name, description] of Object.entries(operation.headers ?? {})) {
      parameters.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
    }
    if (operation.query) {
      const query = z.toJSONSchema(operation.query, { io: 'input', unrepresentable: 'any' }) as JsonSchemaObject;
      const required = (query['required'] ?? []) as string[];
      for (const [name, schema] of Object.entries((query['properties'] ?? {}) as Record<string, JsonSchemaObject>)) {
        parameters.push({
          name,
          in: 'query',
          required: required.includes(name),
          ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}),
          schema: parameterSchema(schema),
        });
      }
    }
    const success = Object.fromEntries(
      operation.responses.map((response) => {
        const body = response.body;
        const content = !body
          ? {}
          : 'name' in body
            ? { content: { 'application/json': { schema: ref(body.name) } } }
            : { content: { [body.contentType]: { schema: body.schema } } };
        return [String(response.status), { description: response.description, ...content }];
      }),
    );
    const errors = Object.fromEntries(
      [...new Set([...operation.errors, 500])]
        .sort((a, b) => a - b)
        .map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]),
    );
    paths[path] ??= {};
    paths[path][operation.method] = {
      operationId: operationId(operation),
      tags: [operation.tag],
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      security:
        operation.security === 'conversationOrStreamToken'
          ? [{ conversationToken: [] }, { streamToken: [] }]
          : operation.security === 'emailInboundSecret'
            ? [{ emailInboundBasic: [] }, { emailInboundQuery: [] }]
            : operation.security
              ? [{ [operation.security]: [] }]
              : [],
      ...(parameters.length ? { parameters } : {}),
      ...(operation.body
        ? {
            requestBody: {
              required: operation.body.required ?? true,
              content: Object.fromEntries(
                (operation.body.contentTypes ?? ['application/json']).map((type) => [
                  type,
                  { schema: ref(operation.body?.name ?? '') },
                ]),
              ),
            },
          }
        : {}),
      responses: { ...success, ...errors },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley API',
      version: '1',
      summary: 'Durable custom API actions for chatbots, on Temporal',
      description:
        "Chat frontends start a conversation with the chatbot's publishable key, then send visitor events with " +
        'the conversation token it returns. Operators manage chatbots, actions and secrets with the admin key.\n\n' +
        `${RETRY_RULE}\n\n` +
        'Errors are always `{ "error": { "code", "message" } }`. A 429 (rate limited) and a 503 (a dependency is ' +
        `down; Retry-After ${OUTAGE_RETRY_AFTER_SECONDS}) carry \`Retry-After\` in seconds.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: [
      {
        name: 'Chat',
        description: 'For chat frontends: a publishable key starts a conversation, its token talks to it',
      },
      { name: 'Admin: chatbots', description: 'Chatbots (admin key)' },
      { name: 'Admin: actions', description: 'Actions: save, test, read their API calls (admin key)' },
      { name: 'Admin: conversations', description: 'For agents answering handed-off conversations (admin key)' },
      { name: 'Admin: secrets', description: 'Write-only secrets actions send (admin key)' },
      { name: 'Email', description: "Email providers' inbound-parse webhooks (the chatbot's email_inbound secret)" },
      { name: 'Service', description: 'Health, this document, the Temporal codec server' },
    ],
    paths,
    components: {
      schemas,
      responses: errorResponses,
      securitySchemes: {
        publishableKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Parley-Key',
          description:
            "The chatbot's publishable key (`pk_…`): it may be shown in web pages; it only starts conversations",
        },
        conversationToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The token a conversation start answered: `Authorization: Bearer <token>`',
        },
        streamToken: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description: 'A stream token from POST /v1/conversations/{id}/stream-token (one minute), for EventSource',
        },
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin key (PARLEY_ADMIN_KEY): `Authorization: Bearer <admin key>`; never in a browser',
        },
        emailInboundBasic: {
          type: 'http',
          scheme: 'basic',
          description: "The chatbot's `email_inbound` secret as the Basic password (any user name)",
        },
        emailInboundQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'secret',
          description: "The chatbot's `email_inbound` secret, for providers that cannot send Basic auth",
        },
      },
    },
  };
}

/** A stable operation id: the method and the path's words, e.g. `postV1ConversationsIdMessages`. */
function operationId(operation: OperationEntry): string {
  const words = operation.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return operation.method + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
}

let built: JsonSchemaObject | null = null;

/** The document, built once per process on first use. */
export function openApiDocument(): JsonSchemaObject {
  built ??= buildOpenApiDocument();
  return built;
}
