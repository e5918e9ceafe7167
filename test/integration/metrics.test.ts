import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveMetrics, TEMPORAL_SDK_METRICS } from '../../infrastructure/metrics';
import { freePort, ROOT } from '../../scripts/infra';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction, startParley, type Parley } from '../support/parley';
import { declaredNames, parseExposition, valueOf, type Sample } from '../support/prometheus';

/**
 * /metrics on the real stack: a conversation with an action moves the counters operators chart — turns, routing
 * decisions, HTTP step latencies and failures by type, rate-limit refusals — and the worker's own listener answers.
 * In a test one runtime serves the app and the worker, so the API's /metrics shows both sides' metrics.
 */
describe('metrics', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    // Order 12345 is found; every other order number meets a failing upstream.
    api = await startFakeApi((request) =>
      request.path === '/orders/12345'
        ? { status: 200, body: { data: { order: { status: 'shipped', eta: '2026-11-24' } } } }
        : { status: 503, body: { message: 'down for maintenance' } },
    );
  });
  afterAll(async () => {
    await parley?.close();
    await api?.close();
  });

  async function scrape(): Promise<Sample[]> {
    const response = await parley.api.get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(response.text);
  }

  it('counts turns, routing decisions, step latencies, failures by type and refusals as a conversation goes', async () => {
    // Three calls a minute: the found order takes one, the failing one two attempts, and its third is refused.
    const bot = await parley.createChatbot([orderStatusAction(api.url)], { rateLimitPerMinute: 3 });
    const chat = await parley.startConversation(bot);
    const action = 'check_order_status';
    const byBot = { chatbot: bot };
    const byAction = { chatbot: bot, action };

    expect(await chat.say('where is my order')).toEqual(['What is your order number?']);
    let samples = await scrape();
    expect(valueOf(samples, 'parley_routing_decisions_total', { ...byAction, decision: 'action' })).toBe(1);
    expect(valueOf(samples, 'parley_turns_total', { ...byBot, outcome: 'answered' })).toBe(1);
    expect(valueOf(samples, 'parley_turn_duration_seconds_count', { ...byBot, outcome: 'answered' })).toBe(1);
    expect(valueOf(samples, 'parley_http_step_duration_seconds_count', byAction)).toBe(0);

    expect(await chat.say('12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    samples = await scrape();
    expect(valueOf(samples, 'parley_turns_total', { ...byBot, outcome: 'answered' })).toBe(2);
    expect(valueOf(samples, 'parley_http_step_duration_seconds_count', { ...byAction, outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'parley_http_step_duration_seconds_sum', { ...byAction, outcome: 'ok' })).toBeGreaterThan(
      0,
    );
    // The fake API answers on loopback in far less than 5 s: the observation sits in the low buckets.
    expect(valueOf(samples, 'parley_http_step_duration_seconds_bucket', { ...byAction, outcome: 'ok', le: '5' })).toBe(
      1,
    );
    expect(valueOf(samples, 'parley_step_results_total', { ...byAction, outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'parley_action_runs_total', { ...byAction, outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'parley_http_step_failures_total', byAction)).toBe(0);

    // Another visitor, whose order meets the failing upstream.
    const other = await parley.startConversation(bot);
    expect(await other.say('where is my order')).toEqual(['What is your order number?']);
    expect(await other.say('55555')).toEqual(["Sorry, I can't reach the order system right now."]);
    samples = await scrape();
    // Each message is read once by the router (an order number alone reads like this action too).
    expect(valueOf(samples, 'parley_routing_decisions_total', byBot)).toBe(4);
    expect(
      valueOf(samples, 'parley_routing_decisions_total', { ...byAction, decision: 'action' }),
    ).toBeGreaterThanOrEqual(2);
    // Two attempts went out and failed with 503; the third was refused by the chatbot's budget before it went.
    expect(valueOf(samples, 'parley_http_step_failures_total', { ...byAction, type: 'HttpServerError' })).toBe(2);
    expect(valueOf(samples, 'parley_http_step_failures_total', { ...byAction, type: 'RateLimited' })).toBe(1);
    expect(valueOf(samples, 'parley_http_step_duration_seconds_count', { ...byAction, outcome: 'failed' })).toBe(2);
    expect(valueOf(samples, 'parley_http_step_duration_seconds_count', { ...byAction, outcome: 'not_sent' })).toBe(1);
    expect(valueOf(samples, 'parley_http_step_duration_seconds_count', byAction)).toBe(4);
    expect(valueOf(samples, 'parley_step_results_total', { ...byAction, outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'parley_action_runs_total', { ...byAction, outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'parley_rate_limit_refusals_total', { ...byBot, limit: 'chatbot_calls' })).toBe(1);
    expect(valueOf(samples, 'parley_turns_total', { ...byBot, outcome: 'answered' })).toBe(4);

    // The budget is spent: the API refuses the next message with 429 before any workflow work.
    await parley.services.rateLimiter.settled();
    expect((await chat.send('where is my order')).status).toBe(429);
    samples = await scrape();
    expect(valueOf(samples, 'parley_turns_total', { ...byBot, outcome: 'refused' })).toBe(1);
    expect(valueOf(samples, 'parley_rate_limit_refusals_total', { ...byBot, limit: 'chatbot_calls' })).toBe(2);
    expect(api.requests).toHaveLength(3);

    // Nothing a visitor wrote and no conversation id becomes a label.
    const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues).not.toContain(chat.conversationId);
    expect(labelValues).not.toContain(other.conversationId);
    expect(labelValues.some((value) => /order|55555|12345/.test(value) && value !== action)).toBe(false);
  });

  it("counts a turn the deadline answered as still working, and its slow call's latency once it ends", async () => {
    const slow = await startFakeApi(
      () => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: { message: 'Ready.' } }), 1_500)),
    );
    try {
      const action = {
        name: 'build_report',
        description: 'Build a sales report',
        examples: ['build a report'],
        steps: [{ id: 'r', request: { method: 'GET' as const, url: `${slow.url}/report` }, timeoutMs: 10_000 }],
      };
      const bot = await parley.createChatbot([action], { turnDeadlineSeconds: 1 });
      const chat = await parley.startConversation(bot);
      await chat.say('build a report');
      const samples = await scrape();
      expect(valueOf(samples, 'parley_turns_total', { chatbot: bot, outcome: 'still_working' })).toBe(1);
      expect(valueOf(samples, 'parley_turn_duration_seconds_sum', { chatbot: bot })).toBeGreaterThanOrEqual(1);
      const byAction = { chatbot: bot, action: 'build_report', outcome: 'ok' };
      await expect
        .poll(async () => valueOf(await scrape(), 'parley_http_step_duration_seconds_count', byAction), {
          timeout: 10_000,
        })
        .toBe(1);
      const done = await scrape();
      expect(valueOf(done, 'parley_http_step_duration_seconds_sum', byAction)).toBeGreaterThanOrEqual(1.4);
      expect(valueOf(done, 'parley_http_step_duration_seconds_bucket', { ...byAction, le: '1' })).toBe(0);
      expect(valueOf(done, 'parley_http_step_duration_seconds_bucket', { ...byAction, le: '2.5' })).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('counts an attempt cut off by its worker shutting down as interrupted', async () => {
    const hanging = await startFakeApi(() => ({ hang: true }));
    try {
      const action = {
        name: 'slow_lookup',
        description: 'Look something up slowly',
        examples: ['look it up slowly'],
        steps: [{ id: 'r', request: { method: 'GET' as const, url: `${hanging.url}/slow` }, timeoutMs: 10_000 }],
      };
      const bot = await parley.createChatbot([action], { turnDeadlineSeconds: 1 });
      const chat = await parley.startConversation(bot);
      await chat.say('look it up slowly');
      await hanging.received(1);
      await parley.stopWorker();
      await parley.startWorker();
      const byAction = { chatbot: bot, action: 'slow_lookup' };
      const samples = await scrape();
      expect(valueOf(samples, 'parley_http_step_duration_seconds_count', { ...byAction, outcome: 'interrupted' })).toBe(
        1,
      );
      expect(valueOf(samples, 'parley_http_step_failures_total', { ...byAction, type: 'Interrupted' })).toBe(1);
    } finally {
      await hanging.close();
    }
  });

  it('counts the event streams open on the API and the call-log outbox', async () => {
    const bot = await parley.createChatbot([]);
    const chat = await parley.startConversation(bot);
    const base = await parley.listen();
    const before = valueOf(await scrape(), 'parley_live_streams_open');
    const controller = new AbortController();
    const stream = await fetch(`${base}/v1/conversations/${chat.conversationId}/events`, {
      headers: { authorization: `Bearer ${chat.token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    try {
      const samples = await scrape();
      expect(valueOf(samples, 'parley_live_streams_open')).toBe(before + 1);
      expect(valueOf(samples, 'parley_live_conversations_watched')).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'parley_call_log_outbox_entries')).toBe(0);
      expect(valueOf(samples, 'parley_call_log_outbox_dropped_total')).toBe(0);
    } finally {
      controller.abort();
    }
  });

  it("serves the worker's metrics on a port of its own", async () => {
    const server = await serveMetrics(parley.services.metrics, { port: 0, host: '127.0.0.1' });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(declaredNames(text)).toEqual(expect.arrayContaining(parley.services.metrics.names()));
      // The same registry as the API's here: what the activities and the API recorded.
      const turns = (samples: Sample[]) => valueOf(samples, 'parley_turns_total');
      expect(turns(parseExposition(text))).toBe(turns(await scrape()));
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("runs a worker process that serves Parley's metrics and the Temporal SDK's on the ports it is given", async () => {
    const [port, sdkPort] = [await freePort(), await freePort()];
    const taskQueue = `${parley.taskQueue}-process`;
    const worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        MONGODB_URI: inject('mongodbUri'),
        MONGODB_DB: parley.databaseName,
        PARLEY_SECRET_KEYS: `test1:${Buffer.alloc(32, 7).toString('base64')}`,
        PARLEY_ALLOW_LOOPBACK: 'true',
        PARLEY_ENCODER_DIR: '/nonexistent',
        PARLEY_WORKER_METRICS_PORT: String(port),
        PARLEY_WORKER_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    try {
      const started = Date.now();
      while (!output.includes('worker started')) {
        if (worker.exitCode !== null) throw new Error(`the worker exited: ${output}`);
        if (Date.now() - started > 45_000) throw new Error(`the worker did not start: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(output).toContain(`http://localhost:${port}/metrics`);

      // A conversation served by that worker process: its HTTP step is counted there, not in this process.
      const app = parley.appWith({ temporal: { client: parley.client, taskQueue, searchAttributes: true } });
      const bot = await parley.createChatbot([orderStatusAction(api.url)]);
      const key = (await parley.store.getChatbot(bot))?.publishableKey ?? '';
      const request = (await import('supertest')).default(app);
      const started201 = await request.post(`/v1/chatbots/${bot}/conversations`).set('x-parley-key', key).send({});
      expect(started201.status).toBe(201);
      const { conversationId, token } = started201.body as { conversationId: string; token: string };
      for (const text of ['where is my order', '12345']) {
        await request
          .post(`/v1/conversations/${conversationId}/messages`)
          .set('authorization', `Bearer ${token}`)
          .send({ text })
          .expect(200);
      }

      const parleyText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const samples = parseExposition(parleyText);
      const byAction = { chatbot: bot, action: 'check_order_status' };
      expect(valueOf(samples, 'parley_http_step_duration_seconds_count', { ...byAction, outcome: 'ok' })).toBe(1);
      expect(valueOf(samples, 'parley_step_results_total', { ...byAction, outcome: 'ok' })).toBe(1);
      // The process's own metrics are on in a real process.
      expect(declaredNames(parleyText)).toEqual(expect.arrayContaining(['process_cpu_user_seconds_total']));
      expect(valueOf(await scrape(), 'parley_http_step_duration_seconds_count', byAction)).toBe(0);

      const sdkText = await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text();
      // Every SDK metric the Grafana dashboard charts (in seconds, as Parley's are).
      expect(declaredNames(sdkText)).toEqual(expect.arrayContaining([...TEMPORAL_SDK_METRICS]));
      const scheduleToStart = parseExposition(sdkText).filter(
        (sample) => sample.name === 'temporal_workflow_task_schedule_to_start_latency_bucket',
      );
      expect(scheduleToStart.map((sample) => sample.labels.le)).toContain('0.1');
      expect(
        valueOf(parseExposition(sdkText), 'temporal_workflow_task_schedule_to_start_latency_count', {
          task_queue: taskQueue,
        }),
      ).toBeGreaterThan(0);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  });
});
