import type { z } from 'zod';
import type { HandoffSchema } from '../chatbot';

/**
 * Human handoff: recognising a visitor who asks for a person, and what a chatbot's handoff setting makes of it —
 * a reply, an action to fire (e.g. open a ticket), an event posted to a webhook — after which the conversation is
 * in `human` mode: the bot stops answering, agents post through the admin API, and an agent hands back. Pure.
 */

/** A chatbot's handoff setting (validated by `HandoffSchema` in chatbot.ts). */
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
