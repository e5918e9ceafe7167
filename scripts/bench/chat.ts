import { call, type BenchStack } from './stack';

/**
 * What the benchmarks do through Parley's own API, as an operator and as a visitor would: create a chatbot with
 * an order-lookup action against the stack's upstream, start conversations, send messages, close them.
 */

/** A conversation as the API returned it when it started. */
export type Conversation = { conversationId: string; token: string };

/** The message that runs the order lookup in one turn (its parameter is in the message). */
export const ORDER_MESSAGE = 'track order 12345';
/** The order lookup's reply when the upstream answered. */
export const ORDER_REPLY = 'Your order is shipped (ETA 2026-11-24).';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A one-step action: GET the upstream's order, reply with two of its fields. */
export function orderAction(upstreamUrl: string) {
  return {
    description: "Look up an order's status when the visitor asks where their order is",
    examples: ['where is my order', 'track order 12345', 'has my order shipped'],
    parameters: [
      {
        name: 'order_number',
        type: 'text',
        description: 'Order number',
        pattern: '^[0-9]{5,10}$',
        prompt: 'What is your order number?',
      },
    ],
    steps: [
      {
        id: 'lookup',
        request: { method: 'GET', url: `${upstreamUrl}/orders/{{order_number}}` },
        response: { fields: { status: 'data.order.status', eta: 'data.order.eta' } },
        timeoutMs: 5000,
        onError: { then: 'stop', reply: "Sorry, I can't reach the order system right now." },
      },
    ],
    reply: { template: 'Your order is {{steps.lookup.status}} (ETA {{steps.lookup.eta}}).' },
  };
}

/** Creates a chatbot with the order action through the admin API; answers its publishable key. */
export async function createChatbot(stack: BenchStack, id: string, extra: Record<string, unknown>): Promise<string> {
  const admin = { authorization: `Bearer ${stack.adminKey}` };
  const created = await call(stack, 'POST', '/v1/chatbots', { body: { id, name: id, ...extra }, headers: admin });
  if (created.status !== 201) throw new Error(`creating ${id}: ${created.status} ${JSON.stringify(created.body)}`);
  const saved = await call(stack, 'PUT', `/v1/chatbots/${id}/actions/check_order_status`, {
    body: orderAction(stack.upstreamUrl),
    headers: admin,
  });
  if (saved.status !== 201) throw new Error(`saving ${id}'s action: ${saved.status} ${JSON.stringify(saved.body)}`);
  return (created.body as { publishableKey: string }).publishableKey;
}

/** Starts a conversation, waiting out any 429 as a frontend would. */
export async function startConversation(stack: BenchStack, chatbotId: string, key: string): Promise<Conversation> {
  for (;;) {
    const started = await call(stack, 'POST', `/v1/chatbots/${chatbotId}/conversations`, {
      body: {},
      headers: { 'x-parley-key': key },
    });
    if (started.status === 201) return started.body as Conversation;
    if (started.status !== 429) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
    await sleep((started.retryAfter ?? 1) * 1000);
  }
}

/** Sends a visitor message: the API's status and body. */
export async function sendMessage(stack: BenchStack, conversation: Conversation, text = ORDER_MESSAGE) {
  return call(stack, 'POST', `/v1/conversations/${conversation.conversationId}/messages`, {
    body: { text },
    headers: { authorization: `Bearer ${conversation.token}` },
  });
}

/** The text of the first message of a turn's answer, if any. */
export function firstReply(body: unknown): string | undefined {
  return (body as { messages?: { text?: string }[] } | null)?.messages?.[0]?.text;
}

/** Closes a conversation (its workflow completes and leaves the worker's cache). */
export async function closeConversation(stack: BenchStack, conversation: Conversation): Promise<void> {
  await call(stack, 'POST', `/v1/conversations/${conversation.conversationId}/close`, {
    body: {},
    headers: { authorization: `Bearer ${conversation.token}` },
  });
}
