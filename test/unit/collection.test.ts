import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema, type ActionDefinitionInput } from '../../shared/actions/action';
import { confirmationPrompt } from '../../shared/conversation/collection';
import { openConversation, type ActionCatalog, type ConversationState } from '../../shared/conversation/state';
import { planTurn } from '../../shared/conversation/turn';

const NOW = '2026-11-20T12:00:00.000Z';

function action(input: Partial<ActionDefinitionInput> & { name: string }) {
  return ActionDefinitionSchema.parse({
    description: `Do ${input.name}`,
    steps: [{ id: 'call', request: { method: 'GET', url: 'https://api.test/x' } }],
    ...input,
  });
}

const book = action({
  name: 'book_table',
  description: 'Book a table at the restaurant',
  examples: ['book a table', 'reserve a table for dinner'],
  parameters: [
    { name: 'day', type: 'date', description: 'Day', prompt: 'Which day?' },
    { name: 'guests', type: 'number', description: 'Number of guests', prompt: 'How many guests?' },
  ],
});
const stock = action({
  name: 'check_stock',
  description: 'Check whether a product is in stock',
  examples: ['is the mug in stock', 'check stock of a product'],
  parameters: [{ name: 'sku', type: 'text', pattern: '^[A-Z]{3}-[0-9]{2}$', prompt: 'Which SKU?' }],
});
const note = action({
  name: 'leave_note',
  description: 'Leave a note for the team',
  examples: ['leave a note'],
  parameters: [{ name: 'text', type: 'text', description: 'Note', prompt: 'What should it say?' }],
});
const catalog: ActionCatalog = {
  revision: 'r1',
  actions: [book, stock, note].map((definition) => ({ version: 1, definition })),
};

function start(): ConversationState {
  return openConversation(
    {
      chatbotId: 'bot',
      conversationId: 'c1',
      visitor: {},
      attributes: {},
      settings: { idleTimeoutMs: 60_000, greeting: null },
      buttons: [],
    },
    NOW,
  );
}

function turn(state: ConversationState, text: string, id: string) {
  const decision = planTurn(state, { kind: 'message', messageId: id, text }, catalog, NOW);
  const said = decision.state.transcript
    .filter((entry) => entry.from === 'bot' && entry.seq >= state.nextSeq)
    .map((entry) => entry.message);
  return { ...decision, said };
}

describe('parameter collection across turns', () => {
  it('resolves a relative date in an answer against the conversation time', () => {
    let state = start();
    state = turn(state, 'book a table', 'm1').state;
    const answer = turn(state, 'next Friday', 'm2');
    expect(answer.said).toEqual([{ type: 'text', text: 'How many guests?' }]);
    const done = turn(answer.state, '4 of us', 'm3');
    expect(done.run?.values).toEqual({ day: '2026-11-27', guests: 4 });
  });

  it('switches to another action when a message clearly asks for it instead of answering', () => {
    let state = start();
    state = turn(state, 'book a table', 'm1').state;
    const switched = turn(state, 'actually, is the mug in stock? check stock of a product', 'm2');
    expect(switched.state.pending?.action.name).toBe('check_stock');
    expect(switched.said).toEqual([{ type: 'text', text: 'Which SKU?' }]);
  });

  it('keeps a valid structured answer even when it mentions another topic', () => {
    let state = start();
    state = turn(state, 'check stock of a product', 'm1').state;
    const answered = turn(state, 'MUG-01', 'm2');
    expect(answered.run?.action.name).toBe('check_stock');
    expect(answered.run?.values).toEqual({ sku: 'MUG-01' });
  });

  it('takes free text as the answer unless the message clearly routes elsewhere', () => {
    let state = start();
    state = turn(state, 'leave a note', 'm1').state;
    const answered = turn(state, 'The soup was cold', 'm2');
    expect(answered.run?.values).toEqual({ text: 'The soup was cold' });
  });
});

describe('confirmation', () => {
  const remove = action({
    name: 'delete_account',
    description: 'Delete my account',
    examples: ['delete my account'],
    steps: [{ id: 'delete', request: { method: 'DELETE', url: 'https://api.test/me' } }],
  });

  it('asks before an action with a DELETE step, unless confirm is false', () => {
    expect(confirmationPrompt(remove)).toBe('Please confirm: Delete account?');
    expect(confirmationPrompt({ ...remove, title: 'Close my account' })).toBe('Please confirm: Close my account?');
    expect(confirmationPrompt({ ...remove, confirm: false })).toBeNull();
    expect(confirmationPrompt({ ...remove, confirm: { prompt: 'Really?' } })).toBe('Really?');
    expect(confirmationPrompt(book)).toBeNull();
  });

  it('runs nothing on "no" and runs on "yes"', () => {
    const local: ActionCatalog = { revision: 'r', actions: [{ version: 1, definition: remove }] };
    let state = start();
    state = planTurn(state, { kind: 'message', messageId: 'a', text: 'delete my account' }, local, NOW).state;
    expect(state.pending?.awaitingConfirmation).toBe(true);
    const no = planTurn(state, { kind: 'message', messageId: 'b', text: 'no' }, local, NOW);
    expect(no.run).toBeNull();
    expect(no.state.pending).toBeNull();
    const yes = planTurn(state, { kind: 'button', messageId: 'c', payload: 'confirm:yes' }, local, NOW);
    expect(yes.run?.action.name).toBe('delete_account');
  });
});
