import { describe, expect, it } from 'vitest';
import type { StepDefinition, ActionDefinitionInput } from '../../shared/action';
import { redactSecrets, renderRequest, responseConventions, type RequestContext } from '../../shared/request';
import { TemplateError } from '../../shared/template';
import { simpleAction } from './fixtures';

type StepInput = ActionDefinitionInput['steps'][number];

/** A parsed step, with the parameters it mentions declared so the definition is valid. */
function stepOf(step: Omit<StepInput, 'id'>, parameters: string[] = []): StepDefinition {
  const action = simpleAction({
    name: 'call_api',
    parameters: parameters.map((name) => ({ name })),
    steps: [{ id: 'call', ...step }],
  });
  const [parsed] = action.steps;
  if (!parsed) throw new Error('the action has a step');
  return parsed;
}

const context: RequestContext = {
  order_number: '12345',
  note: 'fragile & heavy = careful',
  quantity: 3,
  secrets: { acme_token: 'tok_live_abcdef123456' },
};

describe('renderRequest', () => {
  it('sends the bearer token from the secrets with a GET and no body', () => {
    const step = stepOf(
      {
        request: {
          method: 'GET',
          url: 'https://api.acme.test/orders/{{order_number}}',
          auth: { type: 'bearer', secret: 'acme_token' },
          body: { ignored: true },
        },
      },
      ['order_number'],
    );
    expect(renderRequest(step, context)).toEqual({
      method: 'GET',
      url: 'https://api.acme.test/orders/12345',
      headers: { authorization: 'Bearer tok_live_abcdef123456', accept: 'application/json' },
      body: null,
    });
  });

  it('refuses to send without the bearer secret, naming the missing secret', () => {
    const step = stepOf({
      request: { method: 'GET', url: 'https://api.acme.test/', auth: { type: 'bearer', secret: 'acme_token' } },
    });
    expect(() => renderRequest(step, { secrets: {} })).toThrow(TemplateError);
    expect(() => renderRequest(step, {})).toThrow(/acme_token/);
  });

  it('refuses to send when a {{secrets.x}} is not set, naming the secret', () => {
    const step = stepOf({
      request: { method: 'GET', url: 'https://api.acme.test/', headers: { 'X-Api-Key': '{{secrets.api_key}}' } },
    });
    expect(() => renderRequest(step, { secrets: {} })).toThrow(/secret "api_key"/);
    expect(renderRequest(step, { secrets: { api_key: 'key_123456' } }).headers['x-api-key']).toBe('key_123456');
  });

  it('adds the extra headers, such as the idempotency key, overriding template headers of the same name', () => {
    const step = stepOf({
      request: { method: 'POST', url: 'https://api.acme.test/', headers: { 'Idempotency-Key': 'from-template' } },
    });
    const rendered = renderRequest(step, {}, { 'Idempotency-Key': 'parley-c1-3-call' });
    expect(rendered.headers['idempotency-key']).toBe('parley-c1-3-call');
  });

  it('puts query values through URLSearchParams, so & and = stay inside one value', () => {
    const step = stepOf(
      {
        request: {
          method: 'GET',
          url: 'https://api.acme.test/search?fixed=1',
          query: { note: '{{note}}', qty: '{{quantity}}' },
        },
      },
      ['note', 'quantity'],
    );
    const url = new URL(renderRequest(step, context).url);
    expect([...url.searchParams.entries()]).toEqual([
      ['fixed', '1'],
      ['note', 'fragile & heavy = careful'],
      ['qty', '3'],
    ]);
  });

  it('builds a JSON body for a POST, keeping whole-placeholder types, and defaults its content type', () => {
    const step = stepOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/orders',
          body: { order: '{{order_number}}', quantity: '{{quantity}}', note: 'Note: {{note}}' },
        },
      },
      ['order_number', 'quantity', 'note'],
    );
    const rendered = renderRequest(step, context);
    expect(rendered.headers['content-type']).toBe('application/json');
    expect(JSON.parse(rendered.body ?? 'null')).toEqual({
      order: '12345',
      quantity: 3,
      note: 'Note: fragile & heavy = careful',
    });
  });

  it("keeps the operator's content type and accept headers", () => {
    const step = stepOf({
      request: {
        method: 'PUT',
        url: 'https://api.acme.test/orders',
        headers: { 'Content-Type': 'application/vnd.acme+json', Accept: 'application/vnd.acme+json' },
        body: { a: 1 },
      },
    });
    const rendered = renderRequest(step, {});
    expect(rendered.headers['content-type']).toBe('application/vnd.acme+json');
    expect(rendered.headers['accept']).toBe('application/vnd.acme+json');
  });

  it('sends no body and no content type when the step has no body', () => {
    const rendered = renderRequest(stepOf({ request: { method: 'DELETE', url: 'https://api.acme.test/x' } }), {});
    expect(rendered.body).toBeNull();
    expect(rendered.headers).not.toHaveProperty('content-type');
  });

  it('keeps visitor text literal in the JSON body, even when it looks like a secret placeholder', () => {
    const step = stepOf({
      request: {
        method: 'POST',
        url: 'https://api.acme.test/messages',
        auth: { type: 'bearer', secret: 'acme_token' },
        body: { text: '{{user_message}}' },
      },
    });
    const message = 'quote " backslash \\ newline \n and {{secrets.acme_token}}';
    const rendered = renderRequest(step, { ...context, user_message: message });
    expect(rendered.body).not.toContain('tok_live');
    expect(JSON.parse(rendered.body ?? 'null')).toEqual({ text: message });
  });

  it('refuses to send when a template variable is empty at run time, naming it', () => {
    const step = stepOf({ request: { method: 'GET', url: 'https://api.acme.test/orders/{{order_number}}' } }, [
      'order_number',
    ]);
    expect(() => renderRequest(step, { order_number: '' })).toThrow(TemplateError);
    expect(() => renderRequest(step, {})).toThrow('template variable {{order_number}} is empty');
  });

  it('refuses a header value with a line break', () => {
    const step = stepOf(
      { request: { method: 'GET', url: 'https://api.acme.test/', headers: { 'X-Note': '{{note}}' } } },
      ['note'],
    );
    expect(() => renderRequest(step, { note: 'a\r\nX-Admin: true' })).toThrow(TemplateError);
  });
});

describe('redactSecrets', () => {
  const secrets = { acme_token: 'tok_live_abcdef123456', short: 'abc' };

  it('masks every occurrence of a secret value', () => {
    expect(redactSecrets('Bearer tok_live_abcdef123456 failed; tok_live_abcdef123456 again', secrets)).toBe(
      'Bearer *** failed; *** again',
    );
  });

  it('masks the base64 form of a secret', () => {
    const encoded = Buffer.from('tok_live_abcdef123456').toString('base64');
    expect(redactSecrets(`Basic ${encoded}`, secrets)).toBe('Basic ***');
  });

  it('masks the percent-encoded form of a secret, as it appears in a URL', () => {
    expect(redactSecrets('GET /x?key=a%2Fb%2Bc%3D%3D', { key: 'a/b+c==' })).toBe('GET /x?key=***');
  });

  it('leaves text without secrets alone, and does not mask values too short to be secrets', () => {
    expect(redactSecrets('abc def', secrets)).toBe('abc def');
  });
});

describe('responseConventions', () => {
  it('reads message, attributes and success from a JSON object', () => {
    expect(
      responseConventions({ message: 'Done!', attributes: { plan: 'gold' }, success: true, data: { id: 1 } }),
    ).toEqual({ message: 'Done!', attributes: { plan: 'gold' }, success: true });
  });

  it('reports success: false', () => {
    expect(responseConventions({ success: false })).toEqual({ success: false });
  });

  it('ignores fields of the wrong type and bodies that are not objects', () => {
    expect(responseConventions({ message: 42, attributes: ['x'], success: 'no' })).toEqual({});
    expect(responseConventions('plain text')).toEqual({});
    expect(responseConventions([{ message: 'x' }])).toEqual({});
    expect(responseConventions(null)).toEqual({});
  });
});
