import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

/** Chatbot and action administration through the API, stored in the real MongoDB wire server. */
describe('the admin API', () => {
  let parley: Parley;
  beforeAll(async () => {
    parley = await startParley();
  });
  afterAll(() => parley.close());

  it('round-trips an action through MongoDB, versioning each save', async () => {
    await parley.admin('post', '/v1/chatbots').send({ id: 'shop', name: 'Shop' }).expect(201);
    const action = orderStatusAction('https://api.acme.test');

    const created = await parley.admin('put', '/v1/chatbots/shop/actions/check_order_status').send(action).expect(201);
    expect(created.body).toMatchObject({ name: 'check_order_status', version: 1 });

    const read = await parley.admin('get', '/v1/chatbots/shop/actions/check_order_status').expect(200);
    expect(read.body.definition).toMatchObject({
      name: 'check_order_status',
      steps: [{ id: 'lookup', request: { method: 'GET', url: 'https://api.acme.test/orders/{{order_number}}' } }],
      reply: { template: action.reply?.template },
    });

    const updated = await parley
      .admin('put', '/v1/chatbots/shop/actions/check_order_status')
      .send({ ...action, description: 'Track an order' })
      .expect(200);
    expect(updated.body).toMatchObject({ version: 2, definition: { description: 'Track an order' } });

    const list = await parley.admin('get', '/v1/chatbots/shop/actions').expect(200);
    expect(list.body.actions.map((a: { name: string; version: number }) => [a.name, a.version])).toEqual([
      ['check_order_status', 2],
    ]);

    await parley.admin('delete', '/v1/chatbots/shop/actions/check_order_status').expect(204);
    await parley.admin('get', '/v1/chatbots/shop/actions/check_order_status').expect(404);
  });

  it('refuses a bad definition with a 400 naming the field, and stores nothing', async () => {
    await parley.admin('post', '/v1/chatbots').send({ id: 'strict', name: 'Strict' }).expect(201);
    const action = orderStatusAction('https://api.acme.test');
    const bad = {
      ...action,
      steps: [{ ...action.steps[0], request: { ...action.steps[0]?.request, method: 'FETCH' } }],
    };

    const response = await parley.admin('put', '/v1/chatbots/strict/actions/check_order_status').send(bad).expect(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message).toContain('steps[0].request.method');
    await parley.admin('get', '/v1/chatbots/strict/actions/check_order_status').expect(404);
  });

  it('refuses a template that names an unknown variable', async () => {
    await parley.admin('post', '/v1/chatbots').send({ id: 'vars', name: 'Vars' }).expect(201);
    const action = orderStatusAction('https://api.acme.test', {
      reply: { template: 'Status: {{steps.lookup.status}} {{oops}}' },
    });
    const response = await parley.admin('put', '/v1/chatbots/vars/actions/check_order_status').send(action).expect(400);
    expect(response.body.error.message).toContain('reply.template: unknown variable {{oops}}');
  });

  it('refuses unknown fields and an invalid action name', async () => {
    await parley.admin('post', '/v1/chatbots').send({ id: 'names', name: 'Names' }).expect(201);
    const extra = await parley
      .admin('put', '/v1/chatbots/names/actions/lookup')
      .send({ ...orderStatusAction('https://x.test'), name: undefined, colour: 'blue' })
      .expect(400);
    expect(extra.body.error.message).toContain('unknown field colour');
    const badName = await parley
      .admin('put', '/v1/chatbots/names/actions/9lives')
      .send(orderStatusAction('https://x.test'));
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toMatch(/^name: /);
  });

  it('manages chatbots: create, conflict on a taken id, read, patch, delete', async () => {
    const created = await parley
      .admin('post', '/v1/chatbots')
      .send({ id: 'crud', name: 'CRUD', greeting: 'Hello' })
      .expect(201);
    expect(created.body).toMatchObject({ id: 'crud', name: 'CRUD', greeting: 'Hello' });
    expect(
      (await parley.admin('post', '/v1/chatbots').send({ id: 'crud', name: 'again' }).expect(409)).body.error.code,
    ).toBe('conflict');
    await parley.admin('patch', '/v1/chatbots/crud').send({ greeting: 'Welcome' }).expect(200);
    expect((await parley.admin('get', '/v1/chatbots/crud').expect(200)).body.greeting).toBe('Welcome');
    await parley.admin('delete', '/v1/chatbots/crud').expect(204);
    await parley.admin('get', '/v1/chatbots/crud').expect(404);
  });

  it('keeps secrets write-only: the value is never returned', async () => {
    await parley.admin('post', '/v1/chatbots').send({ id: 'vault', name: 'Vault' }).expect(201);
    const response = await parley
      .admin('put', '/v1/chatbots/vault/secrets/api_token')
      .send({ value: 'tok-123456' })
      .expect(201);
    expect(response.body).toEqual({ name: 'api_token', set: true, masked: '••••••', hosts: [] });
    expect(JSON.stringify((await parley.admin('get', '/v1/chatbots/vault').expect(200)).body)).not.toContain(
      'tok-123456',
    );
  });

  it('lets in only the admin key', async () => {
    expect((await parley.api.get('/v1/chatbots').expect(401)).body.error.code).toBe('unauthorized');
    expect(
      (await parley.api.get('/v1/chatbots').set('authorization', 'Bearer wrong-key-xxxxxxxxx').expect(403)).body.error
        .code,
    ).toBe('forbidden');
  });

  it('refuses a conversation token that belongs to another conversation', async () => {
    await parley.admin('post', '/v1/chatbots').send({ id: 'tokens', name: 'Tokens' }).expect(201);
    const first = await parley.startConversation('tokens');
    const second = await parley.startConversation('tokens');
    const response = await parley.api
      .post(`/v1/conversations/${first.conversationId}/messages`)
      .set('authorization', `Bearer ${second.token}`)
      .send({ text: 'hi' });
    expect(response.status).toBe(404);
  });

  it('answers malformed JSON, bad fields and unknown routes with JSON errors', async () => {
    const malformed = await parley.api
      .post('/v1/chatbots/x/conversations')
      .set('content-type', 'application/json')
      .send('{"visitor":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_json');

    await parley.admin('post', '/v1/chatbots').send({ id: 'fields', name: 'Fields' }).expect(201);
    const badEmail = await parley.api.post('/v1/chatbots/fields/conversations').send({ visitor: { email: 'nope' } });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.message).toContain('visitor.email');

    const unknown = await parley.api.get('/nowhere').expect(404);
    expect(unknown.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /nowhere' } });
    await parley.api.post('/v1/chatbots/missing/conversations').send({}).expect(401);
  });

  it('reports Temporal and MongoDB reachability on /healthz', async () => {
    const response = await parley.api.get('/healthz').expect(200);
    expect(response.body).toEqual({ status: 'ok', temporal: { ok: true }, mongodb: { ok: true } });
  });
});
