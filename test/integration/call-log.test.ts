import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCallLog, type CallLogEntry } from '../../infrastructure/call-log';
import { redactSecrets } from '../../shared/actions/redact';

const SECRET = 'sk_live_9f8e7d6c5b4a3210';
const redact = (text: string) => redactSecrets(text, { acme_token: SECRET });
const keep = (text: string) => text;

function entry(overrides: Partial<CallLogEntry> = {}): CallLogEntry {
  return {
    chatbotId: 'bot1',
    action: 'check_order_status',
    step: 'lookup',
    conversationId: 'conv1',
    attempt: 1,
    method: 'GET',
    url: 'https://api.acme.test/orders/12345',
    requestHeaders: { accept: 'application/json' },
    requestBody: null,
    status: 200,
    responseBody: '{"data":{"order":{"status":"shipped"}}}',
    durationMs: 42,
    fields: { status: 'shipped' },
    error: null,
    structureChanged: false,
    test: false,
    ...overrides,
  };
}

/** The per-attempt HTTP call log and the memory of response structures, on FerretDB. */
describe('the call log', () => {
  let mongo: MongoClient;
  let db: Db;
  let now = Date.now();
  const clock = () => new Date(now);
  const tick = (ms = 1000) => (now += ms);
  const shapes = () => db.collection<{ _id: string; shape: string }>('response_shapes');

  beforeAll(async () => {
    mongo = await MongoClient.connect(inject('mongodbUri'));
    db = mongo.db(`parley_calllog_${randomUUID().slice(0, 8)}`);
    await createCallLog(db, { clock }).ensureIndexes();
  });
  afterAll(async () => {
    await db.dropDatabase();
    await mongo.close();
  });

  it('lists the latest attempts of an action newest first, 20 unless asked for 1 to 200', async () => {
    const log = createCallLog(db, { clock });
    const recordedAt: string[] = [];
    for (let attempt = 1; attempt <= 25; attempt++) {
      tick();
      recordedAt.push(clock().toISOString());
      await log.record(entry({ chatbotId: 'order-bot', attempt }), keep);
    }

    const latest = await log.latest('order-bot', 'check_order_status');
    expect(latest.map((e) => e.attempt)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(latest[0]).toEqual({
      ...entry({ chatbotId: 'order-bot', attempt: 25 }),
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      at: recordedAt[24],
      outcome: 'ok',
    });
    expect((await log.latest('order-bot', 'check_order_status', 3)).map((e) => e.attempt)).toEqual([25, 24, 23]);
    expect(await log.latest('order-bot', 'check_order_status', 0)).toHaveLength(1);
    expect(await log.latest('order-bot', 'check_order_status', 1000)).toHaveLength(25);
    expect(new Set((await log.latest('order-bot', 'check_order_status', 200)).map((e) => e.id)).size).toBe(25);
  });

  it('shows an attempt as sending while its request is out, then as it ended, in one entry', async () => {
    const log = createCallLog(db, { clock });
    tick();
    const call = { idempotencyKey: 'conv1-1-lookup', timeoutMs: 10_000 };
    const sending = log.sending(entry({ chatbotId: 'live-bot', status: null, responseBody: null }), keep, call);
    const waitFor = async (outcome: string) => {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const found = await log.latest('live-bot', 'check_order_status');
        if (found[0]?.outcome === outcome) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no entry became ${outcome}`);
    };
    const [out] = await waitFor('sending');
    expect(out).toMatchObject({ status: null, at: sending.at.toISOString() });

    tick(300);
    expect(await log.record(entry({ chatbotId: 'live-bot', durationMs: 300 }), keep, sending)).toBe('written');
    const done = await log.latest('live-bot', 'check_order_status');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ outcome: 'ok', status: 200, durationMs: 300, at: sending.at.toISOString() });
  });

  it('shows an attempt whose worker died mid-call as interrupted: once another attempt of the call follows, or its time is up', async () => {
    const log = createCallLog(db, { clock });
    const call = { idempotencyKey: 'conv2-1-charge', timeoutMs: 5_000 };
    const unanswered = { chatbotId: 'crash-bot', method: 'POST', status: null, responseBody: null, fields: null };
    tick();
    log.sending(entry({ ...unanswered, attempt: 1 }), keep, call);
    tick();
    const retry = log.sending(entry({ ...unanswered, attempt: 2 }), keep, call);
    tick();
    log.sending(entry({ ...unanswered, attempt: 1 }), keep, { ...call, idempotencyKey: 'conv2-2-charge' });
    await log.record(entry({ chatbotId: 'crash-bot', method: 'POST', attempt: 2 }), keep, retry);

    const outcomes = async () =>
      (await log.latest('crash-bot', 'check_order_status')).map((e) => [e.attempt, e.outcome]).reverse();
    // The `sending` writes are not awaited: the last one lands in its own time.
    for (const deadline = Date.now() + 10_000; (await outcomes()).length < 3 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await outcomes()).toEqual([
      [1, 'interrupted'],
      [2, 'ok'],
      [1, 'sending'],
    ]);
    tick(5_000 + 5_000 + 1);
    expect((await outcomes())[2]).toEqual([1, 'interrupted']);
  });

  it('keeps entries the database would not take and writes them, in order, once it is back', async () => {
    // The database goes away for real: its client talks to it through a TCP relay that is closed, then reopened.
    const relay = await tcpRelay(new URL(inject('mongodbUri')).port);
    const outageClient = new MongoClient(`mongodb://127.0.0.1:${relay.port}/`, {
      serverSelectionTimeoutMS: 300,
      retryWrites: false,
    });
    try {
      const log = createCallLog(outageClient.db(db.databaseName), { clock });
      tick();
      expect(await log.record(entry({ chatbotId: 'outage-bot', attempt: 1 }), keep)).toBe('written');
      await relay.close();
      tick();
      expect(await log.record(entry({ chatbotId: 'outage-bot', attempt: 2 }), keep)).toBe('pending');
      tick();
      expect(await log.record(entry({ chatbotId: 'outage-bot', attempt: 3 }), keep)).toBe('pending');
      expect(log.outbox()).toEqual({ unwritten: 2, dropped: 0 });

      await relay.open();
      const direct = createCallLog(db, { clock });
      for (const deadline = Date.now() + 15_000; log.outbox().unwritten > 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(log.outbox().unwritten).toBe(0);
      const stored = await direct.latest('outage-bot', 'check_order_status');
      expect(stored.map((e) => [e.attempt, e.outcome])).toEqual([
        [3, 'ok'],
        [2, 'ok'],
        [1, 'ok'],
      ]);
    } finally {
      await outageClient.close(true);
      await relay.close();
    }
  });

  it('does not list attempts of other actions or other chatbots', async () => {
    const log = createCallLog(db, { clock });
    tick();
    await log.record(entry({ chatbotId: 'shop-bot', action: 'create_ticket' }), keep);
    await log.record(entry({ chatbotId: 'shop-bot', action: 'track_parcel', attempt: 2 }), keep);
    await log.record(entry({ chatbotId: 'other-bot', action: 'track_parcel', attempt: 3 }), keep);

    const entries = await log.latest('shop-bot', 'track_parcel');
    expect(entries.map((e) => [e.chatbotId, e.action, e.attempt])).toEqual([['shop-bot', 'track_parcel', 2]]);
    expect(await log.latest('shop-bot', 'unknown_action')).toEqual([]);
  });

  it('cuts request and response bodies longer than maxBodyChars and says how much was cut', async () => {
    const log = createCallLog(db, { clock, maxBodyChars: 100 });
    tick();
    const long = 'a'.repeat(60) + 'b'.repeat(1274);
    await log.record(
      entry({ chatbotId: 'cut-bot', method: 'POST', requestBody: long, responseBody: 'short and sweet' }),
      keep,
    );

    const [stored] = await log.latest('cut-bot', 'check_order_status');
    expect(stored?.requestBody).toBe(`${'a'.repeat(60)}${'b'.repeat(40)}…[truncated 1234 chars]`);
    expect(stored?.responseBody).toBe('short and sweet');

    tick();
    await log.record(entry({ chatbotId: 'cut-bot', requestBody: null, responseBody: null, status: null }), keep);
    const [empty] = await log.latest('cut-bot', 'check_order_status', 1);
    expect([empty?.requestBody, empty?.responseBody, empty?.status]).toEqual([null, null, null]);
  });

  it('masks a secret value wherever it appears: URL, header values, bodies, fields and the error message', async () => {
    const log = createCallLog(db, { clock, maxBodyChars: 100 });
    tick();
    await log.record(
      entry({
        chatbotId: 'secret-bot',
        method: 'POST',
        url: `https://api.acme.test/orders?api_token=${SECRET}`,
        requestHeaders: { accept: 'application/json', 'x-signature': `sig ${SECRET}` },
        requestBody: JSON.stringify({ token: SECRET, note: 'hello' }),
        // The secret straddles the cut: it is masked before the body is cut, so no part of it is kept.
        responseBody: `${'x'.repeat(90)}${SECRET}${'y'.repeat(50)}`,
        fields: { echoed: SECRET, nested: [{ value: `Bearer ${Buffer.from(SECRET).toString('base64')}` }] },
        error: {
          type: 'HttpClientError',
          message: `POST https://api.acme.test/orders?api_token=${SECRET} answered 401`,
        },
      }),
      redact,
    );

    const [stored] = await log.latest('secret-bot', 'check_order_status');
    const text = JSON.stringify(stored);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.slice(0, 8));
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(stored?.url).toBe('https://api.acme.test/orders?api_token=***');
    expect(stored?.requestHeaders).toEqual({ accept: 'application/json', 'x-signature': 'sig ***' });
    expect(stored?.requestBody).toBe('{"token":"***","note":"hello"}');
    expect(stored?.responseBody).toBe(`${'x'.repeat(90)}***${'y'.repeat(7)}…[truncated 43 chars]`);
    expect(stored?.fields).toEqual({ echoed: '***', nested: [{ value: 'Bearer ***' }] });
    expect(stored?.error).toEqual({
      type: 'HttpClientError',
      message: 'POST https://api.acme.test/orders?api_token=*** answered 401',
    });
  });

  it('masks credential headers by their name whatever their value, and keeps the others', async () => {
    const log = createCallLog(db, { clock });
    tick();
    await log.record(
      entry({
        chatbotId: 'header-bot',
        requestHeaders: {
          Authorization: 'Basic dXNlcjpwYXNz',
          'proxy-authorization': 'Basic cHJveHk6cGFzcw==',
          cookie: 'session=abc123',
          'Set-Cookie': 'session=abc123; HttpOnly',
          'X-Api-Key': 'plain-value',
          'api-key': 'plain-value',
          'x-auth-token': 'plain-value',
          'X-Client-Secret': 'plain-value',
          'x-partner-key-id': 'plain-value',
          accept: 'application/json',
          'x-request-id': 'req-42',
        },
      }),
      keep,
    );

    const [stored] = await log.latest('header-bot', 'check_order_status');
    expect(stored?.requestHeaders).toEqual({
      Authorization: '***',
      'proxy-authorization': '***',
      cookie: '***',
      'Set-Cookie': '***',
      'X-Api-Key': '***',
      'api-key': '***',
      'x-auth-token': '***',
      'X-Client-Secret': '***',
      'x-partner-key-id': '***',
      accept: 'application/json',
      'x-request-id': 'req-42',
    });
  });

  it('keeps header names and extracted field keys that MongoDB could not store as document keys', async () => {
    const log = createCallLog(db, { clock });
    tick();
    await log.record(
      entry({ chatbotId: 'odd-bot', requestHeaders: { 'x.trace': '1', $weird: '2' }, fields: { 'a.b': { $c: 1 } } }),
      keep,
    );
    const [stored] = await log.latest('odd-bot', 'check_order_status');
    expect(stored?.requestHeaders).toEqual({ 'x.trace': '1', $weird: '2' });
    expect(stored?.fields).toEqual({ 'a.b': { $c: 1 } });
  });

  it('says a response structure changed only when a key or a type changes, not the values', async () => {
    const log = createCallLog(db, { clock });
    const changed = (body: Parameters<typeof log.structureChanged>[3], step = 'lookup') =>
      log.structureChanged('shape-bot', 'check_order_status', step, body);

    expect(await changed({ data: { order: { status: 'shipped', eta: 'Monday' } } })).toBe(false);
    expect(await changed({ data: { order: { eta: 'Friday', status: 'delayed' } } })).toBe(false);
    expect(await changed({ data: { order: { status: 'shipped', eta: 'Monday', total: 12.5 } } })).toBe(true);
    expect(await changed({ data: { order: { status: 'pending', eta: 'Tuesday', total: 99 } } })).toBe(false);
    expect(await changed({ data: { order: { status: 'pending', eta: null, total: 99 } } })).toBe(true);
    expect(await changed({ data: { order: { status: 'pending', eta: null, total: 99 } } }, 'other_step')).toBe(false);
    expect(await log.structureChanged('other-bot', 'check_order_status', 'lookup', 'plain text')).toBe(false);

    const remembered = await shapes().findOne({ _id: 'shape-bot:check_order_status:lookup' });
    expect(remembered?.shape).toBe('{data:{order:{eta:null,status:string,total:number}}}');
  });

  it("writes a step's shape once per action version while answers keep it, and compares again for a new version", async () => {
    const log = createCallLog(db, { clock });
    const body = { data: { order: { status: 'shipped' } } };
    expect(await log.structureChanged('memo-bot', 'check', 'lookup', body, 1)).toBe(false);
    await shapes().deleteOne({ _id: 'memo-bot:check:lookup' });
    // Same version, same shape: nothing written (the deleted document stays deleted).
    expect(await log.structureChanged('memo-bot', 'check', 'lookup', { data: { order: { status: 'late' } } }, 1)).toBe(
      false,
    );
    expect(await shapes().findOne({ _id: 'memo-bot:check:lookup' })).toBeNull();
    // A new version compares with the stored shape again; a new shape is noticed under the same version.
    expect(await log.structureChanged('memo-bot', 'check', 'lookup', body, 2)).toBe(false);
    expect(await shapes().findOne({ _id: 'memo-bot:check:lookup' })).not.toBeNull();
    expect(await log.structureChanged('memo-bot', 'check', 'lookup', { data: { order: { eta: 1 } } }, 2)).toBe(true);
  });

  it('remembers a long structure by its SHA-256 and still notices when it changes', async () => {
    const log = createCallLog(db, { clock });
    const wide = (extra: Record<string, number>) => ({
      ...Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`field_number_${i}`, `value ${i}`])),
      ...extra,
    });
    expect(await log.structureChanged('wide-bot', 'sync', 'push', wide({}))).toBe(false);
    expect(await log.structureChanged('wide-bot', 'sync', 'push', wide({}))).toBe(false);
    const remembered = await shapes().findOne({ _id: 'wide-bot:sync:push' });
    expect(remembered?.shape).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await log.structureChanged('wide-bot', 'sync', 'push', wide({ added: 1 }))).toBe(true);
  });

  it('keeps entries retentionDays: TTL index on `at` where the server has TTL indexes, hourly pruning everywhere', async () => {
    const retentionDb = mongo.db(`${db.databaseName}_retention`);
    let at = Date.now();
    try {
      const log = createCallLog(retentionDb, { clock: () => new Date(at), retentionDays: 3 });
      await log.ensureIndexes();
      await log.ensureIndexes();

      const indexes = await retentionDb.collection('call_log').listIndexes().toArray();
      expect(indexes.map((index) => index.key)).toEqual(
        expect.arrayContaining([{ at: 1 }, { chatbotId: 1, action: 1, at: -1 }]),
      );
      const atIndex = indexes.find((index) => JSON.stringify(index.key) === '{"at":1}');
      // FerretDB 1.24 answers NotImplemented to expireAfterSeconds: there the index is plain and record() prunes.
      const buildInfo = await retentionDb.admin().command({ buildInfo: 1 });
      expect(atIndex?.['expireAfterSeconds']).toBe(buildInfo['ferretdbVersion'] ? undefined : 3 * 86_400);

      await log.record(entry({ chatbotId: 'old-bot', attempt: 1 }), keep);
      at += 3 * 86_400_000 - 1000;
      await log.record(entry({ chatbotId: 'old-bot', attempt: 2 }), keep);
      at += 2000;
      // The first entry is now older than 3 days: never listed, even before it is deleted.
      expect((await log.latest('old-bot', 'check_order_status')).map((e) => e.attempt)).toEqual([2]);
      at += 60 * 60 * 1000;
      await log.record(entry({ chatbotId: 'old-bot', attempt: 3 }), keep);
      const kept = await retentionDb.collection('call_log').find({ chatbotId: 'old-bot' }).sort({ at: 1 }).toArray();
      expect(kept.map((doc) => doc['attempt'])).toEqual([2, 3]);
    } finally {
      await retentionDb.dropDatabase();
    }
  });
});

/** A TCP relay to a local port that can be closed (every connection cut, nothing accepted) and opened again. */
async function tcpRelay(targetPort: string) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(targetPort), '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server?.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
