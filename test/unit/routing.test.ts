import { describe, expect, it } from 'vitest';
import { contentWords, routeMessage } from '../../shared/understanding/legacy-word-overlap';
import { orderStatusAction, simpleAction } from './fixtures';

const catalogue = [
  orderStatusAction(),
  simpleAction({
    name: 'create_support_ticket',
    description: 'Open a support ticket when something is broken or the visitor needs help from a person',
    examples: ['I need help', 'my product is broken', 'open a support ticket', 'talk to a human'],
  }),
  simpleAction({
    name: 'subscribe_newsletter',
    description: 'Subscribe the visitor to the newsletter',
    examples: ['sign me up for the newsletter', 'subscribe me to emails'],
  }),
];

describe('routeMessage', () => {
  it.each([
    ['where is my order?', 'check_order_status'],
    ['Can you track order 12345', 'check_order_status'],
    ['my product is broken', 'create_support_ticket'],
    ['I want to talk to a human', 'create_support_ticket'],
    ['please sign me up for the newsletter', 'subscribe_newsletter'],
  ])('routes "%s" to %s', (message, action) => {
    expect(routeMessage(message, catalogue)).toMatchObject({ kind: 'action', action });
  });

  it.each(["what's the weather on mars", 'tell me a joke', 'bananas'])(
    'routes unrelated text "%s" to no action',
    (message) => {
      expect(routeMessage(message, catalogue)).toEqual({ kind: 'none' });
    },
  );

  it.each(['', '   ', 'hi', '12345', '?!'])('routes "%s", which has no content words, to no action', (message) => {
    expect(routeMessage(message, catalogue)).toEqual({ kind: 'none' });
  });

  it('prefers the action whose example the message matches fully over one that shares a single word with it', () => {
    const cancelOrder = simpleAction({
      name: 'cancel_order',
      description: 'Cancel an order that has not shipped yet',
      examples: ['cancel my order', 'I want to cancel order 12345'],
    });
    expect(routeMessage('I want to cancel order 12345', [orderStatusAction(), cancelOrder])).toMatchObject({
      kind: 'action',
      action: 'cancel_order',
    });
  });

  it('routes to no action when there are no actions', () => {
    expect(routeMessage('where is my order?', [])).toEqual({ kind: 'none' });
  });

  it('only considers intent-triggered actions', () => {
    const buttonOnly = simpleAction({
      name: 'reset_password',
      description: 'Reset the password',
      examples: ['reset my password'],
      triggers: [{ type: 'button', label: 'Reset password' }],
    });
    const leadOnly = simpleAction({
      name: 'welcome_lead',
      description: 'Welcome a new lead',
      examples: ['reset my password'],
      triggers: [{ type: 'lead_captured' }],
    });
    expect(routeMessage('reset my password', [buttonOnly, leadOnly])).toEqual({ kind: 'none' });
    const alsoIntent = simpleAction({
      name: 'reset_password',
      description: 'Reset the password',
      examples: ['reset my password'],
      triggers: [{ type: 'button', label: 'Reset password' }, { type: 'intent' }],
    });
    expect(routeMessage('reset my password', [buttonOnly, alsoIntent])).toMatchObject({
      kind: 'action',
      action: 'reset_password',
    });
  });

  it('reports how well the message matched', () => {
    const decision = routeMessage('where is my order', catalogue);
    expect(decision.kind === 'action' && decision.score).toBeGreaterThanOrEqual(0.45);
  });
});

describe('contentWords', () => {
  it('drops stopwords and numbers, lower-cases, and folds a plural s', () => {
    expect(contentWords('Where are my Orders #12345, please?')).toEqual(['order']);
    expect(contentWords('Track the orders in glass')).toEqual(['track', 'order', 'glass']);
  });
});
