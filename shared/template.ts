import { isJsonObject, type Json } from './json';

/**
 * Logic-less templates: `{{path}}` (or `{path}`) is replaced by the value at `path` in a context.
 * Substitution is single pass — a value that itself looks like a placeholder is never expanded —
 * and each render function escapes for where the text goes (URL, query, header, JSON body).
 */

const PLACEHOLDER =
  /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}/g;
const WHOLE_PLACEHOLDER =
  /^(?:\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\})$/;

/** Values a template can read; nested objects are reached with dotted paths. */
export type TemplateContext = { [key: string]: Json | undefined };

/** Raised when a rendered value cannot be used where it goes (e.g. a header with a line break). */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Every variable path a template string mentions, in order of appearance. */
export function templateReferences(template: string): string[] {
  const refs: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) refs.push((match[1] ?? match[2]) as string);
  return refs;
}

/** Every variable path mentioned anywhere inside a JSON value's strings. */
export function jsonTemplateReferences(value: Json): string[] {
  if (typeof value === 'string') return templateReferences(value);
  if (Array.isArray(value)) return value.flatMap(jsonTemplateReferences);
  if (isJsonObject(value)) return Object.values(value).flatMap(jsonTemplateReferences);
  return [];
}

/** Reads a dotted path (`steps.lookup.status`) from the context; undefined when any segment is missing. */
export function lookupPath(context: TemplateContext, path: string): Json | undefined {
  let current: Json | undefined = context as Json;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^[0-9]+$/.test(segment)) current = current[Number(segment)];
    else if (isJsonObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

/** How a value reads inside text: strings as they are, other scalars as JSON, absent as empty. */
export function valueAsText(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Renders a template as plain text, each value passed through `escape`. Missing paths are reported to `onMissing`. */
export function renderText(
  template: string,
  context: TemplateContext,
  escape: (text: string) => string = (text) => text,
  onMissing?: (path: string) => void,
): string {
  return template.replace(PLACEHOLDER, (_whole, doubled: string | undefined, single: string | undefined) => {
    const path = (doubled ?? single) as string;
    const value = lookupPath(context, path);
    if (value === undefined || value === null || value === '') onMissing?.(path);
    return escape(valueAsText(value));
  });
}

/**
 * Renders a URL template; every substituted value is percent-encoded so it cannot add path segments, a query
 * or a host, and a value that would make a `.` or `..` segment (climbing the path) is refused.
 */
export function renderUrl(template: string, context: TemplateContext, onMissing?: (path: string) => void): URL {
  const text = renderText(template, context, encodeURIComponent, onMissing);
  const path = text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
  if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new TemplateError('the URL path would contain a "." or ".." segment');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TemplateError(`the URL template does not render to a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TemplateError(`the URL must use http or https, not ${url.protocol.replace(':', '')}`);
  }
  return url;
}

/** Renders a header value; refuses a result containing CR, LF or NUL (header injection). */
export function renderHeaderValue(
  name: string,
  template: string,
  context: TemplateContext,
  onMissing?: (path: string) => void,
): string {
  const value = renderText(template, context, (text) => text, onMissing);
  if (/[\r\n\0]/.test(value)) throw new TemplateError(`header ${name} would contain a line break or NUL character`);
  return value;
}

/**
 * Renders a JSON body template structurally: a string that is exactly one placeholder takes the value
 * with its type (number, object, ...); any other string is rendered as text. Keys are kept as written.
 */
export function renderJson(template: Json, context: TemplateContext, onMissing?: (path: string) => void): Json {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole) {
      const path = (whole[1] ?? whole[2]) as string;
      const value = lookupPath(context, path);
      if (value === undefined || value === null || value === '') onMissing?.(path);
      return value === undefined ? null : value;
    }
    return renderText(template, context, (text) => text, onMissing);
  }
  if (Array.isArray(template)) return template.map((item) => renderJson(item, context, onMissing));
  if (isJsonObject(template)) {
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(template)) out[key] = renderJson(value, context, onMissing);
    return out;
  }
  return template;
}
