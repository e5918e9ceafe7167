import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcmeApi } from '../../scripts/demo/acme-api';
import { DEMO_CHATBOT, DEMO_SECRET, seedDemo } from '../../scripts/demo/seed';
import { ADMIN_KEY, startParley, type Parley } from '../support/parley';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The `npm start` demo — Acme store API, seeded chatbot and its actions — on real servers. */
describe('the demo chatbot', () => {
  let parley: Parley;
  let acme: Server;
  let api: Server;

  beforeAll(async () => {
    parley = await startParley();
    acme = createAcmeApi(DEMO_SECRET.value);
    api = createServer(parley.app);
    await seedDemo(await listen(api), ADMIN_KEY, await listen(acme));
  });
  afterAll(async () => {
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
    acme.closeAllConnections();
    await new Promise((resolve) => acme.close(resolve));
    await parley.close();
  });

  it('answers the README conversation: asks for the order number and reports the status', async () => {
    const chat = await parley.startConversation(DEMO_CHATBOT.id);
    expect(chat.opening).toEqual([
      { type: 'text', text: DEMO_CHATBOT.greeting },
      {
        type: 'buttons',
        buttons: [
          { label: 'Browse products', payload: 'action:browse_products' },
          { label: 'Track my order', payload: 'action:check_order_status' },
          { label: 'Contact support', payload: 'action:open_support_ticket' },
        ],
      },
    ]);
    expect(await chat.say('where is my order?')).toEqual(['What is your order number?']);
    expect(await chat.say('12345')).toEqual(['Let me look that up.', 'Order 12345 is shipped (ETA 2026-11-24).']);
  });

  it('opens a support ticket in two chained calls: the customer by email, then the ticket for them', async () => {
    const chat = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await chat.say('I want to open a support ticket')).toEqual(['What is the email address on your account?']);
    expect(await chat.say('ada@example.com')).toEqual(['What went wrong?']);
    expect(await chat.say('My mug arrived broken')).toEqual([
      "Thanks Ada Lovelace! Ticket T-1001 is open; we'll reply to ada@example.com.",
    ]);
    const other = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await other.say('report a problem, my email is nobody@example.com')).toEqual(['What went wrong?']);
    expect(await other.say('It is broken')).toEqual(["I couldn't find a customer with that email address."]);
  });

  it('understands visitors who put it in their own words: no example shares those words', async () => {
    const stock = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await stock.say('is the tee shirt available?')).toEqual(['Which product SKU (like MUG-01)?']);
    expect(await stock.say('TEE-02')).toEqual(['Acme T-shirt: 0 in stock.']);
    const support = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await support.say('my mug came broken, I need help')).toEqual([
      'What is the email address on your account?',
    ]);
  });

  it('falls back with what it can do, by title, when nothing fits', async () => {
    const chat = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await chat.say('what is the weather like on mars?')).toEqual([
      "Sorry, I didn't understand that. I can help with:\n- Browse products\n- Track an order\n- Check stock\n- Contact support",
    ]);
  });

  it('says how much stock a product has', async () => {
    const chat = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await chat.say('is MUG-01 in stock?')).toEqual(['Acme mug: 42 in stock.']);
  });

  it('hands off to a person: queues the visitor, says where in readable text, stays silent for the agent, and takes over again', async () => {
    const chat = await parley.startConversation(DEMO_CHATBOT.id);
    expect(await chat.say('hi')).toEqual(['Hi! How can I help you today?']);
    expect(await chat.say('I want to talk to a human')).toEqual([
      "I'm connecting you with a person from our customer care team. They'll reply here.",
      'Handoff:\n  Reference: H-1001\n  Queue: Customer care\n  Position: 1\n  Expected wait: about 5 minutes',
    ]);
    expect(await chat.say('my mug arrived broken')).toEqual([]);
    const admin = `/v1/chatbots/${DEMO_CHATBOT.id}/conversations/${chat.conversationId}`;
    await parley
      .admin('post', `${admin}/agent-messages`)
      .send({ text: 'Hi, Sam here. Sorry about the mug!' })
      .expect(200);
    expect((await chat.transcript()).at(-1)).toMatchObject({
      from: 'agent',
      message: { text: 'Hi, Sam here. Sorry about the mug!' },
    });
    await parley.admin('post', `${admin}/hand-back`).send({}).expect(200);
    expect(await chat.say('where is my order 12345?')).toEqual([
      'Let me look that up.',
      'Order 12345 is shipped (ETA 2026-11-24).',
    ]);
  });
});
