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

/** The demo's handoff, on real servers: a readable reply without a template, a silent bot, an agent, and back. */
describe('the demo chatbot hands off to a person', () => {
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

  it('queues the visitor, says where in readable text, stays silent for the agent, and takes over again', async () => {
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
