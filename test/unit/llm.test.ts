import { describe, expect, it } from 'vitest';
import { ParameterSchema, type ParameterDefinition } from '../../shared/actions/parameter-schema';
import {
  composerRequest,
  extractorRequest,
  parametersJsonSchema,
  parseComposerResponse,
  parseExtractorResponse,
  parseRouterResponse,
  routerRequest,
} from '../../shared/understanding/llm';
import { defineAction, orderStatusInput } from './fixtures';

function param(input: Record<string, unknown>): ParameterDefinition {
  return ParameterSchema.parse(input);
}

/** The schema of one property of a parameters schema. */
function propertyOf(params: ParameterDefinition[], name: string): Record<string, unknown> {
  const schema = parametersJsonSchema(params) as { properties: Record<string, Record<string, unknown>> };
  const property = schema.properties[name];
  if (!property) throw new Error(`no property ${name}`);
  return property;
}

/** A chat-completions answer whose message calls the given tools. */
function toolAnswer(...calls: { name: string; arguments: string }[]) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: calls.map((call, index) => ({ id: `call_${index}`, type: 'function', function: call })),
        },
      },
    ],
  };
}

function textAnswer(content: string | null) {
  return { choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] };
}

const bookTable = () =>
  defineAction({
    ...orderStatusInput(),
    name: 'book_table',
    description: 'Book a table at the restaurant',
    examples: ['I want to book a table', 'table for 4 tomorrow'],
    parameters: [
      { name: 'guests', type: 'number', description: 'How many people' },
      { name: 'day', type: 'date', description: 'Day of the booking' },
      { name: 'note', type: 'text', required: false },
    ],
    steps: [
      { id: 'book', request: { method: 'POST', url: 'https://api.acme.test/bookings', body: { n: '{{guests}}' } } },
    ],
    reply: { template: 'Booked.' },
  });

describe('parametersJsonSchema', () => {
  it('gives a strict object schema: every parameter a property, all required, no other properties', () => {
    const schema = parametersJsonSchema([param({ name: 'a' }), param({ name: 'b', required: false })]);
    expect(schema).toMatchObject({ type: 'object', required: ['a', 'b'], additionalProperties: false });
    expect(Object.keys(schema['properties'] as object)).toEqual(['a', 'b']);
  });

  it('gives an empty strict object schema for an action without parameters', () => {
    expect(parametersJsonSchema([])).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
  });

  it('turns a text parameter with a pattern into a string with that pattern', () => {
    const property = propertyOf([param({ name: 'order', pattern: '^[0-9]{5,10}$' })], 'order');
    expect(property).toMatchObject({ type: ['string', 'null'], pattern: '^[0-9]{5,10}$' });
  });

  it('turns a text parameter without a pattern into a plain string', () => {
    const property = propertyOf([param({ name: 'note', description: 'Anything else' })], 'note');
    expect(property['type']).toEqual(['string', 'null']);
    expect(property).not.toHaveProperty('pattern');
    expect(property['description']).toContain('Anything else');
  });

  it('turns number and boolean parameters into number and boolean types', () => {
    const params = [param({ name: 'guests', type: 'number' }), param({ name: 'vip', type: 'boolean' })];
    expect(propertyOf(params, 'guests')['type']).toEqual(['number', 'null']);
    expect(propertyOf(params, 'vip')['type']).toEqual(['boolean', 'null']);
  });

  it('turns email and date parameters into strings with a format, phone into a string with a description', () => {
    const params = [
      param({ name: 'mail', type: 'email' }),
      param({ name: 'day', type: 'date' }),
      param({ name: 'tel', type: 'phone' }),
    ];
    expect(propertyOf(params, 'mail')).toMatchObject({ type: ['string', 'null'], format: 'email' });
    expect(propertyOf(params, 'day')).toMatchObject({ type: ['string', 'null'], format: 'date' });
    expect(propertyOf(params, 'day')['description']).toContain('YYYY-MM-DD');
    expect(propertyOf(params, 'tel')['type']).toEqual(['string', 'null']);
    expect(propertyOf(params, 'tel')['description']).toMatch(/phone number/i);
  });

  it('lists the values of an enum parameter, with null, and names its synonyms in the description', () => {
    const size = param({ name: 'size', type: 'enum', values: ['small', 'large'], synonyms: { large: ['big', 'XL'] } });
    const property = propertyOf([size], 'size');
    expect(property).toMatchObject({ type: ['string', 'null'], enum: ['small', 'large', null] });
    expect(property['description']).toContain('"large" is also called "big", "XL"');
  });

  it('turns a list parameter into an array of its element type', () => {
    const toppings = param({ name: 'toppings', type: 'enum', values: ['ham', 'olives'], array: true });
    expect(propertyOf([toppings], 'toppings')).toMatchObject({
      type: ['array', 'null'],
      items: { type: 'string', enum: ['ham', 'olives'] },
    });
  });

  it('makes optional parameters nullable, and required ones too, so the model never has to invent a value', () => {
    const params = [param({ name: 'note', required: false }), param({ name: 'order', required: true })];
    expect(propertyOf(params, 'note')['type']).toEqual(['string', 'null']);
    expect(propertyOf(params, 'order')['type']).toEqual(['string', 'null']);
  });
});

describe('routerRequest', () => {
  const actions = [defineAction(orderStatusInput()), bookTable()];
  const body = routerRequest({
    model: 'gpt-test',
    message: 'track order 12345',
    history: [
      { from: 'bot', text: 'Hi! How can I help?' },
      { from: 'visitor', text: 'hello' },
    ],
    actions,
  });
  const tools = body['tools'] as { type: string; function: Record<string, unknown> }[];
  const messages = body['messages'] as { role: string; content: string }[];

  it('offers each action as a strict function tool named after the action, with its parameters schema', () => {
    expect(body['model']).toBe('gpt-test');
    expect(tools.map((tool) => [tool.type, tool.function['name'], tool.function['strict']])).toEqual([
      ['function', 'check_order_status', true],
      ['function', 'book_table', true],
    ]);
    expect(tools[1]?.function['parameters']).toEqual(parametersJsonSchema(actions[1]!.parameters));
  });

  it('describes each tool with the action description and its examples', () => {
    const description = tools[0]?.function['description'] as string;
    expect(description).toContain("Look up an order's status");
    expect(description).toContain('"where is my order"');
    expect(description).toContain('"track order 12345"');
  });

  it('lets the model choose whether to call a tool', () => {
    expect(body['tool_choice']).toBe('auto');
  });

  it('tells the model in the system prompt to call at most one tool, only on a clear request, else nothing', () => {
    expect(messages[0]?.role).toBe('system');
    expect(messages[0]?.content).toMatch(/at most one tool/);
    expect(messages[0]?.content).toMatch(/only when the visitor clearly asks/);
    expect(messages[0]?.content).toMatch(/Otherwise answer nothing: no tool call/);
  });

  it('sends the recent transcript as assistant and user messages, then the visitor message', () => {
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: 'Hi! How can I help?' },
      { role: 'user', content: 'hello' },
      { role: 'user', content: 'track order 12345' },
    ]);
  });

  it('keeps only the last few transcript lines and does not repeat the current message', () => {
    const history = Array.from({ length: 20 }, (_, i) => ({ from: 'bot' as const, text: `line ${i}` }));
    const request = routerRequest({
      model: 'm',
      message: 'now',
      history: [...history, { from: 'visitor', text: 'now' }],
      actions,
    });
    const sent = (request['messages'] as { content: string }[]).map((message) => message.content);
    expect(sent.slice(1)).toEqual(['line 14', 'line 15', 'line 16', 'line 17', 'line 18', 'line 19', 'now']);
  });
});

describe('parseRouterResponse', () => {
  const offered = ['check_order_status', 'book_table'];

  it('reads the chosen action and its arguments, dropping nulls', () => {
    const answer = toolAnswer({ name: 'book_table', arguments: '{"guests":4,"day":"2025-05-02","note":null}' });
    expect(parseRouterResponse(answer, offered)).toEqual({
      action: 'book_table',
      arguments: { guests: 4, day: '2025-05-02' },
    });
  });

  it('reads no action when the model calls no tool', () => {
    expect(parseRouterResponse(textAnswer(null), offered)).toEqual({ action: null, arguments: {} });
    expect(parseRouterResponse(textAnswer('Hello there!'), offered)).toEqual({ action: null, arguments: {} });
  });

  it('reads no action when the model calls a tool that was not offered', () => {
    const answer = toolAnswer({ name: 'delete_everything', arguments: '{}' });
    expect(parseRouterResponse(answer, offered)).toEqual({ action: null, arguments: {} });
  });

  it('takes the first tool call when the model makes several', () => {
    const answer = toolAnswer(
      { name: 'check_order_status', arguments: '{"order_number":"12345"}' },
      { name: 'book_table', arguments: '{}' },
    );
    expect(parseRouterResponse(answer, offered).action).toBe('check_order_status');
  });

  it('throws a clear error when the arguments are not valid JSON', () => {
    const answer = toolAnswer({ name: 'book_table', arguments: '{"guests": 4' });
    expect(() => parseRouterResponse(answer, offered)).toThrow(/arguments for book_table are not valid JSON/);
  });

  it('throws a clear error when the arguments are not an object', () => {
    const answer = toolAnswer({ name: 'book_table', arguments: '[4]' });
    expect(() => parseRouterResponse(answer, offered)).toThrow(/not a JSON object/);
  });

  it('throws a clear error when the answer is not a chat completion', () => {
    expect(() => parseRouterResponse({ error: 'nope' }, offered)).toThrow(/not a chat completion at choices/);
    expect(() => parseRouterResponse({ choices: [] }, offered)).toThrow(/has no choices/);
    expect(() => parseRouterResponse('hello', offered)).toThrow(/not a chat completion/);
  });
});

describe('extractor', () => {
  const params = [param({ name: 'guests', type: 'number' }), param({ name: 'day', type: 'date' })];

  it('forces one extract tool whose parameters are the parameters schema, and gives the current time', () => {
    const body = extractorRequest({ model: 'm', message: 'four of us tomorrow', params, now: '2025-05-01T10:00:00Z' });
    expect(body['tools']).toEqual([
      {
        type: 'function',
        function: expect.objectContaining({ name: 'extract', strict: true, parameters: parametersJsonSchema(params) }),
      },
    ]);
    expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'extract' } });
    const messages = body['messages'] as { role: string; content: string }[];
    expect(messages[0]?.content).toContain('2025-05-01T10:00:00Z');
    expect(messages[1]).toEqual({ role: 'user', content: 'four of us tomorrow' });
  });

  it('returns the values found, without nulls', () => {
    const answer = toolAnswer({ name: 'extract', arguments: '{"guests":4,"day":null}' });
    expect(parseExtractorResponse(answer)).toEqual({ guests: 4 });
  });

  it('throws when the model did not call the extract tool', () => {
    expect(() => parseExtractorResponse(textAnswer('four people'))).toThrow(/did not call the extract tool/);
  });
});

describe('composer', () => {
  it("puts the action's instructions in the system prompt and the draft and data in the user message", () => {
    const body = composerRequest({
      model: 'm',
      instructions: 'Be brief and cheerful. Mention the ETA.',
      draft: 'Your order is shipped.',
      data: { status: 'shipped', eta: '2025-05-03' },
    });
    expect(body['temperature']).toBe(0);
    expect(body).not.toHaveProperty('tools');
    const messages = body['messages'] as { role: string; content: string }[];
    expect(messages[0]?.role).toBe('system');
    expect(messages[0]?.content).toContain('Be brief and cheerful. Mention the ETA.');
    expect(messages[1]?.role).toBe('user');
    expect(messages[1]?.content).toContain('Your order is shipped.');
    expect(messages[1]?.content).toContain('{"status":"shipped","eta":"2025-05-03"}');
  });

  it('returns the trimmed reply text', () => {
    expect(parseComposerResponse(textAnswer('  Shipped! Arrives May 3.\n'))).toBe('Shipped! Arrives May 3.');
  });

  it('throws when the reply is empty', () => {
    expect(() => parseComposerResponse(textAnswer('   '))).toThrow(/empty reply/);
    expect(() => parseComposerResponse(textAnswer(null))).toThrow(/empty reply/);
  });
});
