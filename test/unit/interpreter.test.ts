import { describe, expect, it } from 'vitest';
import {
  composeReply,
  DEFAULT_ERROR_REPLY,
  mergedAttributes,
  nextStep,
  templateContext,
  type RunEnvironment,
  type RunProgress,
  type StepOutcome,
} from '../../shared/interpreter';
import type { JsonObject } from '../../shared/json';
import { simpleAction } from './fixtures';

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

function ok(fields: JsonObject, extra: { message?: string; attributes?: JsonObject } = {}): StepOutcome {
  return { ok: true, status: 200, fields, message: extra.message ?? null, attributes: extra.attributes ?? null };
}

const failed: StepOutcome = {
  ok: false,
  failure: 'HttpServerError',
  message: 'POST https://api.acme.test/tickets answered 503',
};

const env: RunEnvironment = {
  chatbotId: 'acme',
  conversationId: 'c1',
  visitor: { id: 'v1', name: 'Ada', email: 'ada@example.com' },
  attributes: { plan: 'gold' },
  userMessage: 'open a ticket',
  now: '2025-01-01T00:00:00.000Z',
};

describe('nextStep', () => {
  it('calls the steps in order, then finishes', () => {
    const first = nextStep(twoSteps, { results: {} });
    expect(first.kind === 'call' && first.step.id).toBe('customer');
    const second = nextStep(twoSteps, { results: { customer: ok({ id: 7 }) } });
    expect(second.kind === 'call' && second.step.id).toBe('ticket');
    expect(nextStep(twoSteps, { results: { customer: ok({ id: 7 }), ticket: ok({ number: 1 }) } })).toEqual({
      kind: 'finished',
    });
  });

  it('stops at the first failed step and does not call the ones after it', () => {
    const decision = nextStep(twoSteps, { results: { customer: failed } });
    expect(decision.kind).toBe('failed');
    expect(decision.kind === 'failed' && decision.step.id).toBe('customer');
    expect(decision.kind === 'failed' && decision.failure).toBe('HttpServerError');
  });
});

describe('templateContext', () => {
  it('offers the system variables, parameters, attributes and successful step results', () => {
    const progress: RunProgress = { results: { customer: ok({ id: 7 }), ticket: failed } };
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
      { results: {} },
    );
    expect(anonymous).toMatchObject({ user_email: 'lead@example.com', user_name: 'Lead', visitor_id: null });
    const unknown = templateContext(twoSteps, {}, { ...env, visitor: {}, attributes: {} }, { results: {} });
    expect(unknown).toMatchObject({ user_email: null, user_name: null, visitor_id: null });
  });

  it('never contains secrets', () => {
    expect(templateContext(twoSteps, {}, env, { results: {} })).not.toHaveProperty('secrets');
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
    const progress: RunProgress = { results: { call: ok({ number: 42 }) } };
    const context = templateContext(withTemplate, { who: 'Ada' }, env, progress);
    expect(composeReply(withTemplate, context, progress)).toEqual([{ type: 'text', text: 'Ticket 42 for Ada.' }]);
  });

  it("says the failed step's onError reply when a step failed", () => {
    const progress: RunProgress = { results: { customer: ok({ id: 7 }), ticket: failed } };
    expect(composeReply(twoSteps, {}, progress)).toEqual([{ type: 'text', text: 'The ticket system is down.' }]);
  });

  it('says the default apology when the failed step has no onError reply', () => {
    const progress: RunProgress = { results: { customer: failed } };
    expect(composeReply(twoSteps, {}, progress)).toEqual([{ type: 'text', text: DEFAULT_ERROR_REPLY }]);
  });

  it("says the API's message verbatim when there is no reply template", () => {
    const progress: RunProgress = { results: { call: ok({ number: 42 }, { message: 'Ticket #42 opened.' }) } };
    expect(composeReply(noTemplate, {}, progress)).toEqual([{ type: 'text', text: 'Ticket #42 opened.' }]);
  });

  it('lists the scalar fields of the last step when there is neither template nor message', () => {
    const progress: RunProgress = {
      results: { call: ok({ order_status: 'shipped', total: 42.5, paid: true, missing: null, items: ['a'] }) },
    };
    expect(composeReply(noTemplate, {}, progress)).toEqual([
      { type: 'text', text: 'order status: shipped\ntotal: 42.5\npaid: true' },
    ]);
  });

  it("says 'Done.' when there is nothing else to say", () => {
    const progress: RunProgress = { results: { call: ok({ missing: null }) } };
    expect(composeReply(noTemplate, {}, progress)).toEqual([{ type: 'text', text: 'Done.' }]);
  });
});

describe('mergedAttributes', () => {
  it('merges the attributes of successful steps in step order, later steps winning', () => {
    const progress: RunProgress = {
      results: {
        customer: ok({}, { attributes: { tier: 'silver', customer_id: 7 } }),
        ticket: ok({}, { attributes: { tier: 'gold' } }),
      },
    };
    expect(mergedAttributes(twoSteps, progress)).toEqual({ tier: 'gold', customer_id: 7 });
  });

  it('ignores failed steps', () => {
    expect(mergedAttributes(twoSteps, { results: { customer: failed } })).toEqual({});
  });
});
