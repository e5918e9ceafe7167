import { MongoServerError, type Db } from 'mongodb';
import { ensureTtlIndex } from './call-log';

export type RateLimiterOptions = {
  /** The sliding window (default one minute). */
  windowMs?: number;
  clock?: () => Date;
};

/** One admitted call: the chatbot's `seq`-th, numbered without gaps. */
type CallDoc = { _id: string; chatbotId: string; seq: number; at: Date };

/**
 * A per-chatbot limit on API calls in a sliding window, shared by every worker through MongoDB (collection
 * `rate_limit_calls`).
 *
 * Admitted calls are numbered 1, 2, 3… per chatbot, and taking number n is inserting the document with
 * `_id` `<chatbotId>:<n>`: the unique `_id` lets exactly one caller have each number, which is the only
 * guarantee this needs from the server (FerretDB 1.24 makes conditional updates and findOneAndUpdate
 * non-atomic between connections, so a counter or a compare-and-set would let two callers through).
 * Call n may go when call n − limit happened at or before the window's start, or does not exist: then fewer
 * than `limit` calls are in the window. A caller that loses a number to another reads again. Refused calls
 * store nothing, so they never use up the budget. Exact for concurrent workers that share a clock.
 */
export function createRateLimiter(db: Db, options: RateLimiterOptions = {}) {
  const windowMs = options.windowMs ?? 60_000;
  const clock = options.clock ?? (() => new Date());
  const keepSeconds = Math.max(120, Math.ceil((2 * windowMs) / 1000));
  const calls = db.collection<CallDoc>('rate_limit_calls');
  let lastPrune = Number.NEGATIVE_INFINITY;

  // Old calls only matter as the latest number: keeping two windows' worth is plenty. Done once a window
  // by each process, as well as by the TTL index where the server has them.
  async function pruneOld(now: number): Promise<void> {
    if (now - lastPrune < windowMs) return;
    lastPrune = now;
    await calls.deleteMany({ at: { $lt: new Date(now - keepSeconds * 1000) } });
  }

  return {
    /** Creates the indexes the limiter relies on (TTL on `at` where the server supports it); safe at every start. */
    async ensureIndexes(): Promise<void> {
      await ensureTtlIndex(calls, 'at', keepSeconds);
      await calls.createIndex({ chatbotId: 1, seq: -1 });
    },

    /** Takes one call slot for the chatbot if fewer than `limit` calls happened in the last window; true when allowed. */
    async tryAcquire(chatbotId: string, limit: number): Promise<boolean> {
      const allowed = Math.floor(limit);
      if (!(allowed >= 1)) return false;
      // Each lost race means another call was admitted, so a caller loses at most about `limit` times per window.
      for (let round = 0; round < allowed + 100; round++) {
        const now = clock();
        const recent = await calls
          .find({ chatbotId }, { projection: { seq: 1, at: 1 } })
          .sort({ seq: -1 })
          .limit(allowed)
          .toArray();
        const latest = recent[0]?.seq ?? 0;
        const bounding = recent.find((call) => call.seq === latest + 1 - allowed);
        if (bounding && bounding.at.getTime() > now.getTime() - windowMs) return false;
        const seq = latest + 1;
        try {
          await calls.insertOne({ _id: `${chatbotId}:${seq}`, chatbotId, seq, at: now });
        } catch (error) {
          if (error instanceof MongoServerError && error.code === 11000) continue;
          throw error;
        }
        await pruneOld(now.getTime());
        return true;
      }
      return false;
    },
  };
}

/** The per-chatbot call rate limiter. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;
