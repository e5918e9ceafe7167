import { randomBytes, randomUUID } from 'node:crypto';
import { MockActivityEnvironment, defaultActivityInfo } from '@temporalio/testing';
import { MongoClient, type Db } from 'mongodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpActivities, type HttpStepInput } from '../../activities/http';
import { createCallLog } from '../../infrastructure/call-log';
import { createEgress } from '../../infrastructure/egress';
import { createRateLimiter } from '../../infrastructure/rate-limit';
import { createStore } from '../../infrastructure/store';
import { RequestSchema, ResponseSchema } from '../../shared/actions/step-schema';
import { startFakeApi, type FakeApi } from '../support/fake-api';

/** One attempt of one HTTP step, run as the worker runs it, against a real local API and FerretDB. */
describe('executeHttpStep', () => {
  let mongo: MongoClient;
  let db: Db;
  let api: FakeApi;
  const egress = createEgress({ policy: { allowLoopback: true, allowlist: [] }, connectTimeoutMs: 2_000 });
  const logger = pino({ level: 'silent' });
  const store = () => createStore(db, { secretKeys: { current: 'k1', keys: { k1: randomBytes(32) } } });
  const limits = async () => ({ rateLimitPerMinute: 100, conversationCallsPerMinute: 100, egressAllowlist: [] });
  const activityEnv = (attempt: number, maximumAttempts: number) =>
    new MockActivityEnvironment({ ...defaultActivityInfo, attempt, retryPolicy: { maximumAttempts } });

  function input(path: string, overrides: Partial<HttpStepInput> = {}): HttpStepInput {
    return {
      action: 'check_order_status',
      actionVersion: 1,
      step: 'lookup',
      kind: 'step',
      request: RequestSchema.parse({ method: 'POST', url: `${api.url}${path}`, body: { order: '{{order_number}}' } }),
      response: ResponseSchema.parse({ fields: { status: 'data.status' } }),
      timeoutMs: 2_000,
      environment: {
        chatbotId: 'bot',
        conversationId: `conv-${randomUUID()}`,
        visitor: {},
        attributes: {},
        userMessage: 'where is my order',
        trigger: 'intent',
        now: new Date().toISOString(),
      },
      values: { order_number: '12345' },
      steps: {},
      idempotencyKey: `key-${randomUUID()}`,
      test: false,
      ...overrides,
    };
  }

  beforeAll(async () => {
    mongo = await MongoClient.connect(inject('mongodbUri'));
    db = mongo.db(`parley_httpstep_${randomUUID().slice(0, 8)}`);
    api = await startFakeApi((request) =>
      request.path === '/busy'
        ? { status: 503, body: { message: 'Busy, try later' } }
        : { status: 200, body: { data: { status: 'shipped' } } },
    );
  });
  afterAll(async () => {
    await api.close();
    await db.dropDatabase();
    await mongo.close();
  });

  it('returns the upstream answer, sent once, when the call log cannot be written', async () => {
    // The call log's own connection is closed, as when the database goes down after the request was sent.
    const broken = await MongoClient.connect(inject('mongodbUri'));
    const callLog = createCallLog(broken.db(db.databaseName));
    await broken.close();
    const activities = createHttpActivities({
      egress,
      readSecrets: store().readSecrets,
      chatbotLimits: limits,
      callLog,
      rateLimiter: createRateLimiter(db),
      logger,
    });
    const before = api.requests.length;
    const result = await activityEnv(1, 3).run(activities.executeHttpStep, input('/orders'));
    expect(result).toMatchObject({ ok: true, status: 200, fields: { status: 'shipped' } });
    expect(api.requests.length - before).toBe(1);
  });

  it('throws a retryable failure for Temporal to retry, and returns it as a typed result on the last attempt', async () => {
    const activities = createHttpActivities({
      egress,
      readSecrets: store().readSecrets,
      chatbotLimits: limits,
      callLog: createCallLog(db),
      rateLimiter: createRateLimiter(db),
      logger,
    });
    await expect(activityEnv(1, 2).run(activities.executeHttpStep, input('/busy'))).rejects.toMatchObject({
      type: 'HttpServerError',
    });
    const last = await activityEnv(2, 2).run(activities.executeHttpStep, input('/busy', { test: true }));
    expect(last).toMatchObject({
      ok: false,
      type: 'HttpServerError',
      said: 'Busy, try later',
      detail: { request: { method: 'POST' }, response: { status: 503 } },
    });
  });
});
