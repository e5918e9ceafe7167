import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema } from '../../shared/actions/action';
import { escapeXml, isXmlContentType, renderRequest } from '../../shared/actions/request';
import { renderHeaderValue, TemplateError } from '../../shared/actions/template';
import { requestOf } from './fixtures';

describe('header values a visitor fills', () => {
  it('refuses a character an HTTP header cannot carry, naming the header and the character', () => {
    expect(() => renderHeaderValue('X-Note', 'note: {{v}}', { v: 'hi 😀' })).toThrow(TemplateError);
    expect(() => renderHeaderValue('X-Note', 'note: {{v}}', { v: 'hi 😀' })).toThrow(
      'header X-Note would contain U+1F600, which an HTTP header cannot carry (header values are Latin-1 text)',
    );
    expect(() => renderHeaderValue('X-Note', '{{v}}', { v: 'Ω' })).toThrow(/U\+03A9/);
    expect(() => renderHeaderValue('X-Note', '{{v}}', { v: 'bell\u0007' })).toThrow(/U\+0007/);
    expect(renderHeaderValue('X-Note', '{{v}}', { v: 'café\tdéjà vu' })).toBe('café\tdéjà vu');
  });

  it("lets any character into Basic auth's user name (it is base64-encoded), and refuses an unsendable secret without quoting it", () => {
    const basic = requestOf(
      {
        request: {
          method: 'GET',
          url: 'https://api.acme.test/',
          auth: { type: 'basic', username: '{{u}}', secret: 's' },
        },
      },
      ['u'],
    );
    const rendered = renderRequest(basic, { u: 'zoë😀', secrets: { s: 'pw' } });
    expect(rendered.headers['authorization']).toBe(`Basic ${Buffer.from('zoë😀:pw').toString('base64')}`);
    const bearer = requestOf({
      request: { method: 'GET', url: 'https://api.acme.test/', auth: { type: 'bearer', secret: 's' } },
    });
    expect(() => renderRequest(bearer, { secrets: { s: 'tökén✓' } })).toThrow(
      'header authorization would contain a character an HTTP header cannot carry (from a secret)',
    );
  });
});

describe('raw bodies', () => {
  const xml = (extra: Record<string, unknown> = {}) =>
    requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/notes',
          bodyType: 'raw',
          contentType: 'application/xml',
          body: '<note author="{{who}}">{{text}}</note>',
          ...extra,
        },
      },
      ['who', 'text'],
    );
  const context = { who: 'a"b', text: '<a></a><admin>true</admin> & more' };

  it('escapes values for XML by default when the content type is XML, so a value cannot add elements', () => {
    expect(renderRequest(xml(), context).body).toBe(
      '<note author="a&quot;b">&lt;a&gt;&lt;/a&gt;&lt;admin&gt;true&lt;/admin&gt; &amp; more</note>',
    );
  });

  it('leaves values as they are with escape "none", and escapes any raw body with escape "xml"', () => {
    expect(renderRequest(xml({ escape: 'none' }), context).body).toBe(
      '<note author="a"b"><a></a><admin>true</admin> & more</note>',
    );
    const csv = requestOf(
      {
        request: {
          method: 'POST',
          url: 'https://api.acme.test/x',
          bodyType: 'raw',
          contentType: 'text/csv',
          body: '{{text}}',
        },
      },
      ['text'],
    );
    expect(renderRequest(csv, context).body).toBe(context.text);
    expect(renderRequest({ ...csv, escape: 'xml' }, context).body).toBe(escapeXml(context.text));
  });

  it('knows XML content types, and refuses escape on a body that is not raw', () => {
    for (const type of ['application/xml', 'text/xml; charset=utf-8', 'application/soap+xml', 'image/svg+xml'])
      expect(isXmlContentType(type)).toBe(true);
    for (const type of ['text/plain', 'application/json', 'application/xml-dtd', 'text/xmlish'])
      expect(isXmlContentType(type)).toBe(false);
    const parsed = ActionDefinitionSchema.safeParse({
      name: 'x',
      description: 'x',
      steps: [{ id: 's', request: { method: 'POST', url: 'https://api.example.com/', escape: 'xml', body: {} } }],
    });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['steps', 0, 'request', 'escape'] });
  });
});
