import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** What a visitor is told when a call fails, through the API on the real stack. */
describe('error replies', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(async (request) => {
      if (request.path.startsWith('/orders/')) return { status: 404, body: { message: 'No order 99999 here.' } };
      if (request.path === '/broken') return { status: 400, body: '<html>stack trace</html>' };
      if (request.path === '/refused') return { status: 200, body: { success: false, message: 'Card declined.' } };
      await sleep(1_500);
      return { status: 200, body: {} };
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const failing = (name: string, path: string, sayMessage: boolean): ActionDefinitionInput => ({
    name,
    description: `Run ${name.replace(/_/g, ' ')}`,
    examples: [name.replace(/_/g, ' ')],
    steps: [
      {
        id: 'call',
        request: { method: 'GET', url: `${api.url}${path}` },
        retry: { maxAttempts: 1 },
        onError: { then: 'stop', reply: 'Sorry, that did not work.', sayMessage },
      },
    ],
  });

  it("says the API's error message when the step opts in, never a raw body, and the error reply otherwise", async () => {
    const bot = await parley.createChatbot([
      failing('find_order', '/orders/99999', true),
      failing('quiet_lookup', '/orders/99999', false),
      failing('broken_call', '/broken', true),
      failing('pay_now', '/refused', true),
    ]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('find order')).toEqual(['No order 99999 here.']);
    expect(await chat.say('quiet lookup')).toEqual(['Sorry, that did not work.']);
    expect(await chat.say('broken call')).toEqual(['Sorry, that did not work.']);
    expect(await chat.say('pay now')).toEqual(['Card declined.']);
  });

  it('reports a call that took too long as a timeout', async () => {
    const bot = await parley.createChatbot([
      {
        ...failing('slow_call', '/slow', false),
        steps: [
          { id: 'call', request: { method: 'GET', url: `${api.url}/slow` }, timeoutMs: 300, retry: { maxAttempts: 1 } },
        ],
      },
    ]);
    const result = await parley.admin('post', `/v1/chatbots/${bot}/actions/slow_call/test`).send({}).expect(200);
    expect(result.body.steps[0]).toMatchObject({ outcome: 'failed', failure: 'timeout' });
    expect(result.body.failure).toMatchObject({ failure: 'timeout' });
  });
});
