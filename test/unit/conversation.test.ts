import { describe, expect, it } from 'vitest';
import type { ActionDefinition } from '../../shared/actions/action';
import { actionButtonPayload, actionButtons } from '../../shared/conversation/catalog';
import { completeRun, runEnvironment } from '../../shared/conversation/run';
import {
  closeConversation,
  MAX_ANSWER_ATTEMPTS,
  openConversation,
  openingMessages,
  stateSummary,
  type ActionCatalog,
  type ActionRun,
  type ConversationState,
  type TurnEvent,
  type Visitor,
} from '../../shared/conversation/state';
import { markHandled, repliesTo, TRANSCRIPT_LIMIT, transcriptAfter } from '../../shared/conversation/transcript';
import { planTurn } from '../../shared/conversation/turn';
import { DEFAULT_ERROR_REPLY, templateContext } from '../../shared/actions/interpreter';
import type { JsonObject } from '../../shared/json';
import type { BotMessage } from '../../shared/messages';
import { failedWith, orderStatusAction, playRun, simpleAction, succeeded } from './fixtures';

const NOW = '2025-01-01T12:00:00.000Z';
const settings = { idleTimeoutMs: 30 * 60_000, greeting: 'Hi! How can I help?' };

const orderStatus = orderStatusAction();

const cancelOrder = simpleAction({
  name: 'cancel_order',
  description: 'Cancel an order that has not shipped yet',
  examples: ['cancel my order', 'I want to cancel order 12345'],
  parameters: [{ name: 'order_number', pattern: '^[0-9]{5,10}$', prompt: 'Which order should I cancel?' }],
  confirm: { prompt: 'Cancel order {{order_number}}?' },
  steps: [{ id: 'cancel', request: { method: 'POST', url: 'https://api.acme.test/orders/{{order_number}}/cancel' } }],
  reply: { template: 'Order {{order_number}} is cancelled.' },
});

const talkToHuman = simpleAction({
  name: 'talk_to_human',
  description: 'Hand the conversation to a person',
  triggers: [{ type: 'button', label: 'Talk to a human' }],
  triggeredResponse: 'Connecting you to a person.',
});

const welcomeLead = simpleAction({
  name: 'welcome_lead',
  description: 'Send the welcome email to a new lead',
  triggers: [{ type: 'lead_captured' }],
  parameters: [{ name: 'email', type: 'email' }],
  steps: [
    {
      id: 'welcome',
      request: { method: 'POST', url: 'https://api.acme.test/welcome', body: { email: '{{email}}' } },
    },
  ],
});

function catalogOf(...actions: ActionDefinition[]): ActionCatalog {
  return { revision: 'r1', actions: actions.map((definition, index) => ({ version: index + 1, definition })) };
}

/** cancel_order comes first so that a message naming both "cancel" and "order" is not decided by a routing tie. */
const catalog = catalogOf(cancelOrder, orderStatus, talkToHuman, welcomeLead);

function start(
  options: { visitor?: Visitor; attributes?: JsonObject; actions?: ActionCatalog } = {},
): ConversationState {
  const actions = (options.actions ?? catalog).actions.map((entry) => entry.definition);
  return openConversation(
    {
      chatbotId: 'acme',
      conversationId: 'c1',
      visitor: options.visitor ?? {},
      attributes: options.attributes ?? {},
      settings,
      buttons: actionButtons(actions),
    },
    NOW,
  );
}

/** How a frontend would read a bot message: its text, or the text of a buttons message. */
function textOf(message: BotMessage): string {
  if (message.type === 'text') return message.text;
  if (message.type === 'buttons' || message.type === 'quick_replies') return message.text ?? '';
  return '';
}

let counter = 0;

type Turn = { state: ConversationState; run: ActionRun | null; replies: BotMessage[]; said: string[] };

/** Plays one turn the way the workflow does: plan it, then record its message id as handled. */
function play(state: ConversationState, event: TurnEvent, actions: ActionCatalog | null = catalog): Turn {
  const fromSeq = state.nextSeq;
  const decision = planTurn(state, event, actions, NOW);
  const handled = markHandled(decision.state, event.messageId, fromSeq);
  const replies = repliesTo(handled, event.messageId) ?? [];
  return { state: handled, run: decision.run, replies, said: replies.map(textOf) };
}

function send(state: ConversationState, text: string, actions: ActionCatalog | null = catalog): Turn {
  counter += 1;
  return play(state, { kind: 'message', messageId: `m${counter}`, text }, actions);
}

function click(state: ConversationState, payload: string, actions: ActionCatalog | null = catalog): Turn {
  counter += 1;
  return play(state, { kind: 'button', messageId: `b${counter}`, payload }, actions);
}

describe('opening a conversation', () => {
  it('greets the visitor and offers one button per button-triggered action', () => {
    const state = start();
    expect(state.status).toBe('open');
    expect(state.transcript.map((entry) => entry.message)).toEqual([
      { type: 'text', text: 'Hi! How can I help?' },
      {
        type: 'buttons',
        buttons: [
          { label: 'Track my order', payload: 'action:check_order_status' },
          { label: 'Talk to a human', payload: 'action:talk_to_human' },
        ],
      },
    ]);
    expect(state.transcript.map((entry) => entry.seq)).toEqual([1, 2]);
    expect(state.transcript.every((entry) => entry.from === 'bot' && entry.at === NOW)).toBe(true);
  });

  it('says nothing when there is no greeting and no button-triggered action', () => {
    expect(openingMessages({ ...settings, greeting: null }, [])).toEqual([]);
    const quiet = openConversation(
      {
        chatbotId: 'acme',
        conversationId: 'c1',
        visitor: {},
        attributes: {},
        settings: { ...settings, greeting: null },
        buttons: [],
      },
      NOW,
    );
    expect(quiet.transcript).toEqual([]);
    expect(quiet.nextSeq).toBe(1);
  });

  it('names button payloads after the action they fire', () => {
    expect(actionButtonPayload('talk_to_human')).toBe('action:talk_to_human');
    expect(actionButtons([cancelOrder, orderStatus])).toEqual([
      { label: 'Track my order', payload: 'action:check_order_status' },
    ]);
  });
});

describe('collecting parameters', () => {
  it('asks for a missing required parameter and runs the action once the next message answers it', () => {
    const asked = send(start(), 'where is my order?');
    expect(asked.run).toBeNull();
    expect(asked.said).toEqual(['What is your order number?']);
    expect(asked.state.pending?.asking).toBe('order_number');

    const answered = send(asked.state, 'it is 12345');
    expect(answered.run).toMatchObject({
      action: { name: 'check_order_status' },
      version: 2,
      trigger: 'intent',
      userMessage: 'where is my order?',
      values: { order_number: '12345' },
      turn: 2,
    });
    expect(answered.state.pending).toBeNull();
  });

  it('runs straight away when the first message already holds every parameter', () => {
    const turn = send(start(), 'track order 12345 please');
    expect(turn.run?.values).toEqual({ order_number: '12345' });
    expect(turn.said).toEqual(['Let me look that up.']);
  });

  it('says the triggered response in the turn the run starts, and not before', () => {
    const asked = send(start(), 'where is my order?');
    expect(asked.said).not.toContain('Let me look that up.');
    const answered = send(asked.state, '12345');
    expect(answered.said).toEqual(['Let me look that up.']);
  });

  it('renders the triggered response as a template with the parameters', () => {
    const templated = orderStatusAction({ triggeredResponse: 'Looking up order {{order_number}}…' });
    const actions = catalogOf(templated);
    expect(send(start({ actions }), 'track order 12345', actions).said).toEqual(['Looking up order 12345…']);
  });

  it('renders the triggered response with who the visitor is and their attributes', () => {
    const templated = orderStatusAction({
      triggeredResponse: 'Looking up order {{order_number}} for {{user_name}} ({{attributes.plan}} plan).',
    });
    const actions = catalogOf(templated);
    const state = start({ actions, visitor: { name: 'Ada' }, attributes: { plan: 'gold' } });
    expect(send(state, 'track order 12345', actions).said).toEqual(['Looking up order 12345 for Ada (gold plan).']);
  });

  it('re-asks an invalid answer with the reason', () => {
    const asked = send(start(), 'where is my order?');
    const invalid = send(asked.state, 'I forgot');
    expect(invalid.run).toBeNull();
    expect(invalid.said).toEqual([
      'That does not look like a valid order or tracking number. What is your order number?',
    ]);
    expect(invalid.state.pending?.asking).toBe('order_number');
    const answered = send(invalid.state, '12345');
    expect(answered.run?.values).toEqual({ order_number: '12345' });
  });

  it(`gives up on the action after ${MAX_ANSWER_ATTEMPTS} invalid answers`, () => {
    let turn = send(start(), 'where is my order?');
    for (let attempt = 1; attempt < MAX_ANSWER_ATTEMPTS; attempt += 1) {
      turn = send(turn.state, 'no idea');
      expect(turn.state.pending).not.toBeNull();
    }
    turn = send(turn.state, 'still no idea');
    expect(turn.run).toBeNull();
    expect(turn.state.pending).toBeNull();
    expect(turn.said).toHaveLength(1);
    expect(turn.said[0]).toMatch(/^That does not look like a valid order or tracking number\. Let's leave it there/);

    const afterwards = send(turn.state, '12345');
    expect(afterwards.run).toBeNull();
  });

  it('abandons the action when the visitor says cancel', () => {
    const asked = send(start(), 'where is my order?');
    const cancelled = send(asked.state, 'cancel');
    expect(cancelled.run).toBeNull();
    expect(cancelled.said).toEqual(["OK, I've cancelled that."]);
    expect(cancelled.state.pending).toBeNull();
  });

  it('fills other parameters mentioned in the same answer', () => {
    const contact = simpleAction({
      name: 'request_callback',
      description: 'Ask support to call the visitor back',
      examples: ['call me back'],
      parameters: [
        { name: 'phone', type: 'phone', prompt: 'What number should we call?' },
        { name: 'email', type: 'email', prompt: 'And your email?' },
      ],
    });
    const actions = catalogOf(contact);
    const asked = send(start({ actions }), 'please call me back', actions);
    expect(asked.said).toEqual(['What number should we call?']);
    const answered = send(asked.state, '+44 20 7946 0958, or mail ada@example.com', actions);
    expect(answered.run?.values).toEqual({ phone: '+442079460958', email: 'ada@example.com' });
  });

  it("takes the visitor's known email instead of asking for it", () => {
    const subscribe = simpleAction({
      name: 'subscribe_newsletter',
      description: 'Subscribe the visitor to the newsletter',
      examples: ['subscribe me to the newsletter'],
      parameters: [{ name: 'email', type: 'email' }],
    });
    const actions = catalogOf(subscribe);
    const turn = send(
      start({ actions, visitor: { email: 'ada@example.com' } }),
      'subscribe me to the newsletter',
      actions,
    );
    expect(turn.run?.values).toEqual({ email: 'ada@example.com' });
  });

  it('applies parameter defaults to the run', () => {
    const order = simpleAction({
      name: 'order_mugs',
      description: 'Order mugs',
      examples: ['order some mugs'],
      parameters: [{ name: 'quantity', type: 'number', required: false, default: 1 }],
    });
    const actions = catalogOf(order);
    expect(send(start({ actions }), 'order some mugs', actions).run?.values).toEqual({ quantity: 1 });
  });
});

describe('confirming destructive actions', () => {
  it('asks for confirmation with yes and no buttons, rendering the prompt with the parameters', () => {
    const turn = send(start(), 'I want to cancel order 12345');
    expect(turn.run).toBeNull();
    expect(turn.replies).toEqual([
      {
        type: 'buttons',
        text: 'Cancel order 12345?',
        buttons: [
          { label: 'Yes', payload: 'confirm:yes' },
          { label: 'No', payload: 'confirm:no' },
        ],
      },
    ]);
    expect(turn.state.pending?.awaitingConfirmation).toBe(true);
  });

  it('renders the confirmation prompt with who the visitor is', () => {
    const polite = simpleAction({
      ...cancelOrder,
      confirm: { prompt: '{{user_name}}, cancel order {{order_number}}?' },
    });
    const actions = catalogOf(polite);
    const turn = send(start({ actions, visitor: { name: 'Ada' } }), 'I want to cancel order 12345', actions);
    expect(turn.said).toEqual(['Ada, cancel order 12345?']);
  });

  it('runs nothing when the visitor answers no', () => {
    const asked = send(start(), 'I want to cancel order 12345');
    const refused = send(asked.state, 'no');
    expect(refused.run).toBeNull();
    expect(refused.said).toEqual(["OK, I won't do that."]);
    expect(refused.state.pending).toBeNull();
    expect(refused.state.runs).toEqual({});
  });

  it('runs the action when the visitor answers yes', () => {
    const asked = send(start(), 'I want to cancel order 12345');
    const confirmed = send(asked.state, 'yes please');
    expect(confirmed.run).toMatchObject({ action: { name: 'cancel_order' }, values: { order_number: '12345' } });
    expect(confirmed.state.runs).toEqual({ cancel_order: 1 });
  });

  it('runs the action when the visitor presses Yes, and records the button label as what they said', () => {
    const asked = send(start(), 'I want to cancel order 12345');
    const confirmed = click(asked.state, 'confirm:yes');
    expect(confirmed.run?.action.name).toBe('cancel_order');
    const visitorLine = confirmed.state.transcript.filter((entry) => entry.from === 'visitor').at(-1);
    expect(visitorLine?.message).toEqual({ type: 'text', text: 'Yes' });
  });

  it('runs nothing when the visitor presses No', () => {
    const asked = send(start(), 'I want to cancel order 12345');
    const refused = click(asked.state, 'confirm:no');
    expect(refused.run).toBeNull();
    expect(refused.said).toEqual(["OK, I won't do that."]);
  });

  it('asks again for yes or no when the answer is neither', () => {
    const asked = send(start(), 'I want to cancel order 12345');
    const unclear = send(asked.state, 'hmm, maybe');
    expect(unclear.run).toBeNull();
    expect(unclear.said).toEqual(['Please answer yes or no.']);
    expect(unclear.state.pending?.awaitingConfirmation).toBe(true);
    expect(send(unclear.state, 'yes').run?.action.name).toBe('cancel_order');
  });

  it('says there is nothing to confirm when a confirmation button is pressed with nothing pending', () => {
    const turn = click(start(), 'confirm:yes');
    expect(turn.run).toBeNull();
    expect(turn.said).toEqual(['There is nothing waiting for confirmation.']);
  });
});

describe('limits', () => {
  it('refuses to run an action a second time when maxPerConversation is 1', () => {
    const once = orderStatusAction({ limits: { maxPerConversation: 1 } });
    const actions = catalogOf(once);
    const first = send(start({ actions }), 'track order 12345', actions);
    expect(first.run).not.toBeNull();
    const second = send(first.state, 'track order 67890', actions);
    expect(second.run).toBeNull();
    expect(second.said).toEqual(["I've already done that in this conversation."]);
  });
});

describe('buttons', () => {
  it('fires a button-triggered action from its action:<name> payload', () => {
    const turn = click(start(), 'action:talk_to_human');
    expect(turn.run).toMatchObject({
      action: { name: 'talk_to_human' },
      trigger: 'button',
      version: 3,
      userMessage: '',
    });
    expect(turn.said).toEqual(['Connecting you to a person.']);
    const visitorLine = turn.state.transcript.filter((entry) => entry.from === 'visitor').at(-1);
    expect(visitorLine?.message).toEqual({ type: 'text', text: 'Talk to a human' });
  });

  it('asks for missing parameters of a button-triggered action', () => {
    const turn = click(start(), 'action:check_order_status');
    expect(turn.run).toBeNull();
    expect(turn.said).toEqual(['What is your order number?']);
    expect(send(turn.state, '12345').run?.trigger).toBe('button');
  });

  it('says the option is no longer available for an unknown payload', () => {
    const turn = click(start(), 'action:deleted_action');
    expect(turn.run).toBeNull();
    expect(turn.said).toEqual(['Sorry, that option is no longer available.']);
  });

  it('does not fire an action without a button trigger from a button payload', () => {
    const turn = click(start(), 'action:cancel_order');
    expect(turn.run).toBeNull();
    expect(turn.said).toEqual(['Sorry, that option is no longer available.']);
  });
});

describe('lead capture', () => {
  it("fills the visitor's details and fires the lead_captured action with the lead's email", () => {
    const state = start();
    const turn = play(state, {
      kind: 'lead',
      messageId: 'lead-1',
      lead: { name: 'Ada', email: 'ada@example.com', phone: '+15551234567', fields: { company: 'Engines Ltd' } },
    });
    expect(turn.state.visitor).toEqual({ name: 'Ada', email: 'ada@example.com', phone: '+15551234567' });
    expect(turn.state.attributes).toEqual({ company: 'Engines Ltd' });
    expect(turn.run).toMatchObject({
      action: { name: 'welcome_lead' },
      trigger: 'lead_captured',
      values: { email: 'ada@example.com' },
    });
  });

  it('only records the details when no action is triggered by leads', () => {
    const actions = catalogOf(orderStatus);
    const turn = play(
      start({ actions }),
      { kind: 'lead', messageId: 'lead-1', lead: { email: 'ada@example.com' } },
      actions,
    );
    expect(turn.run).toBeNull();
    expect(turn.replies).toEqual([]);
    expect(turn.state.visitor.email).toBe('ada@example.com');
  });
});

describe('fallback', () => {
  it('lists what the bot can help with by title, never by the machine-facing description', () => {
    const turn = send(start(), "what's the weather on mars");
    expect(turn.run).toBeNull();
    expect(turn.said).toEqual([
      "Sorry, I didn't understand that. I can help with:\n- Cancel order\n- Check order status",
    ]);
  });

  it('apologises plainly when there are no intent-triggered actions', () => {
    const actions = catalogOf(talkToHuman);
    expect(send(start({ actions }), 'hello there', actions).said).toEqual(["Sorry, I didn't understand that."]);
    expect(send(start({ actions }), 'hello there', null).said).toEqual(["Sorry, I didn't understand that."]);
  });
});

describe('completing a run', () => {
  function runOf(action: ActionDefinition, values: Record<string, string> = {}): ActionRun {
    return { action, version: 1, trigger: 'intent', userMessage: 'hi', values, turn: 1 };
  }

  it('renders the reply template with the step results and merges the attributes they return', () => {
    const state = start({ attributes: { plan: 'gold' } });
    const { progress } = playRun(orderStatus, {
      lookup: succeeded({ status: 'shipped', eta: 'Friday' }, { attributes: { last_order: '12345' } }),
    });
    const next = completeRun(state, runOf(orderStatus, { order_number: '12345' }), progress, NOW);
    expect(next.transcript.at(-1)?.message).toEqual({ type: 'text', text: 'Your order is shipped (ETA Friday).' });
    expect(next.attributes).toEqual({ plan: 'gold', last_order: '12345' });
    expect(next.status).toBe('open');
  });

  it("says the failed step's onError reply", () => {
    const { progress } = playRun(orderStatus, { lookup: failedWith('NetworkError', 'timeout') });
    const next = completeRun(start(), runOf(orderStatus), progress, NOW);
    expect(next.transcript.at(-1)?.message).toEqual({
      type: 'text',
      text: "Sorry, I can't reach the order system right now.",
    });
  });

  it('says the default apology when the failed step has no onError reply', () => {
    const { progress } = playRun(talkToHuman, { call: failedWith('HttpClientError', '404') });
    const next = completeRun(start(), runOf(talkToHuman), progress, NOW);
    expect(next.transcript.at(-1)?.message).toEqual({ type: 'text', text: DEFAULT_ERROR_REPLY });
  });

  it('says the farewell and closes the conversation when the action closes it', () => {
    const closing = simpleAction({ name: 'end_chat', closeConversation: { farewell: 'Bye for now!' } });
    const { progress } = playRun(closing, { call: succeeded({}, { message: 'Ended.' }) });
    const next = completeRun(start(), runOf(closing), progress, NOW);
    expect(next.transcript.slice(-2).map((entry) => entry.message)).toEqual([
      { type: 'text', text: 'Ended.' },
      { type: 'text', text: 'Bye for now!' },
    ]);
    expect(next.status).toBe('closed');
    expect(next.closedReason).toBe('action');
  });

  it('renders the farewell as a template with the visitor, parameters and step results', () => {
    const closing = simpleAction({
      name: 'end_chat',
      parameters: [{ name: 'topic' }],
      closeConversation: { farewell: 'Bye {{user_name}}! Ticket {{steps.call.number}} about {{topic}} is open.' },
    });
    const { progress } = playRun(closing, { call: succeeded({ number: 42 }, { message: 'Ended.' }) });
    const next = completeRun(start({ visitor: { name: 'Ada' } }), runOf(closing, { topic: 'billing' }), progress, NOW);
    expect(next.transcript.at(-1)?.message).toEqual({
      type: 'text',
      text: 'Bye Ada! Ticket 42 about billing is open.',
    });
  });

  it('says the reply of a chain that skipped a step and passed over a failure with continue', () => {
    const chain = simpleAction({
      name: 'check_stock',
      reply: { template: 'In stock: {{steps.stock.count}}.' },
      steps: [
        {
          id: 'cache',
          request: { method: 'GET', url: 'https://cache.acme.test/stock' },
          onError: { then: 'continue' },
        },
        {
          id: 'warm',
          when: { path: 'steps.cache.count', op: 'exists' },
          request: { method: 'POST', url: 'https://cache.acme.test/warm' },
        },
        { id: 'stock', request: { method: 'GET', url: 'https://api.acme.test/stock' } },
      ],
    });
    const run = runOf(chain);
    const state = start();
    const { progress, calls } = playRun(
      chain,
      { cache: failedWith('NetworkError', 'down'), stock: succeeded({ count: 7 }) },
      { contextOf: (sofar) => templateContext(chain, run.values, runEnvironment(state, run, NOW), sofar) },
    );
    expect(calls).toEqual(['cache', 'stock']);
    expect(progress.skipped).toEqual(['warm']);
    expect(completeRun(state, run, progress, NOW).transcript.at(-1)?.message).toEqual({
      type: 'text',
      text: 'In stock: 7.',
    });
  });

  it("offers the reply's action button, and pressing it runs the action again", () => {
    const again = orderStatusAction({
      reply: {
        template: 'Your order is {{steps.lookup.status}}.',
        actionButton: { label: 'Check another order', action: 'check_order_status' },
      },
    });
    const actions = catalogOf(again);
    const { progress } = playRun(again, { lookup: succeeded({ status: 'shipped', eta: null }) });
    const done = completeRun(start({ actions }), runOf(again, { order_number: '12345' }), progress, NOW);
    expect(done.transcript.slice(-2).map((entry) => entry.message)).toEqual([
      { type: 'text', text: 'Your order is shipped.' },
      { type: 'buttons', buttons: [{ label: 'Check another order', payload: 'action:check_order_status' }] },
    ]);
    const pressed = click(done, 'action:check_order_status', actions);
    expect(pressed.said).toEqual(['What is your order number?']);
    const visitorLine = pressed.state.transcript.filter((entry) => entry.from === 'visitor').at(-1);
    expect(visitorLine?.message).toEqual({ type: 'text', text: 'Check another order' });
  });

  it('keeps the conversation open when an action that would close it failed', () => {
    const closing = simpleAction({ name: 'end_chat', closeConversation: { farewell: 'Bye for now!' } });
    const { progress } = playRun(closing, { call: failedWith('NetworkError', 'down') });
    const next = completeRun(start(), runOf(closing), progress, NOW);
    expect(next.status).toBe('open');
    expect(next.transcript.map((entry) => entry.message)).not.toContainEqual({ type: 'text', text: 'Bye for now!' });
  });
});

describe('closing', () => {
  it('closes with the reason and drops any pending question', () => {
    const asked = send(start(), 'where is my order?');
    const closed = closeConversation(asked.state, 'visitor');
    expect(closed.status).toBe('closed');
    expect(closed.closedReason).toBe('visitor');
    expect(closed.pending).toBeNull();
  });

  it('keeps the first reason when closed twice', () => {
    const closed = closeConversation(closeConversation(start(), 'idle'), 'visitor');
    expect(closed.closedReason).toBe('idle');
  });
});

describe('transcript and idempotent replies', () => {
  it('gives exactly the bot messages of the turn a message id started', () => {
    const first = send(start(), 'where is my order?');
    const second = send(first.state, '12345');
    const third = send(second.state, 'what is the weather on mars');
    const state = third.state;
    expect(repliesTo(state, 'm-unknown')).toBeUndefined();
    const ids = state.handled.map((entry) => entry.messageId);
    expect(ids).toHaveLength(3);
    expect(repliesTo(state, ids[0] ?? '')?.map(textOf)).toEqual(['What is your order number?']);
    expect(repliesTo(state, ids[1] ?? '')?.map(textOf)).toEqual(['Let me look that up.']);
    expect(repliesTo(state, ids[2] ?? '')?.map(textOf)).toEqual([third.said[0]]);
  });

  it('records visitor messages and bot replies in order with increasing sequence numbers', () => {
    const turn = send(start(), 'where is my order?');
    const entries = transcriptAfter(turn.state, 2);
    expect(entries.map((entry) => [entry.seq, entry.from, textOf(entry.message)])).toEqual([
      [3, 'visitor', 'where is my order?'],
      [4, 'bot', 'What is your order number?'],
    ]);
    expect(transcriptAfter(turn.state)).toHaveLength(4);
    expect(transcriptAfter(turn.state, 4)).toEqual([]);
  });

  it(`keeps only the last ${TRANSCRIPT_LIMIT} transcript entries`, () => {
    let state = start();
    for (let i = 0; i < TRANSCRIPT_LIMIT; i += 1) state = send(state, `nonsense ${i}`, null).state;
    const total = 2 + 2 * TRANSCRIPT_LIMIT;
    expect(state.nextSeq).toBe(total + 1);
    expect(state.transcript).toHaveLength(TRANSCRIPT_LIMIT);
    expect(state.transcript[0]?.seq).toBe(total - TRANSCRIPT_LIMIT + 1);
    expect(state.transcript.at(-1)?.seq).toBe(total);
  });
});

describe('stateSummary', () => {
  it('summarises the pending action without the values collected', () => {
    const asked = send(start({ attributes: { plan: 'gold' } }), 'I want to cancel order 12345');
    expect(stateSummary(asked.state)).toEqual({
      chatbotId: 'acme',
      conversationId: 'c1',
      status: 'open',
      mode: 'bot',
      closedReason: null,
      turn: 1,
      attributes: { plan: 'gold' },
      pending: {
        action: 'cancel_order',
        version: 1,
        asking: null,
        awaitingConfirmation: true,
        collected: ['order_number'],
      },
      runs: {},
      lastSeq: 4,
    });
  });

  it('shows no pending action when idle', () => {
    expect(stateSummary(start())).toMatchObject({ pending: null, turn: 0, lastSeq: 2 });
  });
});
