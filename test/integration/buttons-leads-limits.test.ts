import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

type Entry = {
  from: string;
  message: { type: string; text?: string; buttons?: { label: string; payload?: string }[] };
};

/** Buttons, quick replies, lead capture and limits through the API on the real stack. */
describe('buttons, quick replies, leads and limits', () => {
  let parley: Parley;
  let api: FakeApi;
  let failNext = false;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) => {
      if (request.path === '/search')
        return {
          status: 200,
          body: {
            items: [
              { name: 'Mug', sku: 'MUG-01' },
              { name: 'Tee', sku: 'TEE-02' },
            ],
          },
        };
      if (request.path === '/coupon' && failNext) {
        failNext = false;
        return { status: 503, body: {} };
      }
      return { status: 200, body: { message: `done ${request.path}` } };
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const press = (chat: { conversationId: string; token: string }, payload: string) =>
    parley.api
      .post(`/v1/conversations/${chat.conversationId}/buttons`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ payload })
      .expect(202);

  const call = (name: string, path: string, extra: Partial<ActionDefinitionInput> = {}): ActionDefinitionInput => ({
    name,
    description: `Run ${name.replace(/_/g, ' ')}`,
    examples: [name.replace(/_/g, ' ')],
    steps: [{ id: 'call', request: { method: 'GET', url: `${api.url}${path}` }, retry: { maxAttempts: 1 } }],
    ...extra,
  });

  it('takes a quick reply or custom payload as what the visitor said, and builds buttons per API item', async () => {
    const bot = await parley.createChatbot([
      call('find_products', '/search', {
        reply: {
          template: 'Which one?',
          itemButtons: { items: 'steps.call.items', label: '{{item.name}}', payload: '{{item.sku}}' },
        },
      }),
      call('check_stock', '/stock/{{sku}}', {
        parameters: [{ name: 'sku', pattern: '^[A-Z]{3}-[0-9]{2}$', prompt: 'Which SKU?' }],
        steps: [{ id: 'call', request: { method: 'GET', url: `${api.url}/stock/{{sku}}` } }],
      }),
    ]);
    const chat = await parley.startConversation(bot);
    const [question, buttons] = (await chat.send('find products').expect(200)).body.messages;
    expect(question).toEqual({ type: 'text', text: 'Which one?' });
    expect(buttons).toEqual({
      type: 'buttons',
      buttons: [
        { label: 'Mug', payload: 'MUG-01' },
        { label: 'Tee', payload: 'TEE-02' },
      ],
    });
    expect(await chat.say('check stock')).toEqual(['Which SKU?']);
    await press(chat, 'TEE-02');
    await expect.poll(async () => (await chat.transcript()).at(-1)?.message.text).toBe('done /stock/TEE-02');
    // Not answering anything: routed like a message.
    await press(chat, 'check stock MUG-01');
    await expect.poll(async () => (await chat.transcript()).at(-1)?.message.text).toBe('done /stock/MUG-01');
  });

  it('fires an intent-only action from an action button, and refuses a button to a missing action on save', async () => {
    const bot = await parley.createChatbot([
      call('track_order', '/track'),
      call('say_hi', '/hi', { reply: { template: 'Hi!', actionButton: { label: 'Track', action: 'track_order' } } }),
    ]);
    const chat = await parley.startConversation(bot);
    await chat.say('say hi');
    await press(chat, 'action:track_order');
    await expect.poll(async () => (await chat.transcript()).at(-1)?.message.text).toBe('done /track');
    const refused = await parley
      .admin('put', `/v1/chatbots/${bot}/actions/broken`)
      .send(call('broken', '/x', { reply: { template: 'x', actionButton: { label: 'Go', action: 'missing' } } }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe('reply.actionButton.action: this chatbot has no action "missing"');
  });

  it('fires every lead_captured action, in order', async () => {
    const bot = await parley.createChatbot([
      call('add_to_crm', '/crm', { triggers: [{ type: 'lead_captured' }] }),
      call('send_welcome', '/welcome', { triggers: [{ type: 'lead_captured' }] }),
    ]);
    const chat = await parley.startConversation(bot);
    const before = api.requests.length;
    await parley.api
      .post(`/v1/conversations/${chat.conversationId}/lead`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ email: 'ada@example.com' })
      .expect(202);
    await expect.poll(() => api.requests.slice(before).map((request) => request.path)).toEqual(['/crm', '/welcome']);
    await expect
      .poll(async () => (await chat.transcript()).map((entry) => entry.message.text).slice(-2))
      .toEqual(['done /crm', 'done /welcome']);
  });

  it('counts completed runs for limits, so a failed first try does not use up "once per conversation"', async () => {
    const bot = await parley.createChatbot([
      call('get_coupon', '/coupon', {
        limits: { maxPerConversation: 1 },
        steps: [
          {
            id: 'call',
            request: { method: 'GET', url: `${api.url}/coupon` },
            retry: { maxAttempts: 1 },
            onError: { then: 'stop', reply: 'The coupon desk is down.' },
          },
        ],
      }),
    ]);
    const chat = await parley.startConversation(bot);
    failNext = true;
    expect(await chat.say('get coupon')).toEqual(['The coupon desk is down.']);
    expect(await chat.say('get coupon')).toEqual(['done /coupon']);
    expect(await chat.say('get coupon')).toEqual(["I've already done that in this conversation."]);
  });

  it('offers the buttons of button-triggered actions again after a fallback', async () => {
    const bot = await parley.createChatbot([
      call('contact_support', '/support', {
        triggers: [{ type: 'intent' }, { type: 'button', label: 'Contact support' }],
      }),
    ]);
    const chat = await parley.startConversation(bot);
    const messages = (await chat.send('what is the meaning of life').expect(200)).body.messages as Entry['message'][];
    expect(messages).toEqual([
      {
        type: 'buttons',
        text: "Sorry, I didn't understand that. I can help with:\n- Contact support",
        buttons: [{ label: 'Contact support', payload: 'action:contact_support' }],
      },
    ]);
  });
});
