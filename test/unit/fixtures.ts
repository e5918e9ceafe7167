import { ActionDefinitionSchema, type ActionDefinition, type ActionDefinitionInput } from '../../shared/actions/action';
import { type RequestDefinition } from '../../shared/actions/step-schema';
import {
  decideNext,
  recordCompensation,
  recordOutcome,
  recordSkip,
  startRun,
  type RunProgress,
  type StepOutcome,
} from '../../shared/actions/interpreter';
import type { JsonObject } from '../../shared/json';
import type { TemplateContext } from '../../shared/actions/template';

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

/** A parsed step's request, with the parameters it mentions declared so the definition is valid. */
export function requestOf(
  step: Omit<ActionDefinitionInput['steps'][number], 'id'>,
  parameters: string[] = [],
): RequestDefinition {
  const action = simpleAction({
    name: 'call_api',
    parameters: parameters.map((name) => ({ name })),
    steps: [{ id: 'call', ...step }],
  });
  const [parsed] = action.steps;
  if (!parsed) throw new Error('the action has a step');
  return parsed.request;
}

/** The DESIGN.md example action, parsed. */
export function orderStatusAction(overrides: Partial<ActionDefinitionInput> = {}): ActionDefinition {
  return defineAction({ ...orderStatusInput(), ...overrides });
}

/** A successful step outcome with the given fields, and optionally the API's message and attributes. */
export function succeeded(fields: JsonObject, extra: { message?: string; attributes?: JsonObject } = {}): StepOutcome {
  return { ok: true, status: 200, fields, message: extra.message ?? null, attributes: extra.attributes ?? null };
}

/** A step outcome that failed for good with the given failure type. */
export function failedWith(failure: string, message = 'the API failed'): StepOutcome {
  return { ok: false, failure, message };
}

/**
 * Plays a run the way the workflow does — decide, call or skip, record — with each step's outcomes taken in turn
 * from `outcomes` (a list when a step runs more than once), and compensations recorded as `compensationsSucceed`.
 * `contextOf` gives what `when` conditions read at each decision.
 */
export function playRun(
  action: ActionDefinition,
  outcomes: Record<string, StepOutcome | StepOutcome[]>,
  options: { contextOf?: (progress: RunProgress) => TemplateContext; compensationsSucceed?: boolean } = {},
): { progress: RunProgress; calls: string[] } {
  const queues = new Map(Object.entries(outcomes).map(([id, list]) => [id, Array.isArray(list) ? [...list] : [list]]));
  const calls: string[] = [];
  let progress = startRun();
  for (let guard = 0; guard < 1000; guard += 1) {
    const decision = decideNext(action, progress, options.contextOf?.(progress) ?? {});
    if (decision.kind === 'done') return { progress, calls };
    if (decision.kind === 'skip') {
      progress = recordSkip(progress, decision.step);
    } else if (decision.kind === 'compensate') {
      calls.push(`undo:${decision.step.id}`);
      progress = recordCompensation(progress, decision.step, options.compensationsSucceed ?? true);
    } else {
      const queue = queues.get(decision.step.id) ?? [];
      const outcome = queue.length > 1 ? queue.shift() : queue[0];
      if (!outcome) throw new Error(`the test gave no outcome for step "${decision.step.id}"`);
      calls.push(decision.step.id);
      progress = recordOutcome(action, progress, decision.step, outcome);
    }
  }
  throw new Error('the run did not finish');
}
