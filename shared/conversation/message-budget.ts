import type { TranscriptHolder } from './transcript';

/** The window a conversation's message budget counts over. */
export const MESSAGE_WINDOW_MS = 60_000;

/**
 * How long a visitor must wait before another message fits the conversation's budget of `limit` a minute: 0 when
 * it fits now. Counts the visitor's lines in the transcript (messages, and the buttons and leads they sent) in the
 * last minute, plus `waiting` events not yet in it. The conversation keeps this budget itself, in its own state:
 * exact, durable and free of any database work. Pure.
 */
export function messageBudgetWait(state: TranscriptHolder, limit: number, nowMs: number, waiting = 0): number {
  if (!(limit >= 1)) return MESSAGE_WINDOW_MS;
  const since = nowMs - MESSAGE_WINDOW_MS;
  const recent: number[] = [];
  for (let i = state.transcript.length - 1; i >= 0; i -= 1) {
    const entry = state.transcript[i];
    if (!entry) continue;
    const at = Date.parse(entry.at);
    if (at <= since) break;
    if (entry.from === 'visitor') recent.push(at);
  }
  const count = recent.length + waiting;
  if (count < limit) return 0;
  // The message that must leave the window first: the (count − limit + 1)-th oldest of the recent ones.
  const leaving = recent.sort((a, b) => a - b)[count - limit];
  return leaving === undefined ? MESSAGE_WINDOW_MS : Math.max(1, leaving + MESSAGE_WINDOW_MS - nowMs);
}
