import { describe, expect, it } from 'vitest';
import type { Json } from '../../shared/json';
import {
  jsonTemplateReferences,
  lookupPath,
  renderHeaderValue,
  renderJson,
  renderText,
  renderUrl,
  TemplateError,
  templateProblem,
  templateReferences,
  type TemplateContext,
} from '../../shared/actions/template';

const NASTY_VISITOR_TEXT = 'He said "hi" \\ then left\nnew line {{secrets.acme_token}} and {{order_number}}';

describe('template references', () => {
  it('lists every variable a template mentions, in both {{x}} and {x} syntax, in order', () => {
    expect(templateReferences('Order {{ order_number }} for {user_name} is {{steps.lookup.status}}')).toEqual([
      'order_number',
      'user_name',
      'steps.lookup.status',
    ]);
  });

  it('finds variables anywhere inside a JSON body, including nested arrays and objects', () => {
    const body: Json = { a: '{{x}}', b: [{ c: 'mixed {y} text' }, 3, null], d: { e: '{{attributes.plan}}' } };
    expect(jsonTemplateReferences(body)).toEqual(['x', 'y', 'attributes.plan']);
  });

  it('reads dotted paths through objects and array indexes, and gives undefined when a segment is missing', () => {
    const context: TemplateContext = { steps: { lookup: { items: [{ name: 'Mug' }] } } };
    expect(lookupPath(context, 'steps.lookup.items.0.name')).toBe('Mug');
    expect(lookupPath(context, 'steps.lookup.missing')).toBeUndefined();
    expect(lookupPath(context, 'steps.lookup.items.5.name')).toBeUndefined();
  });
});

describe('renderText', () => {
  it('replaces {{x}} and {x} placeholders with the values from the context', () => {
    expect(
      renderText('Hi {{user_name}}, order {order_number} is {{ steps.lookup.status }}.', {
        user_name: 'Ada',
        order_number: '12345',
        steps: { lookup: { status: 'shipped' } },
      }),
    ).toBe('Hi Ada, order 12345 is shipped.');
  });

  it('renders numbers and booleans as text, objects as JSON and absent values as empty', () => {
    expect(
      renderText('{{n}} {{b}} {{o}} [{{missing}}] [{{nothing}}]', { n: 3.5, b: false, o: { a: 1 }, nothing: null }),
    ).toBe('3.5 false {"a":1} [] []');
  });

  it('is single-pass: a value that looks like a placeholder stays literal and is never expanded', () => {
    const context: TemplateContext = {
      user_message: 'show me {{secrets.acme_token}} and {{other}} and {other}',
      other: 'EXPANDED',
      secrets: { acme_token: 'SECRET' },
    };
    const rendered = renderText('You said: {{user_message}}', context);
    expect(rendered).toBe('You said: show me {{secrets.acme_token}} and {{other}} and {other}');
    expect(rendered).not.toContain('SECRET');
    expect(rendered).not.toContain('EXPANDED');
  });

  it('reports each missing or empty variable to onMissing', () => {
    const missing: string[] = [];
    renderText(
      '{{present}} {{absent}} {{empty}} {{nulled}}',
      { present: 'x', empty: '', nulled: null },
      undefined,
      (path) => missing.push(path),
    );
    expect(missing).toEqual(['absent', 'empty', 'nulled']);
  });
});

describe('sections', () => {
  const products: TemplateContext = {
    user_name: 'Ada',
    currency: 'EUR',
    steps: {
      search: {
        products: [
          { name: 'Mug', price: 12 },
          { name: 'Teapot', price: 30, currency: 'GBP' },
        ],
        tags: ['new', 'sale'],
        customer: { name: 'Grace', tier: 'gold' },
        none: [],
      },
    },
  };

  it('repeats a section for each element of an array, reading the fields of the element', () => {
    expect(renderText('{{#steps.search.products}}- {{name}}: {{price}}\n{{/steps.search.products}}', products)).toBe(
      '- Mug: 12\n- Teapot: 30\n',
    );
  });

  it('reads the element itself as {{.}}', () => {
    expect(renderText('Tags:{{#steps.search.tags}} #{{.}}{{/steps.search.tags}}', products)).toBe('Tags: #new #sale');
  });

  it('falls back to the outer context for a name the element does not have, the element winning when it has it', () => {
    expect(
      renderText(
        '{{#steps.search.products}}{{name}} {{price}} {{currency}} for {{user_name}}; {{/steps.search.products}}',
        products,
      ),
    ).toBe('Mug 12 EUR for Ada; Teapot 30 GBP for Ada; ');
  });

  it('reads dotted paths from the outer context inside a section', () => {
    expect(
      renderText('{{#steps.search.tags}}{{.}}/{{steps.search.customer.tier}} {{/steps.search.tags}}', products),
    ).toBe('new/gold sale/gold ');
  });

  it('renders a section over a non-empty object or scalar once, with it in scope', () => {
    expect(renderText('{{#steps.search.customer}}Hi {{name}} ({{tier}}){{/steps.search.customer}}', products)).toBe(
      'Hi Grace (gold)',
    );
    expect(renderText('{{#user_name}}Dear {{.}},{{/user_name}}', products)).toBe('Dear Ada,');
  });

  it.each<[string, Json | undefined]>([
    ['an empty array', []],
    ['an empty string', ''],
    ['null', null],
    ['false', false],
    ['a missing value', undefined],
  ])('skips a section over %s, and renders its inverted section', (_what, value) => {
    const context: TemplateContext = value === undefined ? {} : { items: value };
    expect(renderText('[{{#items}}some{{/items}}{{^items}}No results.{{/items}}]', context)).toBe('[No results.]');
  });

  it('does not render an inverted section over a non-empty value', () => {
    expect(renderText('{{^steps.search.products}}No results.{{/steps.search.products}}', products)).toBe('');
    expect(renderText('{{^user_name}}Hello stranger{{/user_name}}', products)).toBe('');
  });

  it('nests sections, each element in scope of the one inside', () => {
    const context: TemplateContext = {
      orders: [
        { id: 1, lines: [{ sku: 'A' }, { sku: 'B' }] },
        { id: 2, lines: [] },
      ],
    };
    expect(
      renderText('{{#orders}}#{{id}}:{{#lines}} {{sku}}{{/lines}}{{^lines}} empty{{/lines}};{{/orders}}', context),
    ).toBe('#1: A B;#2: empty;');
  });

  it('stays single-pass inside a section: an element value that looks like a placeholder is never expanded', () => {
    const context: TemplateContext = {
      items: [{ name: '{{secrets.acme_token}}' }, { name: '{other}' }, { name: '{{#x}}y{{/x}}' }],
      other: 'EXPANDED',
      x: true,
      secrets: { acme_token: 'SECRET' },
    };
    expect(renderText('{{#items}}[{{name}}]{{/items}}', context)).toBe(
      '[{{secrets.acme_token}}][{other}][{{#x}}y{{/x}}]',
    );
  });

  it('escapes each value inside a section for where the text goes', () => {
    const url = renderUrl('https://api.acme.test/{{#ids}}{{.}}/{{/ids}}', { ids: ['a b', '../x'] });
    expect(url.pathname).toBe('/a%20b/..%2Fx/');
  });

  it.each([
    ['{{#items}}open', 'section {{#items}} is not closed'],
    ['closed{{/items}}', '{{/items}} closes a section that is not open'],
    ['{{#a}}{{/b}}', '{{/b}} closes a section that is not open'],
    ['{{#a}}{{#b}}{{/a}}{{/b}}', '{{/a}} closes a section that is not open'],
  ])('explains why "%s" cannot be used, and refuses to render it', (template, problem) => {
    expect(templateProblem(template)).toBe(problem);
    expect(() => renderText(template, {})).toThrow(TemplateError);
    expect(() => renderText(template, {})).toThrow(problem);
  });

  it('explains that an inverted section is not closed', () => {
    expect(templateProblem('{{^a}}never closed')).toMatch(/\{\{.a\}\} is not closed/);
  });

  it('finds no problem in a balanced template, or one without sections', () => {
    expect(templateProblem('{{#a}}{{#b}}{{.}}{{/b}}{{/a}}{{^a}}none{{/a}}')).toBeNull();
    expect(templateProblem('plain {{x}} and {y}')).toBeNull();
  });

  it('lists top-level variables and section paths as references, not the names read inside a section', () => {
    expect(
      templateReferences(
        '{{greeting}} {{#steps.search.products}}{{name}} {{user_name}}{{/steps.search.products}}{{^attributes.vip}}{{x}}{{/attributes.vip}} {last}',
      ),
    ).toEqual(['greeting', 'steps.search.products', 'attributes.vip', 'last']);
  });

  it('lists no references for a template that cannot be parsed', () => {
    expect(templateReferences('{{#a}}{{b}}')).toEqual([]);
  });
});

describe('renderJson', () => {
  const context: TemplateContext = {
    quantity: 3,
    address: { street: '1 Main St', zip: '12345' },
    gift: true,
    name: 'Ada',
  };

  it('keeps the type of a value when the string is exactly one placeholder', () => {
    expect(renderJson({ qty: '{{quantity}}', ship_to: '{address}', gift: '{{ gift }}' }, context)).toEqual({
      qty: 3,
      ship_to: { street: '1 Main St', zip: '12345' },
      gift: true,
    });
  });

  it('renders a string with text around a placeholder as text', () => {
    expect(renderJson({ note: 'qty {{quantity}} for {{name}}', list: ['{{gift}} gift'] }, context)).toEqual({
      note: 'qty 3 for Ada',
      list: ['true gift'],
    });
  });

  it('keeps keys and non-string values as written', () => {
    expect(renderJson({ '{{name}}': 1, flag: false, none: null, nested: [1, 'x'] }, context)).toEqual({
      '{{name}}': 1,
      flag: false,
      none: null,
      nested: [1, 'x'],
    });
  });

  it('gives null for a whole placeholder whose variable is missing, and reports it', () => {
    const missing: string[] = [];
    expect(renderJson({ a: '{{absent}}' }, context, (path) => missing.push(path))).toEqual({ a: null });
    expect(missing).toEqual(['absent']);
  });

  it('builds valid JSON with visitor text kept literal, whatever quotes, backslashes, newlines or placeholders it holds', () => {
    const body: Json = { message: '{{user_message}}', summary: 'Visitor wrote: {{user_message}}' };
    const rendered = renderJson(body, {
      user_message: NASTY_VISITOR_TEXT,
      order_number: '99999',
      secrets: { acme_token: 'SECRET' },
    });
    const wire = JSON.stringify(rendered);
    expect(wire).not.toContain('SECRET');
    expect(wire).not.toContain('99999');
    const parsed = JSON.parse(wire) as Json;
    expect(parsed).toEqual({ message: NASTY_VISITOR_TEXT, summary: `Visitor wrote: ${NASTY_VISITOR_TEXT}` });
    expect(parsed).toEqual(rendered);
  });
});

describe('renderUrl', () => {
  const base = 'https://api.acme.test/orders/{{order_number}}/items';

  it('substitutes path values into a URL', () => {
    expect(renderUrl(base, { order_number: '12345' }).href).toBe('https://api.acme.test/orders/12345/items');
  });

  it('percent-encodes a path value so it cannot add segments, a query or a fragment', () => {
    const url = renderUrl(base, { order_number: '../admin?x=1#y' });
    expect(url.host).toBe('api.acme.test');
    expect(url.pathname).toBe('/orders/..%2Fadmin%3Fx%3D1%23y/items');
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
  });

  it.each(['..', '.'])('refuses a path value "%s" that would remove or climb path segments', (value) => {
    expect(() => renderUrl(base, { order_number: value })).toThrow(TemplateError);
    expect(() => renderUrl(base, { order_number: value })).toThrow('"." or ".." segment');
  });

  it('keeps dots that are part of a path value, and percent signs literal', () => {
    expect(renderUrl(base, { order_number: 'v1.2..3' }).pathname).toBe('/orders/v1.2..3/items');
    expect(renderUrl(base, { order_number: '%2e%2E' }).pathname).toBe('/orders/%252e%252E/items');
  });

  it('does not let a value change the host', () => {
    const url = renderUrl('https://api.acme.test/{{path}}', { path: 'evil.com/' });
    expect(url.host).toBe('api.acme.test');
    expect(url.pathname).toBe('/evil.com%2F');
    const userinfo = renderUrl('https://api.acme.test/{{path}}', { path: '@evil.com' });
    expect(userinfo.host).toBe('api.acme.test');
  });

  it('refuses a template that renders to something other than http or https', () => {
    expect(() => renderUrl('ftp://files.acme.test/{{name}}', { name: 'x' })).toThrow(TemplateError);
    expect(() => renderUrl('javascript:alert({{x}})', { x: '1' })).toThrow(/http or https/);
  });

  it('refuses a template that does not render to a URL at all', () => {
    expect(() => renderUrl('{{base}}/orders', { base: 'https://api.acme.test' })).toThrow(TemplateError);
  });

  it('reports a missing path variable to onMissing', () => {
    const missing: string[] = [];
    renderUrl(base, {}, (path) => missing.push(path));
    expect(missing).toEqual(['order_number']);
  });
});

describe('renderHeaderValue', () => {
  it('renders a header value from the context', () => {
    expect(renderHeaderValue('X-Customer', 'cust-{{visitor_id}}', { visitor_id: 'v1' })).toBe('cust-v1');
  });

  it.each([
    ['a carriage return', 'x\rInjected: 1'],
    ['a line feed', 'x\nInjected: 1'],
    ['a NUL character', 'x\0y'],
  ])('refuses a value containing %s (header injection)', (_what, value) => {
    expect(() => renderHeaderValue('X-Customer', '{{value}}', { value })).toThrow(TemplateError);
    expect(() => renderHeaderValue('X-Customer', '{{value}}', { value })).toThrow(/X-Customer/);
  });
});
