import { describe, expect, it } from 'vitest';
import type { ActionDefinition } from '../../shared/actions/action';
import type { Condition } from '../../shared/actions/step-schema';
import {
  composeReply,
  conditionHolds,
  conditionsHold,
  decideNext,
  DEFAULT_ERROR_REPLY,
  MAX_STEP_EXECUTIONS,
  mergedAttributes,
  recordCompensation,
  recordOutcome,
  recordSkip,
  requestMeta,
  startRun,
  templateContext,
  type RunEnvironment,
  type RunProgress,
} from '../../shared/actions/interpreter';
import type { TemplateContext } from '../../shared/actions/template';
import { failedWith, playRun, simpleAction, succeeded } from './fixtures';

const twoSteps = simpleAction({
  name: 'create_ticket',
  steps: [
    { id: 'customer', request: { method: 'GET', url: 'https://api.acme.test/customers' } },
    {
      id: 'ticket',
      request: { method: 'POST', url: 'https://api.acme.test/tickets', body: { customer: '{{steps.customer.id}}' } },
      onError: { reply: 'The ticket system is down.' },
    },
  ],
});

const serverDown = failedWith('HttpServerError', 'POST https://api.acme.test/tickets answered 503');

const env: RunEnvironment = {
  chatbotId: 'acme',
  conversationId: 'c1',
  visitor: { id: 'v1', name: 'Ada', email: 'ada@example.com' },
  attributes: { plan: 'gold' },
  userMessage: 'open a ticket',
  trigger: 'intent',
  now: '2025-01-01T00:00:00.000Z',
};

/** What `when` conditions see while the run goes on: the same context the templates get. */
function contextFor(action: ActionDefinition) {
  return (progress: RunProgress) => templateContext(action, {}, env, progress);
}

function stepOf(action: ActionDefinition, id: string) {
  const step = action.steps.find((candidate) => candidate.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
}

describe('running the steps of an action', () => {
  it('calls the steps in order, then finishes', () => {
    let progress = startRun();
    const first = decideNext(twoSteps, progress, {});
    expect(first.kind === 'call' && first.step.id).toBe('customer');
    progress = recordOutcome(twoSteps, progress, stepOf(twoSteps, 'customer'), succeeded({ id: 7 }));
    const second = decideNext(twoSteps, progress, {});
    expect(second.kind === 'call' && second.step.id).toBe('ticket');
    progress = recordOutcome(twoSteps, progress, stepOf(twoSteps, 'ticket'), succeeded({ number: 1 }));
    expect(decideNext(twoSteps, progress, {})).toEqual({ kind: 'done' });
    expect(progress.failure).toBeNull();
    expect(progress.completed).toEqual(['customer', 'ticket']);
  });

  it('stops at the first failed step and does not call the ones after it', () => {
    const { progress, calls } = playRun(twoSteps, { customer: serverDown, ticket: succeeded({}) });
    expect(calls).toEqual(['customer']);
    expect(progress.failure).toEqual({ step: 'customer', failure: 'HttpServerError', reply: null });
  });

  it('skips a step whose `when` does not hold, follows a goto after a failure, and runs a step whose `when` holds', () => {
    const chain = simpleAction({
      name: 'find_order',
      steps: [
        {
          id: 'primary',
          request: { method: 'GET', url: 'https://primary.acme.test/orders' },
          onError: { then: 'goto:backup' },
        },
        {
          id: 'confirm',
          when: { path: 'steps.primary.status', op: 'equals', value: 'ok' },
          request: { method: 'POST', url: 'https://primary.acme.test/confirm' },
        },
        {
          id: 'backup',
          when: { path: 'steps.primary.status', op: 'not_exists' },
          request: { method: 'GET', url: 'https://backup.acme.test/orders' },
        },
      ],
    });
    const options = { contextOf: contextFor(chain) };

    const primaryDown = playRun(chain, { primary: serverDown, confirm: succeeded({}), backup: succeeded({}) }, options);
    expect(primaryDown.calls).toEqual(['primary', 'backup']);
    expect(primaryDown.progress.failure).toBeNull();
    expect(primaryDown.progress.completed).toEqual(['backup']);

    const primaryOk = playRun(chain, { primary: succeeded({ status: 'ok' }), confirm: succeeded({}) }, options);
    expect(primaryOk.calls).toEqual(['primary', 'confirm']);
    expect(primaryOk.progress.skipped).toEqual(['backup']);

    const primaryPending = playRun(chain, { primary: succeeded({ status: 'pending' }) }, options);
    expect(primaryPending.calls).toEqual(['primary']);
    expect(primaryPending.progress.skipped).toEqual(['confirm', 'backup']);
    expect(primaryPending.progress.failure).toBeNull();
  });

  it('decides to skip a step whose `when` is false, and recording the skip moves on to the next step', () => {
    const guarded = simpleAction({
      name: 'notify',
      parameters: [{ name: 'email', type: 'email', required: false }],
      steps: [
        {
          id: 'mail',
          when: [{ path: 'email', op: 'exists' }],
          request: { method: 'POST', url: 'https://api.acme.test/mail' },
        },
        { id: 'log', request: { method: 'POST', url: 'https://api.acme.test/log' } },
      ],
    });
    const decision = decideNext(guarded, startRun(), {});
    expect(decision.kind === 'skip' && decision.step.id).toBe('mail');
    const next = recordSkip(startRun(), stepOf(guarded, 'mail'));
    expect(next.skipped).toEqual(['mail']);
    const after = decideNext(guarded, next, {});
    expect(after.kind === 'call' && after.step.id).toBe('log');
    const withEmail = decideNext(guarded, startRun(), { email: 'ada@example.com' });
    expect(withEmail.kind === 'call' && withEmail.step.id).toBe('mail');
  });

  it('moves on to the next step when a failed step says continue, and answers with the reply of the run', () => {
    const tolerant = simpleAction({
      name: 'sync',
      reply: { template: 'Synced {{steps.save.count}} items.' },
      steps: [
        {
          id: 'enrich',
          request: { method: 'GET', url: 'https://api.acme.test/enrich' },
          onError: { then: 'continue', reply: 'never said' },
        },
        { id: 'save', request: { method: 'POST', url: 'https://api.acme.test/save' } },
      ],
    });
    const { progress, calls } = playRun(tolerant, { enrich: serverDown, save: succeeded({ count: 3 }) });
    expect(calls).toEqual(['enrich', 'save']);
    expect(progress.failure).toBeNull();
    expect(progress.completed).toEqual(['save']);
    const context = templateContext(tolerant, {}, env, progress);
    expect(context['steps']).toEqual({ save: { count: 3 } });
    expect(composeReply(tolerant, context, progress)).toEqual([{ type: 'text', text: 'Synced 3 items.' }]);
  });

  it('undoes the completed steps that have a compensation, newest first, when a later step fails and stops the chain', () => {
    const booking = simpleAction({
      name: 'book_trip',
      steps: [
        {
          id: 'flight',
          request: { method: 'POST', url: 'https://api.acme.test/flights' },
          compensate: { request: { method: 'DELETE', url: 'https://api.acme.test/flights/{{steps.flight.id}}' } },
        },
        { id: 'quote', request: { method: 'GET', url: 'https://api.acme.test/quote' } },
        {
          id: 'hotel',
          request: { method: 'POST', url: 'https://api.acme.test/hotels' },
          compensate: { request: { method: 'DELETE', url: 'https://api.acme.test/hotels/{{steps.hotel.id}}' } },
        },
        {
          id: 'pay',
          request: { method: 'POST', url: 'https://api.acme.test/pay' },
          onError: { then: 'stop', reply: 'Payment failed; nothing was booked.' },
        },
      ],
    });
    const { progress, calls } = playRun(booking, {
      flight: succeeded({ id: 'F1' }),
      quote: succeeded({ total: 300 }),
      hotel: succeeded({ id: 'H1' }),
      pay: failedWith('HttpClientError', 'card declined'),
    });
    expect(calls).toEqual(['flight', 'quote', 'hotel', 'pay', 'undo:hotel', 'undo:flight']);
    expect(progress.failure).toEqual({
      step: 'pay',
      failure: 'HttpClientError',
      reply: 'Payment failed; nothing was booked.',
    });
    expect(progress.compensations).toEqual([]);
    expect(progress.compensated).toEqual([
      { step: 'hotel', ok: true },
      { step: 'flight', ok: true },
    ]);
    expect(composeReply(booking, {}, progress)).toEqual([
      { type: 'text', text: 'Payment failed; nothing was booked.' },
    ]);
  });

  it('goes on undoing the other steps when one compensation fails, recording which failed', () => {
    const booking = simpleAction({
      name: 'book_pair',
      steps: [
        {
          id: 'first',
          request: { method: 'POST', url: 'https://api.acme.test/a' },
          compensate: { request: { method: 'DELETE', url: 'https://api.acme.test/a' } },
        },
        {
          id: 'second',
          request: { method: 'POST', url: 'https://api.acme.test/b' },
          compensate: { request: { method: 'DELETE', url: 'https://api.acme.test/b' } },
        },
        { id: 'third', request: { method: 'POST', url: 'https://api.acme.test/c' } },
      ],
    });
    let progress = startRun();
    for (const id of ['first', 'second'])
      progress = recordOutcome(booking, progress, stepOf(booking, id), succeeded({}));
    progress = recordOutcome(booking, progress, stepOf(booking, 'third'), serverDown);
    expect(progress.compensations).toEqual(['second', 'first']);
    const undoSecond = decideNext(booking, progress, {});
    expect(undoSecond.kind === 'compensate' && undoSecond.step.id).toBe('second');
    progress = recordCompensation(progress, stepOf(booking, 'second'), false);
    const undoFirst = decideNext(booking, progress, {});
    expect(undoFirst.kind === 'compensate' && undoFirst.step.id).toBe('first');
    progress = recordCompensation(progress, stepOf(booking, 'first'), true);
    expect(decideNext(booking, progress, {})).toEqual({ kind: 'done' });
    expect(progress.compensated).toEqual([
      { step: 'second', ok: false },
      { step: 'first', ok: true },
    ]);
  });

  it('does not undo a step that failed earlier and was passed over with continue', () => {
    const chain = simpleAction({
      name: 'chain',
      steps: [
        {
          id: 'optional',
          request: { method: 'POST', url: 'https://api.acme.test/a' },
          onError: { then: 'continue' },
          compensate: { request: { method: 'DELETE', url: 'https://api.acme.test/a' } },
        },
        { id: 'required', request: { method: 'POST', url: 'https://api.acme.test/b' } },
      ],
    });
    const { calls, progress } = playRun(chain, { optional: serverDown, required: serverDown });
    expect(calls).toEqual(['optional', 'required']);
    expect(progress.failure?.step).toBe('required');
    expect(progress.compensated).toEqual([]);
  });

  it(`stops a goto loop after ${MAX_STEP_EXECUTIONS} step executions with the failure loop_limit`, () => {
    const polling = simpleAction({
      name: 'poll_export',
      steps: [
        {
          id: 'prepare',
          request: { method: 'POST', url: 'https://api.acme.test/exports' },
          compensate: { request: { method: 'DELETE', url: 'https://api.acme.test/exports' } },
        },
        {
          id: 'check',
          request: { method: 'GET', url: 'https://api.acme.test/exports/latest' },
          onError: { then: 'goto:prepare', reply: 'The export is taking too long.' },
        },
      ],
    });
    const { progress, calls } = playRun(polling, { prepare: succeeded({}), check: serverDown });
    const stepCalls = calls.filter((call) => !call.startsWith('undo:'));
    expect(stepCalls).toHaveLength(MAX_STEP_EXECUTIONS);
    expect(progress.executions).toBe(MAX_STEP_EXECUTIONS);
    expect(progress.failure).toEqual({ step: 'check', failure: 'loop_limit', reply: 'The export is taking too long.' });
    expect(calls.slice(stepCalls.length)).toEqual(['undo:prepare']);
    expect(composeReply(polling, {}, progress)).toEqual([{ type: 'text', text: 'The export is taking too long.' }]);
  });

  it('lets a goto retry an earlier step and finish when it later succeeds', () => {
    const retrying = simpleAction({
      name: 'retrying',
      steps: [
        { id: 'login', request: { method: 'POST', url: 'https://api.acme.test/login' } },
        {
          id: 'fetch',
          request: { method: 'GET', url: 'https://api.acme.test/data' },
          onError: { then: 'goto:login' },
        },
      ],
    });
    const { progress, calls } = playRun(retrying, {
      login: succeeded({ token: 't' }),
      fetch: [failedWith('HttpClientError', '401'), succeeded({ data: 1 })],
    });
    expect(calls).toEqual(['login', 'fetch', 'login', 'fetch']);
    expect(progress.failure).toBeNull();
    expect(progress.results['fetch']).toEqual(succeeded({ data: 1 }));
  });
});

describe('conditions', () => {
  const context: TemplateContext = {
    tier: 'gold',
    count: 10,
    count_text: '10',
    nine_text: '9',
    padded: ' 7 ',
    decimal: '2.5',
    word: 'many',
    empty: '',
    nothing: null,
    zero: 0,
    no: false,
    steps: { lookup: { order: { status: 'shipped' }, tags: ['a', 'b'] } },
  };

  it.each<[string, Condition, boolean]>([
    ['equals a string', { path: 'tier', op: 'equals', value: 'gold' }, true],
    ['equals a nested field', { path: 'steps.lookup.order.status', op: 'equals', value: 'shipped' }, true],
    ['equals a number given as a numeric string', { path: 'count_text', op: 'equals', value: 10 }, true],
    ['equals a numeric string given as a number', { path: 'count', op: 'equals', value: '10' }, true],
    ['equals an array by content', { path: 'steps.lookup.tags', op: 'equals', value: ['a', 'b'] }, true],
    ['does not equal another value', { path: 'tier', op: 'equals', value: 'silver' }, false],
    ['does not equal for a missing path', { path: 'missing', op: 'equals', value: 'gold' }, false],
    ['not_equals another value', { path: 'tier', op: 'not_equals', value: 'silver' }, true],
    ['not_equals is false for the same value', { path: 'tier', op: 'not_equals', value: 'gold' }, false],
    ['not_equals holds for a missing path', { path: 'missing', op: 'not_equals', value: 'gold' }, true],
    ['exists for a value', { path: 'tier', op: 'exists' }, true],
    ['exists for 0', { path: 'zero', op: 'exists' }, true],
    ['exists for false', { path: 'no', op: 'exists' }, true],
    ['does not exist for an empty string', { path: 'empty', op: 'exists' }, false],
    ['does not exist for null', { path: 'nothing', op: 'exists' }, false],
    ['does not exist for a missing path', { path: 'steps.lookup.missing', op: 'exists' }, false],
    ['not_exists for a missing path', { path: 'missing', op: 'not_exists' }, true],
    ['not_exists for null', { path: 'nothing', op: 'not_exists' }, true],
    ['not_exists is false for a value', { path: 'tier', op: 'not_exists' }, false],
    ['in a list', { path: 'tier', op: 'in', value: ['silver', 'gold'] }, true],
    ['in a list of numeric strings', { path: 'count', op: 'in', value: ['5', '10'] }, true],
    ['not in a list it is absent from', { path: 'tier', op: 'in', value: ['silver'] }, false],
    ['not_in a list it is absent from', { path: 'tier', op: 'not_in', value: ['silver'] }, true],
    ['not_in is false when it is in the list', { path: 'tier', op: 'not_in', value: ['gold'] }, false],
    ['gt a smaller number', { path: 'count', op: 'gt', value: 9 }, true],
    ['gt compares a numeric string as a number', { path: 'count_text', op: 'gt', value: 9 }, true],
    ['gt does not compare numeric strings as text', { path: 'nine_text', op: 'gt', value: 10 }, false],
    ['gt is false for an equal number', { path: 'count', op: 'gt', value: 10 }, false],
    ['gt is false for a word', { path: 'word', op: 'gt', value: 0 }, false],
    ['gt is false for a missing path', { path: 'missing', op: 'gt', value: -1 }, false],
    ['gt is false for an empty string', { path: 'empty', op: 'gt', value: -1 }, false],
    ['gt is false for null', { path: 'nothing', op: 'gt', value: -1 }, false],
    ['gte an equal number', { path: 'count', op: 'gte', value: 10 }, true],
    ['gte is false for a larger number', { path: 'count', op: 'gte', value: 11 }, false],
    ['lt a larger number, from a decimal string', { path: 'decimal', op: 'lt', value: 3 }, true],
    ['lt is false for an equal number', { path: 'count', op: 'lt', value: 10 }, false],
    ['lte a number padded with spaces', { path: 'padded', op: 'lte', value: 7 }, true],
    ['lte is false for a smaller number', { path: 'count_text', op: 'lte', value: 9 }, false],
    ['lt is false for a missing path', { path: 'missing', op: 'lt', value: 100 }, false],
  ])('%s', (_name, condition, holds) => {
    expect(conditionHolds(condition, context)).toBe(holds);
  });

  it('holds for a list of conditions only when every one holds', () => {
    const gold: Condition = { path: 'tier', op: 'equals', value: 'gold' };
    const many: Condition = { path: 'count', op: 'gte', value: 5 };
    const few: Condition = { path: 'count', op: 'lt', value: 5 };
    expect(conditionsHold(gold, context)).toBe(true);
    expect(conditionsHold([gold, many], context)).toBe(true);
    expect(conditionsHold([gold, few], context)).toBe(false);
  });
});

describe('templateContext', () => {
  it('offers the system variables, parameters, attributes and successful step results', () => {
    const { progress } = playRun(twoSteps, { customer: succeeded({ id: 7 }), ticket: serverDown });
    const context = templateContext(twoSteps, { subject: 'Broken mug' }, env, progress);
    expect(context).toEqual({
      user_message: 'open a ticket',
      user_email: 'ada@example.com',
      user_name: 'Ada',
      conversation_id: 'c1',
      chatbot_id: 'acme',
      visitor_id: 'v1',
      action_id: 'create_ticket',
      timestamp: '2025-01-01T00:00:00.000Z',
      subject: 'Broken mug',
      attributes: { plan: 'gold' },
      steps: { customer: { id: 7 } },
    });
  });

  it('falls back to the email and name attributes, and gives null when the visitor is unknown', () => {
    const anonymous = templateContext(
      twoSteps,
      {},
      { ...env, visitor: {}, attributes: { email: 'lead@example.com', name: 'Lead' } },
      startRun(),
    );
    expect(anonymous).toMatchObject({ user_email: 'lead@example.com', user_name: 'Lead', visitor_id: null });
    const unknown = templateContext(twoSteps, {}, { ...env, visitor: {}, attributes: {} }, startRun());
    expect(unknown).toMatchObject({ user_email: null, user_name: null, visitor_id: null });
  });

  it('never contains secrets', () => {
    expect(templateContext(twoSteps, {}, env, startRun())).not.toHaveProperty('secrets');
  });
});

describe('requestMeta', () => {
  it('describes the action, conversation, trigger and visitor for envelopes and visitor profiles', () => {
    const meta = requestMeta(twoSteps, {
      ...env,
      visitor: { id: 'v1', phone: '+15551234567', locale: 'fr-FR' },
      attributes: { name: 'Ada', email: 'ada@example.com', plan: 'gold' },
      trigger: 'button',
    });
    expect(meta).toEqual({
      actionId: 'create_ticket',
      conversationId: 'c1',
      chatbotId: 'acme',
      trigger: 'button',
      timestamp: '2025-01-01T00:00:00.000Z',
      visitor: {
        id: 'v1',
        name: 'Ada',
        email: 'ada@example.com',
        phone: '+15551234567',
        locale: 'fr-FR',
        last_message: 'open a ticket',
        attributes: { name: 'Ada', email: 'ada@example.com', plan: 'gold' },
      },
    });
  });

  it('gives null for what is not known about the visitor', () => {
    const meta = requestMeta(twoSteps, { ...env, visitor: {}, attributes: {}, userMessage: '' });
    expect(meta.visitor).toEqual({
      id: null,
      name: null,
      email: null,
      phone: null,
      locale: null,
      last_message: null,
      attributes: {},
    });
  });
});

describe('composeReply', () => {
  const withTemplate = simpleAction({
    name: 'lookup',
    parameters: [{ name: 'who' }],
    reply: { template: 'Ticket {{steps.call.number}} for {{who}}.' },
  });
  const noTemplate = simpleAction({ name: 'lookup' });

  it('renders the reply template when the run succeeded', () => {
    const { progress } = playRun(withTemplate, { call: succeeded({ number: 42 }) });
    const context = templateContext(withTemplate, { who: 'Ada' }, env, progress);
    expect(composeReply(withTemplate, context, progress)).toEqual([{ type: 'text', text: 'Ticket 42 for Ada.' }]);
  });

  it("says the failed step's onError reply when a step failed", () => {
    const { progress } = playRun(twoSteps, { customer: succeeded({ id: 7 }), ticket: serverDown });
    expect(composeReply(twoSteps, {}, progress)).toEqual([{ type: 'text', text: 'The ticket system is down.' }]);
  });

  it('says the default apology when the failed step has no onError reply', () => {
    const { progress } = playRun(twoSteps, { customer: serverDown });
    expect(composeReply(twoSteps, {}, progress)).toEqual([{ type: 'text', text: DEFAULT_ERROR_REPLY }]);
  });

  it("says the API's message verbatim when there is no reply template", () => {
    const { progress } = playRun(noTemplate, { call: succeeded({ number: 42 }, { message: 'Ticket #42 opened.' }) });
    expect(composeReply(noTemplate, {}, progress)).toEqual([{ type: 'text', text: 'Ticket #42 opened.' }]);
  });

  it('speaks for the last step that succeeded, not an earlier one', () => {
    const { progress } = playRun(twoSteps, {
      customer: succeeded({ id: 7 }, { message: 'Customer found.' }),
      ticket: succeeded({ number: 1 }, { message: 'Ticket #1 opened.' }),
    });
    expect(composeReply(twoSteps, {}, progress)).toEqual([{ type: 'text', text: 'Ticket #1 opened.' }]);
  });

  it('lists the scalar fields of the last step when there is neither template nor message', () => {
    const { progress } = playRun(noTemplate, {
      call: succeeded({ order_status: 'shipped', total: 42.5, paid: true, missing: null, items: ['a'] }),
    });
    expect(composeReply(noTemplate, {}, progress)).toEqual([
      { type: 'text', text: 'order status: shipped\ntotal: 42.5\npaid: true' },
    ]);
  });

  it("says 'Done.' when there is nothing else to say", () => {
    const { progress } = playRun(noTemplate, { call: succeeded({ missing: null }) });
    expect(composeReply(noTemplate, {}, progress)).toEqual([{ type: 'text', text: 'Done.' }]);
  });
});

describe('mergedAttributes', () => {
  it('merges the attributes of successful steps in step order, later steps winning', () => {
    const { progress } = playRun(twoSteps, {
      customer: succeeded({}, { attributes: { tier: 'silver', customer_id: 7 } }),
      ticket: succeeded({}, { attributes: { tier: 'gold' } }),
    });
    expect(mergedAttributes(progress)).toEqual({ tier: 'gold', customer_id: 7 });
  });

  it('ignores failed steps', () => {
    expect(mergedAttributes(playRun(twoSteps, { customer: serverDown }).progress)).toEqual({});
  });
});
