import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmActivities } from '../../activities/llm';
import { ActionDefinitionSchema, type ActionDefinition } from '../../shared/actions/action';
import type { LlmSettings } from '../../shared/understanding/llm';
import { startFakeApi, type FakeApi, type FakeResponse, type ReceivedRequest } from '../support/fake-api';

const API_KEY = 'sk-test-7f3a9c0d2e1b';

const orderStatus: ActionDefinition = ActionDefinitionSchema.parse({
  name: 'check_order_status',
  description: "Look up an order's status",
  examples: ['where is my order'],
  parameters: [{ name: 'order_number', description: 'Order number', pattern: '^[0-9]{5,10}$' }],
  steps: [{ id: 'lookup', request: { method: 'GET', url: 'https://api.acme.test/orders/{{order_number}}' } }],
});
const bookTable: ActionDefinition = ActionDefinitionSchema.parse({
  name: 'book_table',
  description: 'Book a table at the restaurant',
  parameters: [
    { name: 'guests', type: 'number' },
    { name: 'day', type: 'date', required: false },
  ],
  steps: [{ id: 'book', request: { method: 'POST', url: 'https://api.acme.test/bookings' } }],
});

function toolAnswer(name: string, args: Record<string, unknown>): FakeResponse {
  return {
    status: 200,
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'parley-test-model',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name, arguments: JSON.stringify(args) } }],
          },
        },
      ],
    },
  };
}

function textAnswer(content: string): FakeResponse {
  return {
    status: 200,
    body: { choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] },
  };
}

/**
 * A real local server speaking the chat-completions API. Each test picks the answer by the first word of the
 * visitor's (last user) message, so tests do not depend on each other's order.
 */
function answerFor(request: ReceivedRequest): FakeResponse {
  if (request.method !== 'POST' || request.path !== '/v1/chat/completions') return { status: 404 };
  const body = JSON.parse(request.body) as { messages: { role: string; content: string }[] };
  const last = body.messages[body.messages.length - 1]?.content ?? '';
  const word = last.split(/\s/)[0];
  switch (word) {
    case 'track':
      return toolAnswer('check_order_status', { order_number: '12345' });
    case 'table':
      return toolAnswer('book_table', { guests: 4, day: null, smuggled: 'x' });
    case 'invented':
      return toolAnswer('drop_database', {});
    case 'hello':
      return textAnswer('');
    case 'four':
      return toolAnswer('extract', { guests: 4, day: '2025-05-02' });
    case 'Draft':
      return textAnswer(last.includes('say nothing') ? ' ' : '  Great news: your order shipped and arrives May 3!  ');
    case 'crash':
      return { status: 500, body: { error: { message: 'upstream overloaded' } } };
    case 'badkey':
      return { status: 401, body: { error: { message: 'Incorrect API key provided' } } };
    case 'garbage':
      return { status: 200, raw: '<html>gateway</html>' };
    case 'shapeless':
      return { status: 200, body: { result: 'ok' } };
    case 'slow':
      return { hang: true };
    default:
      return { status: 400, body: { error: { message: `unexpected message ${last}` } } };
  }
}

describe('LLM activities against a chat-completions server', () => {
  let llm: FakeApi;
  let settings: LlmSettings;
  const dispatcher = new Agent({ connect: { timeout: 2_000 } });
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  // The activity context without a worker; Temporal's own "Activity failed" warnings are expected here.
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

  beforeAll(async () => {
    llm = await startFakeApi(answerFor);
    settings = { baseUrl: `${llm.url}/v1`, model: 'parley-test-model', apiKey: API_KEY, timeoutMs: 1_000 };
  });
  afterAll(async () => {
    await Promise.allSettled([llm.close(), dispatcher.close()]);
  });

  const activities = (overrides: Partial<LlmSettings> = {}) =>
    createLlmActivities({ settings: { ...settings, ...overrides }, dispatcher, logger });

  /** The JSON body of the request the server received for a visitor message (the last user message). */
  function sentFor(message: string) {
    const found = llm.requests.find((request) => {
      const body = JSON.parse(request.body) as { messages: { role: string; content: string }[] };
      return body.messages[body.messages.length - 1]?.content.startsWith(message);
    });
    if (!found) throw new Error(`no request for ${message}`);
    return { headers: found.headers, body: JSON.parse(found.body) as Record<string, unknown> };
  }

  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }

  it('routes a message: offers the actions as strict tools with the bearer key and reads the chosen action', async () => {
    const { llmRoute } = activities();
    const route = await env.run(llmRoute, {
      message: 'track order 12345',
      history: [{ from: 'bot' as const, text: 'Hi! How can I help?' }],
      actions: [orderStatus, bookTable],
    });
    expect(route).toEqual({ action: 'check_order_status', arguments: { order_number: '12345' } });

    const { headers, body } = sentFor('track order 12345');
    expect(headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(headers['content-type']).toBe('application/json');
    expect(body['model']).toBe('parley-test-model');
    expect(body['tool_choice']).toBe('auto');
    expect(body['tools']).toEqual([
      {
        type: 'function',
        function: {
          name: 'check_order_status',
          description: expect.stringContaining('"where is my order"'),
          strict: true,
          parameters: {
            type: 'object',
            properties: {
              order_number: {
                type: ['string', 'null'],
                pattern: '^[0-9]{5,10}$',
                description: expect.stringContaining('Order number'),
              },
            },
            required: ['order_number'],
            additionalProperties: false,
          },
        },
      },
      {
        type: 'function',
        function: expect.objectContaining({
          name: 'book_table',
          strict: true,
          parameters: expect.objectContaining({ required: ['guests', 'day'], additionalProperties: false }),
        }),
      },
    ]);
    const messages = body['messages'] as { role: string; content: string }[];
    expect(messages.map((message) => message.role)).toEqual(['system', 'assistant', 'user']);
    expect(messages[0]?.content).toMatch(/at most one tool/);
  });

  it("keeps only the chosen action's parameters from the model's arguments, without nulls", async () => {
    const route = await env.run(activities().llmRoute, {
      message: 'table for four',
      history: [],
      actions: [bookTable],
    });
    expect(route).toEqual({ action: 'book_table', arguments: { guests: 4 } });
  });

  it('reads no action when the model calls a tool that was not offered or answers with text', async () => {
    const { llmRoute } = activities();
    const actions = [orderStatus, bookTable];
    expect(await env.run(llmRoute, { message: 'invented action', history: [], actions })).toEqual({
      action: null,
      arguments: {},
    });
    expect(await env.run(llmRoute, { message: 'hello there', history: [], actions })).toEqual({
      action: null,
      arguments: {},
    });
  });

  it('sends no request when there is nothing to offer', async () => {
    const before = llm.requests.length;
    const route = await env.run(activities().llmRoute, { message: 'track it', history: [], actions: [] });
    expect(route).toEqual({ action: null, arguments: {} });
    expect(llm.requests.length).toBe(before);
  });

  it('extracts parameter values with the forced extract tool, giving the current time', async () => {
    const values = await env.run(activities().llmExtract, {
      message: 'four of us on Friday',
      params: bookTable.parameters,
      now: '2025-04-28T09:00:00.000Z',
    });
    expect(values).toEqual({ guests: 4, day: '2025-05-02' });
    const { body } = sentFor('four of us on Friday');
    expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'extract' } });
    const messages = body['messages'] as { role: string; content: string }[];
    expect(messages[0]?.content).toContain('2025-04-28T09:00:00.000Z');
  });

  it("composes a reply following the action's instructions, sent in the system message", async () => {
    const reply = await env.run(activities().llmCompose, {
      instructions: 'Answer in one cheerful sentence and mention the delivery date.',
      draft: 'Your order is shipped (ETA 2025-05-03).',
      data: { status: 'shipped', eta: '2025-05-03' },
    });
    expect(reply).toEqual({ text: 'Great news: your order shipped and arrives May 3!' });
    const { body } = sentFor('Draft reply:');
    expect(body['temperature']).toBe(0);
    const messages = body['messages'] as { role: string; content: string }[];
    expect(messages[0]).toEqual({
      role: 'system',
      content: expect.stringContaining('Answer in one cheerful sentence and mention the delivery date.'),
    });
    expect(messages[1]?.content).toContain('"eta":"2025-05-03"');
  });

  it('fails with a retryable LlmUnavailable when the LLM answers 500', async () => {
    const failure = await failureOf(
      env.run(activities().llmRoute, { message: 'crash now', history: [], actions: [orderStatus] }),
    );
    expect(failure.type).toBe('LlmUnavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('answered 500');
  });

  it('fails with a non-retryable LlmUnavailable when the LLM refuses the key (401)', async () => {
    const failure = await failureOf(
      env.run(activities().llmRoute, { message: 'badkey', history: [], actions: [orderStatus] }),
    );
    expect(failure.type).toBe('LlmUnavailable');
    expect(failure.nonRetryable).toBe(true);
  });

  it('fails with LlmUnavailable within the configured timeout when the LLM does not answer', async () => {
    const started = Date.now();
    const failure = await failureOf(
      env.run(activities({ timeoutMs: 300 }).llmRoute, { message: 'slow please', history: [], actions: [orderStatus] }),
    );
    expect(failure.type).toBe('LlmUnavailable');
    expect(failure.message).toContain('timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails with LlmUnavailable when nothing listens at the base URL', async () => {
    const closed = await startFakeApi(() => ({ status: 200 }));
    await closed.close();
    const failure = await failureOf(
      env.run(activities({ baseUrl: `${closed.url}/v1` }).llmCompose, { instructions: 'x', draft: 'y', data: null }),
    );
    expect(failure.type).toBe('LlmUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });

  it('fails with a non-retryable LlmBadResponse when the body is not JSON or not a chat completion', async () => {
    const { llmRoute, llmExtract } = activities();
    const garbage = await failureOf(env.run(llmRoute, { message: 'garbage', history: [], actions: [orderStatus] }));
    expect(garbage.type).toBe('LlmBadResponse');
    expect(garbage.nonRetryable).toBe(true);
    expect(garbage.message).toContain('not JSON');
    const shapeless = await failureOf(
      env.run(llmExtract, { message: 'shapeless', params: bookTable.parameters, now: '2025-04-28T09:00:00Z' }),
    );
    expect(shapeless.type).toBe('LlmBadResponse');
    expect(shapeless.message).toContain('not a chat completion');
  });

  it('fails with a non-retryable LlmBadResponse when the composer answers with an empty reply', async () => {
    const failure = await failureOf(
      env.run(activities().llmCompose, { instructions: 'x', draft: 'say nothing', data: null }),
    );
    expect(failure.type).toBe('LlmBadResponse');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('empty reply');
  });

  it('fails with a non-retryable LlmDisabled, without a request, when no LLM is configured', async () => {
    const before = llm.requests.length;
    const off = createLlmActivities({ settings: null, dispatcher, logger });
    for (const call of [
      env.run(off.llmRoute, { message: 'track order 12345', history: [], actions: [] }),
      env.run(off.llmExtract, { message: 'four', params: [], now: '2025-04-28T09:00:00Z' }),
      env.run(off.llmCompose, { instructions: 'x', draft: 'y', data: null }),
    ]) {
      const failure = await failureOf(call);
      expect(failure.type).toBe('LlmDisabled');
      expect(failure.nonRetryable).toBe(true);
    }
    expect(llm.requests.length).toBe(before);
  });

  it('never puts the API key in failure messages or logs, and logs only model, status and duration', async () => {
    const { llmRoute } = activities();
    const failures = [
      await failureOf(env.run(llmRoute, { message: 'crash', history: [], actions: [orderStatus] })),
      await failureOf(env.run(llmRoute, { message: 'badkey', history: [], actions: [orderStatus] })),
      await failureOf(env.run(llmRoute, { message: 'garbage', history: [], actions: [orderStatus] })),
    ];
    for (const failure of failures)
      expect(JSON.stringify({ message: failure.message, stack: failure.stack })).not.toContain(API_KEY);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(API_KEY);
    for (const line of logLines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry['model']).toBe('parley-test-model');
      expect(entry).toHaveProperty('status');
      expect(entry).toHaveProperty('durationMs');
      expect(line).not.toContain('track order');
    }
  });
});
