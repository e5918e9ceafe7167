import { IDENTIFIER, RESERVED_NAMES } from '../vocabulary';

/**
 * Names an import gives what it drafts: actions, parameters and secrets, each a valid Parley identifier
 * (`^[A-Za-z][A-Za-z0-9_]{0,63}$`) derived from what the source calls it, and unique where it must be.
 */

const MAX_NAME = 64;

/** A name in snake_case: `getPetById` → `get_pet_by_id`, `X-Request-ID` → `x_request_id`, `page[size]` → `page_size`. */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/**
 * A valid identifier from any text: snake_case, starting with a letter (`fallback` when the text has no letters or
 * digits, `<prefix>_` before a leading digit), at most 64 characters.
 */
export function identifier(text: string, fallback: string, prefix = fallback): string {
  let name = snakeCase(text);
  if (name === '') name = fallback;
  if (!/^[a-z]/.test(name)) name = `${prefix}_${name}`;
  name = name.slice(0, MAX_NAME).replace(/_+$/, '');
  return IDENTIFIER.test(name) ? name : fallback;
}

/** A parameter name from a field's name: its own when valid (camelCase kept), else snake_case; never a reserved one. */
export function parameterName(text: string): string {
  const name = IDENTIFIER.test(text) ? text : identifier(text, 'value', 'p');
  return RESERVED_NAMES.includes(name) ? `${name}_value` : name;
}

/** Hands out names unique among those taken so far: `name`, then `name_2`, `name_3`… (at most 64 characters). */
export function uniqueNames(taken: Iterable<string> = []) {
  const used = new Set(taken);
  return (name: string): string => {
    let candidate = name;
    for (let n = 2; used.has(candidate); n += 1) {
      const suffix = `_${n}`;
      candidate = `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`;
    }
    used.add(candidate);
    return candidate;
  };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The part of a URL's host a secret is named after: `api.stripe.com` → `stripe`, `petstore3.swagger.io` →
 * `petstore3_swagger`, `127.0.0.1:4010` → `host_127_0_0_1_4010`, `localhost:4010` → `localhost_4010`.
 */
export function hostSlug(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let words: string[];
  if (IPV4.test(host) || host.includes(':')) words = ['host', ...host.split(/[.:]+/)];
  else {
    words = host.split('.').filter(Boolean);
    while (words.length > 1 && ['api', 'www', 'rest'].includes(words[0] ?? '')) words = words.slice(1);
    if (words.length > 1) words = words.slice(0, -1);
  }
  if (url.port) words.push(url.port);
  return identifier(words.join('_'), 'api', 'host').slice(0, 40).replace(/_+$/, '');
}

/** Where a secret may be sent: the URL's host, with its port when it is not the scheme's default. */
export function secretHost(url: URL): string {
  return url.host;
}
