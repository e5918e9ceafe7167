import { parse } from 'shell-quote';
import { isJsonObject, type Json, type JsonObject } from '../../json';
import type { ActionDefinitionInput } from '../action';
import { actionTitle } from '../title';
import { checkedDraft, ImportRefusal, refusalsAsOutcome, type ImportOutcome, type ImportedSecret } from './draft';
import { hostSlug, identifier, secretHost, snakeCase, uniqueNames } from './names';

/**
 * A cURL command line (as API docs print it, or a browser's "Copy as cURL") as an action draft: one step with the
 * command's method, URL, query, headers and body — a JSON body keeps its structure. Credentials (an Authorization
 * header, `-u user:password`, API keys in headers, the query or a body field) are moved into secrets the draft
 * refers to by name, and the answer says where each came from, never what it was. Pure: nothing is fetched or read.
 */

type RequestDraft = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  auth?: JsonObject;
  bodyType?: 'json' | 'form' | 'raw';
  body?: Json;
  contentType?: string;
  followRedirects?: number;
};

/** How curl options are read: by their long name, whether they take a value. */
type OptionSpec = { name: string; value: boolean };

const VALUE_OPTIONS = [
  'request',
  'header',
  'data',
  'data-raw',
  'data-binary',
  'data-ascii',
  'data-urlencode',
  'json',
  'user',
  'url',
  'user-agent',
  'referer',
  'cookie',
  'oauth2-bearer',
  'max-time',
  'form',
  'form-string',
  'upload-file',
  'config',
  // Read and left out of the draft: they change what curl does locally, not what the API gets.
  'output',
  'write-out',
  'retry',
  'retry-delay',
  'retry-max-time',
  'max-redirs',
  'connect-timeout',
  'cookie-jar',
  'cacert',
  'capath',
  'cert',
  'cert-type',
  'key',
  'key-type',
  'proxy',
  'proxy-user',
  'limit-rate',
  'trace',
  'trace-ascii',
  'dump-header',
  'resolve',
  'connect-to',
  'interface',
  'range',
  'expect100-timeout',
  'keepalive-time',
];

const FLAG_OPTIONS = [
  'get',
  'head',
  'location',
  'location-trusted',
  'silent',
  'show-error',
  'verbose',
  'include',
  'insecure',
  'compressed',
  'fail',
  'fail-with-body',
  'no-buffer',
  'globoff',
  'http1.0',
  'http1.1',
  'http2',
  'http2-prior-knowledge',
  'http3',
  'progress-bar',
  'remote-name',
  'remote-header-name',
  'no-progress-meter',
  'raw',
  'tr-encoding',
  'no-keepalive',
  'path-as-is',
  'ipv4',
  'ipv6',
  'basic',
  'digest',
  'anyauth',
  'ntlm',
  'netrc',
  'tlsv1.2',
  'tlsv1.3',
  'ssl',
  'ssl-reqd',
];

const SHORT: Record<string, string> = {
  X: 'request',
  H: 'header',
  d: 'data',
  u: 'user',
  A: 'user-agent',
  e: 'referer',
  b: 'cookie',
  m: 'max-time',
  F: 'form',
  T: 'upload-file',
  K: 'config',
  o: 'output',
  w: 'write-out',
  c: 'cookie-jar',
  E: 'cert',
  x: 'proxy',
  U: 'proxy-user',
  r: 'range',
  D: 'dump-header',
  G: 'get',
  I: 'head',
  L: 'location',
  s: 'silent',
  S: 'show-error',
  v: 'verbose',
  i: 'include',
  k: 'insecure',
  f: 'fail',
  N: 'no-buffer',
  g: 'globoff',
  '0': 'http1.0',
  '#': 'progress-bar',
  O: 'remote-name',
  J: 'remote-header-name',
  '4': 'ipv4',
  '6': 'ipv6',
  n: 'netrc',
};

function optionSpec(name: string): OptionSpec | null {
  if (VALUE_OPTIONS.includes(name)) return { name, value: true };
  if (FLAG_OPTIONS.includes(name)) return { name, value: false };
  return null;
}

/** What the command line asks curl to send, before it is turned into a draft. */
type CurlCommand = {
  method: string | null;
  urls: string[];
  headers: { name: string; value: string }[];
  data: string[];
  json: string[];
  user: string | null;
  oauthBearer: string | null;
  get: boolean;
  head: boolean;
  location: boolean;
  maxTimeSeconds: number | null;
  ignored: string[];
  variables: Set<string>;
};

const FIELD = 'curl';

function refuse(message: string): never {
  throw new ImportRefusal(FIELD, message);
}

/** The words of a command line, as a POSIX shell splits them (quotes, escapes, line continuations). */
function commandWords(commandLine: string, variables: Set<string>, warnings: string[]): string[] {
  // A backslash at the end of a line continues the command; a shell prompt copied along is dropped.
  const text = commandLine.replace(/\\\r?\n/g, ' ').replace(/^\s*\$\s+/, '');
  const tokens = parse(text, (name: string) => {
    variables.add(name);
    return `$${name}`;
  });
  const words: string[] = [];
  for (const token of tokens) {
    if (typeof token === 'string') words.push(token);
    else if ('pattern' in token) words.push(token.pattern);
    else if ('comment' in token) break;
    else if (token.op === '|' || token.op === ';' || token.op === '&&' || token.op === '||' || token.op === '>') {
      warnings.push(`curl: what follows "${token.op}" is not part of the request and was left out`);
      break;
    } else if (token.op === '&') {
      refuse('an unquoted & splits the command (a URL with several query parameters?): quote the URL');
    } else refuse(`the shell operator "${token.op}" is not part of a curl command`);
  }
  return words.filter((word) => word !== '');
}

function readCommand(words: string[], warnings: string[]): CurlCommand {
  const [program, ...rest] = words;
  if (program === undefined || !/(^|[\\/])curl(\.exe)?$/i.test(program))
    refuse(`must be a curl command line (it starts with ${program === undefined ? 'nothing' : `"${program}"`})`);
  const command: CurlCommand = {
    method: null,
    urls: [],
    headers: [],
    data: [],
    json: [],
    user: null,
    oauthBearer: null,
    get: false,
    head: false,
    location: false,
    maxTimeSeconds: null,
    ignored: [],
    variables: new Set(),
  };
  let onlyArguments = false;
  for (let index = 0; index < rest.length; index += 1) {
    const word = rest[index] as string;
    if (onlyArguments || !word.startsWith('-') || word === '-') {
      command.urls.push(word);
      continue;
    }
    if (word === '--') {
      onlyArguments = true;
      continue;
    }
    const take = (spec: OptionSpec, attached: string | null, shown: string) => {
      if (!spec.value) return apply(command, spec.name, null, shown, warnings);
      const value = attached ?? rest[++index];
      if (value === undefined) refuse(`${shown} needs a value`);
      apply(command, spec.name, value, shown, warnings);
    };
    if (word.startsWith('--')) {
      const name = word.slice(2);
      const spec = optionSpec(name) ?? optionSpec(name.replace(/^no-/, ''));
      if (!spec) refuse(`unknown option ${word}`);
      take(spec, null, word);
      continue;
    }
    // Short options: `-sS`, `-XPOST`, `-H'Accept: text/plain'`, `-sLX POST`.
    for (let at = 1; at < word.length; at += 1) {
      const letter = word[at] as string;
      const long = SHORT[letter];
      const spec = long === undefined ? null : optionSpec(long);
      if (!spec) refuse(`unknown option -${letter}${word.length > 2 ? ` (in ${word})` : ''}`);
      const attached = spec.value && at + 1 < word.length ? word.slice(at + 1) : null;
      take(spec, attached, `-${letter}`);
      if (spec.value) break;
    }
  }
  return command;
}

function apply(command: CurlCommand, option: string, value: string | null, shown: string, warnings: string[]): void {
  const text = value ?? '';
  switch (option) {
    case 'request':
      command.method = text.toUpperCase();
      return;
    case 'header':
      command.headers.push(headerLine(text, shown));
      return;
    case 'data':
    case 'data-ascii':
    case 'data-binary':
      if (text.startsWith('@')) refuse(`${shown} ${text} reads a file, which an import cannot: paste the body itself`);
      command.data.push(option === 'data-binary' ? text : text.replace(/[\r\n]/g, ''));
      return;
    case 'data-raw':
      command.data.push(text);
      return;
    case 'data-urlencode':
      command.data.push(urlencodedPiece(text, shown));
      return;
    case 'json':
      if (text.startsWith('@')) refuse(`${shown} ${text} reads a file, which an import cannot: paste the body itself`);
      command.json.push(text);
      return;
    case 'user':
      command.user = text;
      return;
    case 'oauth2-bearer':
      command.oauthBearer = text;
      return;
    case 'url':
      command.urls.push(text);
      return;
    case 'user-agent':
      command.headers.push({ name: 'User-Agent', value: text });
      return;
    case 'referer':
      command.headers.push({ name: 'Referer', value: text });
      return;
    case 'cookie':
      if (!text.includes('=')) refuse(`${shown} ${text} reads cookies from a file, which an import cannot`);
      command.headers.push({ name: 'Cookie', value: text });
      return;
    case 'max-time': {
      const seconds = Number(text);
      if (!Number.isFinite(seconds) || seconds <= 0) refuse(`${shown}: "${text}" is not a number of seconds`);
      command.maxTimeSeconds = seconds;
      return;
    }
    case 'get':
      command.get = true;
      return;
    case 'head':
      command.head = true;
      return;
    case 'location':
    case 'location-trusted':
      command.location = true;
      return;
    case 'form':
    case 'form-string':
      refuse(`${shown} sends a multipart form, which Parley does not: it sends JSON, urlencoded form or raw bodies`);
      return;
    case 'upload-file':
    case 'config':
      refuse(`${shown} reads a file, which an import cannot`);
      return;
    case 'insecure':
      warnings.push(`curl: ${shown} is ignored: Parley always verifies the API's TLS certificate`);
      return;
    case 'digest':
    case 'ntlm':
    case 'netrc':
      warnings.push(`curl: ${shown} is ignored: Parley does not do ${option} authentication`);
      return;
    case 'proxy':
    case 'cert':
    case 'key':
      warnings.push(`curl: ${shown} is ignored: Parley calls the API directly, without client certificates or proxies`);
      return;
    default:
      command.ignored.push(shown);
  }
}

function headerLine(line: string, shown: string): { name: string; value: string } {
  if (line.startsWith('@')) refuse(`${shown} ${line} reads headers from a file, which an import cannot`);
  const colon = line.indexOf(':');
  const semicolon = line.indexOf(';');
  // `Name;` sends an empty header; `Name:` with nothing after removes one (nothing to send).
  if (colon < 0 && semicolon > 0 && line.slice(semicolon + 1).trim() === '')
    return { name: line.slice(0, semicolon).trim(), value: '' };
  if (colon <= 0) refuse(`${shown} "${line}" is not a header (Name: value)`);
  return { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
}

function urlencodedPiece(text: string, shown: string): string {
  const equals = text.indexOf('=');
  const at = text.indexOf('@');
  if (at === 0 || (at > 0 && (equals < 0 || at < equals)))
    refuse(`${shown} ${text} reads a file, which an import cannot: paste the value itself`);
  if (equals < 0) return encodeURIComponent(text);
  const name = text.slice(0, equals);
  const encoded = encodeURIComponent(text.slice(equals + 1));
  return name === '' ? encoded : `${name}=${encoded}`;
}

/** Names whose values are credentials: headers, query parameters and body fields. */
const CREDENTIAL_NAME =
  /^(?:x-)?(?:api[-_]?key|apikey|api[-_]?token|auth[-_]?token|access[-_]?token|refresh[-_]?token|token|secret|client[-_]?secret|api[-_]?secret|password|passwd|private[-_]?token|session[-_]?token|app[-_]?key|subscription[-_]?key|ocp-apim-subscription-key|key|sig|signature|auth)$/i;
const CREDENTIAL_HEADER = /^(?:x-)?[\w-]*(?:api[-_]?key|token|secret|auth|password|apikey|access[-_]?key)[\w-]*$/i;

/** Headers a browser or curl adds that say nothing about the API call: left out of drafts. */
const NOISE_HEADERS =
  /^(?:host|content-length|connection|accept-encoding|accept-language|user-agent|origin|referer|pragma|cache-control|priority|dnt|upgrade-insecure-requests|te|sec-[\w-]+|if-none-match|if-modified-since)$/i;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** What a credential is called in the answer: where in the command its value was. */
type Credential = {
  /** Which secret suffix names it: `<host>_token`, `<host>_password`… */
  suffix: string;
  from: string;
  value: string;
};

type Secrets = {
  add: (credential: Credential) => string;
  list: ImportedSecret[];
};

function secretsFor(url: URL): Secrets {
  const slug = hostSlug(url);
  const unique = uniqueNames();
  const list: ImportedSecret[] = [];
  return {
    list,
    add(credential) {
      const name = unique(identifier(`${slug}_${credential.suffix}`, 'api_token'));
      const variables = [...credential.value.matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((match) => `$${match[1]}`);
      const value = variables.length > 0 ? ` (in the command as the shell variable ${variables.join(', ')})` : '';
      list.push({ name, hosts: [secretHost(url)], from: `${credential.from}${value}` });
      return name;
    },
  };
}

function parseUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    refuse(`"${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    refuse(`the URL must be http:// or https:// (not ${url.protocol}//)`);
  if (/[{}]/.test(url.host)) refuse(`the URL's host must be fixed text (${url.host})`);
  return url;
}

function pairs(text: string): [string, string][] {
  return text
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece): [string, string] => {
      const equals = piece.indexOf('=');
      const decode = (part: string) => {
        try {
          return decodeURIComponent(part.replace(/\+/g, ' '));
        } catch {
          return part;
        }
      };
      return equals < 0 ? [decode(piece), ''] : [decode(piece.slice(0, equals)), decode(piece.slice(equals + 1))];
    });
}

function isJsonContentType(contentType: string): boolean {
  return /^\s*[\w.+-]+\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i.test(contentType);
}

/** The name an action gets from its request: `GET …/v1/orders/12345` → `get_orders`. */
function actionNameFor(method: string, url: URL): string {
  const words = url.pathname
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .filter((segment) => /^[A-Za-z][A-Za-z_-]*$/.test(segment) && !/^(api|rest|v\d+)$/i.test(segment));
  const tail = words.slice(-2).join('_');
  return identifier(`${method.toLowerCase()}_${tail || hostSlug(url)}`, 'imported_call');
}

/** Turns top-level credential fields of a JSON or form body into secret references. */
function bodyWithSecrets(body: JsonObject, secrets: Secrets, what: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    if (CREDENTIAL_NAME.test(key) && typeof value === 'string' && value !== '') {
      const name = secrets.add({ suffix: snakeCase(key), from: `the ${what} field ${key}`, value });
      out[key] = `{{secrets.${name}}}`;
    } else out[key] = value;
  }
  return out;
}

/** A cURL command line as one action draft, its secrets, and warnings; `name` overrides the derived name. */
export function importCurl(commandLine: string, options: { name?: string } = {}): ImportOutcome {
  return refusalsAsOutcome(() => {
    const warnings: string[] = [];
    const variables = new Set<string>();
    const command = readCommand(commandWords(commandLine, variables, warnings), warnings);
    if (command.urls.length === 0) refuse('the command names no URL');
    if (command.urls.length > 1)
      refuse(`the command names ${command.urls.length} URLs (${command.urls.join(', ')}): an action calls one`);
    const url = parseUrl(command.urls[0] as string);
    const secrets = secretsFor(url);
    const request: RequestDraft = { method: 'GET', url: '' };
    let authTaken = false;
    const headers: Record<string, string> = {};
    const query: Record<string, string> = {};

    // The method: -X wins; else HEAD for -I, GET for -G, POST when there is a body.
    const hasBody = command.data.length > 0 || command.json.length > 0;
    const method = command.method ?? (command.head ? 'HEAD' : command.get ? 'GET' : hasBody ? 'POST' : 'GET');
    if (!(METHODS as readonly string[]).includes(method))
      refuse(`the method ${method} is not one Parley calls (${METHODS.join(', ')})`);
    request.method = method as RequestDraft['method'];

    // Credentials: user:password in the URL or -u, then headers, the query and the body.
    let user = command.user;
    if (url.username || url.password) {
      user ??= `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      url.username = '';
      url.password = '';
    }
    if (command.oauthBearer !== null && command.oauthBearer !== '') {
      const secret = secrets.add({ suffix: 'token', from: 'the --oauth2-bearer token', value: command.oauthBearer });
      request.auth = { type: 'bearer', secret };
      authTaken = true;
    }
    if (user !== null) {
      const colon = user.indexOf(':');
      const username = colon < 0 ? user : user.slice(0, colon);
      const password = colon < 0 ? '' : user.slice(colon + 1);
      const given = command.user === null ? 'the user:password in the URL' : 'the -u/--user credentials';
      if (password !== '' && username !== '' && !authTaken && !username.includes('{')) {
        const secret = secrets.add({ suffix: 'password', from: `the password of ${given}`, value: password });
        request.auth = { type: 'basic', username, secret };
        authTaken = true;
      } else {
        // A key as the user name and no password (Stripe's `-u sk_…:`): the whole Basic credential is the secret.
        const secret = secrets.add({
          suffix: 'basic',
          from: `${given} (${password === '' ? 'a key as the user and no password' : 'user and password'}): set the secret to their base64, as Basic auth sends them (printf '%s' '${password === '' ? 'KEY:' : 'USER:PASSWORD'}' | base64)`,
          value: user,
        });
        headers['Authorization'] = `Basic {{secrets.${secret}}}`;
        if (colon < 0)
          warnings.push('curl: -u names a user without a password; the secret holds the user and password');
      }
    }

    let contentType: string | null = null;
    const dropped: string[] = [];
    for (const { name, value } of command.headers) {
      if (!HEADER_NAME.test(name)) refuse(`"${name}" is not a valid header name`);
      const lower = name.toLowerCase();
      if (lower === 'content-type') {
        contentType = value;
        continue;
      }
      if (lower === 'accept' && /^application\/json\s*$/i.test(value)) continue;
      if (lower === 'authorization' || lower === 'proxy-authorization') {
        const scheme = /^(\S+)\s+(\S.*)$/.exec(value);
        if (value === '') continue;
        if (scheme && /^bearer$/i.test(scheme[1] ?? '') && !authTaken && lower === 'authorization') {
          const secret = secrets.add({ suffix: 'token', from: `the ${name} header (Bearer token)`, value });
          request.auth = { type: 'bearer', secret };
          authTaken = true;
        } else if (scheme) {
          const suffix = /^basic$/i.test(scheme[1] ?? '') ? 'basic' : 'token';
          const secret = secrets.add({ suffix, from: `the ${name} header (${scheme[1]} credentials)`, value });
          headers[name] = `${scheme[1]} {{secrets.${secret}}}`;
        } else if (!authTaken && lower === 'authorization') {
          const secret = secrets.add({ suffix: 'token', from: `the ${name} header`, value });
          request.auth = { type: 'api_key', in: 'header', name, secret };
          authTaken = true;
        } else {
          const secret = secrets.add({ suffix: 'token', from: `the ${name} header`, value });
          headers[name] = `{{secrets.${secret}}}`;
        }
        continue;
      }
      if (lower === 'cookie') {
        if (value === '') continue;
        const secret = secrets.add({ suffix: 'cookie', from: 'the Cookie header', value });
        headers[name] = `{{secrets.${secret}}}`;
        continue;
      }
      if ((CREDENTIAL_NAME.test(name) || CREDENTIAL_HEADER.test(name)) && value !== '') {
        const secret = secrets.add({
          suffix: authTaken ? snakeCase(name) : 'token',
          from: `the ${name} header`,
          value,
        });
        if (!authTaken) {
          request.auth = { type: 'api_key', in: 'header', name, secret };
          authTaken = true;
        } else headers[name] = `{{secrets.${secret}}}`;
        continue;
      }
      if (NOISE_HEADERS.test(name)) {
        dropped.push(name);
        continue;
      }
      if (/\{\{|\}\}/.test(value))
        warnings.push(`curl: the ${name} header holds "{{" or "}}", which Parley reads as a template: check it`);
      headers[name] = value;
    }
    if (dropped.length > 0)
      warnings.push(`curl: headers a browser or curl adds were left out: ${[...new Set(dropped)].join(', ')}`);

    // The query: from the URL and, with -G, from the data.
    const queryPairs: [string, string][] = [...url.searchParams.entries()];
    let data = command.data.join('&');
    if (command.get && command.data.length > 0) {
      queryPairs.push(...pairs(data));
      data = '';
    }
    const counts = new Map<string, number>();
    for (const [key] of queryPairs) counts.set(key, (counts.get(key) ?? 0) + 1);
    const keptInUrl = new URLSearchParams();
    for (const [key, value] of queryPairs) {
      if (CREDENTIAL_NAME.test(key) && value !== '') {
        const secret = secrets.add({
          suffix: authTaken ? snakeCase(key) : 'token',
          from: `the query parameter ${key}`,
          value,
        });
        if (!authTaken && counts.get(key) === 1 && HEADER_NAME.test(key)) {
          request.auth = { type: 'api_key', in: 'query', name: key, secret };
          authTaken = true;
        } else query[key] = `{{secrets.${secret}}}`;
      } else if (counts.get(key) === 1 && key !== '' && key.length <= 256) query[key] = value;
      else keptInUrl.append(key, value);
    }
    url.search = keptInUrl.toString();
    url.hash = '';
    request.url = url.toString();

    // The body: JSON keeps its structure, a urlencoded form becomes an object, anything else is sent as written.
    const jsonText = command.json.join('');
    if (command.json.length > 0) contentType ??= 'application/json';
    const bodyText = command.json.length > 0 ? jsonText + data : data;
    if (bodyText !== '' && (request.method === 'GET' || request.method === 'HEAD'))
      warnings.push(`curl: the body was left out: Parley sends no body with ${request.method}`);
    else if (bodyText !== '') {
      let type = contentType ?? 'application/x-www-form-urlencoded';
      if (contentType === null && /^\s*[[{]/.test(bodyText) && parsesAsJson(bodyText)) {
        warnings.push(
          'curl: the body is JSON but the command sends no Content-Type (curl would say application/x-www-form-urlencoded); the draft sends it as JSON',
        );
        type = 'application/json';
      }
      if (isJsonContentType(type) && parsesAsJson(bodyText)) {
        const parsed = JSON.parse(bodyText) as Json;
        request.body = isJsonObject(parsed) ? bodyWithSecrets(parsed, secrets, 'JSON body') : parsed;
        if (!/^application\/json\s*$/i.test(type)) headers['Content-Type'] = type;
      } else if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type) && formObject(bodyText)) {
        request.bodyType = 'form';
        request.body = bodyWithSecrets(formObject(bodyText) as JsonObject, secrets, 'form');
      } else {
        if (isJsonContentType(type)) warnings.push('curl: the body is not valid JSON: the draft sends it as written');
        request.bodyType = 'raw';
        request.body = bodyText;
        request.contentType = type;
      }
    }

    if (Object.keys(query).length > 0) request.query = query;
    if (Object.keys(headers).length > 0) request.headers = headers;
    if (command.location) request.followRedirects = 3;
    if (command.ignored.length > 0)
      warnings.push(
        `curl: options that change only what curl does locally were ignored: ${command.ignored.join(', ')}`,
      );
    if (variables.size > 0)
      warnings.push(
        `curl: the command uses shell variables (${[...variables].map((name) => `$${name}`).join(', ')}), kept as written: replace them with values or {{templates}}`,
      );

    const name = options.name ?? actionNameFor(request.method, url);
    const step: ActionDefinitionInput['steps'][number] = { id: 'call', request: request as never };
    if (command.maxTimeSeconds !== null)
      step.timeoutMs = Math.min(60_000, Math.max(100, Math.round(command.maxTimeSeconds * 1000)));
    const draft: ActionDefinitionInput = {
      name,
      description: actionTitle({ name }),
      steps: [step],
    };
    warnings.push(
      `${name}: write the description (when the bot should use the action) and examples, and replace the values the visitor gives with {{parameters}}`,
    );
    return { actions: [checkedDraft(draft, FIELD)], secrets: secrets.list, warnings, samples: {} };
  });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A urlencoded form as an object of strings, or null when a key repeats or is empty (an object cannot hold it). */
function formObject(text: string): Record<string, string> | null {
  const entries = pairs(text);
  const keys = new Set(entries.map(([key]) => key));
  if (keys.size !== entries.length || keys.has('')) return null;
  return Object.fromEntries(entries);
}
