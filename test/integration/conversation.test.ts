import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

/** The whole path: Express API → conversation workflow → HTTP activity → a real local API → reply. */
describe('a conversation through the API', () => {
  let parley: Parley;
  const apis: FakeApi[] = [];

  beforeAll(async () => {
    parley = await startParley();
  });
  afterAll(async () => {
    await parley.close();
    await Promise.all(apis.map((api) => api.close()));
  });

  async function fakeApi(respond: Parameters<typeof startFakeApi>[0]) {
    const api = await startFakeApi(respond);
    apis.push(api);
    return api;
  }

  const shipped = { status: 200, body: { data: { order: { status: 'shipped', eta: '2026-11-24' } } } };

  it('asks for the missing order number, picks it up from the next message and answers with the API status', async () => {
    const api = await fakeApi(() => shipped);
    const bot = await parley.createChatbot([orderStatusAction(api.url)], { greeting: 'Hi there!' });
    const chat = await parley.startConversation(bot);
    expect(chat.opening).toEqual([{ type: 'text', text: 'Hi there!' }]);

    expect(await chat.say('where is my order?')).toEqual(['What is your order number?']);
    expect(await chat.say('12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /orders/12345']);

    const transcript = await chat.transcript();
    expect(transcript.map((entry) => `${entry.from}: ${entry.message.text}`)).toEqual([
      'bot: Hi there!',
      'visitor: where is my order?',
      'bot: What is your order number?',
      'visitor: 12345',
      'bot: Your order is shipped (ETA 2026-11-24).',
    ]);
    expect((await chat.transcript(4)).map((entry) => entry.seq)).toEqual([5]);
  });

  it('takes the order number from the first message when the visitor already gave it', async () => {
    const api = await fakeApi(() => shipped);
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('track order #98765 please')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    expect(api.requests[0]?.path).toBe('/orders/98765');
  });

  it('retries 503, 503 and answers with the third response; the API saw exactly 3 calls', async () => {
    const api = await fakeApi((_req, index) => (index < 2 ? { status: 503, body: { error: 'busy' } } : shipped));
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order 12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    expect(api.requests).toHaveLength(3);
  });

  it('honours Retry-After on a 429 and then succeeds', async () => {
    const api = await fakeApi((_req, index) =>
      index === 0 ? { status: 429, body: {}, headers: { 'retry-after': '1' } } : shipped,
    );
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order 12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    expect(api.requests).toHaveLength(2);
  });

  it('does not retry a 404 and gives the visitor the action error reply', async () => {
    const api = await fakeApi(() => ({ status: 404, body: { error: 'no such order' } }));
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order 12345')).toEqual(["Sorry, I can't reach the order system right now."]);
    expect(api.requests).toHaveLength(1);
  });

  it('gives the error reply for a 200 whose body is not JSON, without retrying', async () => {
    const api = await fakeApi(() => ({ status: 200, raw: '<html>maintenance</html>' }));
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order 12345')).toEqual(["Sorry, I can't reach the order system right now."]);
    expect(api.requests).toHaveLength(1);
  });

  it('gives up after the retry policy is exhausted and never shows the upstream body', async () => {
    const api = await fakeApi(() => ({ status: 500, body: { stack: 'Error: secret internals at db.js:42' } }));
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    const replies = await chat.say('where is my order 12345');
    expect(replies).toEqual(["Sorry, I can't reach the order system right now."]);
    expect(JSON.stringify(await chat.transcript())).not.toContain('secret internals');
    expect(api.requests).toHaveLength(3);
  });

  it('answers a repeated message id with the same reply without processing it twice', async () => {
    const api = await fakeApi(() => shipped);
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    const first = await chat.say('where is my order 12345', 'msg-1');
    const again = await chat.say('where is my order 12345', 'msg-1');
    expect(again).toEqual(first);
    expect(api.requests).toHaveLength(1);
    expect((await chat.transcript()).filter((entry) => entry.from === 'visitor')).toHaveLength(1);
  });

  it('sends the bearer secret to the API without it appearing in the transcript or workflow history', async () => {
    const api = await fakeApi((req) =>
      req.headers.authorization === 'Bearer s3cr3t-token-value' ? shipped : { status: 401, body: {} },
    );
    const action = orderStatusAction(api.url);
    const [step] = action.steps;
    const bot = await parley.createChatbot([]);
    await parley
      .admin('put', `/v1/chatbots/${bot}/secrets/order_api`)
      .send({ value: 's3cr3t-token-value' })
      .expect(201);
    await parley
      .admin('put', `/v1/chatbots/${bot}/actions/${action.name}`)
      .send({
        ...action,
        steps: [{ ...step, request: { ...step?.request, auth: { type: 'bearer', secret: 'order_api' } } }],
      })
      .expect(201);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order 12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    const history = await parley.client.workflow.getHandle(chat.workflowId).fetchHistory();
    const serialized = JSON.stringify(history);
    expect(serialized).not.toContain('s3cr3t-token-value');
    expect(serialized).not.toContain(Buffer.from('s3cr3t-token-value').toString('base64'));
  });

  it('offers a fallback naming what the bot can do when nothing matches', async () => {
    const api = await fakeApi(() => shipped);
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    const [reply] = await chat.say('what is the meaning of life');
    expect(reply).toContain("Sorry, I didn't understand that.");
    expect(reply).toContain('- Check order status');
    expect(reply).not.toContain("Look up an order's status");
    expect(api.requests).toHaveLength(0);
  });

  it('closes on request: the transcript stays readable and new messages are refused with 409', async () => {
    const bot = await parley.createChatbot([]);
    const chat = await parley.startConversation(bot);
    await chat.close().expect(202);
    await parley.client.workflow.getHandle(chat.workflowId).result();
    const response = await chat.send('hello?');
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('conversation_closed');
    expect(await chat.transcript()).toEqual([]);
  });

  it('is filterable by chatbot in Temporal through the ParleyChatbotId search attribute', async () => {
    const bot = await parley.createChatbot([]);
    const chat = await parley.startConversation(bot);
    const description = await parley.client.workflow.getHandle(chat.workflowId).describe();
    expect(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value])).toContainEqual([
      'ParleyChatbotId',
      bot,
    ]);
  });

  it('finishes a turn on a new worker when the worker is stopped mid-call: nothing lost, no turn answered twice', async () => {
    const api = await fakeApi((_req, index) => (index === 0 ? { hang: true } : shipped));
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order?')).toEqual(['What is your order number?']);

    const pending = chat.send('12345').then((response) => response); // supertest sends on then()
    await api.received(1); // the first worker is now inside the HTTP call
    await parley.stopWorker();
    await parley.startWorker();

    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.body.messages).toEqual([{ type: 'text', text: 'Your order is shipped (ETA 2026-11-24).' }]);
    expect(api.requests).toHaveLength(2);
    const lines = (await chat.transcript()).map((entry) => `${entry.from}: ${entry.message.text}`);
    expect(lines).toEqual([
      'visitor: where is my order?',
      'bot: What is your order number?',
      'visitor: 12345',
      'bot: Your order is shipped (ETA 2026-11-24).',
    ]);
  });
});
