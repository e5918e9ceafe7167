import type { ActionDefinition } from '../actions/action';

/**
 * Intent routing: which action, if any, a visitor message asks for. Pure and deterministic, so it runs
 * as workflow code and replays exactly. This is word-overlap scoring against each action's examples,
 * description and name; good enough for small catalogues with distinct examples.
 */

export type RouteDecision = { kind: 'action'; action: string; score: number } | { kind: 'none' };

const STOPWORDS = new Set(
  (
    "a an and are as at be but by can could do does for from have how i i'd i'm in is it it's me my of on or " +
    'please so that the their them there this to up us want was we what when where which who why will with ' +
    'would you your yours hi hello hey thanks thank'
  ).split(' '),
);

/** Lower-cased content words of a text (stopwords and numbers dropped, a plural `s` folded). */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z']*/g) ?? [])
    .filter((word) => !STOPWORDS.has(word))
    .map((word) => (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word));
}

function overlap(messageWords: Set<string>, phrase: string): number {
  const words = new Set(contentWords(phrase));
  if (words.size === 0) return 0;
  let shared = 0;
  for (const word of words) if (messageWords.has(word)) shared += 1;
  // Share of the phrase's words the message contains, weighted by how many: a full match of several words
  // beats a full match of one.
  return (shared / words.size) * (1 - 0.5 ** shared);
}

/** Minimum score for a message to be routed to an action rather than answered with the fallback. */
export const ROUTE_THRESHOLD = 0.45;

/** Chooses the intent-triggered action whose examples best match the message, or none. */
export function routeMessage(message: string, actions: ActionDefinition[]): RouteDecision {
  const words = new Set(contentWords(message));
  if (words.size === 0) return { kind: 'none' };
  let best: { action: string; score: number } | null = null;
  for (const action of actions) {
    if (!action.triggers.some((trigger) => trigger.type === 'intent')) continue;
    const phrases = [...action.examples, action.name.replace(/_/g, ' ')];
    const exampleScore = Math.max(0, ...phrases.map((phrase) => overlap(words, phrase)));
    const score = Math.max(exampleScore, 0.8 * overlap(words, action.description));
    if (!best || score > best.score) best = { action: action.name, score };
  }
  return best && best.score >= ROUTE_THRESHOLD ? { kind: 'action', ...best } : { kind: 'none' };
}
