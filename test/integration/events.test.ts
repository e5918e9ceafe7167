import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

/** Buttons, lead forms and long conversations, through the API on real servers. */
describe('conversation events', () => {
  let parley: Parley;
  let api: FakeApi;
  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((req) => {
      if (req.path.startsWith('/orders/'))
        return { status: 200, body: { data: { order: { status: 'shipped', eta: 'Monday' } } } };
      return { status: 201, body: { message: `Thanks ${JSON.parse(req.body).email}, we will be in touch.` } };
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  it('offers button-triggered actions up front and fires one when its button is pressed', async () => {
    const bot = await parley.createChatbot([
      orderStatusAction(api.url, { triggers: [{ type: 'intent' }, { type: 'button', label: 'Track my order' }] }),
    ]);
    const chat = await parley.startConversation(bot);
    expect(chat.opening).toEqual([
      { type: 'buttons', buttons: [{ label: 'Track my order', payload: 'action:check_order_status' }] },
    ]);

    await parley.api
      .post(`/v1/conversations/${chat.conversationId}/buttons`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ payload: 'action:check_order_status' })
      .expect(202);
    // Turns run in order, so this message's reply comes after the button's turn has finished.
    expect(await chat.say('55555')).toEqual(['Your order is shipped (ETA Monday).']);
    const lines = (await chat.transcript()).map(
      (entry) => `${entry.from}: ${entry.message.text ?? entry.message.type}`,
    );
    expect(lines).toEqual([
      'bot: buttons',
      'visitor: Track my order',
      'bot: What is your order number?',
      'visitor: 55555',
      'bot: Your order is shipped (ETA Monday).',
    ]);
  });

  it('fires the lead_captured action with the lead email when the lead form is submitted', async () => {
    const bot = await parley.createChatbot([
      {
        name: 'register_lead',
        description: 'Send new leads to the CRM',
        triggers: [{ type: 'lead_captured' }],
        parameters: [{ name: 'email', type: 'email', description: 'Email address' }],
        steps: [
          {
            id: 'crm',
            request: { method: 'POST', url: `${api.url}/leads`, body: { email: '{{email}}', source: 'chat' } },
          },
        ],
      },
    ]);
    const chat = await parley.startConversation(bot);
    await parley.api
      .post(`/v1/conversations/${chat.conversationId}/lead`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ name: 'Ada', email: 'ada@example.com' })
      .expect(202);
    await chat.say('hello');
    const lead = api.requests.find((req) => req.path === '/leads');
    expect(lead && JSON.parse(lead.body)).toEqual({ email: 'ada@example.com', source: 'chat' });
    expect(lead?.headers['idempotency-key']).toMatch(/^parley-/);
    const texts = (await chat.transcript()).map((entry) => entry.message.text);
    expect(texts).toContain('Thanks ada@example.com, we will be in touch.');
  });

  it('continues as new when Temporal suggests it, carrying the transcript and the conversation state', async () => {
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    const handle = parley.client.workflow.getHandle(chat.workflowId);
    const firstRun = (await handle.describe()).runId;

    // A turn writes few events (6 for one that calls no API), so it takes a few more to reach the suggestion.
    for (let turn = 1; turn <= 16; turn += 1) await chat.say(`small talk ${turn}`);
    expect(await chat.say('where is my order?')).toEqual(['What is your order number?']);
    expect(await chat.say('24680')).toEqual(['Your order is shipped (ETA Monday).']);

    const latest = await handle.describe();
    expect(latest.runId).not.toBe(firstRun);
    expect((await parley.client.workflow.getHandle(chat.workflowId, firstRun).describe()).status.name).toBe(
      'CONTINUED_AS_NEW',
    );
    const transcript = await chat.transcript();
    expect(transcript.filter((entry) => entry.from === 'visitor')).toHaveLength(18);
    expect(transcript.map((entry) => entry.seq)).toEqual(transcript.map((_, index) => index + 1));
  });
});
