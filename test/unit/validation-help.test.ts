import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema } from '../../shared/actions/action';
import { actionWarnings } from '../../shared/actions/save-warnings';
import { renderJson, renderText, singleBraceOnlyReferences } from '../../shared/actions/template';

describe('single-brace placeholders', () => {
  it('substitute known names and leave anything else as literal text', () => {
    expect(renderText('Hi {name}, { viewer {login} }', { name: 'Ada' })).toBe('Hi Ada, { viewer {login} }');
    expect(renderJson({ a: '{login}', b: '{{login}}' }, {})).toEqual({ a: '{login}', b: null });
    expect(singleBraceOnlyReferences('{a} {{b}} {b} {c.d}')).toEqual(['a', 'c.d']);
  });

  it('are not save errors when unknown, while {{…}} still is', () => {
    const action = (body: string) =>
      ActionDefinitionSchema.safeParse({
        name: 'q',
        description: 'Query',
        steps: [{ id: 's', request: { method: 'POST', url: 'https://api.example.com/', body: { query: body } } }],
      }).success;
    expect(action('query { viewer {login} }')).toBe(true);
    expect(action('query { viewer {{login}} }')).toBe(false);
  });
});

describe('setup warnings', () => {
  const action = ActionDefinitionSchema.parse({
    name: 'a',
    description: 'Do a thing',
    channels: ['chat', 'email'],
    reply: { template: 'x', instructions: 'Be brief' },
    alerts: { emails: 'a@x.test; b@x.test' },
    steps: [{ id: 's', request: { method: 'GET', url: 'https://api.example.com/{{secrets.key}}' } }],
  });

  it('names what needs configuration this Parley lacks', () => {
    expect(actionWarnings(action, undefined, { llm: false, mail: false, secrets: [] })).toEqual([
      'channels: this Parley has no SMTP server (PARLEY_SMTP_URL), so it takes no email; the action is offered in chat only',
      'reply.instructions: no LLM is configured (PARLEY_LLM_*), so they are ignored and the reply is said as written',
      'alerts.emails: no SMTP server is configured (PARLEY_SMTP_URL), so alert emails are not sent',
      'steps[0].request: secret "key" is not set, so the call fails until it is saved (PUT …/secrets/key)',
    ]);
    expect(actionWarnings(action, undefined, { llm: true, mail: true, secrets: ['key'] })).toEqual([
      'channels: this chatbot has no email_inbound secret, so it takes no email until one is set (PUT …/secrets/email_inbound); the action is offered in chat only',
    ]);
    expect(actionWarnings(action, undefined, { llm: true, mail: true, secrets: ['key', 'email_inbound'] })).toEqual([]);
  });
});
