import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from 'undici';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';
import { openEvents, type SseEvent } from '../support/sse';

type Entry = { seq: number; from: string; message: { type: string; text?: string } };

const entryOf = (event: SseEvent) => JSON.parse(event.data) as Entry;
const textOf = (event: SseEvent) => entryOf(event).message.text ?? `[${entryOf(event).message.type}]`;

/** Live delivery: the bot's messages stream to the visitor as Server-Sent Events as they are produced. */
describe('live delivery (GET /v1/conversations/:id/events)', () => {
  let parley: Parley;
  let api: FakeApi;
  let base: string;
  /** Holds the slow action's request until the test releases it. */
  let release: () => void = () => undefined;

  beforeAll(async () => {
    parley = await startParley();
    base = await parley.listen();
    api = await startFakeApi(async (received) => {
      if (received.path === '/slow') await new Promise<void>((resolve) => (release = resolve));
      return { status: 200, body: { status: 'shipped', items: [{ name: 'Mug', sku: 'MUG-01' }] } };
    });
  });
  afterAll(async () => {
    await parley?.close();
    await api?.close();
  });

  const slowAction: () => ActionDefinitionInput = () => ({
    name: 'track_parcel',
    description: 'Track a parcel',
    examples: ['track my parcel', 'where is my parcel'],
    triggeredResponse: 'Let me look that up…',
    steps: [
      {
        id: 'lookup',
        request: { method: 'GET', url: `${api.url}/slow` },
        timeoutMs: 20_000,
        retry: { maxAttempts: 1 },
      },
    ],
    reply: { template: 'Your parcel is {{steps.lookup.status}}.' },
  });
  const pickAction: () => ActionDefinitionInput = () => ({
    name: 'find_products',
    description: 'Find products',
    examples: ['find products'],
    steps: [{ id: 'call', request: { method: 'GET', url: `${api.url}/search` }, retry: { maxAttempts: 1 } }],
    reply: {
      template: 'Which one?',
      itemButtons: { items: 'steps.call.items', label: '{{item.name}}', payload: 'mug picked' },
    },
  });

  /** Every conversation these tests watched, to replay at the end. */
  const watched: string[] = [];
  const stream = (
    chat: { conversationId: string; token: string; workflowId: string },
    extra: Record<string, string> = {},
  ) => (watched.push(chat.workflowId), streamOf(chat, extra));
  const streamOf = (chat: { conversationId: string; token: string }, extra: Record<string, string> = {}) =>
    openEvents(`${base}/v1/conversations/${chat.conversationId}/events`, {
      authorization: `Bearer ${chat.token}`,
      ...extra,
    });

  it("streams an action's triggered response while its API call is still running, then the reply", async () => {
    const bot = await parley.createChatbot([slowAction()]);
    const chat = await parley.startConversation(bot);
    const events = await stream(chat);
    try {
      expect(events.status).toBe(200);
      expect(events.headers['content-type']).toMatch(/^text\/event-stream/);
      const turn = chat.send('track my parcel');
      const pending = turn.then((response) => response);
      await api.received(1);
      const [triggered] = await events.take(1);
      // The upstream still holds the request: the message was produced mid-turn and delivered at once.
      expect(textOf(triggered as SseEvent)).toBe('Let me look that up…');
      expect(triggered?.event).toBe('message');
      expect(triggered?.id).toBe(String(entryOf(triggered as SseEvent).seq));
      release();
      const [reply] = await events.take(1);
      expect(textOf(reply as SseEvent)).toBe('Your parcel is shipped.');
      expect(Number(reply?.id)).toBeGreaterThan(Number(triggered?.id));
      expect((await pending).status).toBe(200);
    } finally {
      events.close();
    }
  });

  it('streams replies produced outside a POST /messages (a button press) with the transcript seq as id', async () => {
    const bot = await parley.createChatbot([pickAction()]);
    const chat = await parley.startConversation(bot);
    const events = await stream(chat);
    try {
      await chat.send('find products').expect(200);
      const [question, buttons] = await events.take(2);
      expect([textOf(question as SseEvent), textOf(buttons as SseEvent)]).toEqual(['Which one?', '[buttons]']);
      await parley.api
        .post(`/v1/conversations/${chat.conversationId}/buttons`)
        .set('authorization', `Bearer ${chat.token}`)
        .send({ payload: 'find products' })
        .expect(202);
      const [again] = await events.take(1);
      expect(textOf(again as SseEvent)).toBe('Which one?');
      const transcript = await chat.transcript();
      const last = transcript.filter((entry) => entry.from === 'bot').at(-2);
      expect(entryOf(again as SseEvent)).toMatchObject({ seq: last?.seq, from: 'bot' });
    } finally {
      events.close();
    }
  });

  it('resumes from Last-Event-ID: nothing said while disconnected is lost, nothing is repeated', async () => {
    const bot = await parley.createChatbot([pickAction()]);
    const chat = await parley.startConversation(bot);
    const first = await stream(chat);
    await chat.send('find products').expect(200);
    const seen = await first.take(2);
    first.close();

    // Said while nobody watches.
    await chat.send('find products').expect(200);
    await chat.send('find products').expect(200);
    const lastId = seen.at(-1)?.id as string;
    const resumed = await stream(chat, { 'last-event-id': lastId });
    try {
      const missed = await resumed.take(4);
      const expected = (await chat.transcript(Number(lastId))).filter((entry) => entry.from === 'bot');
      expect(missed.map((event) => Number(event.id))).toEqual(expected.map((entry) => entry.seq));
      await chat.send('find products').expect(200);
      const live = await resumed.take(2);
      const ids = [...seen, ...missed, ...live].map((event) => Number(event.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    } finally {
      resumed.close();
    }
  });

  it('opens with a short-lived stream token (for EventSource), and only for its own conversation', async () => {
    const bot = await parley.createChatbot([pickAction()]);
    const chat = await parley.startConversation(bot);
    const other = await parley.startConversation(bot);
    const minted = await parley.api
      .post(`/v1/conversations/${chat.conversationId}/stream-token`)
      .set('authorization', `Bearer ${chat.token}`)
      .expect(201);
    expect(minted.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    const token = encodeURIComponent(minted.body.token as string);

    const events = await openEvents(`${base}/v1/conversations/${chat.conversationId}/events?token=${token}`);
    try {
      expect(events.status).toBe(200);
      await chat.send('find products').expect(200);
      expect((await events.take(1)).map(textOf)).toEqual(['Which one?']);
    } finally {
      events.close();
    }

    const elsewhere = await openEvents(`${base}/v1/conversations/${other.conversationId}/events?token=${token}`);
    expect(elsewhere.status).toBe(401);
    expect(await elsewhere.errorBody()).toMatchObject({ error: { code: 'unauthorized' } });
    const anonymous = await openEvents(`${base}/v1/conversations/${chat.conversationId}/events`);
    expect(anonymous.status).toBe(401);
    const wrongToken = await openEvents(`${base}/v1/conversations/${chat.conversationId}/events`, {
      authorization: `Bearer ${other.token}`,
    });
    expect(wrongToken.status).toBe(404);
  });

  it('tells the stream when the conversation closes and ends it; a closed one replays what followed Last-Event-ID', async () => {
    const bot = await parley.createChatbot([pickAction()]);
    const chat = await parley.startConversation(bot);
    const events = await stream(chat);
    await chat.send('find products').expect(200);
    const seen = await events.take(2);
    await chat.close().expect(202);
    const [closed] = await events.take(1);
    expect(closed?.event).toBe('closed');
    await events.untilEnded();

    const replay = await stream(chat, { 'last-event-id': String(Number(seen[0]?.id) - 1) });
    expect(replay.status).toBe(200);
    await replay.untilEnded();
    expect(replay.events.map((event) => event.event)).toEqual(['message', 'message', 'closed']);
    expect(replay.events.slice(0, 2).map((event) => event.id)).toEqual(seen.map((event) => event.id));
  });

  it('keeps histories with watches and pushes in them replayable with the current workflow code', async () => {
    expect(watched.length).toBeGreaterThan(3);
    for (const workflowId of new Set(watched)) {
      expect((await parley.historyText(workflowId)).includes('publishLive'), workflowId).toBe(true);
      const history = await parley.client.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history, workflowId);
    }
  });

  it('refuses pushes that a Parley worker did not sign', async () => {
    const forged = await request(`${base}/internal/live`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-parley-live-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
      },
      body: JSON.stringify({ conversationId: 'x', entries: [], closed: false }),
    });
    expect(forged.statusCode).toBe(401);
    await forged.body.dump();
  });

  it('answers a bad Last-Event-ID 400 naming it', async () => {
    const bot = await parley.createChatbot([pickAction()]);
    const chat = await parley.startConversation(bot);
    const events = await stream(chat, { 'last-event-id': 'yesterday' });
    expect(events.status).toBe(400);
    expect(await events.errorBody()).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringMatching(/Last-Event-ID/) },
    });
  });
});
