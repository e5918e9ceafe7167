import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { STILL_WORKING } from '../../shared/conversation/deadline';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';
import { parleySinks } from '../../worker/worker';

/** The turn deadline through the API: a slow upstream never keeps the visitor's request open past it. */
describe('the turn deadline', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(async () => {
      await sleep(2_500);
      return { status: 200, body: { message: 'Your report is ready.' } };
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  it('answers with what it has at the deadline and adds the result to the transcript when it arrives', async () => {
    const bot = await parley.createChatbot(
      [
        {
          name: 'build_report',
          description: 'Build a sales report',
          examples: ['build a report'],
          triggeredResponse: 'One moment...',
          steps: [{ id: 'r', request: { method: 'GET', url: `${api.url}/report` }, timeoutMs: 10_000 }],
        },
      ],
      { turnDeadlineSeconds: 1 },
    );
    const chat = await parley.startConversation(bot);
    const started = Date.now();
    expect(await chat.say('build a report')).toEqual(['One moment...', STILL_WORKING]);
    expect(Date.now() - started).toBeLessThan(2_400);
    await expect
      .poll(async () => (await chat.transcript()).at(-1)?.message.text, { timeout: 10_000 })
      .toBe('Your report is ready.');
    expect((await chat.transcript()).map((entry) => entry.message.text).slice(-3)).toEqual([
      'One moment...',
      STILL_WORKING,
      'Your report is ready.',
    ]);
    // The next message is answered normally once the action is done.
    expect(await chat.say('hi')).toEqual(['Hi! How can I help you today?']);
  });

  it('answers 503 by the deadline when no worker serves conversations, and answers the message once one is back', async () => {
    const bot = await parley.createChatbot([], { turnDeadlineSeconds: 1 });
    const chat = await parley.startConversation(bot);
    await parley.stopWorker();
    try {
      const started = Date.now();
      const waiting = await chat.send('hello there', 'no-worker-1');
      // The 1 s deadline, and well under a second to tell that no worker answers.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(waiting.status).toBe(503);
      expect(waiting.body.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining('your message was received'),
      });
      expect(waiting.headers['retry-after']).toBe('5');
    } finally {
      await parley.startWorker();
    }
    // Turns run in order: once the next message is answered, the one sent during the outage has been too.
    expect(await chat.say('thanks')).toEqual(["You're welcome! Is there anything else I can help with?"]);
    const said = (await chat.transcript()).map((entry) => `${entry.from}: ${entry.message.text ?? ''}`);
    expect(said.filter((line) => line === 'visitor: hello there')).toHaveLength(1);
    expect(said.indexOf('visitor: hello there')).toBeLessThan(said.indexOf('visitor: thanks'));
    expect(said[said.indexOf('visitor: hello there') + 1]).toMatch(/^bot: /);
  });

  it('keeps a step that runs longer than its heartbeat timeout alive by heartbeating, and calls only once', async () => {
    const slow = await startFakeApi(async () => {
      await sleep(5_500);
      return { status: 200, body: { message: 'Archive ready.' } };
    });
    try {
      const bot = await parley.createChatbot(
        [
          {
            name: 'build_archive',
            description: 'Build an archive',
            examples: ['build an archive'],
            steps: [{ id: 'a', request: { method: 'POST', url: `${slow.url}/archive` }, timeoutMs: 15_000 }],
          },
        ],
        { turnDeadlineSeconds: 10 },
      );
      const chat = await parley.startConversation(bot);
      // Longer than the step's 4 s heartbeat timeout: without heartbeats Temporal would call it lost and retry.
      expect(await chat.say('build an archive')).toEqual(['Archive ready.']);
      expect(slow.requests).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('answers a turn whose result and deadline reach a restarted worker together, in a history that replays', async () => {
    // Workflows and activities on separate workers, so the workflow side can die while the call goes on.
    let release: () => void = () => undefined;
    const held = await startFakeApi(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { status: 200, body: { message: 'Refund issued.' } };
    });
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const workflowWorker = () =>
      Worker.create({
        connection,
        taskQueue: parley.taskQueue,
        workflowBundle: { code: inject('workflowBundleCode') },
        // Local activities run here; the HTTP step (a normal activity) runs on the activity worker.
        activities: parley.activities,
        enableNonLocalActivities: false,
        stickyQueueScheduleToStartTimeout: '1 second',
        sinks: parleySinks(parley.services.metrics),
      });
    const activityWorker = await Worker.create({
      connection,
      taskQueue: parley.taskQueue,
      activities: parley.activities,
    });
    const activitiesRunning = activityWorker.run();
    await parley.stopWorker();
    let workflows = await workflowWorker();
    let workflowsRunning = workflows.run();
    try {
      const bot = await parley.createChatbot(
        [
          {
            name: 'refund',
            description: 'Refund an order',
            examples: ['refund my order'],
            steps: [{ id: 'r', request: { method: 'POST', url: `${held.url}/refund` }, timeoutMs: 20_000 }],
          },
        ],
        { turnDeadlineSeconds: 2 },
      );
      const chat = await parley.startConversation(bot);
      // (supertest sends a request once it is awaited or `then`ed.)
      const turn = chat.send('refund my order', 'refund-1').then((response) => response);
      await held.received(1);
      // The workflow side dies; the call completes while no worker holds the conversation, and then the turn's
      // deadline passes (answered 503): the call's result and the deadline's question wait for the next worker
      // together, which must answer them as it will answer them again when it replays.
      workflows.shutdown();
      await workflowsRunning;
      release();
      expect((await turn).status).toBe(503);
      workflows = await workflowWorker();
      workflowsRunning = workflows.run();
      await expect
        .poll(async () => (await chat.transcript()).map((entry) => entry.message.text), { timeout: 15_000 })
        .toContain('Refund issued.');
      const history = await parley.client.workflow.getHandle(chat.workflowId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history);
    } finally {
      workflows.shutdown();
      activityWorker.shutdown();
      await Promise.allSettled([workflowsRunning, activitiesRunning]);
      await connection.close();
      await held.close();
      await parley.startWorker();
    }
  });

  it('gives steps chat-sized defaults and chatbots a default deadline of 8 seconds', async () => {
    const bot = await parley.createChatbot([
      {
        name: 'ping',
        description: 'Ping the API',
        steps: [{ id: 'p', request: { method: 'GET', url: `${api.url}/p` } }],
      },
    ]);
    const saved = (await parley.admin('get', `/v1/chatbots/${bot}/actions/ping`).expect(200)).body.definition;
    expect(saved.steps[0]).toMatchObject({ timeoutMs: 3_000, retry: { maxAttempts: 2, initialIntervalMs: 500 } });
    expect((await parley.admin('get', `/v1/chatbots/${bot}`).expect(200)).body.turnDeadlineSeconds).toBeNull();
    const refused = await parley.admin('patch', `/v1/chatbots/${bot}`).send({ turnDeadlineSeconds: 0.5 });
    expect(refused.status).toBe(400);
  });
});
