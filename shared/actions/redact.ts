import type { Json } from '../json';
import { base64 } from './request';

/** What every secret value is replaced with wherever it is found. */
export const REDACTED = '***';

/** A string as it sits inside a JSON string literal (quotes, backslashes and control characters escaped). */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Every form in which a step may have sent its secrets, longest first: each value raw, percent-encoded
 * (`encodeURIComponent`, as URL paths carry it, and `application/x-www-form-urlencoded`, as query strings and
 * form bodies carry it) and base64, plus the `sent` credentials built from them (Basic auth's
 * `base64(user:secret)`); each of those also JSON-escaped, with and without `\/`. Empty values are left out;
 * there is no minimum length, so even a 1-character secret is found (and so is that character in any text).
 */
export function secretForms(values: Iterable<string>, sent: Iterable<string> = []): string[] {
  const forms = new Set<string>();
  const add = (form: string) => {
    const escaped = jsonEscaped(form);
    for (const variant of [form, escaped, escaped.replaceAll('/', '\\/')]) if (variant !== '') forms.add(variant);
  };
  for (const value of values) {
    if (value === '') continue;
    add(value);
    add(encodeURIComponent(value));
    add(new URLSearchParams([['', value]]).toString().slice(1));
    add(base64(value));
  }
  for (const credential of sent) add(credential);
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each form (longest first, as `secretForms` orders them) with REDACTED. */
export function redactText(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/**
 * Redacts a JSON value: every string and object key, recursively; a number whose digits hold a secret becomes
 * the redacted string. Structure is kept, so a body redacted after parsing still reads as the same shape.
 */
export function redactJson(value: Json, forms: readonly string[]): Json {
  if (typeof value === 'string') return redactText(value, forms);
  if (typeof value === 'number') {
    const redacted = redactText(String(value), forms);
    return redacted === String(value) ? value : redacted;
  }
  if (Array.isArray(value)) return value.map((item) => redactJson(item, forms));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redactText(key, forms), redactJson(item, forms)]),
    );
  }
  return value;
}

/**
 * Redacts a body's text, and when it is JSON also value by value, so that a secret inside a JSON string that is
 * itself escaped JSON (an upstream echoing the request body it got as a string) is caught too. The text keeps
 * its formatting unless that second pass found more.
 */
export function redactBody(text: string, forms: readonly string[]): string {
  if (forms.length === 0) return text;
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    return redactText(text, forms);
  }
  const values = JSON.stringify(redactJson(parsed, forms));
  return redactText(values === JSON.stringify(parsed) ? text : values, forms);
}

/** Redacts every form of the given secret values from a text, for logs and errors. */
export function redactSecrets(text: string, secrets: Record<string, string>): string {
  return redactText(text, secretForms(Object.values(secrets)));
}
