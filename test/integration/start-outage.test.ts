import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { startTestRuntime } from '../support/parley';

/** A loopback port nothing listens on: a Temporal that is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starting a conversation while Temporal is down fails without leaving a record nobody's workflow answers for. */
describe('conversation start during a Temporal outage', () => {
  let setup: Awaited<ReturnType<typeof startTestRuntime>>;
  let connection: Connection;

  beforeAll(async () => {
    setup = await startTestRuntime(`parley_test_${randomUUID().slice(0, 8)}`);
    // No retries: the client gives up at once instead of waiting the outage out.
    connection = Connection.lazy({ address: `127.0.0.1:${await deadPort()}`, interceptors: [] });
  });
  afterAll(async () => {
    await Promise.allSettled([connection?.close(), setup?.runtime.close()]);
  });

  it('answers an error and writes no conversation record', async () => {
    const { config, runtime } = setup;
    const chatbot = await runtime.services.store.createChatbot({
      id: 'outage',
      name: 'Outage bot',
      greeting: null,
      idleTimeoutMinutes: null,
      rateLimitPerMinute: null,
      allowedOrigins: [],
      egressAllowlist: [],
    });
    const app = createApp({
      services: runtime.services,
      temporal: { client: new Client({ connection }), taskQueue: 'nowhere', searchAttributes: false },
      adminKey: 'outage-admin-key-0123456789',
      defaultIdleTimeoutMinutes: config.defaultIdleTimeoutMinutes,
      traffic: config.traffic,
      trustProxy: false,
      egressPolicy: config.egress,
      llmEnabled: false,
      logger: pino({ level: 'silent' }),
    });
    const response = await request(app)
      .post(`/v1/chatbots/${chatbot.id}/conversations`)
      .set('x-parley-key', chatbot.publishableKey ?? '')
      .send({});
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(await runtime.db.collection('conversations').countDocuments({ chatbotId: chatbot.id })).toBe(0);
  });
});
