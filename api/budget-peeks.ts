import type { RateLimiter } from '../infrastructure/rate-limit';

/** How long a peek that found plenty of budget answers for its key without asking again. */
export const PLENTY_FRESH_MS = 1000;

/** A budget has plenty left when more than this share of its limit is unused… */
const RESERVE_SHARE = 1 / 4;
/** …and that share is at least this many calls; smaller budgets are peeked at every time. */
const MIN_RESERVE = 4;

const MAX_ENTRIES = 10_000;

/**
 * The API's peeks at API-call budgets before a visitor turn (`RateLimiter.retryAfterMs`), remembering what can be
 * known from memory so a busy conversation or chatbot does not cost a read per turn and per budget.
 *
 * A peek is advisory: it turns a spent budget into a 429 before a turn instead of an apology inside it, and the
 * worker's own `take` before each call is what keeps the budget. A budget found with plenty left — fewer than
 * `limit − reserve` calls in the window, learnt by peeking at that lower limit, which costs the same read — is
 * not peeked at again for `freshMs`: the reserve (a quarter of the limit, at least 4 calls) is what the key's
 * callers would have to spend within that second for a turn to be admitted and then apologise, where without
 * the memory it would have been refused. Budgets under 16 calls have no reserve and are peeked at every time. A
 * budget found spent is refused from memory until its earliest call leaves the window, which no other process
 * can change (as the limiter itself does).
 */
export function createBudgetPeeks(
  limiter: Pick<RateLimiter, 'retryAfterMs'>,
  options: { freshMs?: number; clock?: () => number } = {},
) {
  const freshMs = options.freshMs ?? PLENTY_FRESH_MS;
  const clock = options.clock ?? Date.now;
  /** Until when (ms) a key has plenty left, and until when it is spent, per key and limit. */
  const plentyUntil = new Map<string, number>();
  const spentUntil = new Map<string, number>();

  function remember(map: Map<string, number>, id: string, until: number): void {
    if (map.size >= MAX_ENTRIES && !map.has(id)) {
      const now = clock();
      for (const [key, at] of map) if (at <= now) map.delete(key);
      if (map.size >= MAX_ENTRIES) map.clear();
    }
    map.set(id, until);
  }

  return {
    /** How long until a call for the key could go under `limit` (0: now), as `RateLimiter.retryAfterMs`. */
    async retryAfterMs(key: string, limit: number): Promise<number> {
      const allowed = Math.floor(limit);
      const id = `${allowed}:${key}`;
      const now = clock();
      if ((plentyUntil.get(id) ?? 0) > now) return 0;
      const spent = spentUntil.get(id) ?? 0;
      if (spent > now) return spent - now;
      const reserve = Math.floor(allowed * RESERVE_SHARE);
      if (reserve >= MIN_RESERVE && (await limiter.retryAfterMs(key, allowed - reserve)) === 0) {
        remember(plentyUntil, id, now + freshMs);
        return 0;
      }
      const wait = await limiter.retryAfterMs(key, allowed);
      if (wait > 0) remember(spentUntil, id, now + wait);
      return wait;
    },
  };
}

/** The budget peeks of one API process. */
export type BudgetPeeks = ReturnType<typeof createBudgetPeeks>;
