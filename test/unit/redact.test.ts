import { describe, expect, it } from 'vitest';
import { REDACTED, redactBody, redactJson, redactSecrets, redactText, secretForms } from '../../shared/actions/redact';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('secretForms', () => {
  it('lists a secret raw, percent-encoded both ways, base64 and JSON-escaped, longest first', () => {
    const secret = 'a b/c"+=é';
    const forms = secretForms([secret]);
    expect(forms).toEqual(
      expect.arrayContaining([
        secret,
        encodeURIComponent(secret),
        new URLSearchParams({ k: secret }).toString().slice(2),
        b64(secret),
        'a b/c\\"+=é',
        'a b\\/c\\"+=é',
      ]),
    );
    expect(new URLSearchParams({ k: secret }).toString()).toContain('+');
    expect(forms.map((form) => form.length)).toEqual([...forms.map((form) => form.length)].sort((x, y) => y - x));
  });

  it('adds the credentials built from a secret, such as Basic auth, and leaves empty values out', () => {
    expect(secretForms(['', 'pw'], [b64('bot:pw')])).toContain(b64('bot:pw'));
    expect(secretForms([''])).toEqual([]);
  });
});

describe('redactText', () => {
  it('masks every occurrence of a secret in every form it was sent in', () => {
    const secret = 'tok live/abc+123==';
    const forms = secretForms([secret], [b64(`bot:${secret}`)]);
    const text = [
      `Bearer ${secret}`,
      `?key=${new URLSearchParams({ k: secret }).toString().slice(2)}`,
      `/users/${encodeURIComponent(secret)}`,
      `Basic ${b64(`bot:${secret}`)}`,
      `raw64 ${b64(secret)}`,
      JSON.stringify({ echoed: secret }),
    ].join('\n');
    expect(redactText(text, forms)).toBe(
      ['Bearer ***', '?key=***', '/users/***', 'Basic ***', 'raw64 ***', '{"echoed":"***"}'].join('\n'),
    );
  });

  it('masks secrets of any length, down to one character, and leaves other text alone', () => {
    expect(redactText('pin is 42, 7 tries', secretForms(['42', '7']))).toBe(`pin is ${REDACTED}, ${REDACTED} tries`);
    expect(redactText('nothing to see', secretForms(['tok_live_abcdef123456']))).toBe('nothing to see');
  });

  it('masks the longer of two overlapping secrets whole, so no part of it is left', () => {
    expect(redactText('key=abcdef', secretForms(['abc', 'abcdef']))).toBe('key=***');
  });
});

describe('redactJson', () => {
  it('masks secrets in strings, object keys and numbers at any depth, keeping the structure', () => {
    const forms = secretForms(['s3cr3t-value', '9911']);
    const body = {
      message: 'you sent Bearer s3cr3t-value',
      data: { items: [{ token: 's3cr3t-value' }, 'ok'], 's3cr3t-value': true, pin: 9911, count: 3 },
      success: true,
      none: null,
    };
    expect(redactJson(body, forms)).toEqual({
      message: 'you sent Bearer ***',
      data: { items: [{ token: '***' }, 'ok'], '***': true, pin: '***', count: 3 },
      success: true,
      none: null,
    });
  });
});

describe('redactBody', () => {
  const secret = 'pa"ss/word';
  const forms = secretForms([secret]);

  it('catches a secret in a JSON string that is itself escaped JSON, as an echoed request body', () => {
    const echoed = JSON.stringify({ data: JSON.stringify({ pw: secret }), ok: true });
    const redacted = redactBody(echoed, forms);
    expect(redacted).not.toMatch(/pa|word/);
    expect(JSON.parse(redacted)).toEqual({ data: '{"pw":"***"}', ok: true });
  });

  it('keeps the formatting of a body without secrets, and redacts text that is not JSON', () => {
    const pretty = '{\n  "status": "shipped"\n}';
    expect(redactBody(pretty, forms)).toBe(pretty);
    expect(redactBody(`<p>${secret}</p>`, forms)).toBe('<p>***</p>');
  });
});

describe('redactSecrets', () => {
  it('masks every form of each named secret value in a text, for logs and errors', () => {
    expect(redactSecrets('GET /x?key=a%2Fb%2Bc%3D%3D', { key: 'a/b+c==' })).toBe('GET /x?key=***');
  });
});
