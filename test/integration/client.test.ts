import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createParleyClient, ParleyApiError, ParleyNetworkError, type RetryNotice } from '../../client';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { documentChecker } from '../support/openapi';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

/** Serves an Express app on a free loopback port, as the client meets it: over real HTTP. */
async function serve(app: Express) {
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The typed chat client (client/index.ts) against the real stack: Express API, Temporal, FerretDB, a real API. */
describe('the typed chat client', () => {
  let parley: Parley;
  let api: FakeApi;
  let baseUrl: string;
  const servers: Server[] = [];
  let checker: ReturnType<typeof documentChecker>;
  const log = { seen: [] as string[], problems: [] as string[] };

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(() => ({ status: 200, body: { data: { order: { status: 'shipped', eta: 'Monday' } } } }));
    const served = await serve(parley.app);
    servers.push(served.server);
    baseUrl = served.url;
    checker = documentChecker((await parley.api.get('/openapi.json').expect(200)).body as Record<string, unknown>);
  });
  afterEach(() => {
    // Every answer any client in a test got is as the OpenAPI document says.
    expect(log.problems).toEqual([]);
  });
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await parley.close();
    await api.close();
  });

  /** A bot with the order-status action, and its publishable key. */
  async function orderBot(extra: Record<string, unknown> = {}) {
    const bot = await parley.createChatbot([orderStatusAction(api.url)], extra);
    return { bot, key: (await parley.store.getChatbot(bot))?.publishableKey ?? '' };
  }

  /** The JSON bodies of the visitor messages a fetch sent. */
  function recording(inner: typeof fetch = fetch) {
    const sent: { messageId: string; text: string }[] = [];
    const recorded: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/messages') && init?.method === 'POST') sent.push(JSON.parse(String(init.body)));
      return inner(input, init);
    };
    return { sent, fetch: recorded };
  }

  it('starts a conversation, gets a text reply and an action reply, and reads the transcript', async () => {
    const { bot, key } = await orderBot({ greeting: 'Hello!' });
    const parleyClient = createParleyClient({ baseUrl, fetch: checker.checkingFetch(log) });
    const chat = await parleyClient.startConversation(bot, key, { visitor: { name: 'Ada' } });
    expect(chat.messages).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect((await parleyClient.sendMessage(chat, { text: 'where is my order?' })).messages).toEqual([
      { type: 'text', text: 'What is your order number?' },
    ]);
    const reply = await parleyClient.sendMessage(chat, { text: '12345', messageId: 'my-id-1' });
    expect(reply).toEqual({
      messageId: 'my-id-1',
      messages: [{ type: 'text', text: 'Your order is shipped (ETA Monday).' }],
    });
    const transcript = await parleyClient.transcript(chat);
    expect(
      transcript.map((entry) => `${entry.from}: ${entry.message.type === 'text' ? entry.message.text : ''}`),
    ).toEqual([
      'bot: Hello!',
      'visitor: where is my order?',
      'bot: What is your order number?',
      'visitor: 12345',
      'bot: Your order is shipped (ETA Monday).',
    ]);
    expect((await parleyClient.transcript(chat, 4)).map((entry) => entry.seq)).toEqual([5]);
    expect(await parleyClient.close(chat)).toEqual({ accepted: true });
    expect(log.seen.length).toBeGreaterThanOrEqual(6);
  });

  it('always sends a messageId: a new UUID for each message the caller gives none', async () => {
    const { bot, key } = await orderBot();
    const { sent, fetch: recorded } = recording(checker.checkingFetch(log));
    const parleyClient = createParleyClient({ baseUrl, fetch: recorded });
    const chat = await parleyClient.startConversation(bot, key);
    const first = await parleyClient.sendMessage(chat, { text: 'hello' });
    await parleyClient.sendMessage(chat, { text: 'hello again' });
    expect(sent.map((body) => body.messageId)).toEqual([first.messageId, expect.any(String)]);
    expect(first.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent[1]?.messageId).not.toBe(first.messageId);
  });

  it('presses buttons and submits leads with message ids; their replies join the transcript', async () => {
    const { bot, key } = await orderBot();
    const parleyClient = createParleyClient({ baseUrl, fetch: checker.checkingFetch(log) });
    const chat = await parleyClient.startConversation(bot, key);
    expect(await parleyClient.clickButton(chat, { payload: 'action:check_order_status' })).toEqual({ accepted: true });
    await expect
      .poll(async () => (await parleyClient.transcript(chat)).at(-1)?.message, { timeout: 10_000 })
      .toEqual({ type: 'text', text: 'What is your order number?' });
    expect(await parleyClient.submitLead(chat, { name: 'Ada', email: 'ada@example.com' })).toEqual({ accepted: true });
  });

  it('retries a message whose answer was lost with the same messageId, so the action runs once', async () => {
    const { bot, key } = await orderBot();
    let dropped = 0;
    // The API gets the message and answers, but the connection breaks before the answer arrives (as when an API
    // process dies mid-turn): the client sees a network error.
    const flaky: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/messages') && init?.method === 'POST' && dropped === 0) {
        dropped += 1;
        await response.arrayBuffer();
        throw new TypeError('fetch failed');
      }
      return response;
    };
    const { sent, fetch: recorded } = recording(flaky);
    const retries: RetryNotice[] = [];
    const parleyClient = createParleyClient({
      baseUrl,
      fetch: recorded,
      retryDelayMs: 50,
      onRetry: (n) => retries.push(n),
    });
    const chat = await parleyClient.startConversation(bot, key);
    const before = api.requests.length;

    const reply = await parleyClient.sendMessage(chat, { text: 'where is my order 23456' });
    expect(reply.messages).toEqual([{ type: 'text', text: 'Your order is shipped (ETA Monday).' }]);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
    expect(retries.map((notice) => [notice.attempt, notice.error.name, notice.delayMs])).toEqual([
      [1, 'ParleyNetworkError', 50],
    ]);
    expect(api.requests.length - before).toBe(1);
    const visitor = (await parleyClient.transcript(chat)).filter((entry) => entry.from === 'visitor');
    expect(visitor).toHaveLength(1);
  });

  it('retries after a 503 with the same messageId once Retry-After has passed, and the message is one turn', async () => {
    const { bot, key } = await orderBot({ turnDeadlineSeconds: 1 });
    const { sent, fetch: recorded } = recording(checker.checkingFetch(log));
    const retries: RetryNotice[] = [];
    let workerBack: Promise<void> = Promise.resolve();
    const parleyClient = createParleyClient({
      baseUrl,
      fetch: recorded,
      onRetry: (notice) => {
        retries.push(notice);
        // The worker comes back while the client waits out Retry-After.
        if (retries.length === 1) workerBack = parley.startWorker();
      },
    });
    const chat = await parleyClient.startConversation(bot, key);
    await parley.stopWorker();
    let waited = 0;
    try {
      const started = Date.now();
      const reply = await parleyClient.sendMessage(chat, { text: 'where is my order 34567' });
      waited = Date.now() - started;
      expect(reply.messages).toEqual([{ type: 'text', text: 'Your order is shipped (ETA Monday).' }]);
    } finally {
      await workerBack;
    }
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error).toBeInstanceOf(ParleyApiError);
    expect(retries[0]?.error).toMatchObject({ status: 503, code: 'unavailable', retryAfterSeconds: 5 });
    expect(retries[0]?.delayMs).toBe(5_000);
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.messageId).toBe(sent[0]?.messageId);
    expect(log.seen).toContain(`POST /v1/conversations/${chat.conversationId}/messages 503`);
    const said = (await parleyClient.transcript(chat)).map(
      (entry) => `${entry.from}: ${entry.message.type === 'text' ? entry.message.text : ''}`,
    );
    expect(said.filter((line) => line === 'visitor: where is my order 34567')).toHaveLength(1);
    expect(said.filter((line) => line === 'bot: Your order is shipped (ETA Monday).')).toHaveLength(1);
  });

  it("throws typed errors carrying the API's code, message and Retry-After", async () => {
    const { bot, key } = await orderBot();
    const parleyClient = createParleyClient({ baseUrl, fetch: checker.checkingFetch(log) });
    const refused = await parleyClient.startConversation(bot, 'pk_not_the_key_0123456789').catch((error) => error);
    expect(refused).toBeInstanceOf(ParleyApiError);
    expect(refused).toMatchObject({ status: 403, code: 'forbidden', retryAfterSeconds: null });
    expect(refused.message).toBe('this key does not belong to that chatbot');

    const chat = await parleyClient.startConversation(bot, key);
    const empty = await parleyClient.sendMessage(chat, { text: '   ' }).catch((error) => error);
    expect(empty).toMatchObject({ status: 400, code: 'invalid_request' });
    await parleyClient.close(chat);
    await expect
      .poll(async () => (await parleyClient.sendMessage(chat, { text: 'hello?' }).catch((error) => error)).code)
      .toBe('conversation_closed');

    const strict = await serve(parley.appWith({ traffic: { ...parley.traffic, startsPerAddressPerMinute: 1 } }));
    servers.push(strict.server);
    const limited = createParleyClient({ baseUrl: strict.url, fetch: checker.checkingFetch(log) });
    await limited.startConversation(bot, key).catch(() => undefined);
    const tooMany = await limited.startConversation(bot, key).catch((error) => error);
    expect(tooMany).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(tooMany.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('gives up with a network error after its retries when the API cannot be reached', async () => {
    const retries: RetryNotice[] = [];
    const parleyClient = createParleyClient({
      baseUrl: 'http://127.0.0.1:9', // the discard port: nothing answers there
      retries: 2,
      retryDelayMs: 10,
      onRetry: (notice) => retries.push(notice),
    });
    const error = await parleyClient
      .sendMessage({ conversationId: 'c', token: 't' }, { text: 'hello', messageId: 'm-1' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ParleyNetworkError);
    expect(retries.map((notice) => [notice.attempt, notice.messageId, notice.delayMs])).toEqual([
      [1, 'm-1', 10],
      [2, 'm-1', 20],
    ]);
  });

  it("opens the conversation's live event stream with a stream token", async () => {
    const { bot, key } = await orderBot();
    const parleyClient = createParleyClient({ baseUrl, fetch: checker.checkingFetch(log) });
    const chat = await parleyClient.startConversation(bot, key);
    const url = await parleyClient.eventStreamUrl(chat, 0);
    expect(url).toMatch(
      new RegExp(`^${baseUrl}/v1/conversations/${chat.conversationId}/events\\?token=[^&]+&after=0$`),
    );
    const stop = new AbortController();
    const stream = await fetch(url, { signal: stop.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    stop.abort();
  });

  it("runs the README's example as printed (against this stack's address), on the demo chatbot's id and key", async () => {
    const root = resolve(__dirname, '../..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### OpenAPI, docs and a typed client'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(example.split('\n').filter(Boolean)).toHaveLength(6);
    await parley
      .admin('post', '/v1/chatbots')
      .send({ id: 'acme', name: 'Acme', greeting: 'Hi!', publishableKey: 'pk_demo_acme_0123456789' })
      .expect(201);
    await parley
      .admin('put', '/v1/chatbots/acme/actions/check_order_status')
      .send(orderStatusAction(api.url))
      .expect(201);
    const script = join(tmpdir(), `parley-readme-client-${randomUUID()}.mts`);
    writeFileSync(
      script,
      example
        .replace("'./client/index.ts'", JSON.stringify(join(root, 'client/index.ts')))
        .replace("'http://localhost:3000'", JSON.stringify(baseUrl)),
    );
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(root, 'node_modules/tsx/dist/cli.mjs'), script],
        { timeout: 30_000 },
      );
      expect(stdout).toContain('Your order is shipped (ETA Monday).');
      expect(stdout).toMatch(/[0-9a-f-]{36}/);
      expect(stdout).toContain('3 lines in the transcript');
    } finally {
      rmSync(script, { force: true });
    }
  });
});
