import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction, startParley, type Parley } from '../support/parley';

type StateView = { mode: string; status: string };

/** Small talk and the human handoff through the chat and admin APIs, on the real stack. */
describe('small talk and a human', () => {
  let parley: Parley;
  let api: FakeApi;
  let helpdesk: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) =>
      request.path.startsWith('/tickets')
        ? { status: 201, body: { message: 'Ticket T-7 is open.' } }
        : { status: 200, body: { data: { order: { status: 'shipped', eta: '2026-11-24' } } } },
    );
    helpdesk = await startFakeApi(() => ({ status: 202, body: {} }));
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
    await helpdesk.close();
  });

  it('answers greetings, thanks, goodbyes and help with defaults a chatbot can override', async () => {
    const bot = await parley.createChatbot([orderStatusAction(api.url)], {
      smallTalk: { thanks: 'Any time! 🙂', goodbye: null },
    });
    const chat = await parley.startConversation(bot);
    expect(await chat.say('hi')).toEqual(['Hi! How can I help you today?']);
    expect(await chat.say('what can you do?')).toEqual(['I can help with:\n- Check order status']);
    expect(await chat.say('thanks!')).toEqual(['Any time! 🙂']);
    // Turned off: a goodbye routes like any message (here: the fallback).
    expect(await chat.say('bye')).toEqual([expect.stringContaining("Sorry, I didn't understand that.")]);
    // An action that routes confidently wins over small talk.
    expect(await chat.say('hi, where is my order 12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
  });

  it('tells the visitor no one is available when the chatbot has no handoff', async () => {
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('I want to talk to a human')).toEqual([
      "Sorry, there's no one available to chat here. I can help with:\n- Check order status",
    ]);
    const state = await parley.client.workflow.getHandle(chat.workflowId).query<StateView>('state');
    expect(state.mode).toBe('bot');
  });

  it('hands off: reply, action, webhook event, a silent bot, agent messages in the transcript, and back', async () => {
    const bot = await parley.createChatbot(
      [
        orderStatusAction(api.url),
        {
          name: 'open_ticket',
          description: 'Open a support ticket',
          triggers: [{ type: 'button', label: 'Contact support' }],
          parameters: [{ name: 'email', type: 'email' }],
          steps: [{ id: 't', request: { method: 'POST', url: `${api.url}/tickets`, body: { email: '{{email}}' } } }],
        },
      ],
      { handoff: { action: 'open_ticket', webhook: `${helpdesk.url}/handoff` } },
    );
    const chat = await parley.startConversation(bot);
    expect(await chat.say('I want to talk to a human')).toEqual([
      "I'm connecting you with a person. They'll reply here shortly.",
      'What is your email address?',
    ]);
    expect(await chat.say('ada@example.com')).toEqual(['Ticket T-7 is open.']);
    await expect.poll(() => helpdesk.requests.length).toBe(1);
    expect(JSON.parse(helpdesk.requests[0]?.body ?? '{}')).toMatchObject({
      type: 'handoff.requested',
      chatbot_id: bot,
      conversation_id: chat.conversationId,
    });

    // The bot stays silent while a person answers; the state query and the Temporal UI show it.
    expect(await chat.say('hello? where is my order 12345')).toEqual([]);
    const handle = parley.client.workflow.getHandle(chat.workflowId);
    expect((await handle.query<StateView>('state')).mode).toBe('human');
    const memo = async () => await (await handle.describe()).memo;
    expect(await memo()).toMatchObject({ ParleyMode: 'human' });
    const admin = `/v1/chatbots/${bot}/conversations/${chat.conversationId}`;
    expect((await parley.admin('get', admin).expect(200)).body).toMatchObject({ mode: 'human' });

    await parley
      .admin('post', `${admin}/agent-messages`)
      .send({ text: 'Hi Ada, I am Sam. Order 12345 is on its way.' })
      .expect(200);
    const transcript = await chat.transcript();
    expect(transcript.slice(-2).map((entry) => [entry.from, entry.message.text])).toEqual([
      ['visitor', 'hello? where is my order 12345'],
      ['agent', 'Hi Ada, I am Sam. Order 12345 is on its way.'],
    ]);
    const agentView = (await parley.admin('get', `${admin}/messages?after=0`).expect(200)).body.messages;
    expect(agentView.at(-1)).toMatchObject({ from: 'agent' });

    expect((await parley.admin('post', `${admin}/hand-back`).send({}).expect(200)).body).toEqual({ mode: 'bot' });
    expect((await chat.transcript()).at(-1)?.message.text).toBe("You're back with the assistant. How can I help?");
    expect(await chat.say('where is my order 12345')).toEqual(['Your order is shipped (ETA 2026-11-24).']);
    expect(await memo()).toMatchObject({ ParleyMode: 'bot' });
    // Handing back a conversation that is not handed off is refused; other chatbots' conversations are not found.
    await parley.admin('post', `${admin}/hand-back`).send({}).expect(400);
    await parley
      .admin('post', `/v1/chatbots/other-bot/conversations/${chat.conversationId}/agent-messages`)
      .send({ text: 'x' })
      .expect(404);
  });

  it('lets an agent take a conversation over by writing to it', async () => {
    const bot = await parley.createChatbot([orderStatusAction(api.url)]);
    const chat = await parley.startConversation(bot);
    const admin = `/v1/chatbots/${bot}/conversations/${chat.conversationId}`;
    expect(
      (await parley.admin('post', `${admin}/agent-messages`).send({ text: 'Sam here, can I help?' }).expect(200)).body,
    ).toEqual({
      mode: 'human',
    });
    expect(await chat.say('yes please')).toEqual([]);
  });

  it('warns when the handoff action does not exist', async () => {
    const bot = await parley.createChatbot([]);
    const patched = await parley
      .admin('patch', `/v1/chatbots/${bot}`)
      .send({ handoff: { action: 'nope' } })
      .expect(200);
    expect(patched.body.warnings).toEqual([
      'handoff.action: this chatbot has no action "nope" yet, so a handoff fires none',
    ]);
    expect(patched.body.handoff).toMatchObject({ action: 'nope', webhook: null });
  });
});
