import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

type OperatorCatalogue = {
  actions: { name: string; description: string; examples: string[] }[];
  paraphrases: [string, string][];
  outOfScope: string[];
};

const operatorCatalogue = JSON.parse(
  readFileSync(resolve(__dirname, '../fixtures/operator-catalogue.json'), 'utf8'),
) as OperatorCatalogue;

/** An action that calls `/<name>` on the fake API and says which it ran. */
function actionCalling(api: FakeApi, action: Partial<ActionDefinitionInput> & { name: string }): ActionDefinitionInput {
  return {
    description: '',
    steps: [{ id: 'call', request: { method: 'POST', url: `${api.url}/${action.name}` } }],
    reply: { template: `ran ${action.name}` },
    ...action,
  };
}

/** Semantic routing on the real stack: the encoder embeds actions on save and each message in the worker. */
describe('semantic routing through the API', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi(() => ({ status: 200, body: {} }));
  });
  afterAll(async () => {
    await api.close();
    await parley.close();
  });

  it('routes actions that have only a description and a title, and falls back naming their titles', async () => {
    const bot = await parley.createChatbot([
      actionCalling(api, {
        name: 'track_order',
        title: 'Track an order',
        description: 'Use when the visitor asks where their order is or when it will arrive',
      }),
      actionCalling(api, {
        name: 'check_stock',
        title: 'Check stock',
        description: 'Use when the visitor asks whether a product is available',
      }),
      actionCalling(api, {
        name: 'report_damage',
        title: 'Report a damaged item',
        description: 'Use when the visitor says an item arrived broken or damaged',
      }),
    ]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('has my package shipped yet?')).toEqual(['ran track_order']);
    expect(await chat.say('is the tee shirt available?')).toEqual(['ran check_stock']);
    expect(await chat.say('the box arrived damaged')).toEqual(['ran report_damage']);
    expect(await chat.say('what is the capital of Peru?')).toEqual([
      "Sorry, I didn't understand that. I can help with:\n- Check stock\n- Report a damaged item\n- Track an order",
    ]);
    expect(api.requests.map((request) => request.path)).toEqual(['/track_order', '/check_stock', '/report_damage']);
    // How the worker routed each message is recorded (a local activity marker), so a replay routes exactly as the
    // turn did; the trained router itself stays in the worker, out of history.
    const history = await parley.historyText(`conversation:${bot}:${chat.conversationId}`);
    expect(history).not.toContain('"router"');
    // The first turn reads the catalogue through the worker (understandTurn); the API routes every message with
    // its turn, so later turns on an unchanged catalogue need no local activity to read it.
    expect(history.split('"understandTurn"').length - 1).toBe(1);
  });

  it('routes at least 90% of visitors paraphrases of actions written as a description and one example', async () => {
    const bot = await parley.createChatbot(operatorCatalogue.actions.map((action) => actionCalling(api, action)));
    const outcomes = await Promise.all(
      operatorCatalogue.paraphrases.map(async ([text, expected]) => {
        const chat = await parley.startConversation(bot);
        return { text, expected, said: await chat.say(text) };
      }),
    );
    const right = outcomes.filter((outcome) => outcome.said[0] === `ran ${outcome.expected}`);
    expect(
      right.length / outcomes.length,
      JSON.stringify(outcomes.filter((outcome) => !right.includes(outcome))),
    ).toBeGreaterThanOrEqual(0.9);

    for (const text of operatorCatalogue.outOfScope) {
      const chat = await parley.startConversation(bot);
      const [reply] = await chat.say(text);
      expect(reply, text).toMatch(/^Sorry, I didn't understand that/);
    }
  });

  it('warns when an action saved can never be reached by what visitors say', async () => {
    const bot = await parley.createChatbot([]);
    const response = await parley
      .admin('put', `/v1/chatbots/${bot}/actions/unreachable`)
      .send(actionCalling(api, { name: 'unreachable', description: '…' }))
      .expect(201);
    expect(response.body.warnings).toEqual([expect.stringContaining('visitors can never reach this action')]);
  });
});
