import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema, secretNamesOf, type ActionDefinitionInput } from '../../shared/action';
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
    expect(parsed.reply).toEqual({ template: null });
    expect(parsed.limits).toEqual({ maxPerConversation: null });
    expect(parsed.closeConversation).toBeNull();
    expect(parsed.parameters[0]).toEqual({ name: 'note', type: 'text', description: '', required: true });
    const [step] = parsed.steps;
    expect(step?.request).toEqual({
      method: 'POST',
      url: 'https://api.acme.test/ping',
      query: {},
      headers: {},
      auth: { type: 'none' },
      body: null,
    });
    expect(step?.response).toEqual({ fields: {}, responseType: 'json' });
    expect(step?.timeoutMs).toBe(10_000);
    expect(step?.retry).toEqual({
      maxAttempts: 3,
      initialIntervalMs: 500,
      backoffCoefficient: 2,
      maxIntervalMs: 10_000,
    });
    expect(step?.onError).toEqual({ then: 'stop' });
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
          headers: { 'X-Thing': '{h_missing}' },
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
    expect(secretNamesOf(step).sort()).toEqual(['acme_token', 'api_key', 'signing_key', 'tenant']);
  });

  it('finds no secrets in a step that uses none', () => {
    const [step] = simpleAction({ name: 'plain' }).steps;
    if (!step) throw new Error('the action has a step');
    expect(secretNamesOf(step)).toEqual([]);
  });
});
