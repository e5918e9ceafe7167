import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi, type FakeResponse, type ReceivedRequest } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** The action engine through the API: chains, failure paths, idempotency, limits, formats, logs and tests. */
describe('the action engine', () => {
  let parley: Parley;
  const apis: FakeApi[] = [];

  beforeAll(async () => {
    parley = await startParley();
  });
  afterAll(async () => {
    await parley.close();
    await Promise.all(apis.map((api) => api.close()));
  });

  async function fakeApi(respond: (request: ReceivedRequest, index: number) => FakeResponse) {
    const api = await startFakeApi(respond);
    apis.push(api);
    return api;
  }

  const fast = { maxAttempts: 1, initialIntervalMs: 50, backoffCoefficient: 1 };
  const calls = (api: FakeApi) => api.requests.map((request) => `${request.method} ${request.path}`);

  it('runs a 3-step chain passing values forward, skipping a step whose condition fails and following a goto', async () => {
    const api = await fakeApi((request) => {
      if (request.path.startsWith('/customers'))
        return { status: 200, body: { data: { id: 42, name: 'Ada', tier: 'silver' } } };
      if (request.path === '/tickets/primary') return { status: 500, body: {} };
      if (request.path === '/tickets/backup') return { status: 201, body: { ticket: 'T-7' } };
      return { status: 200, body: {} };
    });
    const action: ActionDefinitionInput = {
      name: 'open_ticket',
      description: 'Open a support ticket',
      examples: ['open a support ticket'],
      parameters: [{ name: 'email', type: 'email', description: 'Email address' }],
      steps: [
        {
          id: 'lookup',
          request: { method: 'GET', url: `${api.url}/customers`, query: { email: '{{email}}' } },
          response: { fields: { id: 'data.id', name: 'data.name', tier: 'data.tier' } },
        },
        {
          id: 'vip',
          when: { path: 'steps.lookup.tier', op: 'equals', value: 'gold' },
          request: { method: 'POST', url: `${api.url}/vip`, body: { customer: '{{steps.lookup.id}}' } },
        },
        {
          id: 'primary',
          request: { method: 'POST', url: `${api.url}/tickets/primary`, body: { customer: '{{steps.lookup.id}}' } },
          retry: fast,
          onError: { then: 'goto:backup' },
        },
        { id: 'never', request: { method: 'POST', url: `${api.url}/never` } },
        {
          id: 'backup',
          request: {
            method: 'POST',
            url: `${api.url}/tickets/backup`,
            body: { customer: '{{steps.lookup.id}}', name: 'Dear {{steps.lookup.name}}' },
          },
          response: { fields: { ticket: 'ticket' } },
        },
      ],
      reply: { template: 'Thanks {{steps.lookup.name}}, ticket {{steps.backup.ticket}} is open.' },
    };
    const chat = await parley.startConversation(await parley.createChatbot([action]));
    expect(await chat.say('open a support ticket for ada@example.com')).toEqual(['Thanks Ada, ticket T-7 is open.']);
    expect(calls(api)).toEqual([
      'GET /customers?email=ada%40example.com',
      'POST /tickets/primary',
      'POST /tickets/backup',
    ]);
    expect(JSON.parse(api.requests[2]?.body ?? '')).toEqual({ customer: 42, name: 'Dear Ada' });
  });

  it('compensates steps 1 and 2 in reverse order when step 3 fails, and tells the visitor the error reply', async () => {
    const api = await fakeApi((request) => {
      if (request.path === '/orders' && request.method === 'POST') return { status: 201, body: { id: 'o1' } };
      if (request.path === '/reservations' && request.method === 'POST') return { status: 201, body: { id: 'r1' } };
      if (request.path === '/charges') return { status: 402, body: { error: 'card declined' } };
      return { status: 200, body: {} };
    });
    const action: ActionDefinitionInput = {
      name: 'place_order',
      description: 'Place an order',
      examples: ['place an order'],
      triggeredResponse: 'Placing your order…',
      steps: [
        {
          id: 'order',
          request: { method: 'POST', url: `${api.url}/orders`, body: { item: 'mug' } },
          response: { fields: { id: 'id' } },
          compensate: { request: { method: 'DELETE', url: `${api.url}/orders/{{steps.order.id}}` } },
        },
        {
          id: 'reserve',
          request: { method: 'POST', url: `${api.url}/reservations`, body: { order: '{{steps.order.id}}' } },
          response: { fields: { id: 'id' } },
          compensate: { request: { method: 'POST', url: `${api.url}/reservations/{{steps.reserve.id}}/cancel` } },
        },
        {
          id: 'charge',
          request: { method: 'POST', url: `${api.url}/charges`, body: { order: '{{steps.order.id}}' } },
          onError: { then: 'stop', reply: 'Your payment was declined, so nothing was ordered.' },
        },
      ],
    };
    const chat = await parley.startConversation(await parley.createChatbot([action]));
    expect(await chat.say('please place an order')).toEqual([
      'Placing your order…',
      'Your payment was declined, so nothing was ordered.',
    ]);
    expect(calls(api)).toEqual([
      'POST /orders',
      'POST /reservations',
      'POST /charges',
      'POST /reservations/r1/cancel',
      'DELETE /orders/o1',
    ]);
  });

  it('sends the same Idempotency-Key on three attempts of one POST, and a new one on the next turn', async () => {
    const api = await fakeApi((_request, index) =>
      index % 3 < 2 ? { status: 503, body: {} } : { status: 200, body: { message: 'Paid.' } },
    );
    const action: ActionDefinitionInput = {
      name: 'pay',
      description: 'Pay the invoice',
      examples: ['pay my invoice'],
      steps: [
        {
          id: 'charge',
          request: { method: 'POST', url: `${api.url}/payments`, body: { amount: 10 } },
          retry: { maxAttempts: 3, initialIntervalMs: 50, backoffCoefficient: 1 },
        },
      ],
    };
    const chat = await parley.startConversation(await parley.createChatbot([action]));
    expect(await chat.say('pay my invoice')).toEqual(['Paid.']);
    expect(await chat.say('pay my invoice')).toEqual(['Paid.']);
    const keys = api.requests.map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(6);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(new Set(keys.slice(3)).size).toBe(1);
    expect(keys[0]).not.toBe(keys[3]);
    expect(keys[0]).toMatch(/^parley-/);
  });

  it('makes the first attempt of a step that fits the turn deadline a local activity, and retries as a normal one', async () => {
    const api = await fakeApi((_request, index) =>
      index === 1 ? { status: 503, body: {} } : { status: 200, body: { message: 'Done.' } },
    );
    const action: ActionDefinitionInput = {
      name: 'ping',
      description: 'Ping the service',
      examples: ['ping the service'],
      steps: [{ id: 'ping', request: { method: 'POST', url: `${api.url}/ping` } }],
    };
    const bot = await parley.createChatbot([action]);
    const chat = await parley.startConversation(bot);
    const scheduled = async () =>
      (await parley.historyText(chat.workflowId)).split('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length - 1;
    expect(await chat.say('ping the service')).toEqual(['Done.']);
    // One marker, no activity task: the call answered on its first attempt.
    expect(await scheduled()).toBe(0);
    expect(await chat.say('ping the service')).toEqual(['Done.']);
    // The first attempt (local) got a 503; the second ran as a normal activity, with the same Idempotency-Key.
    expect(await scheduled()).toBe(1);
    const keys = api.requests.map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[2]);
    const attempts = (await parley.admin('get', `/v1/chatbots/${bot}/actions/ping/logs`).expect(200)).body;
    expect(JSON.stringify(attempts)).toContain('"attempt":2');
  });

  it("stops a chain at the call over the chatbot's budget with reason rate_limited, then refuses turns with 429 up front", async () => {
    const api = await fakeApi(() => ({ status: 200, body: { message: 'Pong.' } }));
    const step = (id: string) => ({
      id,
      request: { method: 'GET' as const, url: `${api.url}/${id}` },
      onError: { then: 'stop' as const, reply: 'Too busy, try later.' },
    });
    const action: ActionDefinitionInput = {
      name: 'ping',
      description: 'Ping the server',
      examples: ['ping the server'],
      steps: [step('first'), step('second')],
    };
    const bot = await parley.createChatbot([action], { rateLimitPerMinute: 3 });
    const chat = await parley.startConversation(bot);
    expect(await chat.say('ping the server')).toEqual(['Pong.']);
    // One call of the budget is left: the turn starts, its first call goes and the second is refused.
    expect(await chat.say('ping the server')).toEqual(['Too busy, try later.']);
    expect(api.requests).toHaveLength(3);
    const logs = (await parley.admin('get', `/v1/chatbots/${bot}/actions/ping/logs?limit=1`).expect(200)).body.logs;
    expect(logs[0].error.type).toBe('RateLimited');
    const refused = await chat.send('ping the server');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(api.requests).toHaveLength(3);
  });

  it('keeps visitor text with quotes, backslashes, newlines and {{secrets.x}} literal in a valid JSON body', async () => {
    const api = await fakeApi(() => ({ status: 200, body: { message: 'Noted.' } }));
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/token`).send({ value: 'tok-REAL-SECRET' }).expect(201);
    const action: ActionDefinitionInput = {
      name: 'leave_note',
      description: 'Leave a note for the team',
      examples: ['leave a note'],
      parameters: [{ name: 'note', type: 'text', description: 'Note', prompt: 'What should the note say?' }],
      steps: [
        {
          id: 'save',
          request: {
            method: 'POST',
            url: `${api.url}/notes`,
            headers: { 'X-Token': '{{secrets.token}}' },
            body: { note: '{{note}}', quoted: 'note: {{note}}' },
          },
        },
      ],
    };
    await parley.admin('put', `/v1/chatbots/${bot}/actions/leave_note`).send(action).expect(201);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('leave a note')).toEqual(['What should the note say?']);
    const nasty = 'He said "hi" \\ then\nleft {{secrets.token}} and {note}';
    expect(await chat.say(nasty)).toEqual(['Noted.']);
    const received = api.requests[0];
    expect(received?.headers['x-token']).toBe('tok-REAL-SECRET');
    expect(JSON.parse(received?.body ?? '')).toEqual({ note: nasty, quoted: `note: ${nasty}` });
    expect(received?.body).not.toContain('tok-REAL-SECRET');
  });

  it('answers in every reply format with the structure a frontend renders', async () => {
    const product = {
      data: {
        name: 'Acme mug',
        price: 12,
        image: 'https://img.test/mug.png',
        url: 'https://shop.test/mug',
        items: [
          { name: 'Mug', price: 12 },
          { name: 'Cap', price: 9 },
        ],
      },
    };
    const api = await fakeApi(() => ({ status: 200, body: product }));
    const step = {
      id: 'product',
      request: { method: 'GET' as const, url: `${api.url}/product` },
      response: {
        fields: { name: 'data.name', price: 'data.price', image: 'data.image', url: 'data.url', items: 'data.items' },
      },
    };
    const base = (name: string, reply: ActionDefinitionInput['reply']): ActionDefinitionInput => ({
      name,
      description: `Show ${name}`,
      examples: [`show ${name.replace('_', ' ')}`],
      steps: [step],
      reply,
    });
    const bot = await parley.createChatbot([
      base('as_card', {
        format: 'card',
        card: {
          title: '{{steps.product.name}}',
          subtitle: '{{steps.product.price}} EUR',
          imageUrl: '{{steps.product.image}}',
          url: '{{steps.product.url}}',
          fields: [{ label: 'Price', value: '{{steps.product.price}}' }],
        },
      }),
      base('as_link', { format: 'link', link: { url: '{{steps.product.url}}', text: 'Open {{steps.product.name}}' } }),
      base('as_image', { format: 'image', image: { url: '{{steps.product.image}}', alt: '{{steps.product.name}}' } }),
      base('as_gallery', {
        format: 'gallery',
        gallery: { items: 'steps.product.items', card: { title: '{{item.name}}', subtitle: '{{item.price}} EUR' } },
      }),
      base('as_buttons', {
        format: 'buttons',
        template: 'Buy {{steps.product.name}}?',
        buttons: [
          { label: 'Buy', payload: 'buy' },
          { label: 'Details', url: '{{steps.product.url}}' },
        ],
      }),
      base('as_quick', {
        format: 'quick_replies',
        template: 'Anything else?',
        buttons: [{ label: 'No thanks', payload: 'no' }],
      }),
      base('as_list', {
        template: 'Products:{{#steps.product.items}} {{name}} ({{price}}){{/steps.product.items}}',
        actionButton: { label: 'Again', action: 'as_list' },
      }),
    ]);
    const chat = await parley.startConversation(bot);
    const turn = async (text: string) => (await chat.send(text).expect(200)).body.messages;

    expect(await turn('show as card')).toEqual([
      {
        type: 'card',
        title: 'Acme mug',
        subtitle: '12 EUR',
        imageUrl: 'https://img.test/mug.png',
        url: 'https://shop.test/mug',
        fields: [{ label: 'Price', value: '12' }],
      },
    ]);
    expect(await turn('show as link')).toEqual([{ type: 'link', url: 'https://shop.test/mug', text: 'Open Acme mug' }]);
    expect(await turn('show as image')).toEqual([{ type: 'image', url: 'https://img.test/mug.png', alt: 'Acme mug' }]);
    expect(await turn('show as gallery')).toEqual([
      {
        type: 'gallery',
        cards: [
          { title: 'Mug', subtitle: '12 EUR' },
          { title: 'Cap', subtitle: '9 EUR' },
        ],
      },
    ]);
    expect(await turn('show as buttons')).toEqual([
      {
        type: 'buttons',
        text: 'Buy Acme mug?',
        buttons: [
          { label: 'Buy', payload: 'buy' },
          { label: 'Details', url: 'https://shop.test/mug' },
        ],
      },
    ]);
    expect(await turn('show as quick')).toEqual([
      { type: 'quick_replies', text: 'Anything else?', replies: [{ label: 'No thanks', payload: 'no' }] },
    ]);
    expect(await turn('show as list')).toEqual([
      { type: 'text', text: 'Products: Mug (12) Cap (9)' },
      { type: 'buttons', buttons: [{ label: 'Again', payload: 'action:as_list' }] },
    ]);
  });

  it('refuses a second trigger of a once-per-conversation action', async () => {
    const api = await fakeApi(() => ({ status: 200, body: { message: 'Coupon: SAVE10' } }));
    const action: ActionDefinitionInput = {
      name: 'coupon',
      description: 'Give a discount coupon',
      examples: ['give me a coupon'],
      limits: { maxPerConversation: 1 },
      steps: [{ id: 'coupon', request: { method: 'POST', url: `${api.url}/coupons` } }],
    };
    const chat = await parley.startConversation(await parley.createChatbot([action]));
    expect(await chat.say('give me a coupon')).toEqual(['Coupon: SAVE10']);
    expect(await chat.say('give me a coupon')).toEqual(["I've already done that in this conversation."]);
    expect(api.requests).toHaveLength(1);
  });

  it('closes the conversation with a farewell after an action that says so, ending the workflow', async () => {
    const api = await fakeApi(() => ({ status: 200, body: { message: 'Your account is deleted.' } }));
    const action: ActionDefinitionInput = {
      name: 'delete_account',
      description: 'Delete my account',
      title: 'Delete my account',
      examples: ['delete my account'],
      steps: [{ id: 'delete', request: { method: 'DELETE', url: `${api.url}/account` } }],
      closeConversation: { farewell: 'Goodbye!' },
    };
    const chat = await parley.startConversation(await parley.createChatbot([action]));
    // A DELETE step asks for confirmation unless the action turns it off.
    const question = (await chat.send('delete my account').expect(200)).body.messages;
    expect(question).toEqual([
      {
        type: 'buttons',
        text: 'Please confirm: Delete my account?',
        buttons: [
          { label: 'Yes', payload: 'confirm:yes' },
          { label: 'No', payload: 'confirm:no' },
        ],
      },
    ]);
    expect(api.requests).toHaveLength(0);
    expect(await chat.say('yes')).toEqual(['Your account is deleted.', 'Goodbye!']);
    const result = await parley.client.workflow.getHandle(chat.workflowId).result();
    expect(result).toMatchObject({ status: 'closed', reason: 'action' });
    expect((await chat.send('hello?')).status).toBe(409);
  });

  it('sends form, raw, basic-auth, api-key, enveloped and visitor-profile requests as configured', async () => {
    const api = await fakeApi(() => ({ status: 200, body: { ok: true } }));
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/pass`).send({ value: 'p@ss' }).expect(201);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/key`).send({ value: 'k-123' }).expect(201);
    const action: ActionDefinitionInput = {
      name: 'sync',
      description: 'Sync my profile',
      examples: ['sync my profile'],
      steps: [
        {
          id: 'form',
          request: {
            method: 'POST',
            url: `${api.url}/form`,
            bodyType: 'form',
            body: { name: '{{user_name}}', note: 'a&b=c' },
          },
        },
        {
          id: 'raw',
          request: {
            method: 'PUT',
            url: `${api.url}/raw`,
            bodyType: 'raw',
            contentType: 'text/csv',
            body: 'name,email\n{{user_name}},{{user_email}}',
          },
        },
        {
          id: 'basic',
          request: { method: 'GET', url: `${api.url}/basic`, auth: { type: 'basic', username: 'bot', secret: 'pass' } },
        },
        {
          id: 'apikey',
          request: {
            method: 'GET',
            url: `${api.url}/key`,
            auth: { type: 'api_key', in: 'query', name: 'api_key', secret: 'key' },
          },
        },
        {
          id: 'webhook',
          request: {
            method: 'POST',
            url: `${api.url}/hook`,
            envelope: true,
            visitorProfile: true,
            body: { reason: 'sync' },
          },
        },
      ],
      reply: { template: 'Synced.' },
    };
    await parley.admin('put', `/v1/chatbots/${bot}/actions/sync`).send(action).expect(201);
    const chat = await parley.startConversation(bot, {
      visitor: { id: 'v-1', name: 'Ada', email: 'ada@example.com', locale: 'en-GB' },
      attributes: { plan: 'pro' },
    });
    expect(await chat.say('sync my profile')).toEqual(['Synced.']);

    const [form, raw, basic, key, hook] = api.requests;
    expect(form?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(form?.body))).toEqual({ name: 'Ada', note: 'a&b=c' });
    expect(raw?.headers['content-type']).toBe('text/csv');
    expect(raw?.body).toBe('name,email\nAda,ada@example.com');
    expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from('bot:p@ss').toString('base64')}`);
    expect(key?.path).toBe('/key?api_key=k-123');
    expect(JSON.parse(hook?.body ?? '')).toEqual({
      action_id: 'sync',
      conversation_id: chat.conversationId,
      chatbot_id: bot,
      trigger: 'intent',
      payload: {
        reason: 'sync',
        visitor: {
          id: 'v-1',
          name: 'Ada',
          email: 'ada@example.com',
          phone: null,
          locale: 'en-GB',
          last_message: 'sync my profile',
          attributes: { plan: 'pro' },
        },
      },
      metadata: { visitor_id: 'v-1', timestamp: expect.any(String) },
    });
  });

  it('treats accepted status codes as answers and merges returned attributes into the conversation', async () => {
    const api = await fakeApi(() => ({
      status: 404,
      body: { message: 'No such coupon.', attributes: { coupon_checked: true } },
    }));
    const action: ActionDefinitionInput = {
      name: 'check_coupon',
      description: 'Check a coupon',
      examples: ['check my coupon'],
      steps: [{ id: 'check', request: { method: 'GET', url: `${api.url}/coupon` }, response: { acceptStatus: [404] } }],
    };
    const chat = await parley.startConversation(await parley.createChatbot([action]));
    expect(await chat.say('check my coupon')).toEqual(['No such coupon.']);
    const state = await parley.client.workflow.getHandle(chat.workflowId).query('state');
    expect((state as { attributes: Record<string, unknown> }).attributes).toEqual({ coupon_checked: true });
  });

  it('logs every attempt newest first with secrets redacted, and honours ?limit', async () => {
    const api = await fakeApi((_request, index) =>
      index === 0 ? { status: 503, body: {} } : { status: 200, body: { message: 'OK' } },
    );
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/api`).send({ value: 'sk-log-secret' }).expect(201);
    const action: ActionDefinitionInput = {
      name: 'status',
      description: 'Check the service status',
      examples: ['check the service status'],
      steps: [
        {
          id: 'status',
          request: { method: 'GET', url: `${api.url}/status`, auth: { type: 'bearer', secret: 'api' } },
          response: { fields: { message: 'message' } },
          retry: { maxAttempts: 2, initialIntervalMs: 50, backoffCoefficient: 1 },
        },
      ],
    };
    await parley.admin('put', `/v1/chatbots/${bot}/actions/status`).send(action).expect(201);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('check the service status')).toEqual(['OK']);

    const all = (await parley.admin('get', `/v1/chatbots/${bot}/actions/status/logs`).expect(200)).body.logs;
    expect(all.map((entry: { attempt: number; status: number }) => [entry.attempt, entry.status])).toEqual([
      [2, 200],
      [1, 503],
    ]);
    expect(all[0]).toMatchObject({
      method: 'GET',
      step: 'status',
      conversationId: chat.conversationId,
      fields: { message: 'OK' },
      error: null,
    });
    expect(all[1].error.type).toBe('HttpServerError');
    expect(JSON.stringify(all)).not.toContain('sk-log-secret');
    expect(all[0].requestHeaders.authorization).toBe('***');
    const one = (await parley.admin('get', `/v1/chatbots/${bot}/actions/status/logs?limit=1`).expect(200)).body.logs;
    expect(one).toHaveLength(1);
    await parley.admin('get', `/v1/chatbots/${bot}/actions/status/logs?limit=0`).expect(400);
  });

  it('runs the real chain from the test endpoint and flags a response whose structure changed', async () => {
    let shape: 'v1' | 'v2' = 'v1';
    const api = await fakeApi(() =>
      shape === 'v1'
        ? { status: 200, body: { data: { order: { status: 'shipped' } } } }
        : { status: 200, body: { data: { order: { state: 'shipped', carrier: 'UPS' } } } },
    );
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/token`).send({ value: 'sk-test-endpoint' }).expect(201);
    const action: ActionDefinitionInput = {
      name: 'track',
      description: 'Track an order',
      examples: ['track my order'],
      parameters: [{ name: 'order_number', type: 'text', pattern: '^[0-9]{5}$' }],
      steps: [
        {
          id: 'lookup',
          request: {
            method: 'GET',
            url: `${api.url}/orders/{{order_number}}`,
            auth: { type: 'bearer', secret: 'token' },
          },
          response: { fields: { status: 'data.order.status' } },
        },
      ],
      reply: { template: 'Order {{order_number}}: {{steps.lookup.status}}' },
    };
    await parley.admin('put', `/v1/chatbots/${bot}/actions/track`).send(action).expect(201);

    await parley.admin('post', `/v1/chatbots/${bot}/actions/track/test`).send({}).expect(400);
    const first = (
      await parley
        .admin('post', `/v1/chatbots/${bot}/actions/track/test`)
        .send({ parameters: { order_number: '12345' } })
        .expect(200)
    ).body;
    expect(first).toMatchObject({
      ok: true,
      structureChanged: false,
      reply: [{ type: 'text', text: 'Order 12345: shipped' }],
    });
    expect(first.steps[0]).toMatchObject({
      step: 'lookup',
      outcome: 'ok',
      fields: { status: 'shipped' },
      detail: {
        request: { method: 'GET', url: `${api.url}/orders/12345`, headers: { authorization: '***' } },
        response: { status: 200 },
      },
    });
    expect(JSON.stringify(first)).not.toContain('sk-test-endpoint');

    shape = 'v2';
    const second = (
      await parley
        .admin('post', `/v1/chatbots/${bot}/actions/track/test`)
        .send({ parameters: { order_number: '12345' } })
        .expect(200)
    ).body;
    expect(second.structureChanged).toBe(true);
    expect(second.steps[0].structureChanged).toBe(true);
    const logs = (await parley.admin('get', `/v1/chatbots/${bot}/actions/track/logs?limit=1`).expect(200)).body.logs;
    expect(logs[0]).toMatchObject({ structureChanged: true, test: true });
  });
});
