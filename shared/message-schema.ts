import { z } from 'zod';

/** Zod schemas of bot messages, for validating them at the edges (admin input, tests); types are in messages.ts. */

/** A button or quick reply: what the visitor sees and the payload sent back when pressed (or a link to open). */
export const ButtonSchema = z.object({
  label: z.string().min(1).max(80),
  payload: z.string().min(1).max(256).optional(),
  url: z.string().optional(),
});

const CardSchema = z.object({
  title: z.string(),
  subtitle: z.string().optional(),
  fields: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  imageUrl: z.string().optional(),
  url: z.string().optional(),
  buttons: z.array(ButtonSchema).optional(),
});

/** A structured bot message, one variant per thing a frontend renders. */
export const BotMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('card'), ...CardSchema.shape }),
  z.object({ type: z.literal('link'), text: z.string().optional(), url: z.string() }),
  z.object({ type: z.literal('image'), url: z.string(), alt: z.string().optional() }),
  z.object({ type: z.literal('gallery'), cards: z.array(CardSchema) }),
  z.object({ type: z.literal('buttons'), text: z.string().optional(), buttons: z.array(ButtonSchema) }),
  z.object({ type: z.literal('quick_replies'), text: z.string().optional(), replies: z.array(ButtonSchema) }),
]);

/**
 * One line of a conversation's transcript; `seq` orders it and lets a frontend ask for what came `after`. `agent`
 * lines are a person's, posted through the admin API while the conversation is handed off.
 */
export const TranscriptEntrySchema = z.object({
  seq: z.number().int(),
  from: z.enum(['visitor', 'bot', 'agent']),
  at: z.string().describe('When the line was said (ISO 8601)'),
  message: BotMessageSchema,
});
