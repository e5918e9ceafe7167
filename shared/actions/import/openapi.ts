import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Json, JsonObject } from '../../json';
import type { ActionDefinitionInput } from '../action';
import { ParameterSchema } from '../parameter-schema';
import { checkedDraft, ImportRefusal, refusalsAsOutcome, type ImportOutcome, type ImportedSecret } from './draft';
import { hostSlug, identifier, parameterName, secretHost, snakeCase, uniqueNames } from './names';
import { createRefResolver, isRecord, type RefResolver } from './refs';

/**
 * An OpenAPI 3.0 or 3.1 document's operations as action drafts, one per chosen operation: the name from its
 * operationId (snake_case), the method, the URL from the server and the path (`{petId}` → `{{petId}}`), path, query,
 * header and body parameters as the action's parameters with their types, required flags and descriptions, the
 * description from the summary and description, and the security scheme as the step's auth, referring to a secret.
 * `$ref`s are resolved within the document; a reference to another file or URL is refused, as nothing is fetched.
 * Pure.
 */

type ParameterInput = z.input<typeof ParameterSchema>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** More operations than this are not imported unless named. */
const MAX_UNNAMED_OPERATIONS = 20;
/** How deep a body's nested objects become parameters (`customer.address.city` → `customer_address_city`). */
const MAX_BODY_DEPTH = 3;

/** The document from what the request gave: an object, or its YAML or JSON text. */
export function readOpenApiDocument(source: unknown): Record<string, unknown> {
  let document: unknown = source;
  if (typeof source === 'string') {
    const text = source.trim();
    if (text === '') throw new ImportRefusal('openapi', 'is empty');
    if (text.startsWith('{')) {
      try {
        document = JSON.parse(text);
      } catch (error) {
        throw new ImportRefusal('openapi', `not valid JSON: ${(error as Error).message}`);
      }
    } else {
      const parsed = parseDocument(text, { uniqueKeys: false });
      const [error] = parsed.errors;
      if (error) throw new ImportRefusal('openapi', `not valid YAML or JSON: ${error.message.split('\n')[0] ?? ''}`);
      try {
        document = parsed.toJS({ maxAliasCount: 1000 });
      } catch (error) {
        throw new ImportRefusal('openapi', `not usable YAML: ${(error as Error).message}`);
      }
    }
  }
  if (!isRecord(document))
    throw new ImportRefusal('openapi', 'must be an OpenAPI document: an object, or its YAML or JSON text');
  if (typeof document['swagger'] === 'string')
    throw new ImportRefusal(
      'openapi.swagger',
      `Swagger ${document['swagger']} is not supported: convert the document to OpenAPI 3 first`,
    );
  const version = document['openapi'];
  if (typeof version !== 'string' || !/^3\.[01](\.|$)/.test(version))
    throw new ImportRefusal(
      'openapi.openapi',
      `must be an OpenAPI 3.0 or 3.1 version (not ${version === undefined ? 'missing' : JSON.stringify(version)})`,
    );
  if (!isRecord(document['paths'])) throw new ImportRefusal('openapi.paths', 'is required: the operations to import');
  return document;
}

/** One operation of the document. */
export type OperationRef = {
  /** Its operationId, or `METHOD /path` when it has none. */
  id: string;
  method: HttpMethod;
  path: string;
  pathItem: Record<string, unknown>;
  operation: Record<string, unknown>;
};

/** Every operation of a document, in document order. */
export function listOperations(document: Record<string, unknown>, refs: RefResolver): OperationRef[] {
  const operations: OperationRef[] = [];
  for (const [path, item] of Object.entries(document['paths'] as Record<string, unknown>)) {
    const pathItem = refs.object(item, `openapi.paths.${path}`);
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isRecord(operation)) continue;
      const operationId = operation['operationId'];
      const id =
        typeof operationId === 'string' && operationId !== '' ? operationId : `${method.toUpperCase()} ${path}`;
      operations.push({ id, method, path, pathItem, operation });
    }
  }
  return operations;
}

function listed(operations: OperationRef[]): string {
  const names = operations.slice(0, 15).map((operation) => operation.id);
  return `${names.join(', ')}${operations.length > names.length ? `, … (${operations.length} in all)` : ''}`;
}

/** The operations asked for (by operationId, or `METHOD /path`), or every one of a small document. */
export function chooseOperations(operations: OperationRef[], wanted: readonly string[] | undefined): OperationRef[] {
  if (operations.length === 0) throw new ImportRefusal('openapi.paths', 'has no operations');
  if (wanted === undefined || wanted.length === 0) {
    if (operations.length > MAX_UNNAMED_OPERATIONS)
      throw new ImportRefusal(
        'operations',
        `name the operations to import: the document has ${operations.length} (${listed(operations)})`,
      );
    return operations;
  }
  const chosen: OperationRef[] = [];
  wanted.forEach((id, index) => {
    const spaced = /^([A-Za-z]+)\s+(\/.*)$/.exec(id.trim());
    const found = operations.find(
      (operation) =>
        operation.id === id ||
        (typeof operation.operation['operationId'] === 'string' && operation.operation['operationId'] === id) ||
        (spaced !== null && operation.method === spaced[1]?.toLowerCase() && operation.path === spaced[2]),
    );
    if (!found)
      throw new ImportRefusal(
        `operations[${index}]`,
        `no operation "${id}" in the document (it has ${listed(operations)})`,
      );
    if (!chosen.includes(found)) chosen.push(found);
  });
  return chosen;
}

/** The request's import options. */
export type OpenApiImportOptions = {
  /** operationIds (or `METHOD /path`) to import; every operation of a small document when left out. */
  operations?: readonly string[];
  /** The API's base URL, instead of the document's first server (needed when that is relative). */
  server?: string;
};

/** An OpenAPI document's chosen operations as action drafts, the secrets their security schemes use, and warnings. */
export function importOpenApi(source: unknown, options: OpenApiImportOptions = {}): ImportOutcome {
  return refusalsAsOutcome(() => {
    const document = readOpenApiDocument(source);
    const refs = createRefResolver(document);
    const chosen = chooseOperations(listOperations(document, refs), options.operations);
    const context: ImportContext = {
      document,
      refs,
      warnings: [],
      secrets: new Map(),
      secretNames: uniqueNames(),
      schemeSecrets: new Map(),
    };
    const actionNames = uniqueNames();
    const actions: ActionDefinitionInput[] = [];
    const samples: Record<string, Record<string, Json>> = {};
    for (const operation of chosen) {
      const { draft, sample } = operationDraft(operation, actionNames, context, options.server);
      actions.push(draft);
      if (Object.keys(sample).length > 0) samples[draft.name] = sample;
    }
    return { actions, secrets: [...context.secrets.values()], warnings: context.warnings, samples };
  });
}

type ImportContext = {
  document: Record<string, unknown>;
  refs: RefResolver;
  warnings: string[];
  secrets: Map<string, ImportedSecret>;
  secretNames: (name: string) => string;
  /** The secrets each security scheme was given, so every draft of the import shares them. */
  schemeSecrets: Map<string, Record<string, string>>;
};

type RequestDraft = {
  method: string;
  url: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  auth?: JsonObject;
  bodyType?: 'json' | 'form';
  body?: Json;
};

/** What one operation's parameters are being turned into. */
type Mapping = {
  where: string;
  parameters: ParameterInput[];
  sample: Record<string, Json>;
  leftOut: string[];
  names: (name: string) => string;
};

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  const short = value.slice(0, max - 1);
  const space = short.lastIndexOf(' ');
  return `${space > max / 2 ? short.slice(0, space) : short}…`;
}

function operationDraft(
  ref: OperationRef,
  actionNames: (name: string) => string,
  context: ImportContext,
  serverOption: string | undefined,
): { draft: ActionDefinitionInput; sample: Record<string, Json> } {
  const { operation, pathItem, method, path } = ref;
  const where = `openapi.paths.${path}.${method}`;
  const operationId = text(operation['operationId']);
  const name = actionNames(identifier(operationId || `${method}_${path}`, 'operation', 'op'));
  const base = serverUrl(ref, context, serverOption);
  const mapping: Mapping = { where, parameters: [], sample: {}, leftOut: [], names: uniqueNames() };
  const request: RequestDraft = { method: method.toUpperCase(), url: '' };
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const pathNames = new Map<string, string>();

  // Path-level parameters apply unless the operation redefines them (same name and location).
  const declared = new Map<string, { parameter: Record<string, unknown>; where: string }>();
  const collect = (list: unknown, at: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((item, index) => {
      const parameter = context.refs.object(item, `${at}.parameters[${index}]`);
      const key = `${text(parameter['in'])}:${text(parameter['name'])}`;
      declared.set(key, { parameter, where: `${at}.parameters[${index}]` });
    });
  };
  collect(pathItem['parameters'], `openapi.paths.${path}`);
  collect(operation['parameters'], where);
  const order = ['path', 'query', 'header', 'cookie'];
  const sorted = [...declared.values()].sort(
    (a, b) => order.indexOf(text(a.parameter['in'])) - order.indexOf(text(b.parameter['in'])),
  );
  for (const { parameter, where: at } of sorted) {
    const location = text(parameter['in']);
    const original = text(parameter['name']);
    if (original === '') throw new ImportRefusal(`${at}.name`, 'is required');
    if (!order.includes(location))
      throw new ImportRefusal(`${at}.in`, `must be path, query, header or cookie (not "${location}")`);
    if (location === 'header' && /^(accept|content-type|authorization)$/i.test(original)) continue;
    if (location === 'header' && !HEADER_NAME.test(original))
      throw new ImportRefusal(`${at}.name`, `"${original}" is not a valid header name`);
    const required = location === 'path' || parameter['required'] === true;
    const schema = parameterSchema(parameter, at, context);
    const mapped = addParameter(original, schema, required, parameter, at, mapping, context);
    if (mapped === null) {
      mapping.leftOut.push(`${location} ${original}`);
      continue;
    }
    const template = `{{${mapped}}}`;
    if (location === 'path') pathNames.set(original, mapped);
    else if (location === 'query') query[original] = template;
    else if (location === 'header') headers[original] = template;
    else cookies.push(`${original}=${template}`);
  }
  if (cookies.length > 0) headers['Cookie'] = cookies.join('; ');

  // The URL: the server, then the path with its variables as templates (percent-encoded when sent).
  const pathTemplate = path
    .split(/(\{[^{}]+\})/)
    .map((piece) => {
      const variable = /^\{([^{}]+)\}$/.exec(piece)?.[1];
      if (variable === undefined) return encodeURI(piece);
      let mapped = pathNames.get(variable);
      if (mapped === undefined) {
        mapped = addParameter(variable, {}, true, {}, `${where}.parameters`, mapping, context) as string;
        pathNames.set(variable, mapped);
        context.warnings.push(
          `${where}: the path variable {${variable}} is not declared as a parameter; it is asked as text`,
        );
      }
      return `{{${mapped}}}`;
    })
    .join('');
  request.url = `${base.replace(/\/+$/, '')}${pathTemplate.startsWith('/') ? '' : '/'}${pathTemplate}`;

  const body = requestBody(operation, where, mapping, context);
  if (body) {
    if (body.form) request.bodyType = 'form';
    request.body = body.value;
    if (body.contentType) headers['Content-Type'] = body.contentType;
  }
  if (Object.keys(query).length > 0) request.query = query;

  const auth = securityAuth(ref, where, base, headers, query, context);
  if (auth) request.auth = auth;
  if (Object.keys(query).length > 0) request.query = query;
  if (Object.keys(headers).length > 0) request.headers = headers;

  const summary = text(operation['summary']);
  const details = text(operation['description']);
  const description =
    [summary, details].filter((part, index, all) => part !== '' && all.indexOf(part) === index).join('\n\n') ||
    `${method.toUpperCase()} ${path}`;
  const draft: ActionDefinitionInput = {
    name,
    ...(summary !== '' && summary.length <= 80 ? { title: summary } : {}),
    description: cut(description, 1000),
    ...(mapping.parameters.length > 0 ? { parameters: mapping.parameters } : {}),
    steps: [{ id: 'call', request: request as never }],
  };
  if (operation['deprecated'] === true) context.warnings.push(`${name}: the operation is deprecated`);
  if (mapping.leftOut.length > 0)
    context.warnings.push(
      `${name}: optional parameters without a default were left out, as Parley sends every value a request names: ${mapping.leftOut.join(', ')} (add one with a default to send it)`,
    );
  return { draft: checkedDraft(draft, where), sample: mapping.sample };
}

function serverUrl(ref: OperationRef, context: ImportContext, option: string | undefined): string {
  if (option !== undefined) {
    let url: URL;
    try {
      url = new URL(option);
    } catch {
      throw new ImportRefusal('server', `"${option}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ImportRefusal('server', 'must start with http:// or https://');
    return `${url.origin}${url.pathname}`;
  }
  const levels: [unknown, string][] = [
    [ref.operation['servers'], `openapi.paths.${ref.path}.${ref.method}.servers`],
    [ref.pathItem['servers'], `openapi.paths.${ref.path}.servers`],
    [context.document['servers'], 'openapi.servers'],
  ];
  const [servers, where] = levels.find(([list]) => Array.isArray(list) && list.length > 0) ?? [
    undefined,
    'openapi.servers',
  ];
  const first = Array.isArray(servers) ? context.refs.object(servers[0], `${where}[0]`) : undefined;
  if (!first) throw new ImportRefusal(where, 'names no server: give the API\'s base URL as "server"');
  const variables = isRecord(first['variables']) ? first['variables'] : {};
  const url = text(first['url']).replace(/\{([^{}]+)\}/g, (_match, variable: string) => {
    const spec = variables[variable];
    const value = isRecord(spec) ? spec['default'] : undefined;
    if (typeof value !== 'string')
      throw new ImportRefusal(`${where}[0].variables.${variable}`, 'needs a default value');
    return value;
  });
  if (!/^https?:\/\//i.test(url))
    throw new ImportRefusal(
      `${where}[0].url`,
      `"${text(first['url'])}" is ${url.includes('://') ? 'not http(s)' : 'relative'}: give the API's base URL as "server"`,
    );
  try {
    new URL(url);
  } catch {
    throw new ImportRefusal(`${where}[0].url`, `"${url}" is not a URL`);
  }
  return url;
}

/** A parameter's schema: `schema`, or the schema of its first `content` entry. */
function parameterSchema(parameter: Record<string, unknown>, where: string, context: ImportContext) {
  if (parameter['schema'] !== undefined) return context.refs.object(parameter['schema'], `${where}.schema`);
  const content = isRecord(parameter['content']) ? parameter['content'] : {};
  const [media, entry] = Object.entries(content)[0] ?? [];
  if (media === undefined) return {};
  return context.refs.object(
    context.refs.object(entry, `${where}.content.${media}`)['schema'],
    `${where}.content.${media}.schema`,
  );
}

/** A schema with `allOf` merged in (properties and required lists), `$ref`s resolved. */
function merged(
  schema: Record<string, unknown>,
  where: string,
  context: ImportContext,
  depth = 0,
): Record<string, unknown> {
  const parts = Array.isArray(schema['allOf']) ? schema['allOf'] : [];
  if (parts.length === 0 || depth > 8) return schema;
  const { allOf: _allOf, ...own } = schema;
  let result: Record<string, unknown> = {};
  parts.forEach((part, index) => {
    const resolved = merged(
      context.refs.object(part, `${where}.allOf[${index}]`),
      `${where}.allOf[${index}]`,
      context,
      depth + 1,
    );
    result = combine(result, resolved);
  });
  return combine(result, own);
}

function combine(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const properties = {
    ...(isRecord(a['properties']) ? a['properties'] : {}),
    ...(isRecord(b['properties']) ? b['properties'] : {}),
  };
  const required = [
    ...new Set([
      ...(Array.isArray(a['required']) ? a['required'] : []),
      ...(Array.isArray(b['required']) ? b['required'] : []),
    ]),
  ];
  return {
    ...a,
    ...b,
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** A schema's single type: `["string", "null"]` (3.1) → `string`; the first of `oneOf`/`anyOf` when it has none. */
function schemaType(
  schema: Record<string, unknown>,
  where: string,
  context: ImportContext,
): {
  type: string;
  schema: Record<string, unknown>;
} {
  const declared = schema['type'];
  if (typeof declared === 'string') return { type: declared, schema };
  if (Array.isArray(declared)) {
    const type = declared.find((candidate) => candidate !== 'null');
    if (typeof type === 'string') return { type, schema };
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const first = merged(context.refs.object(options[0], `${where}.${key}[0]`), `${where}.${key}[0]`, context);
      const chosen = schemaType(first, `${where}.${key}[0]`, context);
      return {
        type: chosen.type,
        schema: { ...chosen.schema, description: schema['description'] ?? chosen.schema['description'] },
      };
    }
  }
  if (isRecord(schema['properties'])) return { type: 'object', schema };
  if (Array.isArray(schema['enum'])) return { type: 'string', schema };
  return { type: 'string', schema };
}

/** An example value for a parameter: its `example`, first `examples` entry, or the schema's. */
function exampleOf(
  parameter: Record<string, unknown>,
  schema: Record<string, unknown>,
  context: ImportContext,
): Json | undefined {
  if (parameter['example'] !== undefined) return parameter['example'] as Json;
  if (isRecord(parameter['examples'])) {
    const first = Object.values(parameter['examples'])[0];
    const example = first === undefined ? undefined : context.refs.object(first, 'examples');
    if (example && example['value'] !== undefined) return example['value'] as Json;
  }
  if (schema['example'] !== undefined) return schema['example'] as Json;
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) return schema['examples'][0] as Json;
  return undefined;
}

/**
 * Adds the action parameter for an API parameter or body field, answering its (unique) name; null when it is left out
 * (optional without a default: Parley would send an empty value).
 */
function addParameter(
  original: string,
  rawSchema: Record<string, unknown>,
  required: boolean,
  parameter: Record<string, unknown>,
  where: string,
  mapping: Mapping,
  context: ImportContext,
): string | null {
  const resolved = merged(rawSchema, where, context);
  const { type, schema } = schemaType(resolved, where, context);
  const defaultValue = schema['default'];
  if (!required && defaultValue === undefined) return null;
  const name = mapping.names(parameterName(original));
  const definition: ParameterInput = { name, type: 'text' };
  let itemSchema = schema;
  let itemType = type;
  if (type === 'array') {
    definition.array = true;
    const items = context.refs.object(schema['items'], `${where}.items`);
    const item = schemaType(merged(items, `${where}.items`, context), `${where}.items`, context);
    itemSchema = item.schema;
    itemType = item.type;
  }
  const format = text(itemSchema['format']).toLowerCase();
  const values = Array.isArray(itemSchema['enum'])
    ? itemSchema['enum'].filter(
        (value): value is string => typeof value === 'string' && value !== '' && value.length <= 200,
      )
    : [];
  if (values.length > 0 && itemType === 'string') {
    definition.type = 'enum';
    definition.values = [...new Set(values)].slice(0, 100);
  } else if (itemType === 'integer' || itemType === 'number') definition.type = 'number';
  else if (itemType === 'boolean') definition.type = 'boolean';
  else if (format === 'email') definition.type = 'email';
  else if (format === 'date' || format === 'date-time') definition.type = 'date';
  else if (format === 'phone' || /(^|_)(phone|mobile)(_|$)/i.test(snakeCase(original))) definition.type = 'phone';
  else if (itemType === 'object' || itemType === 'array')
    context.warnings.push(
      `${where}: "${original}" is ${itemType === 'object' ? 'an object' : 'a list of lists'}; it is asked as text`,
    );
  const description = text(parameter['description']) || text(schema['description']) || text(schema['title']);
  if (description !== '') definition.description = cut(description, 500);
  if (!required) {
    definition.required = false;
    definition.default = defaultValue as Json;
  }
  if (typeof itemSchema['pattern'] === 'string' && (definition.type === 'text' || definition.type === 'phone')) {
    definition.pattern = itemSchema['pattern'];
    if (!ParameterSchema.safeParse(definition).success) {
      delete definition.pattern;
      context.warnings.push(
        `${where}: the pattern of "${original}" was left out: Parley's linear-time matcher cannot run it`,
      );
    }
  }
  if (!ParameterSchema.safeParse(definition).success) {
    delete definition.default;
    delete definition.description;
  }
  const example = exampleOf(parameter, schema, context);
  if (example !== undefined) mapping.sample[name] = example;
  mapping.parameters.push(definition);
  return name;
}

/** The request body as a JSON (or form) template whose values are the parameters it needs. */
function requestBody(
  operation: Record<string, unknown>,
  where: string,
  mapping: Mapping,
  context: ImportContext,
): { value: Json; form: boolean; contentType: string | null } | null {
  if (operation['requestBody'] === undefined) return null;
  const at = `${where}.requestBody`;
  const body = context.refs.object(operation['requestBody'], at);
  const content = isRecord(body['content']) ? body['content'] : {};
  const types = Object.keys(content);
  const json =
    types.find((type) => /^application\/json\s*(;|$)/i.test(type)) ??
    types.find((type) => /[/+]json\s*(;|$)/i.test(type));
  const form = types.find((type) => /^application\/x-www-form-urlencoded/i.test(type));
  const chosen = json ?? form;
  if (chosen === undefined) {
    if (types.length > 0)
      context.warnings.push(
        `${at}: ${types.join(', ')} bodies are not supported (Parley sends JSON or urlencoded forms); the draft sends no body`,
      );
    return null;
  }
  const media = context.refs.object(content[chosen], `${at}.content.${chosen}`);
  const schemaAt = `${at}.content.${chosen}.schema`;
  const schema = merged(context.refs.object(media['schema'], schemaAt), schemaAt, context);
  const { type } = schemaType(schema, schemaAt, context);
  const contentType = json !== undefined && !/^application\/json\s*$/i.test(chosen) ? chosen : null;
  if (type !== 'object') {
    const name = addParameter('body', schema, body['required'] === true, body, schemaAt, mapping, context);
    if (name === null) return null;
    if (form !== undefined && json === undefined) {
      context.warnings.push(`${at}: a form body must be an object; the draft sends no body`);
      return null;
    }
    return { value: `{{${name}}}`, form: false, contentType };
  }
  const value = objectTemplate(schema, [], schemaAt, mapping, context, json === undefined);
  return { value, form: json === undefined, contentType };
}

function objectTemplate(
  schema: Record<string, unknown>,
  prefix: string[],
  where: string,
  mapping: Mapping,
  context: ImportContext,
  flat: boolean,
): JsonObject {
  const out: JsonObject = {};
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  for (const [key, raw] of Object.entries(properties)) {
    const at = `${where}.properties.${key}`;
    const property = merged(context.refs.object(raw, at), at, context);
    if (property['readOnly'] === true) continue;
    const isRequired = required.includes(key);
    const { type, schema: typed } = schemaType(property, at, context);
    const path = [...prefix, key];
    if (type === 'object' && isRecord(typed['properties']) && isRequired) {
      if (!flat && prefix.length + 1 < MAX_BODY_DEPTH) {
        out[key] = objectTemplate(typed, path, at, mapping, context, flat);
        continue;
      }
    }
    const name = addParameter(path.join('_'), property, isRequired, {}, at, mapping, context);
    if (name === null) mapping.leftOut.push(`body ${path.join('.')}`);
    else out[key] = `{{${name}}}`;
  }
  return out;
}

/** The step's auth from the operation's security (or the document's), adding the secrets it names. */
function securityAuth(
  ref: OperationRef,
  where: string,
  base: string,
  headers: Record<string, string>,
  query: Record<string, string>,
  context: ImportContext,
): JsonObject | null {
  const requirements = ref.operation['security'] ?? context.document['security'];
  if (!Array.isArray(requirements) || requirements.length === 0) return null;
  const components = isRecord(context.document['components']) ? context.document['components'] : {};
  const schemes = isRecord(components['securitySchemes']) ? components['securitySchemes'] : {};
  const usable = requirements.find(
    (requirement) =>
      isRecord(requirement) &&
      Object.keys(requirement).length > 0 &&
      Object.keys(requirement).every((name) => supported(schemes, name, context)),
  );
  if (!isRecord(usable)) {
    const names = requirements.flatMap((requirement) => (isRecord(requirement) ? Object.keys(requirement) : []));
    if (names.length > 0)
      context.warnings.push(
        `${where}.security: none of its schemes (${names.join(', ')}) can be sent by Parley (bearer, basic, API key or OAuth 2 token): add the auth by hand`,
      );
    return null;
  }
  const url = new URL(base);
  let auth: JsonObject | null = null;
  for (const schemeName of Object.keys(usable)) {
    const at = `openapi.components.securitySchemes.${schemeName}`;
    const scheme = context.refs.object(schemes[schemeName], at);
    const secrets = schemeSecrets(schemeName, scheme, url, context);
    const type = text(scheme['type']);
    const httpScheme = text(scheme['scheme']).toLowerCase();
    if (type === 'http' && httpScheme === 'basic') {
      const username = `{{secrets.${secrets['username']}}}`;
      if (!auth) auth = { type: 'basic', username, secret: secrets['password'] as string };
      else context.warnings.push(`${where}.security: ${schemeName} (basic) is not sent: the step has its auth already`);
      continue;
    }
    if (type === 'apiKey') {
      const name = text(scheme['name']);
      const location = text(scheme['in']);
      const secret = secrets['token'] as string;
      if (location === 'cookie')
        headers['Cookie'] = [headers['Cookie'], `${name}={{secrets.${secret}}}`].filter(Boolean).join('; ');
      else if (!auth) auth = { type: 'api_key', in: location, name, secret };
      else if (location === 'query') query[name] = `{{secrets.${secret}}}`;
      else headers[name] = `{{secrets.${secret}}}`;
      continue;
    }
    // HTTP bearer, OAuth 2 and OpenID Connect: a bearer token.
    if (!auth) auth = { type: 'bearer', secret: secrets['token'] as string };
    else headers['Authorization'] = `Bearer {{secrets.${secrets['token']}}}`;
  }
  return auth;
}

function supported(schemes: Record<string, unknown>, name: string, context: ImportContext): boolean {
  if (schemes[name] === undefined) return false;
  const scheme = context.refs.object(schemes[name], `openapi.components.securitySchemes.${name}`);
  const type = text(scheme['type']);
  if (type === 'http') return ['bearer', 'basic'].includes(text(scheme['scheme']).toLowerCase());
  if (type === 'apiKey')
    return ['header', 'query', 'cookie'].includes(text(scheme['in'])) && HEADER_NAME.test(text(scheme['name']));
  return type === 'oauth2' || type === 'openIdConnect';
}

/** Security scheme names that say nothing about the API they belong to. */
const GENERIC_SCHEME =
  /^(?:http_)?(?:bearer|basic|api_?key|apikey|api_?token|oauth2?|openid|open_id_connect|jwt|token|access_?token|auth|security|default|key|header|query)(?:_(?:auth|token|key|scheme|security|header|query))*$/;

/** The secrets a security scheme's credentials go in: one per scheme (two for basic: user name and password). */
function schemeSecrets(
  schemeName: string,
  scheme: Record<string, unknown>,
  url: URL,
  context: ImportContext,
): Record<string, string> {
  const host = secretHost(url);
  const known = context.schemeSecrets.get(schemeName);
  if (known) {
    for (const name of Object.values(known)) {
      const secret = context.secrets.get(name);
      if (secret && !secret.hosts.includes(host)) secret.hosts.push(host);
    }
    return known;
  }
  const type = text(scheme['type']);
  const describe = (what: string) => `the ${schemeName} security scheme (${what})`;
  // A scheme named for its API (`petstore_auth`, `acme_token`) names its secret; a generic name (`bearerAuth`,
  // `api_key`) is prefixed with the API's host, so two APIs' keys in one chatbot do not share a name.
  const own = snakeCase(schemeName);
  const base = GENERIC_SCHEME.test(own) || own === '' ? `${hostSlug(url)}_${own || 'token'}` : own;
  const add = (suffix: string, from: string) => {
    const name = context.secretNames(identifier(`${base}${suffix}`, 'api_token'));
    context.secrets.set(name, { name, hosts: [host], from });
    return name;
  };
  const location = text(scheme['in']);
  let names: Record<string, string>;
  if (type === 'http' && text(scheme['scheme']).toLowerCase() === 'basic')
    names = {
      username: add('_username', describe('HTTP basic: the user name')),
      password: add('_password', describe('HTTP basic: the password')),
    };
  else if (type === 'apiKey')
    names = {
      token: add(
        '',
        describe(
          `an API key in the ${location === 'query' ? `query parameter ${text(scheme['name'])}` : `${text(scheme['name'])} ${location}`}`,
        ),
      ),
    };
  else {
    const oauth = type === 'oauth2' || type === 'openIdConnect';
    names = {
      token: add(
        '',
        describe(
          oauth
            ? 'an OAuth 2 access token: Parley runs no OAuth flow, so renew the secret before the token expires'
            : 'an HTTP bearer token',
        ),
      ),
    };
  }
  context.schemeSecrets.set(schemeName, names);
  return names;
}
