import { z } from 'zod';
import { ACTION_NAME } from './actions/vocabulary';

/**
 * Human handoff: recognising a visitor who asks for a person, and what a chatbot's handoff setting makes of it —
 * a reply, an action to fire (e.g. open a ticket), an event posted to a webhook — after which the conversation is
 * in `human` mode: the bot stops answering, agents post through the admin API, and an agent hands back. Pure.
 */

/** A chatbot's handoff setting. Without one, a visitor asking for a person is told no one is available. */
export const HandoffSchema = z
  .object({
    /** Said when the conversation is handed to a person. */
    reply: z.string().min(1).max(2000).default("I'm connecting you with a person. They'll reply here shortly."),
    /**
     * An action of this chatbot fired on handoff (collecting what it needs first), e.g. one that opens a ticket;
     * without one, the first action with a `handoff` trigger.
     */
    action: z.string().regex(ACTION_NAME, 'must be an action name').nullable().default(null),
    /** Where the `handoff.requested` event is posted (http/https; the same egress rules as actions). */
    webhook: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s]+$/i, 'must be an http:// or https:// URL')
      .nullable()
      .default(null),
    /** Said when an agent hands the conversation back to the bot. */
    handBackReply: z.string().min(1).max(2000).default("You're back with the assistant. How can I help?"),
  })
  .strict();
export type HandoffSettings = z.infer<typeof HandoffSchema>;

/** What a visitor is told when they ask for a person and the chatbot has no handoff. */
export const NO_HANDOFF_REPLY = "Sorry, there's no one available to chat here. I can help with:";

const WANTS_HUMAN = [
  /\b(?:talk|speak|chat|connect|transfer|put)\b.*\b(?:human|person|people|agent|representative|rep|operator|someone|somebody|staff|support team|customer service)\b/,
  /\b(?:real|live|actual) (?:human|person|agent|people)\b/,
  /^(?:a )?(?:human|agent|operator|representative|person)(?: please)?$/,
  /\bhuman (?:please|agent|support)\b/,
];

/** Whether a visitor asks to talk to a person ("I want to talk to a human", "agent please", "real person"). */
export function asksForHuman(message: string): boolean {
  const text = message
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length === 0 || text.length > 200) return false;
  return WANTS_HUMAN.some((pattern) => pattern.test(text));
}

/** Who is answering a conversation: the bot, or a person (the bot stays silent). */
export type ConversationMode = 'bot' | 'human';

/** The event a handoff posts to the chatbot's webhook: opaque ids only, never what the visitor said. */
export type HandoffEvent = {
  type: 'handoff.requested';
  chatbotId: string;
  conversationId: string;
  at: string;
};
