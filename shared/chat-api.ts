import { z } from 'zod';
import { JsonSchema } from './json-schema';
import { BotMessageSchema, TranscriptEntrySchema } from './message-schema';
import { VISITOR_LIMITS } from './security/visitor-limits';

/**
 * The chat API's request and response bodies, as zod schemas: the API validates requests with them, the OpenAPI
 * document is generated from them, and the typed client's types are inferred from them, so the three cannot drift.
 */

/** A visitor event's id: what makes delivery idempotent. */
export const MessageIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 letters, digits or _.:-')
  .describe(
    'Makes delivery idempotent: an id the conversation has seen is answered with its first reply, never processed ' +
      'twice. Generate one per visitor event (e.g. a UUID) and send the same id again when retrying after a network ' +
      'error or a 503; without one the API makes a new id, so a retry would run the turn again.',
  );

/** `POST /v1/chatbots/:botId/conversations`: who the visitor is and what the conversation starts knowing. */
export const StartConversationBodySchema = z
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
export type StartConversationBody = z.input<typeof StartConversationBodySchema>;

/** `POST /v1/conversations/:id/messages`: a visitor's message. */
export const SendMessageBodySchema = z
  .object({
    text: z
      .string()
      .trim()
      .min(1)
      .max(VISITOR_LIMITS.messageChars, `must be at most ${VISITOR_LIMITS.messageChars} characters`),
    messageId: MessageIdSchema.optional(),
  })
  .strict();
export type SendMessageBody = z.input<typeof SendMessageBodySchema>;

/** `POST /v1/conversations/:id/buttons`: a button or quick reply the visitor pressed. */
export const ButtonClickBodySchema = z
  .object({ payload: z.string().min(1).max(256), messageId: MessageIdSchema.optional() })
  .strict();
export type ButtonClickBody = z.input<typeof ButtonClickBodySchema>;

/** A phone number as people write it: digits with spaces, dots, dashes or brackets, and at least 6 digits. */
const PHONE = /^\+?[0-9 ().-]{6,40}$/;

/** `POST /v1/conversations/:id/lead`: a submitted lead form; it needs an email or a phone number. */
export const LeadBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    email: z.string().email().max(320).optional(),
    phone: z
      .string()
      .max(40)
      .regex(PHONE, 'must be a phone number (digits, spaces, + . - and brackets)')
      .refine((phone) => phone.replace(/\D/g, '').length >= 6, 'must have at least 6 digits')
      .optional(),
    fields: z
      .record(z.string().max(64), z.string().max(2000))
      .refine((fields) => Object.keys(fields).length <= VISITOR_LIMITS.leadFields, {
        message: `at most ${VISITOR_LIMITS.leadFields} fields`,
      })
      .optional(),
    messageId: MessageIdSchema.optional(),
  })
  .strict()
  .refine((lead) => lead.email !== undefined || lead.phone !== undefined, {
    message: 'a lead needs a contact: an email or a phone number',
  });
export type LeadBody = z.input<typeof LeadBodySchema>;

/** `POST /v1/conversations/:id/close`: why the visitor ended the conversation. */
export const CloseBodySchema = z.object({ reason: z.string().min(1).max(200).optional() }).strict();
export type CloseBody = z.input<typeof CloseBodySchema>;

/** `GET /v1/conversations/:id/messages?after=`: the transcript after a sequence number. */
export const TranscriptQuerySchema = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Only entries with a larger `seq` (the last `seq` the frontend has); default 0, the whole transcript.'),
});

/** A new conversation: its id, the token that alone reads and writes it (returned only here), its opening. */
export const StartConversationResponseSchema = z.object({
  conversationId: z.string(),
  token: z.string().describe('The conversation token: send it as `Authorization: Bearer <token>`; shown only once.'),
  messages: z.array(BotMessageSchema),
});
export type StartConversationResponse = z.infer<typeof StartConversationResponseSchema>;

/** The bot's messages answering one visitor message. */
export const TurnResponseSchema = z.object({ messages: z.array(BotMessageSchema) });
export type TurnResponse = z.infer<typeof TurnResponseSchema>;

/** An event handed to the conversation; its replies join the transcript. */
export const AcceptedResponseSchema = z.object({ accepted: z.literal(true) });
export type AcceptedResponse = z.infer<typeof AcceptedResponseSchema>;

/** Transcript entries, oldest first. */
export const TranscriptResponseSchema = z.object({ messages: z.array(TranscriptEntrySchema) });
export type TranscriptResponse = z.infer<typeof TranscriptResponseSchema>;

/** Every error the API answers: a stable machine-readable code and a message a person can read. */
export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** `POST /v1/conversations/:id/stream-token`: a short-lived token that opens the conversation's event stream. */
export const StreamTokenResponseSchema = z.object({
  token: z.string().describe('Pass as `?token=` to GET /v1/conversations/:id/events (EventSource cannot send headers)'),
  expiresAt: z.string().describe('When the token stops opening streams (ISO 8601); an open stream stays open'),
});
export type StreamTokenResponse = z.infer<typeof StreamTokenResponseSchema>;
