import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

/** Collection from context through the API: what the visitor already said or is known is not asked again. */
describe('collecting from context', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) => ({
      status: 200,
      body: {
        data: { order: { status: 'shipped', eta: '2026-11-24' } },
        echo: { path: request.path, body: request.body ? JSON.parse(request.body) : null },
      },
    }));
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const report: ActionDefinitionInput = {
    name: 'report_late',
    description: 'Report a late delivery',
    examples: ['report a late delivery', 'my delivery is late, report it'],
    parameters: [{ name: 'order_number', description: "The visitor's order number", pattern: '^[0-9]{5,10}$' }],
    steps: [{ id: 'r', request: { method: 'POST', url: '', body: { order: '{{order_number}}' } } }],
    reply: { template: 'Reported order {{order_number}}.' },
  };

  it('reuses an order number from two turns earlier and says which value it used', async () => {
    const bot = await parley.createChatbot([
      orderStatusAction(api.url),
      {
        ...report,
        steps: [{ id: 'r', request: { method: 'POST', url: `${api.url}/late`, body: { order: '{{order_number}}' } } }],
      },
    ]);
    const chat = await parley.startConversation(bot);
    await chat.say('my order 34567 is late');
    await chat.say('what can you do?');
    expect(await chat.say('report a late delivery')).toEqual([
      "I'll use 34567 as your order number.",
      'Reported order 34567.',
    ]);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({ order: '34567' });
  });

  it('asks natural questions without a prompt, and for the email a request uses when none is known', async () => {
    const bot = await parley.createChatbot([
      {
        name: 'subscribe',
        description: 'Subscribe to the newsletter',
        examples: ['subscribe me to the newsletter', 'sign me up for the newsletter'],
        parameters: [{ name: 'name', description: 'Your name' }],
        steps: [
          {
            id: 's',
            request: {
              method: 'POST',
              url: `${api.url}/subscribe`,
              body: { email: '{{user_email}}', name: '{{name}}' },
            },
          },
        ],
        reply: { template: 'Subscribed {{user_email}}.' },
      },
    ]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('subscribe me to the newsletter')).toEqual(['What is your name?']);
    expect(await chat.say('Ada')).toEqual(['What is your email address?']);
    expect(await chat.say('not sure')).toEqual([
      'That does not look like an email address. What is your email address?',
    ]);
    expect(await chat.say('ada@example.com')).toEqual(['Subscribed ada@example.com.']);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({ email: 'ada@example.com', name: 'Ada' });
    // Known now: a second subscription neither asks for the email nor for the name (remembered, and confirmed).
    expect(await chat.say('sign me up for the newsletter')).toEqual([
      "I'll use Ada as your name.",
      'Subscribed ada@example.com.',
    ]);
  });

  it('fills free text said inside a sentence and the name from the visitor profile', async () => {
    const bot = await parley.createChatbot([
      {
        name: 'weather',
        description: 'Tell the weather in a city',
        examples: ['what is the weather', 'weather forecast'],
        parameters: [
          { name: 'city', description: 'The city' },
          { name: 'full_name', description: 'Your full name' },
        ],
        steps: [{ id: 'w', request: { method: 'GET', url: `${api.url}/weather/{{city}}` } }],
        reply: { template: '{{full_name}}, the weather in {{city}} is fine.' },
      },
    ]);
    const chat = await parley.startConversation(bot, { visitor: { name: 'Ada Lovelace' } });
    expect(await chat.say('what is the weather? my city is Paris')).toEqual([
      "I'll use Ada Lovelace as your full name.",
      'Ada Lovelace, the weather in Paris is fine.',
    ]);
  });

  it('resolves "last Monday" to the past and refuses a future date for a `dates: past` parameter', async () => {
    const bot = await parley.createChatbot([
      {
        name: 'report_missing',
        description: 'Report a missing parcel',
        examples: ['report a missing parcel'],
        parameters: [{ name: 'sent_on', type: 'date', description: 'The day it was sent', dates: 'past' }],
        steps: [{ id: 'm', request: { method: 'POST', url: `${api.url}/missing`, body: { sent: '{{sent_on}}' } } }],
        reply: { template: 'Reported a parcel sent on {{sent_on}}.' },
      },
    ]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('report a missing parcel')).toEqual(['What is the day it was sent?']);
    expect(await chat.say('2999-01-01')).toEqual([
      'Please give a date that is not in the future. What is the day it was sent?',
    ]);
    const [reply] = await chat.say('last Monday');
    const sent = JSON.parse(api.requests.at(-1)?.body ?? '{}').sent as string;
    expect(reply).toBe(`Reported a parcel sent on ${sent}.`);
    expect(sent < new Date().toISOString().slice(0, 10)).toBe(true);
  });

  it('defines user_message as the last message and trigger_message for buttons, leads and test runs', async () => {
    const echo: ActionDefinitionInput = {
      name: 'echo',
      description: 'Echo what was said',
      examples: ['echo this'],
      triggers: [{ type: 'intent' }, { type: 'button', label: 'Echo it' }, { type: 'lead_captured' }],
      parameters: [{ name: 'topic', description: 'Topic' }],
      steps: [
        {
          id: 'e',
          request: {
            method: 'POST',
            url: `${api.url}/echo/{{user_message}}`,
            body: { last: '{{user_message}}', trigger: '{{trigger_message}}' },
          },
        },
      ],
      reply: { template: 'ok' },
    };
    const bot = await parley.createChatbot([echo]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('echo this')).toEqual(['What is the topic?']);
    expect(await chat.say('cats')).toEqual(['ok']);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({ last: 'cats', trigger: 'echo this' });

    // A button fires the action: its label is the trigger; the answer to the question is the last message.
    await parley.api
      .post(`/v1/conversations/${chat.conversationId}/buttons`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ payload: 'action:echo' })
      .expect(202);
    expect(await chat.say('dogs')).toEqual(['ok']);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({ last: 'dogs', trigger: 'Echo it' });
    // A lead that fires the action before the visitor said anything still has both.
    const fresh = await parley.startConversation(bot);
    await parley.api
      .post(`/v1/conversations/${fresh.conversationId}/lead`)
      .set('authorization', `Bearer ${fresh.token}`)
      .send({ name: 'Ada', email: 'ada@example.com' })
      .expect(202);
    expect(await fresh.say('books')).toEqual(['ok']);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({
      last: 'books',
      trigger: 'Lead form: Ada, ada@example.com',
    });

    const test = await parley
      .admin('post', `/v1/chatbots/${bot}/actions/echo/test`)
      .send({ parameters: { topic: 'x' } })
      .expect(200);
    expect(test.body.ok).toBe(true);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({
      last: 'This is a test message.',
      trigger: 'This is a test message.',
    });
  });
});
