import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STILL_WORKING } from '../../shared/conversation/deadline';
import { workflowsPath } from '../../worker/worker';
import {
  chatClient,
  TICKET_FAILED,
  TICKET_REPLY,
  type ChatClient,
  type Chatbot,
  type Conversation,
} from './support/chat';
import { recoveryLog } from './support/recoveries';
import { startFaultStack, type ApiAnswer, type FaultStack } from './support/stack';
import { startUpstream, type Upstream } from './support/upstream';
import { waitFor } from './support/wait';

const GREETING_REPLY = 'Hi! How can I help you today?';
const THANKS_REPLY = "You're welcome! Is there anything else I can help with?";
/** A transcript line that is the upstream's answer, said verbatim. */
const TICKET_LINE = expect.stringMatching(/^bot: Ticket T-\d+ is open\.$/);

/**
 * The fault suite: a whole Parley — its own Temporal dev server (SQLite file), FerretDB, worker and API processes —
 * and an operator's API that holds each POST while its job runs and honours Idempotency-Key; each part is
 * SIGKILLed at the worst moment (mid-call, between turns, during a start). Every conversation must complete, every
 * job run once per Idempotency-Key, no bot message be said twice, and recovery take seconds. The measured times
 * are written to test/faults/.last-run.json and printed at the end. Time bounds and 503 shapes are checked softly,
 * so a scenario goes on and one run reports every way it fell short.
 */
describe('Parley when its processes are SIGKILLed', () => {
  let stack: FaultStack;
  let upstream: Upstream;
  let chat: ChatClient;
  const recoveries = recoveryLog();
  const bots: Chatbot[] = [];
  const conversations: Conversation[] = [];
  const suiteStarted = performance.now();
  let failed = false;

  beforeAll(async () => {
    upstream = await startUpstream({ holdMs: 7_000 });
    stack = await startFaultStack();
    chat = chatClient(stack);
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') failed = true;
    await stack?.restore();
  });
  afterAll(async () => {
    console.log(recoveries.write(performance.now() - suiteStarted));
    if (failed) console.log(`The fault stack's logs are kept in ${stack?.dir}`);
    await stack?.stop(failed);
    await upstream?.close();
  });

  /** Records a measured time and, given a bound, holds it to that bound (softly). */
  function measured(scenario: string, measure: string, ms: number, boundMs?: number): void {
    recoveries.record(scenario, measure, ms, boundMs ?? null);
    if (boundMs !== undefined) expect.soft(Math.round(ms), `${scenario}: ${measure} (ms)`).toBeLessThanOrEqual(boundMs);
  }
  /** A 503 `unavailable` with Retry-After; given a scenario, its time is recorded and held to `withinMs`. */
  function expectUnavailable(what: string, answer: ApiAnswer, timed?: { scenario: string; withinMs: number }) {
    expect
      .soft({ status: answer.status, code: answer.body.error?.code, retryAfter: answer.retryAfter }, what)
      .toEqual({ status: 503, code: 'unavailable', retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
    if (timed) measured(timed.scenario, `${what} answered 503`, answer.ms, timed.withinMs);
  }
  async function chatbot(settings: Record<string, unknown> = {}): Promise<Chatbot> {
    const bot = await chat.createChatbot(upstream.url, { greeting: null, ...settings });
    bots.push(bot);
    return bot;
  }
  async function conversation(bot: Chatbot): Promise<Conversation> {
    const started = await chat.start(bot);
    conversations.push(started);
    return started;
  }
  /** The transcript without the turn deadline's "still working" notes, whose presence timing decides. */
  async function linesWithoutNotes(conv: Conversation): Promise<string[]> {
    return (await chat.lines(conv)).filter((line) => line !== `bot: ${STILL_WORKING}`);
  }
  /** The job of each of the conversation's turns that called the upstream ran exactly once. */
  function expectJobsOnce(conv: Conversation, turns: number) {
    expect(Object.values(upstream.effectsOf(conv.id))).toEqual(Array<number>(turns).fill(1));
  }
  /** Workflow ids of a chatbot's conversations, as Temporal lists them. */
  function workflowsOf(bot: Chatbot): Promise<string[]> {
    return stack.withTemporal(async (client) => {
      const ids: string[] = [];
      for await (const workflow of client.workflow.list({ query: `ParleyChatbotId = "${bot.id}"` })) {
        ids.push(workflow.workflowId);
      }
      return ids.sort();
    });
  }
  /** Workflow ids of a chatbot's conversation records, as the database holds them. */
  function recordsOf(bot: Chatbot): Promise<string[]> {
    return stack.withDatabase((db) =>
      db
        .collection<{ _id: string }>('conversations')
        .find({ chatbotId: bot.id })
        .map((doc) => `conversation:${bot.id}:${doc._id}`)
        .toArray()
        .then((ids) => ids.sort()),
    );
  }

  it('worker killed while the upstream holds a POST: the reply comes ≤ 15 s after a new worker is up, the job runs once, and the call log shows the lost attempt as interrupted', async () => {
    const scenario = 'worker killed mid-POST';
    upstream.holdMs = 7_000;
    const conv = await conversation(await chatbot());
    const turn = chat.send(conv, 'open a ticket', 'ticket-1');
    await upstream.receivedPosts(conv.id, 1);
    const killedAt = Date.now();
    await stack.killWorker();
    await stack.startWorker();
    const backAt = Date.now();
    measured(scenario, 'worker restart (bundling included)', backAt - killedAt);

    const repliedAt = await chat.replyInTranscript(conv, TICKET_REPLY, 40_000);
    measured(scenario, 'reply after the worker is back', repliedAt - backAt, 15_000);
    measured(scenario, 'reply after the kill', repliedAt - killedAt);

    // The visitor's request got the reply, the deadline's "still working" note, or 503 "received": never a failure.
    const answer = await turn;
    if (answer.status === 200) {
      const last = chat.said(answer).at(-1) ?? '';
      expect(TICKET_REPLY.test(last) || last === STILL_WORKING, `the turn answered "${last}"`).toBe(true);
    } else {
      expectUnavailable('the turn killed mid-POST', answer);
    }
    const posts = upstream.postsOf(conv.id);
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((post) => post.key)).size).toBe(1);
    expectJobsOnce(conv, 1);
    expect(await linesWithoutNotes(conv)).toEqual(['visitor: open a ticket', TICKET_LINE]);
    await expect
      .poll(async () => (await chat.callLog(conv)).map(({ attempt, outcome }) => ({ attempt, outcome })), {
        timeout: 15_000,
        interval: 250,
      })
      .toEqual([
        { attempt: 1, outcome: 'interrupted' },
        { attempt: 2, outcome: 'ok' },
      ]);
  });

  it('worker killed between turns: the next turn is answered ≤ 3 s after a new worker is up', async () => {
    const scenario = 'worker killed between turns';
    const conv = await conversation(await chatbot());
    expect(chat.said(await chat.send(conv, 'hi', 'hi-1'))).toEqual([GREETING_REPLY]);
    await stack.killWorker();
    await stack.startWorker();
    const backAt = Date.now();
    const answer = await chat.send(conv, 'thanks', 'thanks-1');
    measured(scenario, 'next turn answered after the worker is back', Date.now() - backAt, 3_000);
    expect(chat.said(answer)).toEqual([THANKS_REPLY]);
    expect(await chat.lines(conv)).toEqual([
      'visitor: hi',
      `bot: ${GREETING_REPLY}`,
      'visitor: thanks',
      `bot: ${THANKS_REPLY}`,
    ]);
  });

  it('FerretDB killed while the upstream holds a POST: one POST, the reply is the upstream answer, and its call-log entry appears once the database is back', async () => {
    const scenario = 'FerretDB killed mid-POST';
    upstream.holdMs = 6_000;
    const conv = await conversation(await chatbot());
    const turn = chat.send(conv, 'open a ticket', 'ticket-1');
    await upstream.receivedPosts(conv.id, 1);
    await stack.killFerretDb();
    const downAt = Date.now();

    // The database stays down until the visitor has the answer (the upstream answers, and the turn ends, during the
    // outage): in the turn's own answer, or in the transcript when the turn outlasted its deadline.
    const answer = await turn;
    const answered = answer.status === 200 && chat.said(answer).some((text) => TICKET_REPLY.test(text));
    const repliedAt = answered ? Date.now() : await chat.replyInTranscript(conv, TICKET_REPLY, 30_000);
    measured(scenario, 'reply after the kill (database still down)', repliedAt - downAt);
    await stack.startFerretDb();
    const backAt = Date.now();
    measured(scenario, 'database outage', backAt - downAt);

    expect(upstream.postsOf(conv.id)).toHaveLength(1);
    expectJobsOnce(conv, 1);
    const lines = await linesWithoutNotes(conv);
    expect(lines).toEqual(['visitor: open a ticket', TICKET_LINE]);
    expect(lines).not.toContain(`bot: ${TICKET_FAILED}`);

    const loggedAt = await waitFor(
      'the call-log entry of the attempt made while the database was down',
      async () => ((await chat.callLog(conv)).some((entry) => entry.outcome === 'ok') ? Date.now() : null),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    measured(scenario, 'call-log entry after the database is back', loggedAt - backAt, 15_000);
    expect(await chat.callLog(conv)).toEqual([{ attempt: 1, outcome: 'ok', status: 200 }]);
  });

  it('FerretDB down: a visitor message, a conversation start and an admin call each answer 503 unavailable with Retry-After within 3 s, and the message is answered once the database is back', async () => {
    const scenario = 'FerretDB down';
    const bot = await chatbot();
    // Never sent a message, so this API process has not read its record: the message needs the database.
    const conv = await conversation(bot);
    await stack.killFerretDb();
    const downAt = Date.now();
    const [message, start, admin] = await Promise.all([
      chat.send(conv, 'hi', 'hi-1', 30_000),
      chat.requestStart(bot, 30_000),
      stack.admin('GET', `/v1/chatbots/${bot.id}`, undefined, 30_000),
    ]);
    expectUnavailable('visitor message', message, { scenario, withinMs: 3_000 });
    expectUnavailable('conversation start', start, { scenario, withinMs: 3_000 });
    expectUnavailable('admin call', admin, { scenario, withinMs: 3_000 });

    await stack.startFerretDb();
    const backAt = Date.now();
    measured(scenario, 'database outage', backAt - downAt);
    // The widget retries with the same messageId until it is answered.
    await waitFor(
      'the retried message to be answered',
      async () => (await chat.send(conv, 'hi', 'hi-1', 10_000)).status === 200,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    measured(scenario, 'retried message answered after the database is back', Date.now() - backAt, 5_000);
    expect(await chat.lines(conv)).toEqual(['visitor: hi', `bot: ${GREETING_REPLY}`]);
  });

  it('Temporal killed between turns: messages and starts answer 503 within 2 s and /healthz within 1 s; once it restarts on its database file, the same conversation goes on', async () => {
    const scenario = 'Temporal killed between turns';
    upstream.holdMs = 300;
    const bot = await chatbot();
    const conv = await conversation(bot);
    expect(chat.said(await chat.send(conv, 'hi', 'hi-1'))).toEqual([GREETING_REPLY]);
    await stack.killTemporal();
    const downAt = Date.now();
    const [message, start, health] = await Promise.all([
      chat.send(conv, 'open a ticket', 'ticket-1', 30_000),
      chat.requestStart(bot, 30_000),
      stack.call('GET', '/healthz', { timeoutMs: 30_000 }),
    ]);
    expectUnavailable('visitor message', message, { scenario, withinMs: 2_000 });
    expectUnavailable('conversation start', start, { scenario, withinMs: 2_000 });
    expect.soft(health.status, '/healthz status').toBe(503);
    expect.soft(health.body, '/healthz body').toMatchObject({ temporal: { ok: false }, mongodb: { ok: true } });
    measured(scenario, '/healthz answered 503', health.ms, 1_000);

    await stack.startTemporal();
    const backAt = Date.now();
    measured(scenario, 'Temporal outage (restart included)', backAt - downAt);
    // The widget retries with the same messageId until it is answered.
    const answer = await waitFor(
      'the retried message to be answered',
      async () => {
        const retried = await chat.send(conv, 'open a ticket', 'ticket-1', 15_000);
        return retried.status === 200 ? retried : null;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    measured(scenario, 'retried message answered after Temporal is back', Date.now() - backAt);
    expect(chat.said(answer)).toEqual([expect.stringMatching(TICKET_REPLY)]);
    expectJobsOnce(conv, 1);
    expect(upstream.postsOf(conv.id)).toHaveLength(1);
    expect(await chat.lines(conv)).toEqual([
      'visitor: hi',
      `bot: ${GREETING_REPLY}`,
      'visitor: open a ticket',
      TICKET_LINE,
    ]);
    // The start refused during the outage left no record (and no workflow) behind.
    expect(await recordsOf(bot)).toEqual([`conversation:${bot.id}:${conv.id}`]);
    expect(await workflowsOf(bot)).toEqual([`conversation:${bot.id}:${conv.id}`]);
  });

  it('API killed while the upstream holds a POST: the client resends with the same messageId to a new API process and gets the first reply; one job, no duplicated bot message', async () => {
    const scenario = 'API killed mid-turn';
    upstream.holdMs = 6_000;
    const conv = await conversation(await chatbot());
    const first = chat.send(conv, 'open a ticket', 'ticket-1').then(
      () => 'answered',
      () => 'connection lost',
    );
    await upstream.receivedPosts(conv.id, 1);
    const killedAt = Date.now();
    await stack.killApi();
    expect(await first).toBe('connection lost');
    await stack.startApi();
    const backAt = Date.now();
    measured(scenario, 'API restart', backAt - killedAt);

    const retried = await chat.send(conv, 'open a ticket', 'ticket-1');
    measured(scenario, 'resent message answered after the API is back (upstream still busy)', Date.now() - backAt);
    expect(retried.status).toBe(200);
    expect(chat.said(retried)).toEqual([expect.stringMatching(TICKET_REPLY)]);
    expect(upstream.postsOf(conv.id)).toHaveLength(1);
    expectJobsOnce(conv, 1);
    expect(await linesWithoutNotes(conv)).toEqual(['visitor: open a ticket', `bot: ${chat.said(retried)[0]}`]);
  });

  it('no worker running: a message is answered 503 by its turn deadline and answered in the transcript once a worker starts; the retried messageId gets that reply', async () => {
    const scenario = 'no worker running';
    upstream.holdMs = 300;
    const deadlineMs = 3_000;
    const conv = await conversation(await chatbot({ turnDeadlineSeconds: deadlineMs / 1000 }));
    expect(chat.said(await chat.send(conv, 'hi', 'hi-1'))).toEqual([GREETING_REPLY]);
    await stack.killWorker();

    const answer = await chat.send(conv, 'open a ticket', 'ticket-1', 60_000);
    // The deadline, and under a second more: a worker answers the deadline's question in milliseconds, so the API
    // takes 0.6 s without an answer to mean that none is running.
    expectUnavailable('message (turn deadline 3 s)', answer, { scenario, withinMs: deadlineMs + 1_000 });
    expect(answer.body.error?.message).toMatch(/received/);

    await stack.startWorker();
    const backAt = Date.now();
    const repliedAt = await chat.replyInTranscript(conv, TICKET_REPLY, 30_000);
    measured(scenario, 'reply in the transcript after the worker is back', repliedAt - backAt, 3_000);

    const retried = await chat.send(conv, 'open a ticket', 'ticket-1');
    expect(retried.status).toBe(200);
    expect(chat.said(retried)).toEqual([expect.stringMatching(TICKET_REPLY)]);
    expect(upstream.postsOf(conv.id)).toHaveLength(1);
    expectJobsOnce(conv, 1);
    expect(await linesWithoutNotes(conv)).toEqual([
      'visitor: hi',
      `bot: ${GREETING_REPLY}`,
      'visitor: open a ticket',
      TICKET_LINE,
    ]);
  });

  it('worker killed during a conversation start: the start completes once a worker is back, with its record and nothing orphaned', async () => {
    const scenario = 'worker killed during a start';
    const bot = await chatbot({ greeting: 'Hello! I can open tickets.' });
    await stack.killWorker();
    const killedAt = Date.now();
    const pending = chat.requestStart(bot, 120_000);
    // Half done: the update-with-start has started the workflow, whose opening waits for a worker; no record yet.
    const [workflowId] = await waitFor(
      'the conversation workflow to start',
      async () => {
        const ids = await workflowsOf(bot);
        return ids.length > 0 ? ids : null;
      },
      { timeoutMs: 15_000 },
    );
    expect(await recordsOf(bot)).toEqual([]);

    await stack.startWorker();
    const backAt = Date.now();
    measured(scenario, 'worker restart (bundling included)', backAt - killedAt);
    const answer = await pending;
    measured(scenario, 'start answered after the worker is back', Date.now() - backAt, 3_000);
    const conv = chat.started(bot, answer);
    conversations.push(conv);
    expect(conv.opening).toEqual([{ type: 'text', text: 'Hello! I can open tickets.' }]);
    expect(workflowId).toBe(`conversation:${bot.id}:${conv.id}`);
    expect(await recordsOf(bot)).toEqual([workflowId]);
    expect(await workflowsOf(bot)).toEqual([workflowId]);
    expect(chat.said(await chat.send(conv, 'hi', 'hi-1'))).toEqual([GREETING_REPLY]);
  });

  it("every conversation's history replays with the current workflow code, so any worker can pick it up later", async () => {
    const histories = await stack.withTemporal(async (client) =>
      Promise.all(
        conversations.map(async (conv) => {
          const workflowId = `conversation:${conv.chatbotId}:${conv.id}`;
          return { workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() };
        }),
      ),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath, replayName: 'faults' }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('after all that, each ticket turn made one job under one Idempotency-Key and said its reply once, every conversation completes when closed, and every record has its workflow and every workflow its record', async () => {
    // Each ticket turn called under one Idempotency-Key (a turn run twice would have made a second key, and a job
    // of its own), and said its reply once.
    for (const conv of conversations) {
      const lines = await chat.lines(conv).catch((error: Error) => [`(transcript unreadable: ${error.message})`]);
      const tickets = lines.filter((line) => /^bot: Ticket T-\d+ is open\.$/.test(line));
      expect.soft(tickets, `${conv.id}'s ticket replies`).toHaveLength(Object.keys(upstream.effectsOf(conv.id)).length);
    }
    for (const conv of conversations) expect.soft((await chat.close(conv)).status, `closing ${conv.id}`).toBe(202);
    const notCompleted: string[] = [];
    await stack.withTemporal(async (client) => {
      for (const conv of conversations) {
        const handle = client.workflow.getHandle(`conversation:${conv.chatbotId}:${conv.id}`);
        await waitFor(
          `${handle.workflowId} to complete`,
          async () => (await handle.describe()).status.name === 'COMPLETED',
          { timeoutMs: 15_000, intervalMs: 200 },
        ).catch(() => notCompleted.push(handle.workflowId));
      }
    });
    expect.soft(notCompleted, 'conversations that did not complete when closed').toEqual([]);
    for (const bot of bots) {
      const records = await recordsOf(bot);
      await expect.poll(() => workflowsOf(bot), { timeout: 10_000, interval: 250 }).toEqual(records);
    }
  });
});
