import type { Payload } from '@temporalio/common';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, OPERATIONS } from '../../api/openapi';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { documentChecker, expressPath, registeredRoutes } from '../support/openapi';
import { ADMIN_KEY, orderStatusAction, startParley, type Parley } from '../support/parley';

/** A codec that changes nothing, so the app serves the codec routes too. */
const identityCodec = {
  encode: async (payloads: Payload[]) => payloads,
  decode: async (payloads: Payload[]) => payloads,
};

/**
 * The OpenAPI document describes the API the app really serves: every registered route is in it, and real answers
 * of the whole stack (Temporal, FerretDB, a local operator API) validate against it.
 */
describe('the OpenAPI document', () => {
  let parley: Parley;
  let api: FakeApi;
  let document: Record<string, unknown>;
  let checker: ReturnType<typeof documentChecker>;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(() => ({
      status: 200,
      body: { data: { order: { status: 'shipped', eta: '2026-11-24' } } },
    }));
    document = (await parley.api.get('/openapi.json').expect(200)).body as Record<string, unknown>;
    checker = documentChecker(document);
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const paths = () => document['paths'] as Record<string, Record<string, Record<string, unknown>>>;

  it('documents every route the app registers, with its method, and nothing it does not serve', () => {
    const app = parley.appWith({ codec: { codec: identityCodec, allowedOrigin: null } });
    const registered = registeredRoutes(app);
    expect(registered.length).toBeGreaterThan(25);
    const documented = Object.entries(paths()).flatMap(([template, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${expressPath(template)}`),
    );
    const undocumented = registered
      .filter(({ method, path }) =>
        method === '_all'
          ? !documented.some((entry) => entry.endsWith(` ${path}`))
          : !documented.includes(`${method.toUpperCase()} ${path}`),
      )
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    // A route here needs an entry in OPERATIONS (api/openapi.ts): its schemas, answers and errors.
    expect(undocumented).toEqual([]);
    const served = registered.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(documented.filter((entry) => !served.includes(entry))).toEqual([]);
  });

  it('is OpenAPI 3.1 with unique operation ids, declared path parameters, security on every admin and chat route, and resolvable references', () => {
    expect(document['openapi']).toBe('3.1.0');
    const ids = new Set<string>();
    for (const [template, methods] of Object.entries(paths())) {
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries(methods)) {
        const id = String(operation['operationId']);
        expect(ids.has(id), id).toBe(false);
        ids.add(id);
        const declared = ((operation['parameters'] ?? []) as { name: string; in: string }[])
          .filter((parameter) => parameter.in === 'path')
          .map((parameter) => parameter.name);
        expect(declared, `${method} ${template}`).toEqual(names);
        const security = operation['security'] as Record<string, unknown>[];
        if (template.startsWith('/v1/')) expect(security.length, `${method} ${template}`).toBeGreaterThan(0);
      }
    }
    const text = JSON.stringify(document);
    for (const [, kind, name] of text.matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)) {
      const components = document['components'] as Record<string, Record<string, unknown>>;
      expect(components[kind as string]?.[name as string], `${kind}/${name}`).toBeDefined();
    }
    expect(Object.keys((document['components'] as Record<string, object>)['securitySchemes'] ?? {})).toEqual([
      'publishableKey',
      'conversationToken',
      'streamToken',
      'adminKey',
      'emailInboundBasic',
      'emailInboundQuery',
    ]);
  });

  it('says retries must reuse messageId, and documents 429 and 503 with Retry-After', () => {
    const info = document['info'] as { description: string };
    expect(info.description).toContain('Retries must reuse `messageId`');
    const send = paths()['/v1/conversations/{id}/messages']?.['post'] as Record<string, unknown>;
    expect(String(send['description'])).toContain('Retries must reuse `messageId`');
    const responses = (document['components'] as { responses: Record<string, { headers?: object }> }).responses;
    expect(Object.keys(responses['Error429']?.headers ?? {})).toEqual(['Retry-After']);
    expect(Object.keys(responses['Error503']?.headers ?? {})).toEqual(['Retry-After']);
  });

  it('is generated from the schemas the routes validate with: a request schema change shows in the document', () => {
    const body = (document['components'] as { schemas: Record<string, Record<string, unknown>> }).schemas[
      'SendMessageBody'
    ];
    expect(body).toMatchObject({
      type: 'object',
      required: ['text'],
      additionalProperties: false,
      properties: { text: { type: 'string', minLength: 1 }, messageId: { pattern: '^[A-Za-z0-9_.:-]{1,128}$' } },
    });
    expect(buildOpenApiDocument(OPERATIONS)).toEqual(document);
  });

  it('serves a readable, self-contained docs page of every operation', async () => {
    const page = await parley.api
      .get('/docs')
      .expect(200)
      .expect('content-type', /text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    for (const template of Object.keys(paths())) expect(page.text).toContain(`<code>${template}</code>`);
    expect(page.text).toContain('Retries must reuse <code>messageId</code>');
    expect(page.text).not.toMatch(/<script|<link|src=|href="https?:/i);
  });

  it('matches real admin answers: chatbot CRUD, action save, list, test and logs, agents, secrets', async () => {
    const { expectDocumented } = checker;
    const admin = parley.admin;
    expectDocumented(await admin('post', '/v1/chatbots').send({ id: 'documented', name: 'Documented' }).expect(201));
    expectDocumented(await admin('get', '/v1/chatbots').expect(200));
    expectDocumented(await admin('get', '/v1/chatbots/documented').expect(200));
    expectDocumented(
      await admin('patch', '/v1/chatbots/documented')
        .send({ greeting: 'Welcome', allowedOrigins: ['https://shop.example.com'], handoff: {} })
        .expect(200),
    );

    const action = orderStatusAction(api.url);
    expectDocumented(
      await admin('put', '/v1/chatbots/documented/actions/check_order_status')
        .send({ ...action, name: undefined })
        .expect(201),
    );
    expectDocumented(
      await admin('put', '/v1/chatbots/documented/actions/check_order_status')
        .send({ ...action, title: 'Track an order' })
        .expect(200),
    );
    expectDocumented(await admin('get', '/v1/chatbots/documented/actions').expect(200));
    expectDocumented(await admin('get', '/v1/chatbots/documented/actions/check_order_status').expect(200));
    const tested = expectDocumented(
      await admin('post', '/v1/chatbots/documented/actions/check_order_status/test')
        .send({ parameters: { order_number: '12345' } })
        .expect(200),
    );
    expect(tested.body).toMatchObject({ ok: true, steps: [{ step: 'lookup', outcome: 'ok' }] });

    const chat = await parley.startConversation('documented');
    expect(await chat.say('where is my order 12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    const logs = expectDocumented(
      await admin('get', '/v1/chatbots/documented/actions/check_order_status/logs?limit=5').expect(200),
    );
    expect(logs.body.logs.length).toBeGreaterThanOrEqual(1);
    expectDocumented(
      await admin('post', '/v1/chatbots/documented/actions/check_order_status/alerts/reset').expect(200),
    );

    expectDocumented(await admin('get', `/v1/chatbots/documented/conversations/${chat.conversationId}`).expect(200));
    expectDocumented(
      await admin('get', `/v1/chatbots/documented/conversations/${chat.conversationId}/messages?after=1`).expect(200),
    );
    expect(await chat.say('I want to talk to a human')).toEqual([
      "I'm connecting you with a person. They'll reply here shortly.",
    ]);
    const agent = `/v1/chatbots/documented/conversations/${chat.conversationId}`;
    const spoke = expectDocumented(
      await admin('post', `${agent}/agent-messages`).send({ text: 'Hi, Sam here.', messageId: 'agent-1' }).expect(200),
    );
    expect(spoke.body).toEqual({ mode: 'human' });
    expectDocumented(await admin('post', `${agent}/hand-back`).send({}).expect(200));

    expectDocumented(
      await admin('put', '/v1/chatbots/documented/secrets/api_token').send({ value: 'tok-1' }).expect(201),
    );
    expectDocumented(
      await admin('put', '/v1/chatbots/documented/secrets/api_token').send({ value: 'tok-2' }).expect(200),
    );
    expectDocumented(await admin('get', '/v1/chatbots/documented/secrets').expect(200));
    expectDocumented(await admin('delete', '/v1/chatbots/documented/secrets/api_token').expect(204));
    expectDocumented(await admin('delete', '/v1/chatbots/documented/actions/check_order_status').expect(204));
    expectDocumented(await admin('delete', '/v1/chatbots/documented').expect(204));
  });

  it('answers a chatbot with actions without internal fields (its trained routers stay in the store)', async () => {
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const read = checker.expectDocumented(await parley.admin('get', `/v1/chatbots/${bot}`).expect(200));
    expect(JSON.stringify(read.body)).not.toMatch(/routerJson|emailRouterJson/);
  });

  it('matches real chat answers: start, a text reply, an action reply, buttons, a lead, the transcript and close', async () => {
    const { expectDocumented } = checker;
    const bot = await parley.createChatbot([orderStatusAction(api.url)], { greeting: 'Hi there!' });
    const key = (await parley.store.getChatbot(bot))?.publishableKey ?? '';
    const started = expectDocumented(
      await parley.api
        .post(`/v1/chatbots/${bot}/conversations`)
        .set('x-parley-key', key)
        .send({ visitor: { name: 'Ada' } })
        .expect(201),
    );
    const { conversationId, token } = started.body as { conversationId: string; token: string };
    const auth = `Bearer ${token}`;
    const say = (text: string) =>
      parley.api
        .post(`/v1/conversations/${conversationId}/messages`)
        .set('authorization', auth)
        .send({ text, messageId: `m-${text.length}-${Date.now()}` })
        .expect(200);
    const asked = expectDocumented(await say('where is my order?'));
    expect(asked.body.messages).toEqual([{ type: 'text', text: 'What is your order number?' }]);
    const answered = expectDocumented(await say('12345'));
    expect(answered.body.messages).toEqual([{ type: 'text', text: 'Your order is shipped (ETA 2026-11-24).' }]);
    const fallback = expectDocumented(await say('what is the meaning of life'));
    expect(fallback.body.messages.length).toBeGreaterThan(0);

    expectDocumented(
      await parley.api
        .post(`/v1/conversations/${conversationId}/buttons`)
        .set('authorization', auth)
        .send({ payload: 'action:check_order_status', messageId: 'b-1' })
        .expect(202),
    );
    expectDocumented(
      await parley.api
        .post(`/v1/conversations/${conversationId}/lead`)
        .set('authorization', auth)
        .send({ name: 'Ada', email: 'ada@example.com', messageId: 'l-1' })
        .expect(202),
    );
    const transcript = expectDocumented(
      await parley.api
        .get(`/v1/conversations/${conversationId}/messages?after=0`)
        .set('authorization', auth)
        .expect(200),
    );
    expect(transcript.body.messages.length).toBeGreaterThanOrEqual(5);
    expectDocumented(
      await parley.api
        .post(`/v1/conversations/${conversationId}/close`)
        .set('authorization', auth)
        .send({})
        .expect(202),
    );
  });

  it('matches real error answers: 400, 401, 403, 404, 409, 413, 415 and 429 with Retry-After', async () => {
    const { expectDocumented } = checker;
    const bot = await parley.createChatbot([]);
    const chat = await parley.startConversation(bot);
    const messages = `/v1/conversations/${chat.conversationId}/messages`;
    const auth = `Bearer ${chat.token}`;
    const expectError = async (status: number, code: string, call: PromiseLike<Response>) => {
      const response = expectDocumented(await call);
      expect([response.status, response.body.error.code]).toEqual([status, code]);
    };

    await expectError(400, 'invalid_request', parley.api.post(messages).set('authorization', auth).send({ text: '' }));
    await expectError(
      400,
      'invalid_json',
      parley.api.post(messages).set('authorization', auth).set('content-type', 'application/json').send('{"text":'),
    );
    await expectError(401, 'unauthorized', parley.api.post(messages).send({ text: 'hi' }));
    await expectError(401, 'unauthorized', parley.api.get('/v1/chatbots'));
    await expectError(403, 'forbidden', parley.api.get('/v1/chatbots').set('authorization', 'Bearer wrong'));
    await expectError(
      403,
      'forbidden',
      parley.api.post(`/v1/chatbots/${bot}/conversations`).set('x-parley-key', 'pk_wrong_key_0123456789').send({}),
    );
    await expectError(404, 'not_found', parley.admin('get', '/v1/chatbots/no-such-bot'));
    await expectError(404, 'not_found', parley.api.get(messages).set('authorization', 'Bearer not-the-token'));
    await expectError(409, 'conflict', parley.admin('post', '/v1/chatbots').send({ id: bot, name: 'Taken' }));
    await expectError(
      413,
      'payload_too_large',
      parley.api
        .post(messages)
        .set('authorization', auth)
        .send({ text: 'x'.repeat(5000) }),
    );
    await expectError(
      415,
      'unsupported_media_type',
      parley.api.post(messages).set('authorization', auth).set('content-type', 'text/plain').send('hi'),
    );
    await chat.close().expect(202);
    await expect
      .poll(async () => (await parley.api.post(messages).set('authorization', auth).send({ text: 'hello?' })).status)
      .toBe(409);
    await expectError(
      409,
      'conversation_closed',
      parley.api.post(messages).set('authorization', auth).send({ text: 'hi' }),
    );

    // One start a minute per address: the next is refused with Retry-After.
    const strict = parley.appWith({ traffic: { ...parley.traffic, startsPerAddressPerMinute: 1 } });
    const key = (await parley.store.getChatbot(bot))?.publishableKey ?? '';
    const start = () => request(strict).post(`/v1/chatbots/${bot}/conversations`).set('x-parley-key', key).send({});
    await start();
    const refused = expectDocumented(await start());
    expect([refused.status, refused.body.error.code]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('matches the health answer and the codec server answers', async () => {
    const { expectDocumented } = checker;
    expectDocumented(await parley.api.get('/healthz').expect(200));
    const app = parley.appWith({ codec: { codec: identityCodec, allowedOrigin: null } });
    const payloads = {
      payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'e30=' }],
    };
    for (const operation of ['encode', 'decode']) {
      expectDocumented(
        await request(app)
          .post(`/codec/${operation}`)
          .set('authorization', `Bearer ${ADMIN_KEY}`)
          .send(payloads)
          .expect(200),
      );
      expectDocumented(await request(app).post(`/codec/${operation}`).send(payloads).expect(401));
    }
  });
});
