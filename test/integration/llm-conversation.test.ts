import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi, type FakeResponse, type ReceivedRequest } from '../support/fake-api';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

type ChatRequest = {
  model: string;
  messages: { role: string; content: string }[];
  tools?: {
    type: string;
    function: { name: string; strict: boolean; parameters: { properties: Record<string, unknown> } };
  }[];
  tool_choice?: unknown;
};

const completion = (message: Record<string, unknown>): FakeResponse => ({
  status: 200,
  body: { choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: null, ...message } }] },
});
const toolCall = (name: string, args: Record<string, unknown>) =>
  completion({ tool_calls: [{ id: 'c1', type: 'function', function: { name, arguments: JSON.stringify(args) } }] });

/** A local server speaking the chat-completions API, answering as a model would. */
function llmAnswer(request: ReceivedRequest): FakeResponse {
  const body = JSON.parse(request.body) as ChatRequest;
  const last = body.messages.at(-1)?.content ?? '';
  if (!body.tools) return completion({ content: 'Good news: your parcel is on its way and arrives Monday!' });
  if (body.tool_choice === 'auto') {
    return /parcel/.test(last)
      ? toolCall('check_order_status', { order_number: '55555' })
      : completion({ content: '' });
  }
  return toolCall('extract', { order_number: /seventy/.test(last) ? '77777' : null });
}

/** The optional LLM in real conversations: routing with arguments, extraction, composing — and falling back. */
describe('conversations with the optional LLM', () => {
  let llm: FakeApi;
  let down: FakeApi;
  let orders: FakeApi;
  let parley: Parley;
  let fallback: Parley;

  beforeAll(async () => {
    llm = await startFakeApi(llmAnswer);
    down = await startFakeApi(() => ({ status: 500, body: { error: 'overloaded' } }));
    orders = await startFakeApi(() => ({
      status: 200,
      body: { data: { order: { status: 'shipped', eta: 'Monday' } } },
    }));
    parley = await startParley({
      llm: { baseUrl: `${llm.url}/v1`, model: 'test-model', apiKey: 'sk-llm-test-key', timeoutMs: 5000 },
    });
    fallback = await startParley({
      llm: { baseUrl: `${down.url}/v1`, model: 'test-model', apiKey: null, timeoutMs: 5000 },
    });
  });
  afterAll(async () => {
    await Promise.all([parley.close(), fallback.close()]);
    await Promise.all([llm.close(), down.close(), orders.close()]);
  });

  const action = () =>
    orderStatusAction(orders.url, {
      reply: {
        template: 'Your order is {{steps.lookup.status}} (ETA {{steps.lookup.eta}}).',
        instructions: 'Be warm and brief.',
      },
    });

  it('routes with the LLM, takes the arguments it extracted, and words the reply with the composer', async () => {
    const chat = await parley.startConversation(await parley.createChatbot([action()]));
    expect(await chat.say("where's my parcel?")).toEqual(['Good news: your parcel is on its way and arrives Monday!']);
    expect(orders.requests.at(-1)?.path).toBe('/orders/55555');

    const sent = llm.requests.map((request) => JSON.parse(request.body) as ChatRequest);
    const router = sent.find((body) => body.tool_choice === 'auto');
    expect(router?.model).toBe('test-model');
    expect(router?.tools?.[0]?.function).toMatchObject({ name: 'check_order_status', strict: true });
    expect(Object.keys(router?.tools?.[0]?.function.parameters.properties ?? {})).toEqual(['order_number']);
    expect(llm.requests[0]?.headers.authorization).toBe('Bearer sk-llm-test-key');
    const composer = sent.find((body) => !body.tools);
    expect(composer?.messages[0]?.content).toContain('Be warm and brief.');
    expect(composer?.messages.at(-1)?.content).toContain('Your order is shipped (ETA Monday).');
  });

  it('uses what the LLM extractor read when the deterministic extractor finds nothing valid', async () => {
    const chat = await parley.startConversation(await parley.createChatbot([action()]));
    expect(await chat.say('track my order')).toEqual(['What is your order number?']);
    expect(await chat.say("it's seventy-seven seven seventy-seven")).toHaveLength(1);
    expect(orders.requests.at(-1)?.path).toBe('/orders/77777');
  });

  it('lets the composer word an error reply too, following the same instructions', async () => {
    const broken = await startFakeApi(() => ({ status: 503, body: {} }));
    try {
      const chat = await parley.startConversation(
        await parley.createChatbot([
          orderStatusAction(broken.url, {
            steps: [
              {
                id: 'lookup',
                request: { method: 'GET', url: `${broken.url}/orders/{{order_number}}` },
                retry: { maxAttempts: 1 },
                onError: { then: 'stop', reply: "Sorry, I can't reach the order system right now." },
              },
            ],
            reply: { template: 'Your order is {{steps.lookup.status}}.', instructions: 'Be warm and brief.' },
          }),
        ]),
      );
      const before = llm.requests.length;
      expect(await chat.say('where is my order 12345')).toHaveLength(1);
      const composer = llm.requests
        .slice(before)
        .map((request) => JSON.parse(request.body) as ChatRequest)
        .find((body) => !body.tools);
      expect(composer?.messages[0]?.content).toContain('Be warm and brief.');
      expect(composer?.messages.at(-1)?.content).toContain("Sorry, I can't reach the order system right now.");
      expect(composer?.messages.at(-1)?.content).toContain('http_server_error');
    } finally {
      await broken.close();
    }
  });

  it('falls back to the deterministic router, extractor and template when the LLM fails', async () => {
    const chat = await fallback.startConversation(await fallback.createChatbot([action()]));
    expect(await chat.say('where is my order?')).toEqual(['What is your order number?']);
    expect(await chat.say('12345')).toEqual(['Your order is shipped (ETA Monday).']);
    expect(down.requests.length).toBeGreaterThanOrEqual(3);
  });
});
