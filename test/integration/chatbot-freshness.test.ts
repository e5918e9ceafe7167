import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

function pingAction(url: string): ActionDefinitionInput {
  return {
    name: 'ping',
    description: 'Ping the server',
    examples: ['ping the server'],
    steps: [{ id: 'ping', request: { method: 'GET', url: `${url}/ping` } }],
  };
}

/** The API keeps chatbots it read in memory for a moment; what an admin saves still counts from the next turn. */
describe('chatbot changes reach running conversations', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(() => ({ status: 200, body: { message: 'Pong.' } }));
  });
  afterAll(async () => {
    await Promise.allSettled([parley?.close(), api?.close()]);
  });

  it('runs an action saved mid-conversation on the very next turn, and stops running it once deleted', async () => {
    const bot = await parley.createChatbot([]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('ping the server')).not.toContain('Pong.');
    await parley.admin('put', `/v1/chatbots/${bot}/actions/ping`).send(pingAction(api.url)).expect(201);
    expect(await chat.say('ping the server')).toEqual(['Pong.']);
    await parley.admin('delete', `/v1/chatbots/${bot}/actions/ping`).expect(204);
    expect(await chat.say('ping the server')).not.toContain('Pong.');
  });

  it("holds a conversation to a chatbot's call budget from the turn after the budget was lowered", async () => {
    const bot = await parley.createChatbot([pingAction(api.url)], { rateLimitPerMinute: 1000 });
    const chat = await parley.startConversation(bot);
    expect(await chat.say('ping the server')).toEqual(['Pong.']);
    await parley.admin('patch', `/v1/chatbots/${bot}`).send({ rateLimitPerMinute: 1 }).expect(200);
    const refused = await chat.send('ping the server');
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/this chatbot has made its 1 API calls for this minute/);
  });
});
