import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';
import { startSmtpServer } from '../support/smtp';

/**
 * Alerts for a live response whose structure changed, from real conversations: a real SMTP server receives the mail,
 * a real server the webhook. The API's answers are chosen per test by what the fake API is told to say.
 */
describe('structure-change alerts', () => {
  let parley: Parley;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let api: FakeApi;
  /** What the orders endpoint answers next, by chatbot (its path names it). */
  const answers = new Map<string, { status: number; body: unknown }>();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    parley = await startParley({ smtpUrl: smtp.url });
    api = await startFakeApi((request) => {
      if (request.path.startsWith('/hook')) return { status: 204 };
      const bot = request.path.split('/')[1] ?? '';
      return answers.get(bot) ?? { status: 500, body: { error: 'no answer set' } };
    });
  });
  afterAll(async () => {
    await parley.close();
    await Promise.all([smtp.close(), api.close()]);
  });

  const action = (bot: string): ActionDefinitionInput => ({
    name: 'check_order',
    description: 'Look up an order by its number',
    examples: ['where is my order'],
    steps: [
      {
        id: 'lookup',
        request: { method: 'GET', url: `${api.url}/${bot}/orders/12345` },
        response: { fields: { status: 'data.order.status', eta: 'data.order.eta' } },
        retry: { maxAttempts: 1 },
        onError: { then: 'stop', reply: 'The order system is down.' },
      },
    ],
    reply: { template: 'Status: {{steps.lookup.status}}.' },
    alerts: { emails: ['ops@example.com'], webhook: `${api.url}/hook/${bot}` },
  });
  const mailsFor = (bot: string) => smtp.messages.filter((mail) => mail.headers.includes(`chatbot ${bot}`));
  const hooksFor = (bot: string) => api.requests.filter((request) => request.path === `/hook/${bot}`);

  it('mails and posts once when a successful response changes structure, naming the fields that came back empty', async () => {
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/actions/check_order`).send(action(bot)).expect(201);
    answers.set(bot, { status: 200, body: { data: { order: { status: 'shipped', eta: '2026-11-24' } } } });
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order')).toEqual(['Status: shipped.']);
    expect(await chat.say('where is my order')).toEqual(['Status: shipped.']);

    // The API renames `order` to `shipment`: the call succeeds, the reply lacks the status.
    answers.set(bot, { status: 200, body: { data: { shipment: { state: 'shipped' } } } });
    expect(await chat.say('where is my order')).toEqual(['Status: .']);
    await chat.say('thanks');
    expect(mailsFor(bot)).toHaveLength(1);
    const [mail] = mailsFor(bot);
    expect(mail?.headers).toMatch(/Subject: \[Parley\] Action check_order: the API's response changed structure/);
    expect(mail?.body).toContain('The call succeeded, but the reply may be missing fields.');
    expect(mail?.body).toContain('status (data.order.status), eta (data.order.eta)');
    const hooks = hooksFor(bot);
    expect(hooks).toHaveLength(1);
    expect(JSON.parse(hooks[0]?.body ?? '')).toMatchObject({
      type: 'action.structure_changed',
      action: 'check_order',
      step: 'lookup',
      failure: 'structure_changed',
      structure_changed: ['lookup'],
      empty_fields: ['status (data.order.status)', 'eta (data.order.eta)'],
    });

    // The same new structure again is no change; nothing more is sent.
    expect(await chat.say('where is my order')).toEqual(['Status: .']);
    await chat.say('thanks');
    expect(mailsFor(bot)).toHaveLength(1);
    expect(hooksFor(bot)).toHaveLength(1);
  });

  it('keeps its own hourly throttle, so a failure right after a structure change still alerts, saying so', async () => {
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/actions/check_order`).send(action(bot)).expect(201);
    answers.set(bot, { status: 200, body: { data: { order: { status: 'shipped' } } } });
    const chat = await parley.startConversation(bot);
    await chat.say('where is my order');
    answers.set(bot, { status: 200, body: { data: { order: { status: 'shipped', carrier: 'UPS' } } } });
    await chat.say('where is my order');
    await chat.say('thanks');
    expect(mailsFor(bot)).toHaveLength(1);

    answers.set(bot, { status: 503, body: { error: 'maintenance' } });
    expect(await chat.say('where is my order')).toEqual(['The order system is down.']);
    await chat.say('thanks');
    const mails = mailsFor(bot);
    expect(mails).toHaveLength(2);
    expect(mails[1]?.headers).toMatch(/Subject: \[Parley\] Action check_order failed/);
    expect(JSON.parse(hooksFor(bot)[1]?.body ?? '')).toMatchObject({
      type: 'action.failed',
      failure: 'http_server_error',
    });

    // Another structure change within the hour is throttled; a reset lets the next one through.
    answers.set(bot, { status: 200, body: { data: { order: { status: 'late' } } } });
    await chat.say('where is my order');
    await chat.say('thanks');
    expect(mailsFor(bot)).toHaveLength(2);
    await parley.admin('post', `/v1/chatbots/${bot}/actions/check_order/alerts/reset`).expect(200);
    answers.set(bot, { status: 200, body: { data: { order: { status: 'late', carrier: 'DHL' } } } });
    await chat.say('where is my order');
    await chat.say('thanks');
    expect(mailsFor(bot)).toHaveLength(3);
  });

  it('names a structure change in the failure alert of the run it happened in', async () => {
    const bot = await parley.createChatbot([]);
    const twoSteps: ActionDefinitionInput = {
      ...action(bot),
      steps: [
        { ...action(bot).steps[0]!, onError: { then: 'stop' } },
        {
          id: 'ticket',
          request: {
            method: 'POST',
            url: `${api.url}/${bot}-tickets/open`,
            body: { status: '{{steps.lookup.status}}' },
          },
          retry: { maxAttempts: 1 },
          onError: { then: 'stop', reply: 'Could not open a ticket.' },
        },
      ],
      reply: { template: 'Done.' },
    };
    await parley.admin('put', `/v1/chatbots/${bot}/actions/check_order`).send(twoSteps).expect(201);
    answers.set(bot, { status: 200, body: { data: { order: { status: 'shipped' } } } });
    answers.set(`${bot}-tickets`, { status: 201, body: { id: 'T-1' } });
    const chat = await parley.startConversation(bot);
    expect(await chat.say('where is my order')).toEqual(['Done.']);
    // The lookup's answer changes shape and the ticket API then refuses the empty status.
    answers.set(bot, { status: 200, body: { data: { order: { state: 'shipped' } } } });
    answers.set(`${bot}-tickets`, { status: 422, body: { error: 'status is required' } });
    expect(await chat.say('where is my order')).toEqual(['Could not open a ticket.']);
    await chat.say('thanks');
    const mails = mailsFor(bot);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.headers).toMatch(/Subject: \[Parley\] Action check_order failed/);
    expect(mails[0]?.body).toContain('the response of step lookup changed structure in this run');
    expect(JSON.parse(hooksFor(bot)[0]?.body ?? '')).toMatchObject({
      type: 'action.failed',
      step: 'ticket',
      structure_changed: ['lookup'],
    });
  });
});
