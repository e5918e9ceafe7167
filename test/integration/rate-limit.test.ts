import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRateLimiter } from '../../infrastructure/rate-limit';

/** The per-chatbot call rate limit shared by all workers, on FerretDB. */
describe('the call rate limiter', () => {
  let mongo: MongoClient;
  let otherWorker: MongoClient;
  let db: Db;
  let now = Date.now();
  const clock = () => new Date(now);
  const tick = (ms: number) => (now += ms);

  async function acquire(limiter: ReturnType<typeof createRateLimiter>, chatbotId: string, limit: number, times = 1) {
    const results: boolean[] = [];
    for (let i = 0; i < times; i++) results.push(await limiter.tryAcquire(chatbotId, limit));
    return results;
  }

  beforeAll(async () => {
    mongo = await MongoClient.connect(inject('mongodbUri'));
    otherWorker = await MongoClient.connect(inject('mongodbUri'));
    db = mongo.db(`parley_ratelimit_${randomUUID().slice(0, 8)}`);
    await createRateLimiter(db, { clock }).ensureIndexes();
  });
  afterAll(async () => {
    await db.dropDatabase();
    await Promise.all([mongo.close(), otherWorker.close()]);
  });

  it('allows 10 calls within a minute and refuses the 11th', async () => {
    const limiter = createRateLimiter(db, { clock });
    const results: boolean[] = [];
    for (let i = 0; i < 11; i++) {
      results.push(await limiter.tryAcquire('busy-bot', 10));
      tick(5000);
    }
    expect(results).toEqual([...Array<boolean>(10).fill(true), false]);
  });

  it('limits each chatbot on its own', async () => {
    const limiter = createRateLimiter(db, { clock });
    expect(await acquire(limiter, 'bot-a', 3, 4)).toEqual([true, true, true, false]);
    expect(await acquire(limiter, 'bot-b', 3, 4)).toEqual([true, true, true, false]);
    expect(await acquire(limiter, 'bot-a', 3)).toEqual([false]);
  });

  it('allows calls again as the window slides past the earliest ones', async () => {
    const limiter = createRateLimiter(db, { clock });
    const start = now;
    expect(await acquire(limiter, 'sliding-bot', 2)).toEqual([true]);
    tick(1000);
    expect(await acquire(limiter, 'sliding-bot', 2, 2)).toEqual([true, false]);

    now = start + 59_999;
    expect(await acquire(limiter, 'sliding-bot', 2)).toEqual([false]);
    now = start + 60_000; // the first call leaves the window
    expect(await acquire(limiter, 'sliding-bot', 2, 2)).toEqual([true, false]);
    now = start + 61_000; // the second one too
    expect(await acquire(limiter, 'sliding-bot', 2, 2)).toEqual([true, false]);
    now = start + 10 * 60_000;
    expect(await acquire(limiter, 'sliding-bot', 2, 3)).toEqual([true, true, false]);
  });

  it('does not count refused calls against the budget', async () => {
    const limiter = createRateLimiter(db, { clock });
    const start = now;
    expect(await acquire(limiter, 'eager-bot', 3, 3)).toEqual([true, true, true]);
    now = start + 30_000;
    expect(await acquire(limiter, 'eager-bot', 3, 20)).toEqual(Array<boolean>(20).fill(false));
    now = start + 60_000;
    expect(await acquire(limiter, 'eager-bot', 3, 4)).toEqual([true, true, true, false]);
  });

  it('follows the limit it is given at each call', async () => {
    const limiter = createRateLimiter(db, { clock });
    expect(await acquire(limiter, 'tuned-bot', 5, 3)).toEqual([true, true, true]);
    expect(await acquire(limiter, 'tuned-bot', 2)).toEqual([false]);
    expect(await acquire(limiter, 'tuned-bot', 4, 2)).toEqual([true, false]);
    expect(await acquire(limiter, 'tuned-bot', 0)).toEqual([false]);
  });

  it('admits exactly 10 of 25 concurrent calls from two workers, every time', async () => {
    const workers = [createRateLimiter(db, { clock }), createRateLimiter(otherWorker.db(db.databaseName), { clock })];
    for (let round = 0; round < 5; round++) {
      const chatbotId = `crowded-bot-${round}`;
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => workers[i % 2]!.tryAcquire(chatbotId, 10)),
      );
      expect(results.filter(Boolean)).toHaveLength(10);
      expect(await db.collection('rate_limit_calls').countDocuments({ chatbotId })).toBe(10);
    }
  });

  it('admits exactly 10 of 25 concurrent calls on the real clock', async () => {
    const workers = [createRateLimiter(db), createRateLimiter(otherWorker.db(db.databaseName))];
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => workers[i % 2]!.tryAcquire(`real-clock-bot-${round}`, 10)),
      );
      expect(results.filter(Boolean)).toHaveLength(10);
    }
  });

  it('addresses single documents by _id on every call, however many calls the collection holds', async () => {
    const watched = await MongoClient.connect(inject('mongodbUri'), { monitorCommands: true });
    try {
      const commands: { name: string; filter: unknown }[] = [];
      watched.on('commandStarted', (event) => {
        const command = event.command as Record<string, unknown>;
        const filter =
          command['filter'] ??
          (command['updates'] as { q: unknown }[] | undefined)?.[0]?.q ??
          (command['deletes'] as { q: unknown }[] | undefined)?.[0]?.q ??
          (command['documents'] as { _id: unknown }[] | undefined)?.map((doc) => ({ _id: doc._id }))[0];
        commands.push({ name: event.commandName, filter });
      });
      const crowded = watched.db(db.databaseName);
      await crowded.collection('rate_limit_calls').insertMany(
        Array.from({ length: 3000 }, (_, i) => ({
          _id: `other-${i % 300}:${i}` as never,
          chatbotId: `other-${i % 300}`,
          seq: i,
          at: new Date(now),
        })),
      );
      const limiter = createRateLimiter(crowded, { clock });
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push((await limiter.take('point-bot', 3)).allowed);
      expect(decisions).toEqual([true, true, true, false]);
      expect(await limiter.retryAfterMs('point-bot', 3)).toBe(60_000);

      const hot = commands.filter((command) => ['find', 'insert', 'update'].includes(command.name));
      expect(hot.length).toBeGreaterThan(0);
      for (const command of hot) expect(command.filter).toEqual({ _id: expect.any(String) });
      // Per admitted call: the bounding call, the insert and the head; the refusal remembered needs nothing.
      expect(commands.filter((command) => command.name === 'find').length).toBeLessThanOrEqual(5);
    } finally {
      await watched.close();
    }
  });

  it('lets concurrent callers of one key in one process take numbers in turn, never racing each other', async () => {
    const watched = await MongoClient.connect(inject('mongodbUri'), { monitorCommands: true });
    try {
      let inserts = 0;
      watched.on('commandStarted', (event) => {
        if (event.commandName === 'insert' && event.command['insert'] === 'rate_limit_calls') inserts += 1;
      });
      const limiter = createRateLimiter(watched.db(db.databaseName), { clock });
      const decisions = await Promise.all(Array.from({ length: 30 }, () => limiter.tryAcquire('crowded-bot', 20)));
      expect(decisions.filter(Boolean)).toHaveLength(20);
      // One insert per admitted call: no caller lost a race to another caller of this process.
      expect(inserts).toBe(20);
    } finally {
      await watched.close();
    }
  });

  it('refuses a full key from memory until its earliest call leaves the window, then admits again', async () => {
    const limiter = createRateLimiter(db, { clock });
    const start = now;
    expect(await acquire(limiter, 'remembered-bot', 2, 3)).toEqual([true, true, false]);
    expect(await limiter.take('remembered-bot', 2)).toEqual({ allowed: false, retryAfterMs: 60_000 });
    now = start + 45_000;
    expect(await limiter.take('remembered-bot', 2)).toEqual({ allowed: false, retryAfterMs: 15_000 });
    expect(await limiter.retryAfterMs('remembered-bot', 2)).toBe(15_000);
    now = start + 60_000;
    expect(await limiter.retryAfterMs('remembered-bot', 2)).toBe(0);
    expect(await limiter.take('remembered-bot', 2)).toEqual({ allowed: true, retryAfterMs: 0 });
    // Another process that never took a slot reads where the key stands from its head document.
    const peeker = createRateLimiter(otherWorker.db(db.databaseName), { clock });
    expect(await peeker.retryAfterMs('remembered-bot', 2)).toBe(0);
    expect(await acquire(limiter, 'remembered-bot', 2)).toEqual([true]);
    // The head is raised in the background: once that write is answered, another process sees the key full.
    await limiter.settled();
    expect(await peeker.retryAfterMs('remembered-bot', 2)).toBe(60_000);
  });

  it('keeps calls two windows and at least two minutes: TTL index where the server has them, pruning everywhere', async () => {
    const pruneDb = mongo.db(`${db.databaseName}_prune`);
    try {
      const limiter = createRateLimiter(pruneDb, { clock, windowMs: 1000 });
      await limiter.ensureIndexes();
      await limiter.ensureIndexes();
      const indexes = await pruneDb.collection('rate_limit_calls').listIndexes().toArray();
      const atIndex = indexes.find((index) => JSON.stringify(index.key) === '{"at":1}');
      expect(atIndex).toBeDefined();
      const buildInfo = await pruneDb.admin().command({ buildInfo: 1 });
      expect(atIndex?.['expireAfterSeconds']).toBe(buildInfo['ferretdbVersion'] ? undefined : 120);

      expect(await acquire(limiter, 'quiet-bot', 1)).toEqual([true]);
      tick(119_000);
      expect(await acquire(limiter, 'quiet-bot', 1)).toEqual([true]);
      tick(2000);
      expect(await acquire(limiter, 'quiet-bot', 1)).toEqual([true]);
      // The first call is older than two minutes and gone; the numbering goes on from the latest.
      const left = await pruneDb
        .collection('rate_limit_calls')
        .find({ chatbotId: 'quiet-bot' })
        .sort({ seq: 1 })
        .toArray();
      expect(left.map((call) => call['seq'])).toEqual([2, 3]);
    } finally {
      await pruneDb.dropDatabase();
    }
  });
});
