import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startParley, type Parley } from '../support/parley';

/** Who may do what through the API: publishable keys, conversation tokens, CORS, rate limits, bad input. */
describe('API access', () => {
  let parley: Parley;
  let shop: { id: string; key: string };
  let other: { id: string; key: string };

  beforeAll(async () => {
    parley = await startParley({ visitorMessagesPerMinute: 3 });
    const create = async (id: string, extra: Record<string, unknown> = {}) => {
      const response = await parley
        .admin('post', '/v1/chatbots')
        .send({ id, name: id, ...extra })
        .expect(201);
      return { id, key: response.body.publishableKey as string };
    };
    shop = await create('shop', { allowedOrigins: ['https://shop.example.com'] });
    other = await create('other');
  });
  afterAll(() => parley.close());

  const start = (botId: string, key?: string) => {
    const request = parley.api.post(`/v1/chatbots/${botId}/conversations`);
    return (key ? request.set('x-parley-key', key) : request).send({});
  };

  it("needs the chatbot's own publishable key to start a conversation", async () => {
    expect(shop.key).toMatch(/^pk_/);
    expect((await start(shop.id)).status).toBe(401);
    expect((await start(shop.id, other.key)).status).toBe(403);
    expect((await start('nope', other.key)).status).toBe(403);
    expect((await start(shop.id, shop.key)).status).toBe(201);
  });

  it("never lets one chatbot's conversation token reach another chatbot's conversation", async () => {
    const mine = (await start(shop.id, shop.key).expect(201)).body;
    const theirs = (await start(other.id, other.key).expect(201)).body;
    for (const [method, path] of [
      ['post', `/v1/conversations/${theirs.conversationId}/messages`],
      ['get', `/v1/conversations/${theirs.conversationId}/messages`],
      ['post', `/v1/conversations/${theirs.conversationId}/close`],
    ] as const) {
      const response = await parley.api[method](path).set('authorization', `Bearer ${mine.token}`).send({ text: 'hi' });
      expect(response.status).toBe(404);
    }
    // Nor do publishable keys or conversation tokens open the admin API.
    for (const credential of [shop.key, mine.token]) {
      expect(
        (await parley.api.get(`/v1/chatbots/${shop.id}/actions`).set('authorization', `Bearer ${credential}`)).status,
      ).toBe(403);
    }
  });

  it("answers CORS only for the chatbot's allowed origins", async () => {
    const allowed = await parley.api
      .options(`/v1/chatbots/${shop.id}/conversations`)
      .set('origin', 'https://shop.example.com')
      .set('access-control-request-method', 'POST');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(allowed.headers['access-control-allow-headers']).toContain('x-parley-key');

    const refused = await parley.api
      .options(`/v1/chatbots/${shop.id}/conversations`)
      .set('origin', 'https://evil.example.net')
      .set('access-control-request-method', 'POST');
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();

    const chat = (await start(shop.id, shop.key).set('origin', 'https://shop.example.com').expect(201)).body;
    const fromOther = await parley.api
      .get(`/v1/conversations/${chat.conversationId}/messages`)
      .set('origin', 'https://other.example.org')
      .set('authorization', `Bearer ${chat.token}`);
    expect(fromOther.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('limits how many messages a visitor may send per minute', async () => {
    const chat = await parley.startConversation(shop.id);
    for (let message = 1; message <= 3; message += 1) await chat.send(`hello ${message}`).expect(200);
    const limited = await chat.send('one more');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    // The conversation keeps this budget itself: its update validator refused the message, which left no history.
    expect(limited.body.error.message).toBe('at most 3 messages a minute; please wait a moment');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await parley.historyText(chat.workflowId)).not.toContain('one more');
  });

  it('refuses oversized bodies, unknown fields and over-long messages, changing nothing', async () => {
    const chat = await parley.startConversation(other.id);
    const huge = await parley.api
      .post(`/v1/conversations/${chat.conversationId}/messages`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ text: 'x'.repeat(300_000) });
    expect(huge.status).toBe(413);
    const long = await chat.send('y'.repeat(4001));
    expect(long.status).toBe(413);
    expect(long.body.error.message).toBe('text: must be at most 4000 characters');
    const extra = await parley.api
      .post(`/v1/conversations/${chat.conversationId}/messages`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ text: 'hi', admin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('unknown field admin');
    expect(await chat.transcript()).toEqual([]);
  });

  it('refuses action URL templates that would let values change the scheme, host or port, and .. segments', async () => {
    const action = (url: string, headers: Record<string, string> = {}) => ({
      description: 'Probe',
      steps: [{ id: 'call', request: { method: 'GET', url, headers } }],
      parameters: [{ name: 'host', type: 'text' }],
    });
    for (const [url, message] of [
      ['https://{{host}}/orders', "the URL's host and port must be fixed"],
      ['https://api.example.com:{{host}}/x', "the URL's host and port must be fixed"],
      ['{{host}}://api.example.com/x', 'must start with http:// or https://'],
      ['file:///etc/passwd', 'must start with http:// or https://'],
      ['https://api.example.com/a/../admin', 'the URL path must not contain . or .. segments'],
    ]) {
      const response = await parley.admin('put', `/v1/chatbots/${other.id}/actions/probe`).send(action(url as string));
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(`steps[0].request.url: ${message}`);
    }
    const injected = await parley
      .admin('put', `/v1/chatbots/${other.id}/actions/probe`)
      .send(action('https://api.example.com/x', { 'X-A': 'a\r\nX-Admin: 1' }));
    expect(injected.status).toBe(400);
    expect(injected.body.error.message).toContain('steps[0].request.headers.X-A');
    await parley.admin('get', `/v1/chatbots/${other.id}/actions/probe`).expect(404);
  });
});
