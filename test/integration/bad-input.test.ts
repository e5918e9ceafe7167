import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { VISITOR_LIMITS } from '../../shared/security/visitor-limits';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The bytes of every payload an event carries (inputs, results, update arguments and outcomes). */
function payloadSizes(event: HistoryEvent): number[] {
  const sizes: number[] = [];
  const walk = (value: unknown) => {
    if (value instanceof Uint8Array) return;
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const data = (value as { data?: unknown; metadata?: unknown }).data;
      if (data instanceof Uint8Array && (value as { metadata?: unknown }).metadata !== undefined)
        sizes.push(data.length);
      for (const child of Object.values(value)) walk(child);
    }
  };
  walk(event);
  return sizes;
}

/** Input a hostile visitor or a careless caller sends, through the API on the real stack: none of it breaks anything. */
describe('bad input', () => {
  let parley: Parley;
  let api: FakeApi;
  let bot: string;
  let key: string;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(() => ({ status: 200, body: { message: 'Done.' } }));
    bot = await parley.createChatbot([], { allowedOrigins: ['https://shop.example.com'] });
    key = (await parley.store.getChatbot(bot))?.publishableKey ?? '';
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const addAction = async (chatbotId: string, action: ActionDefinitionInput) =>
    parley.admin('put', `/v1/chatbots/${chatbotId}/actions/${action.name}`).send(action).expect(201);

  it('answers malformed percent-encoding in any id with 400, CORS preflights included', async () => {
    const chat = await parley.startConversation(bot);
    const bad = '%E0%A4%A';
    const responses = [
      await parley.api.post(`/v1/conversations/${bad}/messages`).set('authorization', `Bearer ${chat.token}`).send({
        text: 'hi',
      }),
      await parley.api.get(`/v1/conversations/${bad}/messages`).set('authorization', `Bearer ${chat.token}`),
      await parley.api
        .options(`/v1/conversations/${bad}/messages`)
        .set('origin', 'https://shop.example.com')
        .set('access-control-request-method', 'POST'),
      await parley.api
        .options(`/v1/chatbots/${bad}/conversations`)
        .set('origin', 'https://shop.example.com')
        .set('access-control-request-method', 'POST'),
      await parley.api.post(`/v1/chatbots/${bad}/conversations`).set('x-parley-key', key).send({}),
      await parley.admin('get', `/v1/chatbots/${bad}/actions`),
    ];
    for (const response of responses) {
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({
        code: 'invalid_request',
        message: 'the URL path holds malformed percent-encoding (each % needs two hex digits)',
      });
    }
  });

  it('refuses JSON nested thousands of levels deep with 400, in attributes and parameters alike', async () => {
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const start = await parley.api
      .post(`/v1/chatbots/${bot}/conversations`)
      .set('x-parley-key', key)
      .set('content-type', 'application/json')
      .send(`{"attributes": {"a": ${deep}}}`);
    await addAction(bot, {
      name: 'echo',
      description: 'Echo a value',
      parameters: [{ name: 'value', type: 'text', required: false }],
      steps: [{ id: 'call', request: { method: 'POST', url: `${api.url}/echo`, body: { v: '{{value}}' } } }],
    });
    const test = await parley
      .admin('post', `/v1/chatbots/${bot}/actions/echo/test`)
      .set('content-type', 'application/json')
      .send(`{"parameters": {"value": ${deep}}}`);
    for (const response of [start, test]) {
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({
        code: 'invalid_request',
        message: 'the request body nests more than 32 levels deep',
      });
    }
    // Depth an operator or a frontend really uses still passes.
    const nested = { a: { b: { c: { d: [1, [2, [3]]] } } } };
    await parley.api.post(`/v1/chatbots/${bot}/conversations`).set('x-parley-key', key).send({ attributes: nested });
  });

  it('answers 415 naming application/json when a body comes with another content type, and changes nothing', async () => {
    const chat = await parley.startConversation(bot);
    const plain = await parley.api
      .post(`/v1/conversations/${chat.conversationId}/messages`)
      .set('authorization', `Bearer ${chat.token}`)
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ text: 'hello' }));
    expect(plain.status).toBe(415);
    expect(plain.body.error).toEqual({
      code: 'unsupported_media_type',
      message: 'send the request body as JSON with Content-Type: application/json (got text/plain)',
    });
    const form = await parley
      .admin('post', '/v1/chatbots')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('name=sneaky');
    expect(form.status).toBe(415);
    expect(form.body.error.message).toContain('Content-Type: application/json');
    expect(await chat.transcript()).toEqual([]);
    expect((await parley.admin('get', '/v1/chatbots').expect(200)).body.chatbots).toHaveLength(1);
    // A body-less request needs no content type.
    await parley.api
      .post(`/v1/conversations/${chat.conversationId}/close`)
      .set('authorization', `Bearer ${chat.token}`)
      .expect(202);
  });

  it('refuses too-large visitor input with 413 and a message naming the limit, starting nothing', async () => {
    const start = (body: object) =>
      parley.api.post(`/v1/chatbots/${bot}/conversations`).set('x-parley-key', key).send(body);
    const big = await start({ attributes: { blob: 'x'.repeat(242_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error).toEqual({
      code: 'payload_too_large',
      message: 'attributes: at most 16 KB as JSON (got 237 KB)',
    });
    const many = await start({ attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) });
    expect(many.status).toBe(413);
    expect(many.body.error.message).toBe('attributes: at most 50 keys (got 51)');
    const name = await start({ visitor: { name: 'n'.repeat(201) } });
    expect(name.status).toBe(413);
    expect(name.body.error.message).toContain('visitor.name');

    const chat = await parley.startConversation(bot);
    const long = await chat.send('€'.repeat(VISITOR_LIMITS.messageChars + 1));
    expect(long.status).toBe(413);
    expect(long.body.error).toEqual({ code: 'payload_too_large', message: 'text: must be at most 4000 characters' });
    const lead = await parley.api
      .post(`/v1/conversations/${chat.conversationId}/lead`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({
        email: 'ada@example.com',
        fields: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'x'])),
      });
    expect(lead.status).toBe(413);
    expect(lead.body.error.message).toBe('fields: at most 20 fields');
    expect(await chat.transcript()).toEqual([]);
  });

  it('keeps the carried state and every payload of the history small, whatever a visitor sends, through continue-as-new', async () => {
    const fullAttributes = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, 'a'.repeat(1000)]));
    const chat = await parley.startConversation(bot, { attributes: fullAttributes });
    const handle = parley.client.workflow.getHandle(chat.workflowId);
    const firstRun = (await handle.describe()).runId;
    const hostile = '€'.repeat(VISITOR_LIMITS.messageChars); // 12 KB a message
    for (let turn = 0; turn < 30; turn += 1) {
      if (turn % 10 === 5) {
        await parley.api
          .post(`/v1/conversations/${chat.conversationId}/lead`)
          .set('authorization', `Bearer ${chat.token}`)
          .send({
            email: 'ada@example.com',
            fields: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${turn}f${i}`, 'y'.repeat(2000)])),
          })
          .expect(202);
      }
      await chat.send(hostile, `m${turn}`).expect(200);
    }
    // The conversation still answers, and a repeated message id is still answered, not processed again.
    expect(await chat.say('hello again')).toEqual([expect.stringContaining("Sorry, I didn't understand")]);

    let runId: string | null | undefined = firstRun;
    const carried: number[] = [];
    const largest: number[] = [];
    while (runId) {
      const history = await parley.client.workflow.getHandle(chat.workflowId, runId).fetchHistory();
      const events: HistoryEvent[] = history.events ?? [];
      largest.push(Math.max(...events.flatMap(payloadSizes)));
      const continued = events.find((event) => event.workflowExecutionContinuedAsNewEventAttributes);
      const attributes: temporal.api.history.v1.IWorkflowExecutionContinuedAsNewEventAttributes | null | undefined =
        continued?.workflowExecutionContinuedAsNewEventAttributes;
      if (attributes) carried.push(...payloadSizes({ attributes: attributes.input } as HistoryEvent));
      runId = attributes?.newExecutionRunId;
    }
    expect(carried.length).toBeGreaterThanOrEqual(2);
    for (const size of [...carried, ...largest]) expect(size).toBeLessThan(400 * 1024);
    const transcript = await chat.transcript();
    expect(Buffer.byteLength(JSON.stringify(transcript))).toBeLessThanOrEqual(VISITOR_LIMITS.transcriptBytes);
    expect(transcript.at(-1)?.message.text).toContain("Sorry, I didn't understand");
    const state = await handle.query<{ attributes: Record<string, unknown> }>('state');
    expect(Buffer.byteLength(JSON.stringify(state.attributes))).toBeLessThanOrEqual(VISITOR_LIMITS.attributesBytes);
  });

  it('needs a validated email or phone number for a lead, so an empty form fires no action', async () => {
    const chatbotId = await parley.createChatbot([
      {
        name: 'forget_me',
        description: 'Delete the lead from the CRM',
        triggers: [{ type: 'lead_captured' }],
        confirm: false,
        steps: [{ id: 'crm', request: { method: 'DELETE', url: `${api.url}/crm/leads` } }],
        reply: { template: 'Removed.' },
      },
    ]);
    const chat = await parley.startConversation(chatbotId);
    const lead = (body: object) =>
      parley.api
        .post(`/v1/conversations/${chat.conversationId}/lead`)
        .set('authorization', `Bearer ${chat.token}`)
        .send(body);
    for (const body of [{}, { name: 'Ada' }, { fields: { plan: 'pro' } }]) {
      const refused = await lead(body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe('body: a lead needs a contact: an email or a phone number');
    }
    expect((await lead({ email: 'not-an-email' })).body.error.message).toContain('email');
    expect((await lead({ phone: 'call me' })).body.error.message).toContain('phone');
    expect((await lead({ phone: '+1 (2)' })).body.error.message).toContain('at least 6 digits');
    await chat.say('hello');
    expect(api.requests.filter((request) => request.path === '/crm/leads')).toHaveLength(0);

    await lead({ phone: '+44 20 7946 0958' }).expect(202);
    await chat.say('hello');
    expect(api.requests.filter((request) => request.path === '/crm/leads')).toHaveLength(1);
  });

  it('answers a catastrophic pattern on a hostile answer at once, and refuses patterns that need backtracking', async () => {
    const chatbotId = await parley.createChatbot([
      {
        name: 'redeem_code',
        description: 'Redeem a voucher code',
        examples: ['redeem a voucher', 'I have a voucher code'],
        parameters: [{ name: 'code', type: 'text', pattern: '^(a+)+b$', prompt: 'What is the code?' }],
        steps: [{ id: 'redeem', request: { method: 'POST', url: `${api.url}/redeem`, body: { code: '{{code}}' } } }],
      },
    ]);
    const chat = await parley.startConversation(chatbotId);
    expect(await chat.say('I have a voucher code')).toEqual(['What is the code?']);
    const started = performance.now();
    const reply = await chat.say(`${'a'.repeat(3990)}!`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(reply[0]).toContain('does not look like a valid');
    expect(await chat.say('aaab')).toEqual(['Done.']);

    const refused = await parley.admin('put', `/v1/chatbots/${chatbotId}/actions/twice`).send({
      description: 'Doubled letters',
      parameters: [{ name: 'letters', type: 'text', pattern: '^(\\w)\\1$' }],
      steps: [{ id: 'call', request: { method: 'GET', url: `${api.url}/x` } }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      'parameters[0].pattern: cannot be used: backreferences are not supported (patterns run on a linear-time matcher)',
    );
  });

  it('refuses at render, without a retry or a call, a header value a visitor filled with an emoji, naming why', async () => {
    const chatbotId = await parley.createChatbot([
      {
        name: 'leave_note',
        description: 'Leave a note for the team',
        examples: ['leave a note', 'I want to leave a note'],
        parameters: [{ name: 'note', type: 'text', prompt: 'What is your note?' }],
        steps: [
          {
            id: 'note',
            request: { method: 'POST', url: `${api.url}/notes`, headers: { 'X-Note': '{{note}}' }, body: {} },
            retry: { maxAttempts: 3, initialIntervalMs: 20, backoffCoefficient: 1 },
            onError: { then: 'stop', reply: 'Sorry, I could not leave that note.' },
          },
        ],
      },
    ]);
    const chat = await parley.startConversation(chatbotId);
    expect(await chat.say('I want to leave a note')).toEqual(['What is your note?']);
    expect(await chat.say('thanks 😀')).toEqual(['Sorry, I could not leave that note.']);
    expect(api.requests.filter((request) => request.path === '/notes')).toHaveLength(0);
    const logs = (await parley.admin('get', `/v1/chatbots/${chatbotId}/actions/leave_note/logs`).expect(200)).body
      .logs as { attempt: number; error: { type: string; message: string } }[];
    expect(logs.map((entry) => [entry.attempt, entry.error])).toEqual([
      [
        1,
        {
          type: 'RequestRejected',
          message:
            'header X-Note would contain U+1F600, which an HTTP header cannot carry (header values are Latin-1 text)',
        },
      ],
    ]);
    expect(await chat.say('I want to leave a note')).toEqual(['What is your note?']);
    expect(await chat.say('merci, très bien')).toEqual(['Done.']);
    // Latin-1 text goes as it is: one byte a character.
    expect(api.requests.find((request) => request.path === '/notes')?.headers['x-note']).toBe('merci, très bien');
  });

  it('escapes visitor text in a raw XML body so it cannot add elements, unless the step says escape "none"', async () => {
    const xmlAction = (name: string, extra: Record<string, unknown> = {}): ActionDefinitionInput => ({
      name,
      description: 'Send feedback to the XML service',
      examples: ['send feedback', 'I have feedback'],
      parameters: [{ name: 'feedback', type: 'text', prompt: 'What is your feedback?' }],
      steps: [
        {
          id: 'send',
          request: {
            method: 'POST',
            url: `${api.url}/xml/${name}`,
            bodyType: 'raw',
            contentType: 'application/xml',
            body: '<feedback><text>{{feedback}}</text></feedback>',
            ...extra,
          },
        },
      ],
    });
    const chatbotId = await parley.createChatbot([xmlAction('send_feedback')]);
    const chat = await parley.startConversation(chatbotId);
    expect(await chat.say('I have feedback')).toEqual(['What is your feedback?']);
    expect(await chat.say('<a></a><admin>true</admin>')).toEqual(['Done.']);
    expect(api.requests.find((request) => request.path === '/xml/send_feedback')?.body).toBe(
      '<feedback><text>&lt;a&gt;&lt;/a&gt;&lt;admin&gt;true&lt;/admin&gt;</text></feedback>',
    );

    await addAction(chatbotId, xmlAction('send_markup', { escape: 'none' }));
    await parley
      .admin('post', `/v1/chatbots/${chatbotId}/actions/send_markup/test`)
      .send({ parameters: { feedback: '<b>bold</b>' } })
      .expect(200);
    expect(api.requests.find((request) => request.path === '/xml/send_markup')?.body).toBe(
      '<feedback><text><b>bold</b></text></feedback>',
    );
  });
});
