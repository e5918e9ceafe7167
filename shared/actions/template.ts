import { isJsonObject, type Json } from '../json';

/**
 * Logic-less templates: `{{path}}` (or `{path}`) is replaced by the value at `path` in a context;
 * `{{#path}}…{{/path}}` repeats its body for each element of an array (once for a non-empty value) with the
 * element's fields in scope and `{{.}}` as the element itself; `{{^path}}…{{/path}}` renders when the value
 * is empty. Substitution is single pass — a value that itself looks like a placeholder is never expanded —
 * and each render function escapes for where the text goes (URL, query, header, JSON body).
 */

const PATH = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*';
const TOKEN = new RegExp(
  `\\{\\{\\s*([#^/])\\s*(${PATH})\\s*\\}\\}|\\{\\{\\s*(\\.|${PATH})\\s*\\}\\}|\\{(${PATH})\\}`,
  'g',
);
const WHOLE_PLACEHOLDER = new RegExp(`^(?:\\{\\{\\s*(${PATH})\\s*\\}\\}|\\{(${PATH})\\})$`);

/** Values a template can read; nested objects are reached with dotted paths. */
export type TemplateContext = { [key: string]: Json | undefined };

/** Raised when a template cannot be parsed or a rendered value cannot be used where it goes. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'var'; path: string; single?: boolean }
  | { kind: 'section'; path: string; inverted: boolean; body: TemplateNode[] };

/** Parses a template into text, variables and sections; throws TemplateError for unbalanced sections. */
function parse(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: { path: string; sigil: string; nodes: TemplateNode[] }[] = [{ path: '', sigil: '', nodes: root }];
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    const current = stack[stack.length - 1] as (typeof stack)[number];
    if (match.index > last) current.nodes.push({ kind: 'text', text: template.slice(last, match.index) });
    last = match.index + match[0].length;
    const [, sigil, sectionPath, variable, single] = match;
    if (sigil === '#' || sigil === '^') {
      const body: TemplateNode[] = [];
      current.nodes.push({ kind: 'section', path: sectionPath as string, inverted: sigil === '^', body });
      stack.push({ path: sectionPath as string, sigil, nodes: body });
    } else if (sigil === '/') {
      if (stack.length === 1 || current.path !== sectionPath) {
        throw new TemplateError(`{{/${sectionPath}}} closes a section that is not open`);
      }
      stack.pop();
    } else {
      current.nodes.push(
        variable === undefined
          ? { kind: 'var', path: single as string, single: true }
          : { kind: 'var', path: variable },
      );
    }
  }
  const open = stack[stack.length - 1];
  if (stack.length > 1 && open) throw new TemplateError(`section {{${open.sigil}${open.path}}} is not closed`);
  if (last < template.length) root.push({ kind: 'text', text: template.slice(last) });
  return root;
}

/** Why a template cannot be parsed, or null when it can. */
export function templateProblem(template: string): string | null {
  try {
    parse(template);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The variable paths a template reads from its context, in order: plain variables and section paths at the top
 * level. Variables inside a section are relative to its elements, so they are only listed with `nested: true`.
 */
export function templateReferences(template: string, options: { nested?: boolean } = {}): string[] {
  let nodes: TemplateNode[];
  try {
    nodes = parse(template);
  } catch {
    return [];
  }
  const collect = (list: TemplateNode[]): string[] =>
    list.flatMap((node) => {
      if (node.kind === 'text') return [];
      if (node.kind === 'var') return [node.path];
      return [node.path, ...(options.nested ? collect(node.body) : [])];
    });
  return collect(nodes);
}

/**
 * The paths a template mentions only in the single-brace form (`{name}`): placeholders when the name is known,
 * literal text otherwise, so an unknown one is not an error.
 */
export function singleBraceOnlyReferences(template: string): string[] {
  let nodes: TemplateNode[];
  try {
    nodes = parse(template);
  } catch {
    return [];
  }
  const single = new Set<string>();
  const double = new Set<string>();
  const visit = (list: TemplateNode[]) => {
    for (const node of list) {
      if (node.kind === 'var') (node.single ? single : double).add(node.path);
      else if (node.kind === 'section') {
        double.add(node.path);
        visit(node.body);
      }
    }
  };
  visit(nodes);
  return [...single].filter((path) => !double.has(path));
}

/** The references inside sections only (relative to elements, or reaching outer names such as `secrets.x`). */
export function nestedTemplateReferences(template: string): string[] {
  const all = templateReferences(template, { nested: true });
  const top = new Set(templateReferences(template));
  return all.filter((path) => !top.has(path));
}

/** Every variable path mentioned anywhere inside a JSON value's strings. */
export function jsonTemplateReferences(value: Json, options: { nested?: boolean } = {}): string[] {
  if (typeof value === 'string') return templateReferences(value, options);
  if (Array.isArray(value)) return value.flatMap((item) => jsonTemplateReferences(item, options));
  if (isJsonObject(value)) return Object.values(value).flatMap((item) => jsonTemplateReferences(item, options));
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

function isEmpty(value: Json | undefined): boolean {
  return (
    value === undefined ||
    value === null ||
    value === false ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** Looks a path up in the innermost scope that has its first segment; `.` is the innermost element. */
function lookupInScopes(scopes: Json[], path: string): Json | undefined {
  if (path === '.') return scopes[scopes.length - 1];
  const [first] = path.split('.');
  for (let i = scopes.length - 1; i >= 0; i -= 1) {
    const scope = scopes[i];
    if (isJsonObject(scope) && first !== undefined && Object.hasOwn(scope, first)) return lookupPath(scope, path);
  }
  return undefined;
}

function renderNodes(
  nodes: TemplateNode[],
  scopes: Json[],
  escape: (text: string) => string,
  onMissing?: (path: string) => void,
): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'var') {
      const value = lookupInScopes(scopes, node.path);
      // `{name}` is a placeholder only for a name the context knows; otherwise it is literal text (GraphQL, JSON).
      if (node.single && value === undefined) {
        out += `{${node.path}}`;
        continue;
      }
      if (value === undefined || value === null || value === '') onMissing?.(node.path);
      out += escape(valueAsText(value));
    } else {
      const value = lookupInScopes(scopes, node.path);
      if (node.inverted) {
        if (isEmpty(value)) out += renderNodes(node.body, scopes, escape, onMissing);
      } else if (Array.isArray(value)) {
        for (const item of value) out += renderNodes(node.body, [...scopes, item], escape, onMissing);
      } else if (!isEmpty(value)) {
        out += renderNodes(node.body, [...scopes, value as Json], escape, onMissing);
      }
    }
  }
  return out;
}

/**
 * Renders a template as plain text, each value passed through `escape`. Missing paths are reported to
 * `onMissing`. Throws TemplateError for unbalanced sections.
 */
export function renderText(
  template: string,
  context: TemplateContext,
  escape: (text: string) => string = (text) => text,
  onMissing?: (path: string) => void,
): string {
  return renderNodes(parse(template), [context as Json], escape, onMissing);
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

/**
 * The first character an HTTP header value cannot carry — anything outside Latin-1 text (emoji, most scripts) and
 * control characters other than tab — as `U+XXXX`, or null when the value can be sent as it is.
 */
export function unsendableHeaderCharacter(value: string): string | null {
  const found = /[^\t\x20-\x7e\x80-\xff]/u.exec(value);
  if (!found) return null;
  return `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Renders a header value; refuses a result containing CR, LF or NUL (header injection), or a character a header
 * cannot carry (non-Latin-1 text such as an emoji a visitor typed) unless the value is encoded before it is sent
 * (`encoded`, as Basic auth's base64 user name is).
 */
export function renderHeaderValue(
  name: string,
  template: string,
  context: TemplateContext,
  onMissing?: (path: string) => void,
  options: { encoded?: boolean } = {},
): string {
  const value = renderText(template, context, (text) => text, onMissing);
  if (/[\r\n\0]/.test(value)) throw new TemplateError(`header ${name} would contain a line break or NUL character`);
  const unsendable = options.encoded ? null : unsendableHeaderCharacter(value);
  if (unsendable) {
    throw new TemplateError(
      `header ${name} would contain ${unsendable}, which an HTTP header cannot carry (header values are Latin-1 text)`,
    );
  }
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
      if (whole[2] !== undefined && value === undefined) return template;
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
