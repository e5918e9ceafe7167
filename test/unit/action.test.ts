import { actionTitle } from '../../shared/actions/title';
import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema, hasRoutableWords, type ActionDefinitionInput } from '../../shared/actions/action';
import { actionWarnings } from '../../shared/actions/save-warnings';
import { secretNamesOf } from '../../shared/actions/step-schema';
import { upgradeAction } from '../../shared/actions/upgrade';
import { extractParameter } from '../../shared/understanding/parameters';
import { orderStatusInput, simpleAction } from './fixtures';

/** The issues a definition is refused with, as `path: message` lines. */
function problemsOf(input: unknown): { path: PropertyKey[]; message: string }[] {
  const result = ActionDefinitionSchema.safeParse(input);
  expect(result.success, 'the definition should be refused').toBe(false);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

function withStep(step: Record<string, unknown>, rest: Partial<ActionDefinitionInput> = {}): unknown {
  return { name: 'do_it', description: 'Does it', ...rest, steps: [step] };
}

describe('ActionDefinitionSchema', () => {
  it("accepts DESIGN.md's example action", () => {
    const result = ActionDefinitionSchema.safeParse(orderStatusInput());
    expect(result.success).toBe(true);
  });

  it('applies defaults to a minimal definition', () => {
    const parsed = ActionDefinitionSchema.parse({
      name: 'ping',
      description: 'Pings the API',
      parameters: [{ name: 'note' }],
      steps: [{ id: 'call', request: { method: 'POST', url: 'https://api.acme.test/ping' } }],
    });
    expect(parsed.examples).toEqual([]);
    expect(parsed.triggers).toEqual([{ type: 'intent' }]);
    expect(parsed.triggeredResponse).toBeNull();
    expect(parsed.confirm).toBeNull();
    expect(parsed.reply).toEqual({ template: null, format: 'text', instructions: null, say: 'message' });
    expect(parsed.channels).toEqual(['chat']);
    expect(parsed.alerts).toEqual({ emails: [], webhook: null });
    expect(parsed.limits).toEqual({ maxPerConversation: null });
    expect(parsed.closeConversation).toBeNull();
    expect(parsed.parameters[0]).toEqual({ name: 'note', type: 'text', description: '', required: true, array: false });
    const [step] = parsed.steps;
    expect(step?.request).toEqual({
      method: 'POST',
      url: 'https://api.acme.test/ping',
      query: {},
      headers: {},
      auth: { type: 'none' },
      bodyType: 'json',
      body: null,
      envelope: false,
      visitorProfile: false,
      followRedirects: 0,
      sign: false,
    });
    expect(step?.response).toEqual({ fields: {}, responseType: 'json', acceptStatus: [] });
    // Chat-sized: a failing step gives up within about 6.5 s, under the default 8 s turn deadline.
    expect(step?.timeoutMs).toBe(3_000);
    expect(step?.retry).toEqual({
      maxAttempts: 2,
      initialIntervalMs: 500,
      backoffCoefficient: 2,
      maxIntervalMs: 10_000,
    });
    expect(step?.onError).toEqual({ then: 'stop' });
    expect(step?.when).toBeUndefined();
    expect(step?.compensate).toBeUndefined();
  });

  it('fills the defaults of a partly written retry policy', () => {
    const parsed = ActionDefinitionSchema.parse(orderStatusInput());
    expect(parsed.steps[0]?.retry).toEqual({
      maxAttempts: 3,
      initialIntervalMs: 500,
      backoffCoefficient: 2,
      maxIntervalMs: 10_000,
    });
  });

  it.each(['1st_action', 'has-dash', 'has space', '', 'a'.repeat(65)])('refuses the action name "%s"', (name) => {
    expect(problemsOf({ ...orderStatusInput(), name }).map((p) => p.path)).toContainEqual(['name']);
  });

  it('refuses an action without a description', () => {
    expect(problemsOf({ ...orderStatusInput(), description: '' }).map((p) => p.path)).toContainEqual(['description']);
  });

  it('refuses an unknown HTTP method', () => {
    const problems = problemsOf(withStep({ id: 'call', request: { method: 'FETCH', url: 'https://api.acme.test/' } }));
    expect(problems.map((p) => p.path)).toContainEqual(['steps', 0, 'request', 'method']);
  });

  it('refuses unknown fields rather than ignoring them', () => {
    expect(problemsOf({ ...orderStatusInput(), colour: 'blue' }).length).toBeGreaterThan(0);
  });

  it('refuses an action without steps', () => {
    expect(problemsOf({ name: 'x', description: 'y', steps: [] }).map((p) => p.path)).toContainEqual(['steps']);
  });

  it('refuses duplicate step ids, pointing at the second one', () => {
    const step = { id: 'call', request: { method: 'GET', url: 'https://api.acme.test/' } };
    const problems = problemsOf({ name: 'x', description: 'y', steps: [step, step] });
    expect(problems).toContainEqual({ path: ['steps', 1], message: 'duplicate step id "call"' });
  });

  it('refuses duplicate parameter names', () => {
    const problems = problemsOf({ ...orderStatusInput(), parameters: [{ name: 'a' }, { name: 'a' }] });
    expect(problems.map((p) => p.path)).toContainEqual(['parameters', 1]);
  });

  it('refuses an unknown template variable in a URL, naming where it is', () => {
    const problems = problemsOf(
      withStep({ id: 'call', request: { method: 'GET', url: 'https://api.acme.test/{{nope}}' } }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(['steps', 0, 'request', 'url']);
    expect(problems[0]?.message).toContain('{{nope}}');
  });

  it('refuses an unknown template variable in a query value, a header or the body', () => {
    const problems = problemsOf(
      withStep({
        id: 'call',
        request: {
          method: 'POST',
          url: 'https://api.acme.test/',
          query: { q: '{{q_missing}}' },
          headers: { 'X-Thing': '{{h_missing}}' },
          body: { nested: ['{{b_missing}}'] },
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      ['steps', 0, 'request', 'query', 'q'],
      ['steps', 0, 'request', 'headers', 'X-Thing'],
      ['steps', 0, 'request', 'body'],
    ]);
  });

  it('refuses an unknown template variable in the reply template', () => {
    const problems = problemsOf({ ...orderStatusInput(), reply: { template: 'Status: {{status}}' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(['reply', 'template']);
    expect(problems[0]?.message).toContain('{{status}}');
  });

  it('accepts parameters, system variables and attributes.* in templates', () => {
    const result = ActionDefinitionSchema.safeParse({
      ...orderStatusInput(),
      reply: {
        template: '{{order_number}} {{user_email}} {user_name} {{conversation_id}} {{timestamp}} {{attributes.plan}}',
      },
    });
    expect(result.success).toBe(true);
  });

  it('refuses a step that reads steps.<id> of a later step, and accepts one that reads an earlier step', () => {
    const first = {
      id: 'first',
      request: { method: 'GET', url: 'https://api.acme.test/a/{{steps.second.id}}' },
    };
    const second = { id: 'second', request: { method: 'GET', url: 'https://api.acme.test/b/{{steps.first.id}}' } };
    const problems = problemsOf({ name: 'x', description: 'y', steps: [first, second] });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(['steps', 0, 'request', 'url']);
    expect(problems[0]?.message).toContain('second');
  });

  it('refuses a step that reads its own result', () => {
    const problems = problemsOf(
      withStep({ id: 'call', request: { method: 'GET', url: 'https://api.acme.test/{{steps.call.id}}' } }),
    );
    expect(problems.map((p) => p.path)).toContainEqual(['steps', 0, 'request', 'url']);
  });

  it('lets the reply read any step', () => {
    const result = ActionDefinitionSchema.safeParse({
      ...orderStatusInput(),
      reply: { template: '{{steps.lookup.status}}' },
    });
    expect(result.success).toBe(true);
  });

  it('refuses a reply template that reads a step that does not exist', () => {
    const problems = problemsOf({ ...orderStatusInput(), reply: { template: '{{steps.nothing.status}}' } });
    expect(problems[0]?.path).toEqual(['reply', 'template']);
  });

  it('refuses secrets in the reply template, so they can never reach the visitor', () => {
    const problems = problemsOf({ ...orderStatusInput(), reply: { template: 'Token: {{secrets.acme_token}}' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(['reply', 'template']);
    expect(problems[0]?.message).toMatch(/secrets/);
  });

  it('refuses secrets and step results in the confirmation prompt', () => {
    const problems = problemsOf({
      ...orderStatusInput(),
      confirm: { prompt: 'Use {{secrets.acme_token}} for {{steps.lookup.status}}?' },
    });
    expect(problems.map((p) => p.path)).toEqual([
      ['confirm', 'prompt'],
      ['confirm', 'prompt'],
    ]);
  });

  it('allows secrets in request headers, query, URL and body', () => {
    const result = ActionDefinitionSchema.safeParse(
      withStep({
        id: 'call',
        request: {
          method: 'POST',
          url: 'https://api.acme.test/{{secrets.tenant}}/x',
          query: { key: '{{secrets.api_key}}' },
          headers: { 'X-Api-Key': '{{secrets.api_key}}' },
          body: { token: '{{secrets.body_token}}' },
        },
      }),
    );
    expect(result.success).toBe(true);
  });

  it('refuses {{secrets}} without a secret name', () => {
    const problems = problemsOf(
      withStep({
        id: 'call',
        request: { method: 'GET', url: 'https://api.acme.test/', headers: { 'X-Key': '{{secrets}}' } },
      }),
    );
    expect(problems.map((p) => p.path)).toContainEqual(['steps', 0, 'request', 'headers', 'X-Key']);
  });

  it.each(['secrets', 'steps', 'attributes', 'user_email'])(
    'refuses a parameter named "%s", which would shadow a template variable',
    (name) => {
      const problems = problemsOf({ ...orderStatusInput(), parameters: [{ name }] });
      expect(problems).toContainEqual({
        path: ['parameters', 0, 'name'],
        message: `"${name}" is a reserved template variable`,
      });
    },
  );

  it('refuses a parameter pattern that is not a valid regular expression', () => {
    const problems = problemsOf({ ...orderStatusInput(), parameters: [{ name: 'order_number', pattern: '([0-9' }] });
    expect(problems).toContainEqual({
      path: ['parameters', 0, 'pattern'],
      message: 'must be a valid regular expression',
    });
  });

  it('refuses an enum parameter without values', () => {
    const noValues = problemsOf({ ...orderStatusInput(), parameters: [{ name: 'order_number', type: 'enum' }] });
    expect(noValues.map((p) => p.path)).toContainEqual(['parameters', 0, 'values']);
    const emptyValues = problemsOf({
      ...orderStatusInput(),
      parameters: [{ name: 'order_number', type: 'enum', values: [] }],
    });
    expect(emptyValues.map((p) => p.path)).toContainEqual(['parameters', 0, 'values']);
  });

  it('refuses an invalid header name and an invalid response path', () => {
    const problems = problemsOf(
      withStep({
        id: 'call',
        request: { method: 'GET', url: 'https://api.acme.test/', headers: { 'Bad Header': 'x' } },
        response: { fields: { status: 'data..status' } },
      }),
    );
    const paths = problems.map((p) => p.path.join('.'));
    expect(paths.some((path) => path.startsWith('steps.0.request.headers'))).toBe(true);
    expect(paths.some((path) => path.startsWith('steps.0.response.fields'))).toBe(true);
  });
});

describe('secretNamesOf', () => {
  it('collects the bearer secret and every {{secrets.x}} a step mentions, once each', () => {
    const action = simpleAction({
      name: 'sync',
      steps: [
        {
          id: 'call',
          request: {
            method: 'POST',
            url: 'https://api.acme.test/{{secrets.tenant}}/sync',
            query: { key: '{{secrets.api_key}}' },
            headers: { 'X-Api-Key': '{{secrets.api_key}}', 'X-Other': 'plain' },
            auth: { type: 'bearer', secret: 'acme_token' },
            body: { nested: { signature: 'sig={{secrets.signing_key}}' } },
          },
        },
      ],
    });
    const [step] = action.steps;
    if (!step) throw new Error('the action has a step');
    expect(secretNamesOf(step.request).sort()).toEqual(['acme_token', 'api_key', 'signing_key', 'tenant']);
  });

  it('finds no secrets in a step that uses none', () => {
    const [step] = simpleAction({ name: 'plain' }).steps;
    if (!step) throw new Error('the action has a step');
    expect(secretNamesOf(step.request)).toEqual([]);
  });
});

const GET = { method: 'GET', url: 'https://api.acme.test/' } as const;

type ReplyInput = ActionDefinitionInput['reply'];

/** Paths of the issues a definition is refused with. */
function pathsOf(input: unknown): PropertyKey[][] {
  return problemsOf(input).map((problem) => problem.path);
}

describe('the action engine fields', () => {
  const everything: ActionDefinitionInput = {
    name: 'place_order',
    description: 'Place an order for a product',
    channels: ['chat', 'email'],
    alerts: { emails: ['ops@acme.test', 'owner@acme.test'], webhook: 'https://hooks.acme.test/parley' },
    triggeredResponse: 'Placing an order of {{sku}} for {{user_name}} ({{attributes.plan}}).',
    parameters: [{ name: 'sku' }],
    steps: [
      {
        id: 'login',
        request: {
          method: 'POST',
          url: 'https://api.acme.test/login',
          bodyType: 'form',
          body: { client: 'parley', account: '{{secrets.account}}' },
          auth: { type: 'basic', username: 'bot-{{chatbot_id}}', secret: 'acme_password' },
        },
        response: { fields: { token: 'token' }, acceptStatus: [404, 409] },
      },
      {
        id: 'reserve',
        when: { path: 'steps.login.token', op: 'exists' },
        request: {
          method: 'POST',
          url: 'https://api.acme.test/reservations',
          envelope: true,
          visitorProfile: true,
          body: { sku: '{{sku}}', token: '{{steps.login.token}}' },
          auth: { type: 'api_key', in: 'query', name: 'api_key', secret: 'acme_key' },
        },
        onError: { then: 'goto:fallback', reply: 'Reserving failed.' },
        compensate: {
          request: { method: 'DELETE', url: 'https://api.acme.test/reservations/{{steps.reserve.id}}' },
          timeoutMs: 5000,
          retry: { maxAttempts: 5 },
        },
      },
      {
        id: 'note',
        when: [
          { path: 'steps.reserve.total', op: 'gt', value: 100 },
          { path: 'attributes.plan', op: 'in', value: ['gold', 'platinum'] },
          { path: 'user_email', op: 'not_exists' },
        ],
        request: {
          method: 'PUT',
          url: 'https://api.acme.test/notes',
          bodyType: 'raw',
          contentType: 'text/csv',
          body: '{{sku}},{{steps.reserve.id}}',
          auth: { type: 'api_key', name: 'X-Api-Key', secret: 'acme_key' },
        },
        onError: { then: 'continue' },
      },
      { id: 'fallback', request: { method: 'GET', url: 'https://backup.acme.test/orders/{{sku}}' } },
    ],
    reply: {
      template:
        'Reserved: {{#steps.reserve.items}}{{name}} x{{qty}}; {{/steps.reserve.items}}{{^steps.reserve.items}}nothing{{/steps.reserve.items}}',
      format: 'card',
      card: {
        title: 'Order {{steps.reserve.id}}',
        subtitle: 'for {{user_name}}',
        imageUrl: 'https://cdn.acme.test/{{sku}}.png',
        url: 'https://acme.test/orders/{{steps.reserve.id}}',
        fields: [{ label: 'Total', value: '{{steps.reserve.total}}' }],
      },
      actionButton: { label: 'Order another', action: 'place_order' },
      instructions: 'Be brief and friendly.',
    },
    closeConversation: { farewell: 'Thanks {{user_name}}, your order is {{steps.reserve.id}}.' },
  };

  it('accepts an action that uses every new field, and keeps them as written', () => {
    const parsed = ActionDefinitionSchema.parse(everything);
    expect(parsed.channels).toEqual(['chat', 'email']);
    expect(parsed.alerts).toEqual({
      emails: ['ops@acme.test', 'owner@acme.test'],
      webhook: 'https://hooks.acme.test/parley',
    });
    const [login, reserve, note] = parsed.steps;
    expect(login?.request.bodyType).toBe('form');
    expect(login?.request.auth).toEqual({ type: 'basic', username: 'bot-{{chatbot_id}}', secret: 'acme_password' });
    expect(login?.response.acceptStatus).toEqual([404, 409]);
    expect(reserve?.request).toMatchObject({ envelope: true, visitorProfile: true });
    expect(reserve?.request.auth).toEqual({ type: 'api_key', in: 'query', name: 'api_key', secret: 'acme_key' });
    expect(reserve?.when).toEqual({ path: 'steps.login.token', op: 'exists' });
    expect(reserve?.onError).toEqual({ then: 'goto:fallback', reply: 'Reserving failed.' });
    expect(reserve?.compensate).toEqual({
      request: expect.objectContaining({ method: 'DELETE', bodyType: 'json', envelope: false }),
      timeoutMs: 5000,
      retry: { maxAttempts: 5, initialIntervalMs: 500, backoffCoefficient: 2, maxIntervalMs: 10_000 },
    });
    expect(note?.request).toMatchObject({ bodyType: 'raw', contentType: 'text/csv' });
    expect(note?.request.auth).toEqual({ type: 'api_key', in: 'header', name: 'X-Api-Key', secret: 'acme_key' });
    expect(note?.when).toHaveLength(3);
    expect(note?.onError.then).toBe('continue');
    expect(parsed.reply).toMatchObject({
      format: 'card',
      actionButton: { label: 'Order another', action: 'place_order' },
      instructions: 'Be brief and friendly.',
    });
  });

  it.each<[string, ReplyInput]>([
    ['text', { format: 'text', template: 'Done: {{steps.call.id}}' }],
    ['link', { format: 'link', link: { url: 'https://acme.test/t/{{steps.call.id}}', text: 'Track it' } }],
    ['image', { format: 'image', image: { url: 'https://cdn.acme.test/{{steps.call.id}}.png', alt: 'Your mug' } }],
    [
      'gallery',
      {
        format: 'gallery',
        gallery: {
          items: 'steps.call.products',
          card: { title: '{{item.name}}', subtitle: '{{item.price}} for {{user_name}}', url: '{{item.url}}' },
          max: 5,
        },
      },
    ],
    [
      'buttons',
      {
        format: 'buttons',
        template: 'What next?',
        buttons: [
          { label: 'Track', payload: 'action:track_order' },
          { label: 'Open {{steps.call.id}}', url: 'https://acme.test/o/{{steps.call.id}}' },
        ],
      },
    ],
    ['quick_replies', { format: 'quick_replies', buttons: [{ label: 'Yes', payload: 'yes' }] }],
    ['text with a link button', { actionButton: { label: 'Open', url: 'https://acme.test/{{steps.call.id}}' } }],
  ])('accepts a %s reply', (_format, reply) => {
    const result = ActionDefinitionSchema.safeParse(withStep({ id: 'call', request: GET }, { reply }));
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  });

  it('refuses a goto to a step that does not exist, naming onError.then', () => {
    const problems = problemsOf({
      name: 'x',
      description: 'y',
      steps: [
        { id: 'first', request: GET },
        { id: 'second', request: GET, onError: { then: 'goto:nowhere' } },
      ],
    });
    expect(problems).toEqual([{ path: ['steps', 1, 'onError', 'then'], message: 'no step "nowhere" to go to' }]);
  });

  it('refuses a step that goes to itself', () => {
    const problems = problemsOf(withStep({ id: 'call', request: GET, onError: { then: 'goto:call' } }));
    expect(problems.map((p) => p.path)).toEqual([['steps', 0, 'onError', 'then']]);
  });

  it.each(['retry', 'goto:', 'goto:1st', 'GOTO:call'])('refuses onError.then "%s"', (then) => {
    expect(pathsOf(withStep({ id: 'call', request: GET, onError: { then } }))).toContainEqual([
      'steps',
      0,
      'onError',
      'then',
    ]);
  });

  it('refuses a `when` that reads a later step, naming the condition path', () => {
    const problems = problemsOf({
      name: 'x',
      description: 'y',
      steps: [
        { id: 'first', when: { path: 'steps.second.ok', op: 'exists' }, request: GET },
        { id: 'second', request: GET },
      ],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toEqual(['steps', 0, 'when', 'path']);
    expect(problems[0]?.message).toContain('second');
  });

  it('refuses a `when` list entry that reads its own step, naming its index', () => {
    const problems = problemsOf(
      withStep({
        id: 'call',
        when: [
          { path: 'user_email', op: 'exists' },
          { path: 'steps.call.id', op: 'exists' },
        ],
        request: GET,
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([['steps', 0, 'when', 1, 'path']]);
  });

  it('refuses a `when` that reads a secret or an unknown variable', () => {
    expect(pathsOf(withStep({ id: 'call', when: { path: 'secrets.key', op: 'exists' }, request: GET }))).toEqual([
      ['steps', 0, 'when', 'path'],
    ]);
    expect(pathsOf(withStep({ id: 'call', when: { path: 'nope', op: 'exists' }, request: GET }))).toEqual([
      ['steps', 0, 'when', 'path'],
    ]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['in without a list', { path: 'user_email', op: 'in', value: 'a' }],
    ['gt with a string', { path: 'user_email', op: 'gt', value: '5' }],
    ['exists with a value', { path: 'user_email', op: 'exists', value: true }],
    ['equals without a value', { path: 'user_email', op: 'equals' }],
  ])('refuses a condition using %s, naming its value', (_what, when) => {
    expect(pathsOf(withStep({ id: 'call', when, request: GET }))).toContainEqual(['steps', 0, 'when', 'value']);
  });

  it('refuses an unknown condition operator', () => {
    const paths = pathsOf(
      withStep({ id: 'call', when: { path: 'user_email', op: 'matches', value: 'x' }, request: GET }),
    );
    expect(paths.some((path) => path.join('.').startsWith('steps.0.when'))).toBe(true);
  });

  it.each<[string, unknown]>([
    ['an object with a number', { a: 'x', b: 1 }],
    ['a nested object', { a: { b: 'x' } }],
    ['a string', 'a=b'],
    ['a list', ['a']],
  ])('refuses a form body that is %s: it must be an object of strings', (_what, body) => {
    const problems = problemsOf(withStep({ id: 'call', request: { ...GET, method: 'POST', bodyType: 'form', body } }));
    expect(problems).toContainEqual({
      path: ['steps', 0, 'request', 'body'],
      message: 'a form body is an object of string templates',
    });
  });

  it.each<[string, unknown]>([
    ['an object', { a: 'b' }],
    ['a number', 42],
  ])('refuses a raw body that is %s: it must be a string', (_what, body) => {
    const problems = problemsOf(withStep({ id: 'call', request: { ...GET, method: 'POST', bodyType: 'raw', body } }));
    expect(problems).toContainEqual({
      path: ['steps', 0, 'request', 'body'],
      message: 'a raw body is a text template',
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['an envelope around a form body', { bodyType: 'form', envelope: true, body: { a: 'b' } }],
    ['a visitor profile in a raw body', { bodyType: 'raw', visitorProfile: true, body: 'x' }],
  ])('refuses %s, naming bodyType', (_what, fields) => {
    const problems = problemsOf(withStep({ id: 'call', request: { ...GET, method: 'POST', ...fields } }));
    expect(problems).toContainEqual({
      path: ['steps', 0, 'request', 'bodyType'],
      message: 'envelope and visitorProfile need a json body',
    });
  });

  it('refuses a content type that spans lines', () => {
    const request = { ...GET, method: 'POST', bodyType: 'raw', body: 'x', contentType: 'text/plain\r\nX-Evil: 1' };
    expect(pathsOf(withStep({ id: 'call', request }))).toContainEqual(['steps', 0, 'request', 'contentType']);
  });

  it('checks the variables of a basic auth username, and the names of API keys and secrets', () => {
    const badUser = { ...GET, auth: { type: 'basic', username: '{{nope}}', secret: 'pw' } };
    expect(pathsOf(withStep({ id: 'call', request: badUser }))).toEqual([['steps', 0, 'request', 'auth', 'username']]);
    const badName = { ...GET, auth: { type: 'api_key', name: 'X Api Key', secret: 'key' } };
    expect(pathsOf(withStep({ id: 'call', request: badName }))).toContainEqual(['steps', 0, 'request', 'auth', 'name']);
    const badIn = { ...GET, auth: { type: 'api_key', in: 'cookie', name: 'key', secret: 'key' } };
    expect(pathsOf(withStep({ id: 'call', request: badIn }))).toContainEqual(['steps', 0, 'request', 'auth', 'in']);
    const badSecret = { ...GET, auth: { type: 'basic', username: 'bot', secret: 'not a name' } };
    expect(pathsOf(withStep({ id: 'call', request: badSecret }))).toContainEqual([
      'steps',
      0,
      'request',
      'auth',
      'secret',
    ]);
  });

  it('refuses an accepted status outside 100-599', () => {
    const problems = problemsOf(withStep({ id: 'call', request: GET, response: { acceptStatus: [404, 600] } }));
    expect(problems.map((p) => p.path)).toContainEqual(['steps', 0, 'response', 'acceptStatus', 1]);
  });

  it.each([
    ['card', 'card'],
    ['link', 'link'],
    ['image', 'image'],
    ['gallery', 'gallery'],
    ['buttons', 'buttons'],
    ['quick_replies', 'buttons'],
  ])('refuses format "%s" without reply.%s, naming it', (format, field) => {
    const problems = problemsOf(withStep({ id: 'call', request: GET }, { reply: { format } as never }));
    expect(problems).toEqual([{ path: ['reply', field], message: `format "${format}" needs reply.${field}` }]);
  });

  it('refuses more than 10 alert emails, and addresses that are not emails', () => {
    const emails = Array.from({ length: 11 }, (_, i) => `ops${i}@acme.test`);
    expect(problemsOf(withStep({ id: 'call', request: GET }, { alerts: { emails } }))).toEqual([
      { path: ['alerts', 'emails'], message: 'at most 10 alert addresses' },
    ]);
    const ten = ActionDefinitionSchema.safeParse(
      withStep({ id: 'call', request: GET }, { alerts: { emails: emails.slice(1) } }),
    );
    expect(ten.success).toBe(true);
    expect(pathsOf(withStep({ id: 'call', request: GET }, { alerts: { emails: ['not-an-email'] } }))).toEqual([
      ['alerts', 'emails', 0],
    ]);
    expect(pathsOf(withStep({ id: 'call', request: GET }, { alerts: { webhook: 'not a url' } }))).toEqual([
      ['alerts', 'webhook'],
    ]);
  });

  it('refuses an action without channels or with an unknown channel', () => {
    expect(pathsOf(withStep({ id: 'call', request: GET }, { channels: [] }))).toEqual([['channels']]);
    expect(pathsOf(withStep({ id: 'call', request: GET }, { channels: ['sms'] as never }))).toEqual([['channels', 0]]);
  });

  it('lets a gallery card read item.*, but not the reply template or a plain card', () => {
    const gallery: ReplyInput = {
      format: 'gallery',
      gallery: {
        items: 'steps.call.products',
        card: { title: '{{item.name}}', fields: [{ label: 'Price', value: '{{item.price}}' }] },
      },
    };
    expect(ActionDefinitionSchema.safeParse(withStep({ id: 'call', request: GET }, { reply: gallery })).success).toBe(
      true,
    );

    const inTemplate = problemsOf(
      withStep({ id: 'call', request: GET }, { reply: { ...gallery, template: '{{item.name}}' } }),
    );
    expect(inTemplate).toHaveLength(1);
    expect(inTemplate[0]?.path).toEqual(['reply', 'template']);
    expect(inTemplate[0]?.message).toContain('{{item.name}}');

    const inCard = problemsOf(
      withStep({ id: 'call', request: GET }, { reply: { format: 'card', card: { title: '{{item.name}}' } } }),
    );
    expect(inCard.map((p) => p.path)).toEqual([['reply', 'card', 'title']]);
  });

  it('refuses a gallery whose items path reads a step that does not exist', () => {
    const reply: ReplyInput = { format: 'gallery', gallery: { items: 'steps.nothing.products', card: { title: 'x' } } };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply }))).toEqual([['reply', 'gallery', 'items']]);
  });

  it("lets a compensation read its own step's result, but not a later step's", () => {
    const steps = (url: string) => [
      { id: 'reserve', request: GET, compensate: { request: { method: 'DELETE', url } } },
      { id: 'pay', request: GET },
    ];
    const own = ActionDefinitionSchema.safeParse({
      name: 'x',
      description: 'y',
      steps: steps('https://api.acme.test/r/{{steps.reserve.id}}'),
    });
    expect(own.success).toBe(true);
    const later = problemsOf({ name: 'x', description: 'y', steps: steps('https://api.acme.test/p/{{steps.pay.id}}') });
    expect(later.map((p) => p.path)).toEqual([['steps', 0, 'compensate', 'request', 'url']]);
  });

  it('refuses an action button with both or neither of a url and an action, and a reply button with neither payload nor url', () => {
    const both = { actionButton: { label: 'Go', url: 'https://acme.test', action: 'track_order' } };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply: both }))).toEqual([['reply', 'actionButton']]);
    const neither = { actionButton: { label: 'Go' } };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply: neither }))).toEqual([['reply', 'actionButton']]);
    const badAction = { actionButton: { label: 'Go', action: 'not an action' } };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply: badAction }))).toContainEqual([
      'reply',
      'actionButton',
      'action',
    ]);
    const bare: ReplyInput = { format: 'buttons', buttons: [{ label: 'Go' }] };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply: bare }))).toEqual([['reply', 'buttons', 0]]);
  });

  it('lets the reply template loop over a step result with a section, reading the fields of each element', () => {
    const reply = { template: '{{#steps.call.items}}- {{name}}: {{price}}\n{{/steps.call.items}}' };
    expect(ActionDefinitionSchema.safeParse(withStep({ id: 'call', request: GET }, { reply })).success).toBe(true);
  });

  it('refuses a section over a step that does not run before, naming where', () => {
    const reply = { template: '{{#steps.nothing.items}}{{name}}{{/steps.nothing.items}}' };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply }))).toEqual([['reply', 'template']]);
  });

  it.each([
    ['{{#steps.call.items}}{{name}}', 'section {{#steps.call.items}} is not closed'],
    ['{{name}}{{/steps.call.items}}', '{{/steps.call.items}} closes a section that is not open'],
  ])('refuses the unbalanced reply template "%s" with the reason', (template, message) => {
    expect(problemsOf(withStep({ id: 'call', request: GET }, { reply: { template } }))).toEqual([
      { path: ['reply', 'template'], message },
    ]);
  });

  it('refuses an unbalanced section in a request template, naming where', () => {
    const request = { ...GET, url: 'https://api.acme.test/{{#user_email}}x' };
    expect(problemsOf(withStep({ id: 'call', request }))).toEqual([
      { path: ['steps', 0, 'request', 'url'], message: 'section {{#user_email}} is not closed' },
    ]);
  });

  it('checks the triggered response as a template: parameters and who the visitor is, but no step results', () => {
    const ok = ActionDefinitionSchema.safeParse({
      ...orderStatusInput(),
      triggeredResponse: 'Looking up {{order_number}} for {{user_name}}.',
    });
    expect(ok.success).toBe(true);
    const unknown = problemsOf({ ...orderStatusInput(), triggeredResponse: 'Looking up {{order}}.' });
    expect(unknown.map((p) => p.path)).toEqual([['triggeredResponse']]);
    const early = problemsOf({ ...orderStatusInput(), triggeredResponse: 'Status {{steps.lookup.status}}' });
    expect(early.map((p) => p.path)).toEqual([['triggeredResponse']]);
  });

  it('checks the farewell as a template that may read step results but never secrets', () => {
    const ok = ActionDefinitionSchema.safeParse({
      ...orderStatusInput(),
      closeConversation: { farewell: 'Bye {{user_name}}, your order is {{steps.lookup.status}}.' },
    });
    expect(ok.success).toBe(true);
    const secret = problemsOf({ ...orderStatusInput(), closeConversation: { farewell: '{{secrets.acme_token}}' } });
    expect(secret.map((p) => p.path)).toEqual([['closeConversation', 'farewell']]);
  });

  it('refuses secrets used inside a section of the reply template, so they can never reach the visitor', () => {
    const reply = { template: '{{#steps.call.items}}{{secrets.acme_token}}{{/steps.call.items}}' };
    expect(pathsOf(withStep({ id: 'call', request: GET }, { reply }))).toEqual([['reply', 'template']]);
  });
});

describe('secretNamesOf the new auth presets', () => {
  function requestOf(request: ActionDefinitionInput['steps'][number]['request']) {
    const [step] = simpleAction({ name: 'call_api', steps: [{ id: 'call', request }] }).steps;
    if (!step) throw new Error('the action has a step');
    return step.request;
  }

  it('names the basic auth secret and the secrets its username template reads', () => {
    const request = requestOf({ ...GET, auth: { type: 'basic', username: '{{secrets.account}}', secret: 'password' } });
    expect(secretNamesOf(request).sort()).toEqual(['account', 'password']);
  });

  it('names the API key secret, in a header or the query', () => {
    expect(secretNamesOf(requestOf({ ...GET, auth: { type: 'api_key', name: 'X-Key', secret: 'key' } }))).toEqual([
      'key',
    ]);
    const inQuery = requestOf({ ...GET, auth: { type: 'api_key', in: 'query', name: 'k', secret: 'query_key' } });
    expect(secretNamesOf(inQuery)).toEqual(['query_key']);
  });

  it('names the secrets of a form and a raw body', () => {
    const form = requestOf({ ...GET, method: 'POST', bodyType: 'form', body: { pass: '{{secrets.form_pass}}' } });
    expect(secretNamesOf(form)).toEqual(['form_pass']);
    const raw = requestOf({ ...GET, method: 'POST', bodyType: 'raw', body: 'token={{secrets.raw_token}}' });
    expect(secretNamesOf(raw)).toEqual(['raw_token']);
  });

  it('names a secret used inside a section, so the activity loads it', () => {
    const request = requestOf({
      ...GET,
      headers: { 'X-Signature': '{{#user_email}}{{secrets.signing_key}}{{/user_email}}' },
    });
    expect(secretNamesOf(request)).toEqual(['signing_key']);
  });
});

describe('actionTitle', () => {
  it('shows the title when the operator gave one', () => {
    expect(actionTitle({ name: 'check_order_status', title: 'Track an order' })).toBe('Track an order');
  });

  it('makes snake_case and camelCase names readable when there is no title', () => {
    expect(actionTitle({ name: 'check_order_status' })).toBe('Check order status');
    expect(actionTitle({ name: 'checkOrderStatus' })).toBe('Check order status');
    expect(actionTitle({ name: 'FAQ' })).toBe('Faq');
  });

  it('refuses an empty or over-long title', () => {
    expect(problemsOf({ ...orderStatusInput(), title: ' ' })[0]?.path).toEqual(['title']);
    expect(problemsOf({ ...orderStatusInput(), title: 'x'.repeat(81) })[0]?.path).toEqual(['title']);
  });
});

describe('hasRoutableWords', () => {
  it('tells a description with words from one made only of symbols', () => {
    expect(hasRoutableWords('Use when the visitor asks where their order is')).toBe(true);
    expect(hasRoutableWords('-')).toBe(false);
    expect(hasRoutableWords('…?!')).toBe(false);
  });
});

describe('actionWarnings', () => {
  const base = ActionDefinitionSchema.parse(orderStatusInput());

  it('warns about an intent action that has neither description words nor examples', () => {
    expect(actionWarnings({ ...base, description: '--', examples: [] })).toEqual([
      expect.stringContaining('visitors can never reach this action'),
    ]);
  });

  it('says nothing when the description or an example can route, or the action is button-only', () => {
    expect(actionWarnings({ ...base, examples: [] })).toEqual([]);
    expect(actionWarnings({ ...base, description: '--' })).toEqual([]);
    expect(
      actionWarnings({ ...base, description: '--', examples: [], triggers: [{ type: 'button', label: 'Go' }] }),
    ).toEqual([]);
  });
});

describe('upgradeAction', () => {
  it('keeps a stored action whose pattern the save check now refuses, with the pattern kept and matching nothing', () => {
    const stored = {
      ...orderStatusInput(),
      parameters: [{ name: 'order_number', type: 'text', description: 'Order number', pattern: '^(?=\\d)\\d{5}$' }],
    };
    expect(problemsOf(stored)[0]?.path).toEqual(['parameters', 0, 'pattern']);
    const upgraded = upgradeAction(stored);
    expect(upgraded?.name).toBe('check_order_status');
    expect(upgraded?.parameters[0]?.pattern).toBe('^(?=\\d)\\d{5}$');
    expect(extractParameter(upgraded!.parameters[0]!, '12345', true)).toMatchObject({ ok: false });
  });

  it('still drops a definition that is wrong in any other way', () => {
    expect(upgradeAction({ ...orderStatusInput(), steps: [] })).toBeNull();
    expect(
      upgradeAction({ ...orderStatusInput(), steps: [], parameters: [{ name: 'n', pattern: '(?=x)' }] }),
    ).toBeNull();
  });
});
