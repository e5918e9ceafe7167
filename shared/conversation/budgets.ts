import type { TranscriptHolder } from './transcript';

/**
 * The budgets a conversation keeps itself, in its own state — exact, durable and free of any database work: how
 * many messages its visitor may send and how many API calls its actions may make in a minute. Pure.
 */

/** The window both budgets count over. */
export const BUDGET_WINDOW_MS = 60_000;

/** The budgets the API names with each visitor event (its configuration). */
export type ConversationLimits = { messagesPerMinute: number; callsPerMinute?: number };

/**
 * How long until one more event fits `limit` a minute, given when the recent ones happened (ms) and `waiting`
 * ones that count as happening now: 0 when it fits now.
 */
export function windowWait(times: number[], limit: number, nowMs: number, waiting = 0): number {
  if (!(limit >= 1)) return BUDGET_WINDOW_MS;
  const recent = times.filter((at) => at > nowMs - BUDGET_WINDOW_MS).sort((a, b) => a - b);
  const count = recent.length + waiting;
  if (count < limit) return 0;
  // The event that must leave the window first: the (count − limit + 1)-th oldest of the recent ones.
  const leaving = recent[count - limit];
  return leaving === undefined ? BUDGET_WINDOW_MS : Math.max(1, leaving + BUDGET_WINDOW_MS - nowMs);
}

/** Only the times still inside the window: what a conversation carries of its calls. */
export function withinWindow(times: number[], nowMs: number): number[] {
  return times.filter((at) => at > nowMs - BUDGET_WINDOW_MS);
}

/**
 * How long a visitor must wait before another message fits the conversation's budget: counts the visitor's lines
 * in the transcript (messages, and the buttons and leads they sent) in the last minute, plus `waiting` events not
 * yet in it.
 */
export function messageBudgetWait(state: TranscriptHolder, limit: number, nowMs: number, waiting = 0): number {
  const said: number[] = [];
  for (let i = state.transcript.length - 1; i >= 0; i -= 1) {
    const entry = state.transcript[i];
    if (!entry) continue;
    const at = Date.parse(entry.at);
    if (at <= nowMs - BUDGET_WINDOW_MS) break;
    if (entry.from === 'visitor') said.push(at);
  }
  return windowWait(said, limit, nowMs, waiting);
}

/** The words a visitor over the message budget is told (by the conversation, or by the API for buttons and leads). */
export function messageBudgetSpent(limit: number): string {
  return `at most ${limit} messages a minute; please wait a moment`;
}

/**
 * Why a new message must wait — the budget it is over, in words, and for how long — or null when it fits: the
 * visitor's message budget (`waiting` events not yet in the transcript count as now), then the conversation's
 * call budget, since a turn whose actions could only be refused is better not started.
 */
export function budgetRefusal(
  state: TranscriptHolder & { callTimes?: number[] },
  limits: ConversationLimits,
  nowMs: number,
  waiting = 0,
): { message: string; retryAfterMs: number } | null {
  const messageWait = messageBudgetWait(state, limits.messagesPerMinute, nowMs, waiting);
  if (messageWait > 0) return { message: messageBudgetSpent(limits.messagesPerMinute), retryAfterMs: messageWait };
  const calls = limits.callsPerMinute;
  const callWait = calls === undefined ? 0 : windowWait(state.callTimes ?? [], calls, nowMs);
  if (callWait > 0) {
    const message = `this conversation has made its ${calls} API calls for this minute; please wait a moment`;
    return { message, retryAfterMs: callWait };
  }
  return null;
}
