import type { SendErrorCode } from '../shared/actions/interpret-call';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import {
  constants as zlibConstants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  createInflateRaw,
  type ZlibOptions,
} from 'node:zlib';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { checkAddress, checkHost, type BlockReason, type EgressPolicy } from '../shared/security/address-policy';

/** The most redirects a step may follow, whatever it asks for. */
export const MAX_REDIRECTS = 3;
/** The default cap on a response body, counted on decoded bytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** How many distinct per-chatbot allowlists keep a connection pool open at once. */
const MAX_POOLS = 64;

/** Why the egress refused or failed a call: the codes interpretation names a failed send by. */
export type EgressErrorCode = SendErrorCode;

/** A refused or failed outbound call. Messages name the origin only, never the path or query. */
export class EgressError extends Error {
  constructor(
    readonly code: EgressErrorCode,
    message: string,
    readonly reason?: BlockReason,
  ) {
    super(message);
    this.name = 'EgressError';
  }
}

/** Raised inside the connector, where undici passes it through to the request unchanged. */
class BlockedConnectionError extends Error {
  readonly code = 'PARLEY_EGRESS_BLOCKED';
  constructor(
    readonly host: string,
    readonly reason: BlockReason,
  ) {
    super(`${host} resolves to an address Parley may not call (${reason})`);
  }
}

export type EgressOptions = {
  policy: EgressPolicy;
  connectTimeoutMs: number;
  /** Cap on the decoded response body; default 1 MiB. */
  maxResponseBytes?: number;
  /** Resolver, called with `all: true` like dns.lookup; injectable for tests. */
  lookup?: LookupFunction;
};

export type EgressRequest = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** Deadline for the whole exchange (every hop and the body); also undici's headers and body idle timeouts. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** How many redirects to follow (at most MAX_REDIRECTS); 0, the default, returns a 3xx as it is. */
  followRedirects?: number;
  /** Header names to drop on a cross-origin redirect, besides authorization, cookie and api-key style names. */
  credentialHeaders?: string[];
  /** Query parameter names to remove from a cross-origin redirect target. */
  credentialQuery?: string[];
  /**
   * The request carries a secret: a redirect to another origin that would send the request again with its body
   * (307, 308, or a 301/302 of a method other than POST) is refused instead of followed.
   */
  carriesSecrets?: boolean;
  /** The chatbot's allowlist, added to the egress policy's. */
  allowlist?: string[];
  /** Called with each redirect target before it is requested; throw to refuse it (e.g. secret host bindings). */
  checkRedirect?: (url: string) => void;
};

export type EgressResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The URL that answered, after redirects. */
  url: string;
};

const ALWAYS_CREDENTIAL =
  /^(authorization|proxy-authorization|cookie|cookie2)$|api[-_]?key|auth|token|secret|passw|session|signature|credential/i;
/** Headers the egress owns: a template must not pick the Host (and so the virtual host) or framing. */
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'upgrade',
  'content-length',
  'expect',
  'trailer',
]);
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];

/**
 * Wraps a resolver so that every address a name resolves to is checked against the policy before the socket
 * connects; one blocked address fails the whole connection (fail closed), so DNS answers that change between
 * queries (rebinding) are judged on the answer actually used.
 */
function checkingLookup(resolve: LookupFunction, policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, answer, family) => {
      const fail = (err: NodeJS.ErrnoException) => callback(err, options.all ? [] : '');
      if (error) return fail(error);
      const addresses: LookupAddress[] = Array.isArray(answer)
        ? answer
        : [{ address: answer, family: family ?? (answer.includes(':') ? 6 : 4) }];
      const first = addresses[0];
      if (!first) return fail(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      for (const { address } of addresses) {
        const decision = checkAddress(address, hostname, policy);
        if (!decision.ok) return fail(new BlockedConnectionError(hostname, decision.reason));
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * An undici connector that checks IP-literal hosts itself (the OS never consults the resolver for them), resolves
 * names through the checking lookup, and re-checks the connected socket's remote address as a last line.
 */
function checkingConnector(policy: EgressPolicy, connectTimeoutMs: number, resolve: LookupFunction) {
  const connect = buildConnector({ timeout: connectTimeoutMs, lookup: checkingLookup(resolve, policy) });
  return (options: buildConnector.Options, callback: buildConnector.Callback) => {
    const decision = checkHost(options.hostname, policy);
    if (!decision.ok) {
      callback(new BlockedConnectionError(options.hostname, decision.reason), null);
      return;
    }
    connect(options, (...args) => {
      const [error, socket] = args;
      if (error) return callback(error, null);
      const remote = (socket as Socket).remoteAddress;
      const checked = remote === undefined ? null : checkAddress(remote, options.hostname, policy);
      if (checked && !checked.ok) {
        socket.destroy();
        return callback(new BlockedConnectionError(options.hostname, checked.reason), null);
      }
      callback(null, socket);
    });
  };
}

/** Parses and checks a URL to call: http(s) only, IP literals and metadata names refused before dispatch. */
function checkedUrl(text: string, base: URL | undefined, policy: EgressPolicy): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new EgressError('bad_scheme', 'the URL is not a valid http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EgressError('bad_scheme', `only http and https URLs can be called, not ${url.protocol}`);
  }
  const decision = checkHost(url.hostname, policy);
  if (!decision.ok) {
    throw new EgressError(
      'blocked_destination',
      `${url.origin} is not an allowed destination (${decision.reason})`,
      decision.reason,
    );
  }
  return url;
}

const DECODE_OPTIONS: ZlibOptions = {
  flush: zlibConstants.Z_SYNC_FLUSH,
  finishFlush: zlibConstants.Z_SYNC_FLUSH,
};

/** `deflate` as servers send it: zlib-wrapped per the RFC, or raw; chosen on the first byte, with backpressure. */
class DeflateDecoder extends Transform {
  private inner: Transform | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.inner) {
      if (chunk.length === 0) return done();
      const inner =
        ((chunk[0] ?? 0) & 0x0f) === 0x08 ? createInflate(DECODE_OPTIONS) : createInflateRaw(DECODE_OPTIONS);
      inner.on('data', (data: Buffer) => {
        if (!this.push(data)) inner.pause();
      });
      inner.on('error', (error) => this.destroy(error));
      this.inner = inner;
    }
    this.inner.write(chunk, () => done());
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  override _flush(done: TransformCallback): void {
    if (!this.inner) return done();
    this.inner.once('end', () => done());
    this.inner.end();
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.inner?.destroy();
    done(error);
  }
}

/** Decoders for a Content-Encoding list, outermost first; null when one is unknown (the body is then kept as is). */
function decodersFor(contentEncoding: string | string[] | undefined): Transform[] | null {
  const names = [contentEncoding ?? '']
    .flat()
    .join(',')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && name !== 'identity');
  const decoders: Transform[] = [];
  for (const name of names.reverse()) {
    if (name === 'gzip' || name === 'x-gzip') decoders.push(createGunzip(DECODE_OPTIONS));
    else if (name === 'deflate') decoders.push(new DeflateDecoder());
    else if (name === 'br') {
      decoders.push(
        createBrotliDecompress({
          flush: zlibConstants.BROTLI_OPERATION_FLUSH,
          finishFlush: zlibConstants.BROTLI_OPERATION_FLUSH,
        }),
      );
    } else {
      decoders.forEach((decoder) => decoder.destroy());
      return null;
    }
  }
  return decoders;
}

/**
 * Reads a body, decoding it as it streams, and stops as soon as either the bytes on the wire or the decoded bytes
 * pass `limit`, so a compression bomb never grows past the cap in memory.
 */
async function readBody(
  body: Readable,
  contentEncoding: string | string[] | undefined,
  limit: number,
): Promise<string> {
  const tooLarge = () => new EgressError('response_too_large', `the response is larger than ${limit} bytes`);
  let wireBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      wireBytes += chunk.length;
      if (wireBytes > limit) done(tooLarge());
      else done(null, chunk);
    },
  });
  const stages: (Readable | Transform)[] = [body, counter, ...(decodersFor(contentEncoding) ?? [])];
  // Errors reach the loop below through the last stage; the callback only keeps pipeline from throwing them.
  pipeline(stages, () => undefined);
  const output = stages[stages.length - 1] as Readable;
  const chunks: Buffer[] = [];
  let decodedBytes = 0;
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      decodedBytes += chunk.length;
      if (decodedBytes > limit) throw tooLarge();
      chunks.push(chunk);
    }
  } finally {
    if (!output.readableEnded) stages.forEach((stage) => stage.destroy());
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether an error (or one it wraps) is undici's or ours, with this code. */
function codeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function blockedOf(error: unknown): BlockedConnectionError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof BlockedConnectionError) return current;
    current = current.cause;
  }
  return undefined;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Drops credentials before a request follows a redirect to another origin. */
function withoutCredentials(headers: Record<string, string>, extra: string[]): Record<string, string> {
  const named = new Set(extra.map((name) => name.toLowerCase()));
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !ALWAYS_CREDENTIAL.test(name) && !named.has(name.toLowerCase())),
  );
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The one way Parley calls operator URLs. Only http(s); every address a name resolves to is checked at connect time
 * and IP literals before dispatch; redirects off unless asked for (at most 3, each re-checked, credentials dropped
 * across origins, a request carrying a secret never sent again with its body to another origin); bodies decoded
 * with a cap on decoded bytes; connect, headers and overall deadlines.
 */
export function createEgress(options: EgressOptions) {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const resolve: LookupFunction = options.lookup ?? dnsLookup;
  // One pool per effective allowlist, so a connection opened under one chatbot's allowlist never serves another.
  const agents = new Map<string, { agent: Agent; policy: EgressPolicy }>();

  function poolFor(extra: string[] | undefined): { agent: Agent; policy: EgressPolicy } {
    const allowlist = [...new Set([...options.policy.allowlist, ...(extra ?? [])])].sort();
    const key = JSON.stringify(allowlist);
    const existing = agents.get(key);
    if (existing) {
      // Most recently used last, so the pool evicted below is the one idle longest.
      agents.delete(key);
      agents.set(key, existing);
      return existing;
    }
    const policy: EgressPolicy = { allowLoopback: options.policy.allowLoopback, allowlist };
    const pool = {
      policy,
      agent: new Agent({ connect: checkingConnector(policy, options.connectTimeoutMs, resolve) }),
    };
    agents.set(key, pool);
    if (agents.size > MAX_POOLS) {
      const [oldestKey, oldest] = agents.entries().next().value ?? [];
      if (oldestKey !== undefined && oldest) {
        agents.delete(oldestKey);
        void oldest.agent.close().catch(() => undefined);
      }
    }
    return pool;
  }

  return {
    /**
     * Sends one request and returns its status, headers and decoded body text. Throws EgressError for refusals
     * and failures; if the caller's signal aborts, its error is rethrown as undici raised it.
     */
    async send(input: EgressRequest): Promise<EgressResponse> {
      const { agent, policy } = poolFor(input.allowlist);
      const asked = input.followRedirects ?? 0;
      const maxHops = Number.isFinite(asked) ? Math.min(Math.max(0, Math.floor(asked)), MAX_REDIRECTS) : 0;
      let url = checkedUrl(input.url, undefined, policy);
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), input.timeoutMs);
      const signal = input.signal ? AbortSignal.any([input.signal, deadline.signal]) : deadline.signal;
      let method = input.method.toUpperCase();
      let body = input.body;
      let headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(input.headers)) {
        if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
      }
      headers['accept-encoding'] ??= 'gzip, deflate, br';

      const failure = (error: unknown): unknown => {
        if (input.signal?.aborted) return error;
        if (error instanceof EgressError) return error;
        const blocked = blockedOf(error);
        if (blocked) {
          return new EgressError(
            'blocked_destination',
            `${url.origin} is not an allowed destination: ${blocked.message}`,
            blocked.reason,
          );
        }
        const code = codeOf(error);
        if (deadline.signal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
          return new EgressError('timeout', `${url.origin} did not answer within ${input.timeoutMs} ms`);
        }
        return new EgressError('network', `${url.origin} failed: ${code ?? (error as Error).message}`);
      };

      try {
        for (let hop = 0; ; hop++) {
          let response: Dispatcher.ResponseData;
          try {
            response = await request(url, {
              dispatcher: agent,
              method: method as Dispatcher.HttpMethod,
              headers,
              body,
              headersTimeout: input.timeoutMs,
              bodyTimeout: input.timeoutMs,
              signal,
            });
          } catch (error) {
            throw failure(error);
          }

          const location = firstHeader(response.headers['location']);
          const redirect = [301, 302, 303, 307, 308].includes(response.statusCode) && location !== undefined;
          if (!redirect || maxHops === 0) {
            try {
              const text = await readBody(response.body, response.headers['content-encoding'], maxResponseBytes);
              return { status: response.statusCode, headers: response.headers, body: text, url: url.toString() };
            } catch (error) {
              throw failure(error);
            }
          }

          await response.body.dump().catch(() => undefined);
          if (hop >= maxHops) {
            throw new EgressError('too_many_redirects', `${url.origin} redirected more than ${maxHops} times`);
          }
          const next = checkedUrl(location, url, policy);
          if (next.origin !== url.origin) {
            headers = withoutCredentials(headers, input.credentialHeaders ?? []);
            for (const name of input.credentialQuery ?? []) {
              if (next.searchParams.has(name)) next.searchParams.delete(name);
            }
          }
          const status = response.statusCode;
          if (
            (status === 303 && method !== 'GET' && method !== 'HEAD') ||
            ((status === 301 || status === 302) && method === 'POST')
          ) {
            method = 'GET';
            body = null;
            for (const name of BODY_HEADERS) delete headers[name];
          }
          const resent = status === 307 || status === 308 || body !== null;
          if (input.carriesSecrets && resent && next.origin !== url.origin) {
            throw new EgressError(
              'unsafe_redirect',
              `${url.origin} answered ${status} to ${next.origin}, which would send a request carrying a secret ` +
                'again, as it was, to another origin',
            );
          }
          input.checkRedirect?.(next.toString());
          url = next;
        }
      } finally {
        clearTimeout(timer);
      }
    },

    /** Closes every connection pool, letting requests in flight finish. */
    async close(): Promise<void> {
      const pools = [...agents.values()];
      agents.clear();
      await Promise.all(pools.map(({ agent }) => agent.close()));
    },
  };
}

/** The egress as the HTTP activity receives it. */
export type Egress = ReturnType<typeof createEgress>;
