import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** An action of one step (or two) that says what the API's `message` was; refused calls say "Too busy…". */
function pingAction(url: string, steps = 1): ActionDefinitionInput {
  return {
    name: 'ping',
    description: 'Ping the server',
    examples: ['ping the server'],
    steps: Array.from({ length: steps }, (_, index) => ({
      id: `ping${index}`,
      request: { method: 'GET' as const, url: `${url}/ping/${index}` },
      onError: { then: 'stop' as const, reply: 'Too busy, try later.' },
    })),
  };
}

const pong = () => ({ status: 200, body: { message: 'Pong.' } });

/** A flood on one chatbot and one visitor's appetite stay theirs: admission and budgets refuse up front. */
describe('isolation between chatbots and visitors', () => {
  let parley: Parley;
  let fast: FakeApi;

  beforeAll(async () => {
    parley = await startParley({ traffic: { chatbotConcurrentTurns: 2, conversationCallsPerMinute: 3 } });
    fast = await startFakeApi(pong);
  });
  afterAll(async () => {
    await Promise.allSettled([parley?.close(), fast?.close()]);
  });

  it("refuses a chatbot's turns over its share at once with 429 and Retry-After, without a workflow turn, while another chatbot answers", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = await startFakeApi(async () => {
      await gate;
      return pong();
    });
    try {
      const flooded = await parley.createChatbot([pingAction(slow.url)]);
      const other = await parley.createChatbot([pingAction(fast.url)]);
      const [first, second, third] = await Promise.all([1, 2, 3].map(() => parley.startConversation(flooded)));
      const held = [first!, second!].map((chat) => chat.send('ping the server').then((response) => response));
      await slow.received(2);

      const historyBefore = (await parley.client.workflow.getHandle(third!.workflowId).fetchHistory()).events?.length;
      const refused = await third!.send('ping the server');
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body.error.code).toBe('rate_limited');
      const historyAfter = (await parley.client.workflow.getHandle(third!.workflowId).fetchHistory()).events?.length;
      expect(historyAfter).toBe(historyBefore);

      const bystander = await parley.startConversation(other);
      expect(await bystander.say('ping the server')).toEqual(['Pong.']);

      release();
      for (const response of await Promise.all(held)) {
        expect(response.status).toBe(200);
        expect(response.body.messages).toEqual([{ type: 'text', text: 'Pong.' }]);
      }
      expect(await third!.say('ping the server')).toEqual(['Pong.']);
    } finally {
      release();
      await slow.close();
    }
  });

  it("answers 429 up front once a chatbot's call budget is spent, for every visitor, not a 'Sorry' after a whole turn", async () => {
    const api = await startFakeApi(pong);
    try {
      const bot = await parley.createChatbot([pingAction(api.url)], { rateLimitPerMinute: 2 });
      const first = await parley.startConversation(bot);
      const second = await parley.startConversation(bot);
      expect(await first.say('ping the server')).toEqual(['Pong.']);
      expect(await second.say('ping the server')).toEqual(['Pong.']);
      const seen = (await first.transcript()).length;

      for (const chat of [first, second]) {
        const refused = await chat.send('ping the server');
        expect(refused.status).toBe(429);
        expect(refused.body.error.message).toMatch(/this chatbot has made its 2 API calls for this minute/);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      expect(await first.transcript()).toHaveLength(seen);
      expect(api.requests).toHaveLength(2);
    } finally {
      await api.close();
    }
  });

  it("keeps a visitor within the conversation's own call budget, leaving the chatbot's to everyone else", async () => {
    const api = await startFakeApi(pong);
    try {
      const bot = await parley.createChatbot([pingAction(api.url)]);
      const greedy = await parley.startConversation(bot);
      for (let turn = 1; turn <= 3; turn += 1) expect(await greedy.say('ping the server')).toEqual(['Pong.']);
      const refused = await greedy.send('ping the server');
      expect(refused.status).toBe(429);
      expect(refused.body.error.message).toMatch(/this conversation has made its 3 API calls for this minute/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(api.requests).toHaveLength(3);

      const neighbour = await parley.startConversation(bot);
      expect(await neighbour.say('ping the server')).toEqual(['Pong.']);
      expect(api.requests).toHaveLength(4);
    } finally {
      await api.close();
    }
  });

  it('stops a chain at the call over the conversation budget and takes its error path with reason rate_limited', async () => {
    const api = await startFakeApi(pong);
    try {
      const bot = await parley.createChatbot([pingAction(api.url, 2)]);
      const chat = await parley.startConversation(bot);
      expect(await chat.say('ping the server')).toEqual(['Pong.']);
      // One call of three is left: the turn starts, its first step runs and the second is refused in the worker.
      expect(await chat.say('ping the server')).toEqual(['Too busy, try later.']);
      expect(api.requests).toHaveLength(3);
      const logs = (await parley.admin('get', `/v1/chatbots/${bot}/actions/ping/logs?limit=1`).expect(200)).body.logs;
      expect(logs[0].error).toMatchObject({ type: 'RateLimited', message: expect.stringMatching(/this conversation/) });
    } finally {
      await api.close();
    }
  });
});

/** Conversation starts are limited per client address (behind a trusted proxy, its X-Forwarded-For) and per chatbot. */
describe('conversation start limits', () => {
  let parley: Parley;

  beforeAll(async () => {
    parley = await startParley({
      traffic: { startsPerAddressPerMinute: 3, startsPerChatbotPerMinute: 5 },
      trustProxy: ['loopback'],
    });
  });
  afterAll(async () => {
    await parley?.close();
  });

  async function keyOf(chatbotId: string): Promise<string> {
    return (await parley.store.getChatbot(chatbotId))?.publishableKey ?? '';
  }
  const conversationsOf = (chatbotId: string) => parley.db.collection('conversations').countDocuments({ chatbotId });

  async function startFrom(api: request.Agent | ReturnType<typeof request>, chatbotId: string, address: string) {
    return api
      .post(`/v1/chatbots/${chatbotId}/conversations`)
      .set('x-parley-key', await keyOf(chatbotId))
      .set('x-forwarded-for', address)
      .send({});
  }

  it('answers 429 with Retry-After to a fourth start from one address within a minute, starting nothing', async () => {
    const bot = await parley.createChatbot([]);
    for (let start = 1; start <= 3; start += 1)
      expect((await startFrom(parley.api, bot, '203.0.113.7')).status).toBe(201);
    const refused = await startFrom(parley.api, bot, '203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toEqual({
      code: 'rate_limited',
      message: 'at most 3 conversation starts a minute from one address; please wait a moment',
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await conversationsOf(bot)).toBe(3);

    expect((await startFrom(parley.api, bot, '203.0.113.8')).status).toBe(201);
  });

  it('counts an IPv6 client by its /64', async () => {
    const bot = await parley.createChatbot([]);
    for (const host of ['1', '2', '3'])
      expect((await startFrom(parley.api, bot, `2001:db8:1:2::${host}`)).status).toBe(201);
    expect((await startFrom(parley.api, bot, '2001:db8:1:2::4')).status).toBe(429);
    expect((await startFrom(parley.api, bot, '2001:db8:1:3::1')).status).toBe(201);
  });

  it('limits the starts of one chatbot from all addresses together, leaving other chatbots alone', async () => {
    const bot = await parley.createChatbot([]);
    const other = await parley.createChatbot([]);
    for (let start = 1; start <= 5; start += 1) {
      expect((await startFrom(parley.api, bot, `198.51.100.${start}`)).status).toBe(201);
    }
    const refused = await startFrom(parley.api, bot, '198.51.100.6');
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toBe(
      'at most 5 conversation starts a minute for this chatbot; please wait a moment',
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await conversationsOf(bot)).toBe(5);
    expect((await startFrom(parley.api, other, '198.51.100.6')).status).toBe(201);
  });

  it('ignores X-Forwarded-For unless the proxy is trusted: every start counts under the socket address', async () => {
    const untrusted = parley.appWith({ trustProxy: false });
    const bot = await parley.createChatbot([]);
    const api = request(untrusted);
    for (let start = 1; start <= 3; start += 1) {
      expect((await startFrom(api, bot, `192.0.2.${start}`)).status).toBe(201);
    }
    expect((await startFrom(api, bot, '192.0.2.4')).status).toBe(429);
  });
});
