import { ActionDefinitionSchema, type ActionDefinition, type ActionDefinitionInput } from '../../shared/action';

/** Actions the unit tests share, written as an operator would write them and parsed with defaults applied. */

/** DESIGN.md's example action, as JSON an operator sends. */
export function orderStatusInput(): ActionDefinitionInput {
  return {
    name: 'check_order_status',
    description: "Look up an order's status when the visitor gives an order number or asks where their order is",
    examples: ['where is my order', 'track order 12345'],
    triggers: [{ type: 'intent' }, { type: 'button', label: 'Track my order' }],
    triggeredResponse: 'Let me look that up.',
    parameters: [
      {
        name: 'order_number',
        type: 'text',
        description: 'Order or tracking number',
        required: true,
        pattern: '^[0-9]{5,10}$',
        prompt: 'What is your order number?',
      },
    ],
    confirm: null,
    steps: [
      {
        id: 'lookup',
        request: {
          method: 'GET',
          url: 'https://api.acme.test/orders/{{order_number}}',
          query: {},
          headers: { Accept: 'application/json' },
          auth: { type: 'bearer', secret: 'acme_token' },
          body: null,
        },
        response: { fields: { status: 'data.order.status', eta: 'data.order.eta' } },
        timeoutMs: 10000,
        retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2 },
        onError: { then: 'stop', reply: "Sorry, I can't reach the order system right now." },
      },
    ],
    reply: { template: 'Your order is {{steps.lookup.status}} (ETA {{steps.lookup.eta}}).' },
    limits: { maxPerConversation: null },
    closeConversation: null,
  };
}

/** Parses an action definition, applying the schema's defaults; throws when the definition is invalid. */
export function defineAction(input: ActionDefinitionInput): ActionDefinition {
  return ActionDefinitionSchema.parse(input);
}

/** A minimal valid action: one GET step, plus whatever the test overrides. */
export function simpleAction(overrides: Partial<ActionDefinitionInput> & { name: string }): ActionDefinition {
  return defineAction({
    description: `Does ${overrides.name.replace(/_/g, ' ')}`,
    steps: [{ id: 'call', request: { method: 'GET', url: 'https://api.acme.test/things' } }],
    ...overrides,
  });
}

/** The DESIGN.md example action, parsed. */
export function orderStatusAction(overrides: Partial<ActionDefinitionInput> = {}): ActionDefinition {
  return defineAction({ ...orderStatusInput(), ...overrides });
}
