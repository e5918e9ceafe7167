import { describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import {
  renderRequest,
  responseConventions,
  type RequestContext,
  type RequestMeta,
} from '../../shared/actions/request';
import { TemplateError } from '../../shared/actions/template';
import { requestOf } from './fixtures';

const context: RequestContext = {
  order_number: '12345',
  note: 'fragile & heavy = careful',
  quantity: 3,
  secrets: { acme_token: 'tok_live_abcdef123456' },
};

describe('renderRequest', () => {
  it('sends the bearer token from the secrets with a GET and no body', () => {
    const request = requestOf(
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
    expect(renderRequest(request, context)).toEqual({
      method: 'GET',
      url: 'https://api.acme.test/orders/12345',
      headers: { authorization: 'Bearer tok_live_abcdef123456', accept: 'application/json' },
      body: null,
    });
  });

  it('refuses to send without the bearer secret, naming the missing secret', () => {
    const request = requestOf({
      request: { method: 'GET', url: 'https://api.acme.test/', auth: { type: 'bearer', secret: 'acme_token' } },
    });
    expect(() => renderRequest(request, { secrets: {} })).toThrow(TemplateError);
    expect(() => renderRequest(request, {})).toThrow(/acme_token/);
  });

  it('refuses to send when a {{secrets.x}} is not set, naming the secret', () => {
    const request = requestOf({
      request: { method: 'GET', url: 'https://api.acme.test/', headers: { 'X-Api-Key': '{{secrets.api_key}}' } },
    });
    expect(() => renderRequest(request, { secrets: {} })).toThrow(/secret "api_key"/);
    expect(renderRequest(request, { secrets: { api_key: 'key_123456' } }).headers['x-api-key']).toBe('key_123456');
  });

  it('adds the extra headers, such as the idempotency key, overriding template headers of the same name', () => {
    const request = requestOf({
      request: { method: 'POST', url: 'https://api.acme.test/', headers: { 'Idempotency-Key': 'from-template' } },
    });
    const rendered = renderRequest(request, {}, { extraHeaders: { 'Idempotency-Key': 'parley-c1-3-call' } });
    expect(rendered.headers['idempotency-key']).toBe('parley-c1-3-call');
  });

  it('puts query values through URLSearchParams, so & and = stay inside one value', () => {
    const request = requestOf(
      {
        request: {
          method: 'GET',
          url: 'https://api.acme.test/search?fixed=1',
          query: { note: '{{note}}', qty: '{{quantity}}' },
        },
      },
      ['note', 'quantity'],
    );
    const url = new URL(renderRequest(request, context).url);
    expect([...url.searchParams.entries()]).toEqual([
      ['fixed', '1'],
      ['note', 'fragile & heavy = careful'],
      ['qty', '3'],
    ]);
  });

  it('builds a JSON body for a POST, keeping whole-placeholder types, and defaults its content type', () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/orders',
          body: { order: '{{order_number}}', quantity: '{{quantity}}', note: 'Note: {{note}}' },
        },
      },
      ['order_number', 'quantity', 'note'],
    );
    const rendered = renderRequest(request, context);
    expect(rendered.headers['content-type']).toBe('application/json');
    expect(JSON.parse(rendered.body ?? 'null')).toEqual({
      order: '12345',
      quantity: 3,
      note: 'Note: fragile & heavy = careful',
    });
  });

  it("keeps the operator's content type and accept headers", () => {
    const request = requestOf({
      request: {
        method: 'PUT',
        url: 'https://api.acme.test/orders',
        headers: { 'Content-Type': 'application/vnd.acme+json', Accept: 'application/vnd.acme+json' },
        body: { a: 1 },
      },
    });
    const rendered = renderRequest(request, {});
    expect(rendered.headers['content-type']).toBe('application/vnd.acme+json');
    expect(rendered.headers['accept']).toBe('application/vnd.acme+json');
  });

  it('sends no body and no content type when the step has no body', () => {
    const rendered = renderRequest(requestOf({ request: { method: 'DELETE', url: 'https://api.acme.test/x' } }), {});
    expect(rendered.body).toBeNull();
    expect(rendered.headers).not.toHaveProperty('content-type');
  });

  it('keeps visitor text literal in the JSON body, even when it looks like a secret placeholder', () => {
    const request = requestOf({
      request: {
        method: 'POST',
        url: 'https://api.acme.test/messages',
        auth: { type: 'bearer', secret: 'acme_token' },
        body: { text: '{{user_message}}' },
      },
    });
    const message = 'quote " backslash \\ newline \n and {{secrets.acme_token}}';
    const rendered = renderRequest(request, { ...context, user_message: message });
    expect(rendered.body).not.toContain('tok_live');
    expect(JSON.parse(rendered.body ?? 'null')).toEqual({ text: message });
  });

  it('refuses to send when a template variable is empty at run time, naming it', () => {
    const request = requestOf({ request: { method: 'GET', url: 'https://api.acme.test/orders/{{order_number}}' } }, [
      'order_number',
    ]);
    expect(() => renderRequest(request, { order_number: '' })).toThrow(TemplateError);
    expect(() => renderRequest(request, {})).toThrow('template variable {{order_number}} is empty');
  });

  it('refuses a header value with a line break', () => {
    const request = requestOf(
      { request: { method: 'GET', url: 'https://api.acme.test/', headers: { 'X-Note': '{{note}}' } } },
      ['note'],
    );
    expect(() => renderRequest(request, { note: 'a\r\nX-Admin: true' })).toThrow(TemplateError);
  });
});

const meta: RequestMeta = {
  actionId: 'call_api',
  conversationId: 'c1',
  chatbotId: 'acme',
  trigger: 'intent',
  timestamp: '2025-01-01T12:00:00.000Z',
  visitor: {
    id: 'v1',
    name: 'Ada',
    email: 'ada@example.com',
    phone: null,
    locale: 'en-GB',
    last_message: 'where is my order?',
    attributes: { plan: 'gold' },
  },
};

const NASTY_VISITOR_TEXT = 'quote " backslash \\ newline \n and {{secrets.acme_token}} and {order_number}';

describe('request bodies', () => {
  it('sends a form body urlencoded, with its content type, keeping & and = inside one value', () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/forms',
          bodyType: 'form',
          body: { order: '{{order_number}}', note: '{{note}}', fixed: 'a b' },
        },
      },
      ['order_number', 'note'],
    );
    const rendered = renderRequest(request, context);
    expect(rendered.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(rendered.body).toBe('order=12345&note=fragile+%26+heavy+%3D+careful&fixed=a+b');
    expect([...new URLSearchParams(rendered.body ?? '').entries()]).toEqual([
      ['order', '12345'],
      ['note', 'fragile & heavy = careful'],
      ['fixed', 'a b'],
    ]);
  });

  it('sends a raw body as rendered text, as text/plain unless the request names a content type', () => {
    const plain = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/notes',
          bodyType: 'raw',
          body: 'Order {{order_number}}',
        },
      },
      ['order_number'],
    );
    const rendered = renderRequest(plain, context);
    expect(rendered.body).toBe('Order 12345');
    expect(rendered.headers['content-type']).toMatch(/^text\/plain/);

    const xml = requestOf(
      {
        request: {
          method: 'PUT',
          url: 'https://api.acme.test/orders',
          bodyType: 'raw',
          contentType: 'application/xml',
          body: '<order id="{{order_number}}"/>',
        },
      },
      ['order_number'],
    );
    const sent = renderRequest(xml, context);
    expect(sent.body).toBe('<order id="12345"/>');
    expect(sent.headers['content-type']).toBe('application/xml');
  });

  it('sends a GraphQL query as a JSON body with its variables typed', () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/graphql',
          body: {
            query: 'query Order($id: ID!) { order(id: $id) { status } }',
            variables: { id: '{{order_number}}', qty: '{{quantity}}' },
          },
        },
      },
      ['order_number', 'quantity'],
    );
    expect(JSON.parse(renderRequest(request, context).body ?? 'null')).toEqual({
      query: 'query Order($id: ID!) { order(id: $id) { status } }',
      variables: { id: '12345', qty: 3 },
    });
  });

  it('leaves an optional value out with a section instead of refusing it as empty', () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/notes',
          bodyType: 'raw',
          body: 'Order {{order_number}}{{#note}}, note: {{note}}{{/note}}{{^note}}, no note{{/note}}',
        },
      },
      ['order_number', 'note'],
    );
    expect(renderRequest(request, { order_number: '12345', note: '' }).body).toBe('Order 12345, no note');
    expect(renderRequest(request, { order_number: '12345', note: 'fragile' }).body).toBe('Order 12345, note: fragile');
  });

  it.each(['GET', 'HEAD'] as const)('never sends a body with a %s, whatever the body type', (method) => {
    const bodies: ActionDefinitionInput['steps'][number]['request'][] = [
      { method, url: 'https://api.acme.test/', body: { a: 1 } },
      { method, url: 'https://api.acme.test/', bodyType: 'form', body: { a: 'b' } },
      { method, url: 'https://api.acme.test/', bodyType: 'raw', body: 'text' },
      { method, url: 'https://api.acme.test/', envelope: true, visitorProfile: true },
    ];
    for (const body of bodies) {
      const rendered = renderRequest(requestOf({ request: body }), {}, { meta });
      expect(rendered.body).toBeNull();
      expect(rendered.headers).not.toHaveProperty('content-type');
    }
  });

  it('keeps visitor text literal in a JSON body built around it: valid JSON, and no secret or variable substituted', () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/messages',
          headers: { 'X-Api-Key': '{{secrets.acme_token}}' },
          body: {
            text: '{{user_message}}',
            summary: 'Visitor wrote: {{user_message}}',
            quoted: '{{#user_message}}"{{.}}"{{/user_message}}',
          },
        },
      },
      ['order_number'],
    );
    const rendered = renderRequest(request, { ...context, user_message: NASTY_VISITOR_TEXT });
    expect(rendered.body).not.toContain('tok_live');
    expect(rendered.body).not.toContain('12345');
    expect(JSON.parse(rendered.body ?? 'null')).toEqual({
      text: NASTY_VISITOR_TEXT,
      summary: `Visitor wrote: ${NASTY_VISITOR_TEXT}`,
      quoted: `"${NASTY_VISITOR_TEXT}"`,
    });
  });

  it('keeps visitor text literal in a form body, with no secret substituted', () => {
    const request = requestOf({
      request: {
        method: 'POST',
        url: 'https://api.acme.test/forms',
        bodyType: 'form',
        body: { text: '{{user_message}}' },
      },
    });
    const rendered = renderRequest(request, { ...context, user_message: NASTY_VISITOR_TEXT });
    expect(rendered.body).not.toContain('tok_live');
    expect(new URLSearchParams(rendered.body ?? '').get('text')).toBe(NASTY_VISITOR_TEXT);
  });
});

describe('auth presets', () => {
  it('sends basic auth as base64 of the rendered username, a colon and the secret', () => {
    const request = requestOf({
      request: {
        method: 'GET',
        url: 'https://api.acme.test/',
        auth: { type: 'basic', username: 'bot-{{chatbot_id}}', secret: 'acme_password' },
      },
    });
    const rendered = renderRequest(request, { chatbot_id: 'acme', secrets: { acme_password: 'pä:ss word' } });
    const expected = Buffer.from('bot-acme:pä:ss word', 'utf8').toString('base64');
    expect(rendered.headers['authorization']).toBe(`Basic ${expected}`);
  });

  it('refuses basic auth without its secret, naming it', () => {
    const request = requestOf({
      request: {
        method: 'GET',
        url: 'https://api.acme.test/',
        auth: { type: 'basic', username: 'bot', secret: 'acme_password' },
      },
    });
    expect(() => renderRequest(request, { secrets: {} })).toThrow(/secret "acme_password" is not set/);
  });

  it('sends an API key in the header it names', () => {
    const request = requestOf({
      request: {
        method: 'GET',
        url: 'https://api.acme.test/',
        auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', secret: 'acme_key' },
      },
    });
    const rendered = renderRequest(request, { secrets: { acme_key: 'key_live_123456' } });
    expect(rendered.headers['x-api-key']).toBe('key_live_123456');
    expect(rendered.url).toBe('https://api.acme.test/');
  });

  it('sends an API key header exactly as the secret is written, even when it holds braces', () => {
    const request = requestOf({
      request: {
        method: 'GET',
        url: 'https://api.acme.test/',
        auth: { type: 'api_key', name: 'X-Api-Key', secret: 'acme_key' },
      },
    });
    const rendered = renderRequest(request, { secrets: { acme_key: 'k3y{abc}{{def}}' } });
    expect(rendered.headers['x-api-key']).toBe('k3y{abc}{{def}}');
  });

  it('sends an API key in the query parameter it names, after the query of the template', () => {
    const request = requestOf({
      request: {
        method: 'GET',
        url: 'https://api.acme.test/search?fixed=1',
        query: { q: 'mugs' },
        auth: { type: 'api_key', in: 'query', name: 'api_key', secret: 'acme_key' },
      },
    });
    const rendered = renderRequest(request, { secrets: { acme_key: 'key/with+chars=' } });
    const url = new URL(rendered.url);
    expect([...url.searchParams.entries()]).toEqual([
      ['fixed', '1'],
      ['q', 'mugs'],
      ['api_key', 'key/with+chars='],
    ]);
    expect(rendered.headers).not.toHaveProperty('authorization');
  });

  it('refuses an API key preset whose secret is not set, naming it', () => {
    const request = requestOf({
      request: {
        method: 'GET',
        url: 'https://api.acme.test/',
        auth: { type: 'api_key', in: 'query', name: 'key', secret: 'acme_key' },
      },
    });
    expect(() => renderRequest(request, {})).toThrow(/secret "acme_key" is not set/);
  });
});

describe('envelope and visitor profile', () => {
  it('wraps the JSON body in the envelope with the action, conversation, trigger and metadata', () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/hooks',
          envelope: true,
          body: { order: '{{order_number}}' },
        },
      },
      ['order_number'],
    );
    const rendered = renderRequest(request, context, { meta });
    expect(rendered.headers['content-type']).toBe('application/json');
    expect(JSON.parse(rendered.body ?? 'null')).toEqual({
      action_id: 'call_api',
      conversation_id: 'c1',
      chatbot_id: 'acme',
      trigger: 'intent',
      payload: { order: '12345' },
      metadata: { visitor_id: 'v1', timestamp: '2025-01-01T12:00:00.000Z' },
    });
  });

  it("adds the visitor's profile to the body as `visitor`", () => {
    const request = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/leads',
          visitorProfile: true,
          body: { order: '{{order_number}}' },
        },
      },
      ['order_number'],
    );
    expect(JSON.parse(renderRequest(request, context, { meta }).body ?? 'null')).toEqual({
      order: '12345',
      visitor: {
        id: 'v1',
        name: 'Ada',
        email: 'ada@example.com',
        phone: null,
        locale: 'en-GB',
        last_message: 'where is my order?',
        attributes: { plan: 'gold' },
      },
    });
  });

  it('sends the profile alone when there is no body, and inside the payload when enveloped', () => {
    const bare = requestOf({ request: { method: 'POST', url: 'https://api.acme.test/leads', visitorProfile: true } });
    expect(JSON.parse(renderRequest(bare, {}, { meta }).body ?? 'null')).toEqual({ visitor: meta.visitor });

    const both = requestOf({
      request: { method: 'POST', url: 'https://api.acme.test/leads', visitorProfile: true, envelope: true },
    });
    const body = JSON.parse(renderRequest(both, {}, { meta }).body ?? 'null') as { payload: unknown };
    expect(body.payload).toEqual({ visitor: meta.visitor });
  });

  it("keeps the visitor's last message literal in the profile: valid JSON, no secret substituted", () => {
    const request = requestOf({
      request: { method: 'POST', url: 'https://api.acme.test/leads', visitorProfile: true, envelope: true },
    });
    const nasty: RequestMeta = { ...meta, visitor: { ...meta.visitor, last_message: NASTY_VISITOR_TEXT } };
    const rendered = renderRequest(request, context, { meta: nasty });
    expect(rendered.body).not.toContain('tok_live');
    const body = JSON.parse(rendered.body ?? 'null') as { payload: { visitor: { last_message: string } } };
    expect(body.payload.visitor.last_message).toBe(NASTY_VISITOR_TEXT);
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
