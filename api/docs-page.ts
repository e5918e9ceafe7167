/**
 * The OpenAPI document as one self-contained HTML page (`GET /docs`): operations by tag, their parameters, bodies
 * and answers, and every schema, with links between them. No script and nothing loaded from elsewhere, so it works
 * offline and under a `default-src 'none'` content security policy.
 */

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The little Markdown the document's descriptions use: paragraphs, `code` and **bold**. */
function markdown(text: string): string {
  return text
    .split(/\n{2,}/)
    .map(
      (paragraph) =>
        `<p>${escapeHtml(paragraph)
          .replace(/`([^`]+)`/g, '<code>$1</code>')
          .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')}</p>`,
    )
    .join('');
}

const schemaAnchor = (name: string) => `schema-${name}`;

function refName(ref: string): string {
  return ref.replace('#/components/schemas/', '');
}

/** What a schema's constraints say, in short: `1–4000 chars`, `pattern …`, `≥ 0`. */
function constraints(schema: JsonObject): string[] {
  const notes: string[] = [];
  const { minLength, maxLength, minimum, maximum, pattern, format, minItems, maxItems } = schema;
  if (minLength !== undefined || maxLength !== undefined) notes.push(`${minLength ?? 0}–${maxLength ?? '∞'} chars`);
  if (typeof minimum === 'number' && Math.abs(minimum) < Number.MAX_SAFE_INTEGER) notes.push(`≥ ${minimum}`);
  if (typeof maximum === 'number' && maximum < Number.MAX_SAFE_INTEGER) notes.push(`≤ ${maximum}`);
  if (minItems !== undefined || maxItems !== undefined) notes.push(`${minItems ?? 0}–${maxItems ?? '∞'} items`);
  if (typeof format === 'string') notes.push(format);
  if (typeof pattern === 'string') notes.push(`pattern <code>${escapeHtml(pattern)}</code>`);
  if ('default' in schema) notes.push(`default <code>${escapeHtml(JSON.stringify(schema['default']))}</code>`);
  return notes;
}

/** A schema as HTML: its type, and for objects a list of fields (nested up to a depth, then a link). */
function renderSchema(schema: Json, depth = 0): string {
  if (!isObject(schema)) return '<code>any</code>';
  if (typeof schema['$ref'] === 'string') {
    const name = refName(schema['$ref']);
    return `<a href="#${schemaAnchor(name)}"><code>${escapeHtml(name)}</code></a>`;
  }
  const variants = (schema['oneOf'] ?? schema['anyOf']) as Json[] | undefined;
  let text: string;
  if (Array.isArray(variants)) {
    text = variants.map((variant) => renderSchema(variant, depth)).join(' <em>or</em> ');
  } else if (Array.isArray(schema['enum'])) {
    text = schema['enum'].map((value) => `<code>${escapeHtml(JSON.stringify(value))}</code>`).join(' | ');
  } else if ('const' in schema) {
    text = `<code>${escapeHtml(JSON.stringify(schema['const']))}</code>`;
  } else if (schema['type'] === 'array') {
    text = `array of ${renderSchema(schema['items'], depth)}`;
  } else if (schema['type'] === 'object' || isObject(schema['properties'])) {
    text = renderObject(schema, depth);
  } else {
    const type = schema['type'];
    text = `<code>${escapeHtml(Array.isArray(type) ? type.join(' | ') : String(type ?? 'any'))}</code>`;
  }
  const notes = constraints(schema);
  const description = typeof schema['description'] === 'string' ? ` — ${escapeHtml(schema['description'])}` : '';
  return `${text}${notes.length ? ` <small>(${notes.join(', ')})</small>` : ''}${description}`;
}

function renderObject(schema: JsonObject, depth: number): string {
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
  const extra = schema['additionalProperties'];
  const names = Object.keys(properties);
  if (names.length === 0) {
    return isObject(extra) ? `object of ${renderSchema(extra, depth)}` : '<code>object</code>';
  }
  if (depth > 3) return '<code>object</code>';
  const rows = names.map(
    (name) =>
      `<li><code>${escapeHtml(name)}</code>${required.has(name) ? '' : '<small>?</small>'}: ${renderSchema(properties[name], depth + 1)}</li>`,
  );
  return `object<ul>${rows.join('')}</ul>`;
}

function renderOperation(path: string, method: string, operation: JsonObject, doc: JsonObject): string {
  const id = String(operation['operationId'] ?? `${method}-${path}`);
  const security = (operation['security'] as JsonObject[] | undefined)?.flatMap((entry) => Object.keys(entry)) ?? [];
  const parameters = (operation['parameters'] as JsonObject[] | undefined) ?? [];
  const body = operation['requestBody'] as JsonObject | undefined;
  const bodySchema = isObject(body?.['content']) ? (body['content'] as JsonObject)['application/json'] : undefined;
  const responses = isObject(operation['responses']) ? operation['responses'] : {};
  const componentResponses = ((doc['components'] as JsonObject)['responses'] ?? {}) as JsonObject;
  const responseRows = Object.entries(responses).map(([status, response]) => {
    let resolved = response as JsonObject;
    if (typeof resolved['$ref'] === 'string') {
      resolved = componentResponses[resolved['$ref'].replace('#/components/responses/', '')] as JsonObject;
    }
    const content = isObject(resolved['content']) ? resolved['content'] : {};
    const shapes = Object.entries(content).map(
      ([type, media]) =>
        `${type === 'application/json' ? '' : `${escapeHtml(type)}: `}${renderSchema((media as JsonObject)['schema'])}`,
    );
    const headers = isObject(resolved['headers']) ? Object.keys(resolved['headers']) : [];
    return `<tr><td><code>${status}</code></td><td>${escapeHtml(String(resolved['description'] ?? ''))}${
      headers.length ? ` <small>(headers: ${headers.map(escapeHtml).join(', ')})</small>` : ''
    }</td><td>${shapes.join('<br>')}</td></tr>`;
  });
  return `<section class="operation" id="${escapeHtml(id)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p class="summary">${escapeHtml(String(operation['summary'] ?? ''))}</p>
${typeof operation['description'] === 'string' ? markdown(operation['description']) : ''}
<p><strong>Auth:</strong> ${security.length ? security.map((name) => `<a href="#auth-${name}">${escapeHtml(name)}</a>`).join(', ') : 'none'}</p>
${
  parameters.length
    ? `<table><tr><th>Parameter</th><th>In</th><th>Schema</th></tr>${parameters
        .map(
          (parameter) =>
            `<tr><td><code>${escapeHtml(String(parameter['name']))}</code>${parameter['required'] ? '' : '<small>?</small>'}</td><td>${escapeHtml(String(parameter['in']))}</td><td>${renderSchema(parameter['schema'])}${
              typeof parameter['description'] === 'string' ? ` — ${escapeHtml(parameter['description'])}` : ''
            }</td></tr>`,
        )
        .join('')}</table>`
    : ''
}
${bodySchema ? `<div><strong>Body${body?.['required'] ? '' : ' (optional)'}:</strong> ${renderSchema((bodySchema as JsonObject)['schema'])}</div>` : ''}
<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>${responseRows.join('')}</table>
</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:1rem 2rem;color:#1d2330}
code{font:13px ui-monospace,monospace;background:#f1f3f7;padding:0 3px;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #dde1e8;padding:4px 8px;text-align:left;vertical-align:top}
.operation{border-top:1px solid #dde1e8;padding-top:.5rem}.method{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:2px 6px}
.get{background:#2f6fdd}.post{background:#2a9d5b}.put{background:#c77c12}.patch{background:#7a4fd1}.delete{background:#c8372d}
ul{margin:.2rem 0;padding-left:1.3rem}small{color:#5b6475}nav ul{columns:2}.summary{font-weight:600;margin:0}`;

/** Renders the OpenAPI document as a readable, self-contained HTML reference. */
export function renderDocsPage(doc: JsonObject): string {
  const info = (doc['info'] ?? {}) as JsonObject;
  const paths = (doc['paths'] ?? {}) as Record<string, JsonObject>;
  const components = (doc['components'] ?? {}) as JsonObject;
  const schemes = (components['securitySchemes'] ?? {}) as Record<string, JsonObject>;
  const schemas = (components['schemas'] ?? {}) as Record<string, JsonObject>;
  const tags = ((doc['tags'] ?? []) as JsonObject[]).map((tag) => String(tag['name']));
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation: operation as JsonObject })),
  );
  const byTag = tags.map((tag) => ({
    tag,
    operations: operations.filter(({ operation }) => (operation['tags'] as string[] | undefined)?.[0] === tag),
  }));
  const title = escapeHtml(String(info['title'] ?? 'API'));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} reference</title><style>${STYLE}</style></head><body>
<h1>${title} <small>v${escapeHtml(String(info['version'] ?? ''))} · <a href="/openapi.json">openapi.json</a></small></h1>
${markdown(String(info['description'] ?? ''))}
<nav><h2>Operations</h2><ul>${operations
    .map(
      ({ path, method, operation }) =>
        `<li><a href="#${escapeHtml(String(operation['operationId']))}">${method.toUpperCase()} <code>${escapeHtml(path)}</code></a></li>`,
    )
    .join('')}</ul></nav>
<h2>Authentication</h2><ul>${Object.entries(schemes)
    .map(
      ([name, scheme]) =>
        `<li id="auth-${escapeHtml(name)}"><code>${escapeHtml(name)}</code>: ${
          scheme['type'] === 'apiKey'
            ? `header <code>${escapeHtml(String(scheme['name']))}</code>`
            : `<code>Authorization: Bearer …</code>`
        } — ${markdown(String(scheme['description'] ?? ''))}</li>`,
    )
    .join('')}</ul>
${byTag
  .filter(({ operations }) => operations.length > 0)
  .map(
    ({ tag, operations }) =>
      `<h2>${escapeHtml(tag)}</h2>${operations.map(({ path, method, operation }) => renderOperation(path, method, operation, doc)).join('\n')}`,
  )
  .join('\n')}
<h2>Schemas</h2>${Object.entries(schemas)
    .map(
      ([name, schema]) =>
        `<section id="${schemaAnchor(escapeHtml(name))}"><h3><code>${escapeHtml(name)}</code></h3><div>${renderSchema(schema)}</div></section>`,
    )
    .join('\n')}
</body></html>`;
}
