import { MongoServerError, type Db } from 'mongodb';
import { ensureTtlIndex } from './call-log';

export type RateLimiterOptions = {
  /** The sliding window (default one minute). */
  windowMs?: number;
  clock?: () => Date;
};

/** One admitted call: the key's `seq`-th, numbered without gaps. (`chatbotId` holds the limiter key.) */
type CallDoc = { _id: string; chatbotId: string; seq: number; at: Date };

/** The highest number known taken for a key, and when: a hint that may lag behind, never run ahead. */
type HeadDoc = { _id: string; latest: number; at: Date };

/** Whether a call may go, and if not, how long until the earliest call in the window leaves it. */
export type RateDecision = { allowed: boolean; retryAfterMs: number };

const MAX_LOCAL_ENTRIES = 10_000;

/**
 * A limit on calls per key in a sliding window, shared by every worker and API process through MongoDB
 * (collections `rate_limit_calls` and `rate_limit_heads`). Keys are chatbots (their API-call budget), client
 * addresses and chatbots (conversation starts), and conversations (the buttons and leads their visitors send, and
 * the calls of conversations recorded before they kept their own budgets — see shared/conversation/budgets.ts).
 *
 * Admitted calls are numbered 1, 2, 3… per key, and taking number n is inserting the document with `_id`
 * `<key>:<n>`: the unique `_id` lets exactly one caller have each number, which is the only guarantee this
 * needs from the server (FerretDB 1.24 makes conditional updates and findOneAndUpdate non-atomic between
 * connections, so a counter or a compare-and-set would let two callers through). Call n may go when call
 * n − limit happened at or before the window's start, or does not exist: then fewer than `limit` calls are in
 * the window. Refused calls store nothing, so they never use up the budget. Exact for concurrent processes
 * that share a clock.
 *
 * Every database operation addresses one document by `_id` — never a sorted read — so a call costs the same
 * however many documents the collections hold: where the numbering stands comes from this process's last
 * call, else from the key's head document (raised with `$max` after each admitted call; a lost concurrent
 * update only makes it lag, and a caller that finds its number taken reads it again and moves past). A key
 * known to be full is refused from memory until its earliest call leaves the window, which no other process
 * can change, so a flood of refused calls costs no database work at all.
 *
 * An admitted call waits for one write, its number's insert: the head is only a hint, so its raise goes on in the
 * background and a failed or late raise is ignored. What that may cost is a lagging head — another process then
 * tries a taken number, is refused by the unique `_id`, and moves past — never a call too many: exactness rests on
 * the inserts alone. This process's own next call reads its memory, which is updated before the raise is sent.
 * Raises of one key coalesce: while one is in flight, later calls only move its target, and one more raise follows
 * to the highest. A peek (`retryAfterMs`) from another process reads the head, so while raises are under way it
 * may see fewer calls than were admitted (those admitted since the raise in flight was sent); `settled()` waits
 * for this process's raises to finish.
 */
export function createRateLimiter(db: Db, options: RateLimiterOptions = {}) {
  const windowMs = options.windowMs ?? 60_000;
  const clock = options.clock ?? (() => new Date());
  const keepSeconds = Math.max(120, Math.ceil((2 * windowMs) / 1000));
  const keepMs = keepSeconds * 1000;
  const calls = db.collection<CallDoc>('rate_limit_calls');
  const heads = db.collection<HeadDoc>('rate_limit_heads');
  /** This process's latest known number per key, with the time of that call. */
  const known = new Map<string, { latest: number; at: number }>();
  /** Keys known full for a limit until a time (ms). */
  const fullUntil = new Map<string, { limit: number; until: number }>();
  let lastPrune = Number.NEGATIVE_INFINITY;
  /** Head raises under way, by key: the number each will raise its head to (updated while one is in flight). */
  const raising = new Map<string, { target: number; at: Date; done: Promise<void> }>();

  // Old calls only matter as the latest number: keeping two windows' worth is plenty. Done once a window
  // by each process, as well as by the TTL index where the server has them. A head outlives every call of its
  // key, and this process trusts its own memory of a key only for half that time, so numbering never restarts
  // under a process that still counts on it.
  async function pruneOld(now: number): Promise<void> {
    if (now - lastPrune < windowMs) return;
    lastPrune = now;
    const before = new Date(now - keepMs);
    await calls.deleteMany({ at: { $lt: before } });
    await heads.deleteMany({ at: { $lt: before } });
    for (const [key, entry] of known) if (entry.at < now - keepMs / 2) known.delete(key);
    for (const [key, entry] of fullUntil) if (entry.until <= now) fullUntil.delete(key);
  }

  function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
    if (map.size >= MAX_LOCAL_ENTRIES && !map.has(key)) map.clear();
    map.set(key, value);
  }

  async function readHead(key: string): Promise<number> {
    const head = await heads.findOne({ _id: key });
    return head?.latest ?? 0;
  }

  /** The latest number taken for a key, as far as this process can tell without a sorted read. */
  async function latestOf(key: string, now: number): Promise<number> {
    const mine = known.get(key);
    if (mine && mine.at > now - keepMs / 2) return mine.latest;
    return readHead(key);
  }

  /** When call `seq` may go: 0 when call `seq − limit` is outside the window (or gone), else the wait in ms. */
  async function waitFor(key: string, seq: number, limit: number, now: number): Promise<number> {
    if (seq - limit < 1) return 0;
    const bounding = await calls.findOne({ _id: `${key}:${seq - limit}` }, { projection: { at: 1 } });
    if (!bounding) return 0;
    const frees = bounding.at.getTime() + windowMs;
    return frees > now ? frees - now : 0;
  }

  function knownFull(key: string, limit: number, now: number): number {
    const full = fullUntil.get(key);
    return full && full.limit === limit && full.until > now ? full.until - now : 0;
  }

  async function raiseHead(key: string, seq: number, at: Date): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await heads.updateOne({ _id: key }, { $max: { latest: seq, at } }, { upsert: true });
        return;
      } catch (error) {
        // Two first calls upserting at once: the loser's document now exists, so its update goes through.
        if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
      }
    }
  }

  /**
   * Raises a key's head to `seq`, coalescing: while a raise of the key is in flight, later calls only move its
   * target, and one more raise follows to the highest. A busy key costs one head write at a time, not one per call.
   */
  function raiseSoon(key: string, seq: number, at: Date): void {
    const running = raising.get(key);
    if (running) {
      if (seq > running.target) Object.assign(running, { target: seq, at });
      return;
    }
    const entry = { target: seq, at, done: Promise.resolve() };
    entry.done = (async () => {
      let raised = 0;
      while (raised < entry.target) {
        const { target, at: when } = entry;
        await raiseHead(key, target, when).catch(() => undefined);
        raised = target;
      }
      raising.delete(key);
    })();
    raising.set(key, entry);
  }

  /** Takes in flight per key in this process, chained so that they take their numbers one after another. */
  const queues = new Map<string, Promise<RateDecision>>();

  /**
   * Takes one call slot for the key if fewer than `limit` calls happened in the last window. A refusal says
   * how long until the earliest call in the window leaves it (what a `Retry-After` should say). This process's
   * takes of one key wait for each other: otherwise every concurrent caller would try the same next number and
   * all but one would lose the race, over and over (dozens of visitors of one chatbot calling at once); other
   * processes' races are still settled by the unique `_id`.
   */
  function take(key: string, limit: number): Promise<RateDecision> {
    const allowed = Math.floor(limit);
    const full = knownFull(key, allowed, clock().getTime());
    if (full > 0) return Promise.resolve({ allowed: false, retryAfterMs: full });
    const previous = queues.get(key);
    const run = () => takeNow(key, limit);
    // A failed take (the database unreachable) fails its own caller only; the next take tries anew.
    const next = previous ? previous.then(run, run) : run();
    queues.set(key, next);
    const forget = () => {
      if (queues.get(key) === next) queues.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  async function takeNow(key: string, limit: number): Promise<RateDecision> {
    const allowed = Math.floor(limit);
    if (!(allowed >= 1)) return { allowed: false, retryAfterMs: windowMs };
    const now = clock();
    const nowMs = now.getTime();
    const full = knownFull(key, allowed, nowMs);
    if (full > 0) return { allowed: false, retryAfterMs: full };
    let latest = await latestOf(key, nowMs);
    // Each lost race means another call was admitted, so a caller loses at most about `limit` times per window.
    for (let round = 0; round < allowed + 100; round++) {
      const seq = latest + 1;
      const wait = await waitFor(key, seq, allowed, nowMs);
      if (wait > 0) {
        remember(fullUntil, key, { limit: allowed, until: nowMs + wait });
        return { allowed: false, retryAfterMs: wait };
      }
      try {
        await calls.insertOne({ _id: `${key}:${seq}`, chatbotId: key, seq, at: now });
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
        latest = Math.max(seq, await readHead(key));
        continue;
      }
      remember(known, key, { latest: seq, at: nowMs });
      // A hint only (see above): the caller does not wait for it, and a failure just leaves the head lagging.
      raiseSoon(key, seq, now);
      await pruneOld(nowMs);
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: 1000 };
  }

  return {
    /** Creates the indexes the limiter relies on (TTL on `at` where the server supports it); safe at every start. */
    async ensureIndexes(): Promise<void> {
      await ensureTtlIndex(calls, 'at', keepSeconds);
      await ensureTtlIndex(heads, 'at', keepSeconds);
    },

    take,

    /** Resolves once the head raises this process has sent are answered (before a peek elsewhere must see them). */
    async settled(): Promise<void> {
      await Promise.all([...raising.values()].map((entry) => entry.done));
    },

    /** Takes one call slot for the key if fewer than `limit` calls happened in the last window; true when allowed. */
    async tryAcquire(key: string, limit: number): Promise<boolean> {
      return (await take(key, limit)).allowed;
    },

    /**
     * How long until a call for the key could go, without taking a slot: 0 when one could go now. What the API
     * checks before it starts a turn, so that a spent budget is a 429 and not an apology after a whole turn.
     */
    async retryAfterMs(key: string, limit: number): Promise<number> {
      const allowed = Math.floor(limit);
      if (!(allowed >= 1)) return windowMs;
      const nowMs = clock().getTime();
      const full = knownFull(key, allowed, nowMs);
      if (full > 0) return full;
      // A peek reads the head itself: this process may not be the one taking the key's slots.
      const wait = await waitFor(key, (await readHead(key)) + 1, allowed, nowMs);
      if (wait > 0) remember(fullUntil, key, { limit: allowed, until: nowMs + wait });
      return wait;
    },
  };
}

/** The shared sliding-window rate limiter. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;
