import type { z } from 'zod';
import type { BotMessageSchema, ButtonSchema, TranscriptEntrySchema } from './message-schema';

/** A button or quick reply: what the visitor sees and the payload sent back when pressed (or a link to open). */
export type Button = z.infer<typeof ButtonSchema>;
/** A structured bot message, one variant per thing a frontend renders. */
export type BotMessage = z.infer<typeof BotMessageSchema>;

/**
 * One line of a conversation's transcript; `seq` orders it and lets a frontend ask for what came `after`. `agent`
 * lines are a person's, posted through the admin API while the conversation is handed off.
 */
export type TranscriptEntry = z.infer<typeof TranscriptEntrySchema>;

/** A plain text bot message. */
export function text(value: string): BotMessage {
  return { type: 'text', text: value };
}
