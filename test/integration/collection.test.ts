import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** Multi-turn parameter collection through the API: re-ask, give up, cancel, switch topic, confirm, dates. */
describe('collecting what an action needs', () => {
  let parley: Parley;
  let api: FakeApi;
  let bot: string;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) => ({
      status: 200,
      body: { echo: request.path, body: request.body ? JSON.parse(request.body) : null },
    }));
    const actions: ActionDefinitionInput[] = [
      {
        name: 'book_table',
        description: 'Book a table at the restaurant',
        examples: ['book a table', 'reserve a table for dinner'],
        parameters: [
          { name: 'day', type: 'date', description: 'Day', prompt: 'Which day?' },
          { name: 'guests', type: 'number', description: 'Number of guests', prompt: 'How many guests?' },
          {
            name: 'seating',
            type: 'enum',
            values: ['inside', 'terrace'],
            synonyms: { terrace: ['outside', 'outdoors'] },
            required: false,
            default: 'inside',
          },
        ],
        confirm: { prompt: 'Book for {{guests}} on {{day}} ({{seating}})?' },
        steps: [
          {
            id: 'book',
            request: {
              method: 'POST',
              url: `${api.url}/bookings`,
              body: { day: '{{day}}', guests: '{{guests}}', seating: '{{seating}}' },
            },
          },
        ],
        reply: { template: 'Booked: {{guests}} guests on {{day}}.' },
      },
      {
        name: 'check_stock',
        description: 'Check whether a product is in stock',
        examples: ['is the mug in stock', 'check stock of a product'],
        parameters: [{ name: 'sku', type: 'text', pattern: '^[A-Z]{3}-[0-9]{2}$', prompt: 'Which SKU (like MUG-01)?' }],
        steps: [{ id: 'stock', request: { method: 'GET', url: `${api.url}/stock/{{sku}}` } }],
        reply: { template: 'Checked {{sku}}.' },
      },
    ];
    bot = await parley.createChatbot(actions);
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  it('collects a relative date and a number, confirms with the values, and sends typed JSON', async () => {
    const chat = await parley.startConversation(bot);
    expect(await chat.say('I want to book a table')).toEqual(['Which day?']);
    expect(await chat.say('tomorrow')).toEqual(['How many guests?']);
    const [confirm] = (await chat.send('we are 4, outdoors please').expect(200)).body.messages;
    expect(confirm).toMatchObject({ type: 'buttons', buttons: [{ label: 'Yes' }, { label: 'No' }] });
    expect(confirm.text).toMatch(/^Book for 4 on \d{4}-\d{2}-\d{2} \(terrace\)\?$/);
    expect(await chat.say('yes')).toEqual([expect.stringMatching(/^Booked: 4 guests on \d{4}-\d{2}-\d{2}\.$/)]);
    const sent = JSON.parse(api.requests.at(-1)?.body ?? '{}');
    expect(sent).toMatchObject({ guests: 4, seating: 'terrace' });
  });

  it('re-asks an invalid answer with the reason, and gives up politely after three', async () => {
    const chat = await parley.startConversation(bot);
    expect(await chat.say('check stock of a product')).toEqual(['Which SKU (like MUG-01)?']);
    expect(await chat.say('the blue one')).toEqual(['That does not look like a valid sku. Which SKU (like MUG-01)?']);
    expect(await chat.say('mug')).toEqual(['That does not look like a valid sku. Which SKU (like MUG-01)?']);
    expect(await chat.say('no idea')).toEqual([
      "That does not look like a valid sku. Let's leave it there for now — ask me again whenever you like.",
    ]);
    const state = (await parley.client.workflow.getHandle(chat.workflowId).query('state')) as { pending: unknown };
    expect(state.pending).toBeNull();
  });

  it('abandons the action on "never mind" and does nothing on a "no" to the confirmation', async () => {
    const calls = api.requests.length;
    const chat = await parley.startConversation(bot);
    await chat.say('book a table');
    expect(await chat.say('never mind')).toEqual(["OK, I've cancelled that."]);
    await chat.say('book a table for 2 on 2026-12-24');
    expect(await chat.say('no')).toEqual(["OK, I won't do that."]);
    expect(api.requests.length).toBe(calls);
  });

  it('switches topic when, mid-collection, the visitor clearly asks for another action', async () => {
    const chat = await parley.startConversation(bot);
    expect(await chat.say('reserve a table for dinner')).toEqual(['Which day?']);
    expect(await chat.say('wait, check stock of a product first: is the mug in stock')).toEqual([
      'Which SKU (like MUG-01)?',
    ]);
    expect(await chat.say('MUG-01')).toEqual(['Checked MUG-01.']);
  });
});

describe('ambiguous requests', () => {
  let parley: Parley;
  let api: FakeApi;
  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) => ({ status: 200, body: { message: `done: ${request.path}` } }));
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  it('asks which action is meant when two match equally, and runs the one the visitor picks', async () => {
    const shared = ['I have a problem with my order', 'something is wrong with my order'];
    const bot = await parley.createChatbot([
      {
        name: 'return_order',
        description: 'Return an order for a refund',
        examples: shared,
        steps: [{ id: 'r', request: { method: 'POST', url: `${api.url}/returns` } }],
      },
      {
        name: 'report_damage',
        description: 'Report a damaged delivery',
        examples: shared,
        steps: [{ id: 'd', request: { method: 'POST', url: `${api.url}/damages` } }],
      },
    ]);
    const chat = await parley.startConversation(bot);
    const [question] = (await chat.send('I have a problem with my order').expect(200)).body.messages;
    expect(question.type).toBe('buttons');
    expect(question.text).toBe('Which of these do you mean?');
    const payloads = question.buttons.map((button: { payload: string }) => button.payload).sort();
    expect(payloads).toEqual(['choose:report_damage', 'choose:return_order']);
    await parley.api
      .post(`/v1/conversations/${chat.conversationId}/buttons`)
      .set('authorization', `Bearer ${chat.token}`)
      .send({ payload: 'choose:report_damage' })
      .expect(202);
    await chat.say('thanks');
    expect(api.requests.map((request) => request.path)).toEqual(['/damages']);
  });
});
