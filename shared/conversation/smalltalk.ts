import type { z } from 'zod';
import type { SmallTalkSchema } from '../chatbot';

/**
 * Small talk: greetings, thanks, goodbyes and requests for help, recognised in messages that say nothing else,
 * answered with sensible defaults a chatbot can override. Decided apart from routing: an action that routes
 * confidently wins. Pure.
 */

export type SmallTalkKind = 'greeting' | 'thanks' | 'goodbye' | 'help';

/** A chatbot's own small-talk replies (validated by `SmallTalkSchema` in chatbot.ts). */
export type SmallTalkSettings = z.infer<typeof SmallTalkSchema>;

/** What Parley answers when a chatbot says nothing of its own. */
export const SMALL_TALK_DEFAULTS: Record<SmallTalkKind, string> = {
  greeting: 'Hi! How can I help you today?',
  thanks: "You're welcome! Is there anything else I can help with?",
  goodbye: 'Goodbye! Come back any time.',
  help: 'I can help with:\n{{abilities}}',
};

const PHRASES: Record<SmallTalkKind, RegExp> = {
  greeting:
    /^(?:hi+|hello+|hey+|heya|hiya|howdy|yo|hallo|hola|greetings|good (?:morning|afternoon|evening|day)|hi there|hello there|hey there)(?: (?:there|all|everyone|bot|team|friend))?$/,
  thanks:
    /^(?:(?:ok(?:ay)?|great|perfect|awesome|cool|nice|brilliant|lovely) )?(?:thanks+|thank you|thank u|thx|ty|tysm|cheers|many thanks|much appreciated|thanks a lot|thanks so much|thank you so much|thank you very much|thanks a bunch|appreciate it)(?: (?:a lot|so much|very much|again|for (?:your|the) help|for helping))?$/,
  goodbye:
    /^(?:bye+|goodbye|good bye|bye bye|see you|see ya|see you later|later|cya|farewell|have a (?:nice|good|great) day|good night|that'?s all|that is all|nothing else|i'?m done|we'?re done|no thanks,? that'?s all)$/,
  help: /^(?:help|help me|menu|options|what can you do|what do you do|what can i ask|what can i ask you|how can you help(?: me)?|what are my options|what are you|who are you|what can you help (?:me )?with|can you help(?: me)?)$/,
};

/** A message lower-cased, without punctuation, emoji or repeated spaces. */
function normalize(message: string): string {
  return message
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The kinds of small talk a message is made of, in order ("hi, thanks!" → greeting, thanks); empty when the
 * message says anything else, so "hi, where is my order?" is not small talk.
 */
export function smallTalkKinds(message: string): SmallTalkKind[] {
  const parts = message
    .split(/[,.!?;:\n]+|\band\b/i)
    .map(normalize)
    .filter((part) => part.length > 0);
  if (parts.length === 0 || parts.length > 3 || message.length > 120) return [];
  const kinds: SmallTalkKind[] = [];
  for (const part of parts) {
    const kind = (Object.keys(PHRASES) as SmallTalkKind[]).find((candidate) => PHRASES[candidate].test(part));
    if (!kind) return [];
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

/**
 * The reply to small talk, or null when the chatbot turned every kind the message holds off. Of several kinds the
 * last one answers ("thanks, bye" says goodbye); `abilities` are the titles of what the bot can do.
 */
export function smallTalkReply(
  kinds: SmallTalkKind[],
  settings: SmallTalkSettings | undefined,
  abilities: string[],
): string | null {
  for (const kind of [...kinds].reverse()) {
    const own = settings?.[kind];
    if (own === null) continue;
    const template = own ?? SMALL_TALK_DEFAULTS[kind];
    const list = abilities.length
      ? abilities.map((ability) => `- ${ability}`).join('\n')
      : '- answering your questions';
    return template.replace(/\{\{\s*abilities\s*\}\}/g, list);
  }
  return null;
}
