import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { hashToken } from '../../api/auth';
import { apiConnectionOptions } from '../../api/temporal';
import { createServices } from '../../infrastructure/services';
import { startTestRuntime } from '../support/parley';

/** A loopback port nothing listens on: a dependency that is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** While Temporal or the database is down, the API answers 503 with Retry-After, fast, never a bare 500. */
describe('dependency outages', () => {
  let setup: Awaited<ReturnType<typeof startTestRuntime>>;
  let temporalDown: Connection;
  let databaseDown: MongoClient;
  const adminKey = 'outage-admin-key-0123456789';

  beforeAll(async () => {
    setup = await startTestRuntime(`parley_test_${randomUUID().slice(0, 8)}`);
    temporalDown = Connection.lazy(apiConnectionOptions(`127.0.0.1:${await deadPort()}`));
    databaseDown = new MongoClient(`mongodb://127.0.0.1:${await deadPort()}`, { serverSelectionTimeoutMS: 300 });
  });
  afterAll(async () => {
    await Promise.allSettled([temporalDown?.close(), databaseDown?.close(), setup?.runtime.close()]);
  });

  function appOver(services: typeof setup.runtime.services) {
    const { config } = setup;
    return createApp({
      services,
      temporal: { client: new Client({ connection: temporalDown }), taskQueue: 'nowhere', searchAttributes: false },
      adminKey,
      defaultIdleTimeoutMinutes: config.defaultIdleTimeoutMinutes,
      traffic: config.traffic,
      trustProxy: false,
      egressPolicy: config.egress,
      llmEnabled: false,
      logger: pino({ level: 'silent' }),
    });
  }

  const createChatbot = () =>
    setup.runtime.services.store.createChatbot({
      id: `outage-${randomUUID().slice(0, 6)}`,
      name: 'Outage bot',
      greeting: null,
      idleTimeoutMinutes: null,
      rateLimitPerMinute: null,
      allowedOrigins: [],
      egressAllowlist: [],
    });

  it('answers a start 503 while Temporal is down, and writes no conversation record nobody could reach', async () => {
    const chatbot = await createChatbot();
    const response = await request(appOver(setup.runtime.services))
      .post(`/v1/chatbots/${chatbot.id}/conversations`)
      .set('x-parley-key', chatbot.publishableKey ?? '')
      .send({});
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('unavailable');
    expect(await setup.runtime.db.collection('conversations').countDocuments({ chatbotId: chatbot.id })).toBe(0);
  });

  it('answers a visitor message 503 with Retry-After within two seconds while Temporal is down', async () => {
    const { store } = setup.runtime.services;
    const chatbot = await createChatbot();
    const token = `token-${randomUUID()}`;
    const conversationId = randomUUID();
    await store.createConversation({
      id: conversationId,
      chatbotId: chatbot.id,
      tokenHash: hashToken(token),
      createdAt: new Date().toISOString(),
    });
    const started = Date.now();
    const response = await request(appOver(setup.runtime.services))
      .post(`/v1/conversations/${conversationId}/messages`)
      .set('authorization', `Bearer ${token}`)
      .send({ text: 'where is my order?', messageId: 'm1' });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('briefly') });
    expect(response.headers['retry-after']).toBe('5');
  });

  it('answers 503 with Retry-After while the database is down, and /healthz says so within a second', async () => {
    const { runtime } = setup;
    const services = createServices(databaseDown.db('parley_down'), {
      secretKeys: runtime.secretKeys,
      logRetentionDays: 7,
      mail: { transport: null, from: 'parley@example.com' },
      egress: runtime.egress,
      logger: pino({ level: 'silent' }),
      encoder: null,
    });
    const app = appOver(services);
    const response = await request(app)
      .post(`/v1/conversations/${randomUUID()}/messages`)
      .set('authorization', 'Bearer some-token')
      .send({ text: 'hello' });
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('database') });
    expect(response.headers['retry-after']).toBe('5');

    const started = Date.now();
    const health = await request(app).get('/healthz');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unavailable', temporal: { ok: false }, mongodb: { ok: false } });
  });
});
