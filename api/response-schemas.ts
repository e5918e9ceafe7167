import { z } from 'zod';
import type { StoredCallLogEntry } from '../infrastructure/call-log';
import type { LiveBatch } from '../infrastructure/live-events';
import type { SecretView } from '../infrastructure/store';
import { ActionDefinitionSchema } from '../shared/actions/action';
import type { ImportedSecret } from '../shared/actions/import';
import type { CallReport } from '../shared/actions/step-result';
import { ChatbotSchema } from '../shared/chatbot';
import type { StateSummary } from '../shared/conversation/state';
import { JsonSchema } from '../shared/json-schema';
import { BotMessageSchema, TranscriptEntrySchema } from '../shared/message-schema';
import type { ActionTestResult } from '../workflows/action-test';

/**
 * What the admin, health, codec and live-push routes answer, as zod schemas for the OpenAPI document (the chat
 * API's are in shared/chat-api.ts, for the typed client), and the live push's body, which its route reads unvalidated
 * because a worker signed it. The routes build these bodies from the types named below; the type
 * checks at the end of this file fail to compile when a schema and the type it describes drift apart.
 */

const JsonObjectSchema = z.record(z.string(), JsonSchema);
const WarningsSchema = z
  .array(z.string())
  .describe('What saves but will not work as it seems (egress policy, missing secrets, settings), as sentences');

/** `GET /healthz`: whether Temporal and MongoDB answer (503 when either does not). */
export const HealthResponseSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  temporal: z.object({ ok: z.boolean(), error: z.string().optional() }),
  mongodb: z.object({ ok: z.boolean(), error: z.string().optional() }),
});

/** A chatbot just created or changed, with warnings about its settings. */
export const ChatbotSavedSchema = ChatbotSchema.extend({ warnings: WarningsSchema });
/** Every chatbot. */
export const ChatbotListSchema = z.object({ chatbots: z.array(ChatbotSchema) });

/** A stored action: the current version of its definition (defaults applied). */
export const ActionViewSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  updatedAt: z.string(),
  definition: ActionDefinitionSchema,
});
/** An action just saved, with warnings about what will not work. */
export const ActionSavedSchema = ActionViewSchema.extend({ warnings: WarningsSchema });
/** A chatbot's actions. */
export const ActionListSchema = z.object({ actions: z.array(ActionViewSchema) });

/** One attempt of one HTTP step as the call log holds it (credentials masked, bodies cut short). */
export const CallLogEntrySchema = z.object({
  id: z.string(),
  at: z.string().describe('When the attempt started (ISO 8601)'),
  outcome: z
    .enum(['ok', 'failed', 'sending', 'interrupted'])
    .describe('`sending`: no answer yet; `interrupted`: its worker died mid-call'),
  chatbotId: z.string(),
  action: z.string(),
  step: z.string(),
  conversationId: z.string(),
  attempt: z.number().int(),
  durationMs: z.number(),
  method: z.string(),
  url: z.string(),
  requestHeaders: z.record(z.string(), z.string()),
  requestBody: z.string().nullable(),
  status: z.number().int().nullable(),
  responseBody: z.string().nullable(),
  fields: JsonObjectSchema.nullable(),
  error: z.object({ type: z.string(), message: z.string() }).nullable(),
  structureChanged: z.boolean(),
  test: z.boolean(),
});
/** An action's latest call-log entries, newest first. */
export const CallLogResponseSchema = z.object({ logs: z.array(CallLogEntrySchema) });

/** Field discovery: a JSON response's paths with samples and suggested field names, for `response.fields`. */
const FieldDiscoverySchema = z.object({
  paths: z
    .array(
      z.object({
        path: z.string().describe('As response.fields takes it; under an array, of the first element that has it'),
        field: z.string().describe('A suggested field name'),
        type: z.enum(['string', 'number', 'boolean', 'null', 'object', 'array']),
        sample: JsonSchema.describe('The value, strings cut; objects and arrays summarised'),
        every: z.string().optional().describe('Under an array: the path that reads every element (items[*].sku)'),
      }),
    )
    .describe('At most 200, in the order of the body'),
  fields: z.record(z.string(), z.string()).describe('{ field: path } for every value: paste into response.fields'),
  total: z.number().int(),
  truncated: z.boolean(),
  note: z.string().nullable(),
});

const CallDetailSchema = z.object({
  request: z.object({
    method: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.string().nullable(),
  }),
  response: z
    .object({ status: z.number().int(), body: z.string().nullable(), discovery: FieldDiscoverySchema.optional() })
    .nullable(),
});

/** One call of a test run: what was sent (secrets masked) and received, and the fields read from it. */
export const CallReportSchema = z.object({
  step: z.string(),
  kind: z.enum(['step', 'compensate']),
  outcome: z.enum(['ok', 'failed', 'skipped']),
  failure: z.string().nullable(),
  message: z.string().nullable(),
  fields: JsonObjectSchema.nullable(),
  structureChanged: z.boolean(),
  detail: CallDetailSchema.nullable(),
});

/** The test button's result: every call of the action's real chain, then the reply a visitor would get. */
export const ActionTestResponseSchema = z.object({
  action: z.string(),
  version: z.number().int(),
  ok: z.boolean(),
  failure: z.object({ step: z.string(), failure: z.string(), reply: z.string().nullable() }).nullable(),
  steps: z.array(CallReportSchema),
  structureChanged: z.boolean(),
  reply: z.array(BotMessageSchema),
});

/** `POST …/actions/import`: drafts (not saved), the secrets they name (never a value), warnings, sample parameters. */
export const ActionImportResponseSchema = z.object({
  actions: z
    .array(z.looseObject({ name: z.string(), description: z.string(), steps: z.array(JsonObjectSchema) }))
    .describe(
      'Action definitions as an operator writes them (defaults left out), valid but not saved: review, then PUT',
    ),
  secrets: z
    .array(
      z.object({
        name: z.string(),
        hosts: z.array(z.string()).describe('Where the secret may be sent: the API the draft calls'),
        from: z.string().describe('Where in the source its value is (the value itself is never answered)'),
      }),
    )
    .describe('Secrets the drafts use; set each with PUT /v1/chatbots/:botId/secrets/:name'),
  warnings: WarningsSchema,
  samples: z
    .record(z.string(), JsonObjectSchema)
    .describe("Example parameter values by action, from the document's examples: a test button run to try first"),
});

/** Whether an action's failure-alert throttle was cleared. */
export const AlertResetResponseSchema = z.object({ reset: z.literal(true), wasThrottled: z.boolean() });

/** A conversation's state, for agents: who answers, what it is collecting, how often each action ran. */
export const ConversationStateSchema = z.object({
  chatbotId: z.string(),
  conversationId: z.string(),
  status: z.enum(['open', 'closed']),
  mode: z.enum(['bot', 'human']),
  closedReason: z.string().nullable(),
  turn: z.number().int(),
  attributes: JsonObjectSchema,
  pending: z
    .object({
      action: z.string(),
      version: z.number().int(),
      asking: z.string().nullable(),
      awaitingConfirmation: z.boolean(),
      collected: z.array(z.string()),
    })
    .nullable(),
  runs: z.record(z.string(), z.number().int()),
  lastSeq: z.number().int(),
});

/** A conversation's transcript, for agents. */
export const AgentTranscriptSchema = z.object({ messages: z.array(TranscriptEntrySchema) });
/** Who answers the conversation after an agent's message or hand-back. */
export const ConversationModeSchema = z.object({ mode: z.enum(['bot', 'human']) });
/** One of a chatbot's recent conversations, as Temporal's visibility lists it. */
export const ConversationSummarySchema = z.object({
  conversationId: z.string(),
  workflowId: z.string(),
  status: z
    .string()
    .describe("Temporal's execution status in lower case: running, completed, timed_out, terminated, failed, …"),
  mode: z.string().describe('Who answers: bot, or human after a handoff'),
  startedAt: z.string(),
  closedAt: z.string().nullable(),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;
/** A chatbot's recent conversations, newest first. */
export const ConversationListSchema = z.object({ conversations: z.array(ConversationSummarySchema) });

/** A secret just saved: never its value, only a masked hint. */
export const SecretSavedSchema = z.object({
  name: z.string(),
  set: z.literal(true),
  masked: z.string(),
  hosts: z.array(z.string()),
});
/** A secret as listed: never its value. */
export const SecretViewSchema = z.object({
  name: z.string(),
  masked: z.string(),
  hosts: z.array(z.string()),
  updatedAt: z.string(),
});
/** A chatbot's secrets. */
export const SecretListSchema = z.object({ secrets: z.array(SecretViewSchema) });

/** The codec server's answer: the payloads encoded or decoded, in the order sent. */
export const CodecResponseSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() })),
});

/** What a worker pushes to the API process that watches a conversation (signed; see infrastructure/live-events). */
export const LiveBatchSchema = z.object({
  conversationId: z.string(),
  entries: z.array(TranscriptEntrySchema),
  closed: z.boolean(),
});
/** Whether this process still watches the conversation (false: stop pushing here). */
export const LivePushResponseSchema = z.object({ watching: z.boolean() });

// Compile-time checks: each schema describes exactly the type its route sends.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type ResponseSchemasMatchTheirTypes = [
  Holds<Same<z.infer<typeof CallLogEntrySchema>, StoredCallLogEntry>>,
  Holds<Same<z.infer<typeof CallReportSchema>, CallReport>>,
  Holds<Same<z.infer<typeof ActionImportResponseSchema>['secrets'][number], ImportedSecret>>,
  Holds<Same<Omit<z.infer<typeof ActionTestResponseSchema>, 'action' | 'version'>, ActionTestResult>>,
  Holds<Same<z.infer<typeof ConversationStateSchema>, StateSummary>>,
  Holds<Same<z.infer<typeof SecretViewSchema>, SecretView>>,
  Holds<Same<z.infer<typeof LiveBatchSchema>, LiveBatch>>,
];
