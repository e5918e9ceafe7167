import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { brotliCompressSync, createGzip, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEgress, EgressError, type EgressOptions, type EgressRequest } from '../../infrastructure/egress';
import { blockedReason, type BlockReason } from '../../shared/security/address-policy';
import { assertSecretHostAllowed } from '../../shared/security/secret-hosts';

type Received = { method: string; path: string; headers: IncomingHttpHeaders; body: string };
type Handler = (request: Received, res: ServerResponse) => void;

/** A real HTTP server that records every TCP connection it accepts and every request it reads. */
async function startTarget(handler: Handler = (_req, res) => res.end('ok'), host = '127.0.0.1') {
  const requests: Received[] = [];
  const state = { connections: 0 };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      handler(received, res);
    });
  });
  server.on('connection', () => state.connections++);
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const target = {
    port,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanups.push(target.close);
  return target;
}

/** A resolver that answers from a table (a function answers per call; `hang` never answers) and records queries. */
function fakeDns(answers: Record<string, string[] | (() => string[]) | 'hang'>) {
  const queries: string[] = [];
  const lookup: LookupFunction = (hostname, _options, callback) => {
    queries.push(hostname);
    const answer = answers[hostname];
    if (answer === 'hang') return;
    const addresses = typeof answer === 'function' ? answer() : answer;
    setImmediate(() => {
      if (!addresses) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      } else
        callback(
          null,
          addresses.map((address) => ({ address, family: isIP(address) })),
        );
    });
  };
  return { lookup, queries };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function egress(options: Partial<EgressOptions> = {}) {
  const instance = createEgress({
    policy: { allowLoopback: false, allowlist: [] },
    connectTimeoutMs: 1000,
    ...options,
  });
  cleanups.push(instance.close);
  return instance;
}

function get(url: string, extra: Partial<EgressRequest> = {}): EgressRequest {
  return { method: 'GET', url, headers: {}, body: null, timeoutMs: 5000, ...extra };
}

/** The EgressError a call fails with. */
async function refusal(call: Promise<unknown>): Promise<EgressError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof EgressError)) throw new Error(`expected an EgressError, got ${String(error)}`);
  return error;
}

/** How a call ended: `answered`, or the code it was refused with (whatever a dialled network does with it). */
async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'answered',
    (e: unknown) => (e instanceof EgressError ? e.code : String(e)),
  );
}

const loopbackOpen = { allowLoopback: true, allowlist: [] };

describe('egress destinations', () => {
  const blocked: [string, BlockReason][] = [
    ['127.0.0.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['[::1]', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['[64:ff9b::7f00:1]', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['[::ffff:a9fe:a9fe]', 'metadata'],
    ['[fd00:ec2::254]', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['[::]', 'unspecified'],
    ['[fc00::1]', 'private'],
    ['[fe80::1]', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
  ];

  it.each(blocked)('refuses http://%s before a single byte reaches it (%s)', async (host, reason) => {
    const target = await startTarget();
    const dns = fakeDns({});
    const error = await refusal(egress({ lookup: dns.lookup }).send(get(`http://${host}:${target.port}/x`)));
    expect(error.code).toBe('blocked_destination');
    expect(error.reason).toBe(reason);
    expect(target.connections).toBe(0);
    expect(dns.queries).toEqual([]);
  });

  it('refuses a name that resolves to a private address, at connect time', async () => {
    const dns = fakeDns({ 'intranet.test': ['10.1.2.3'] });
    const error = await refusal(egress({ lookup: dns.lookup }).send(get('http://intranet.test/')));
    expect(error).toMatchObject({ code: 'blocked_destination', reason: 'private' });
    expect(error.message).not.toContain('10.1.2.3');
    expect(dns.queries).toEqual(['intranet.test']);
  });

  it('refuses a name that resolves to loopback, and the local server never sees a connection', async () => {
    const target = await startTarget();
    const dns = fakeDns({ 'evil.test': ['127.0.0.1'] });
    const error = await refusal(egress({ lookup: dns.lookup }).send(get(`http://evil.test:${target.port}/`)));
    expect(error).toMatchObject({ code: 'blocked_destination', reason: 'loopback' });
    expect(target.connections).toBe(0);
  });

  it('refuses a name when any one of its addresses is blocked', async () => {
    const target = await startTarget();
    const dns = fakeDns({ 'mixed.test': ['93.184.216.34', '127.0.0.1'] });
    const error = await refusal(egress({ lookup: dns.lookup }).send(get(`http://mixed.test:${target.port}/`)));
    expect(error).toMatchObject({ code: 'blocked_destination', reason: 'loopback' });
    expect(target.connections).toBe(0);
  });

  it('refuses localhost as the system resolver answers it', async () => {
    const target = await startTarget();
    const error = await refusal(egress().send(get(`http://localhost:${target.port}/`)));
    expect(error).toMatchObject({ code: 'blocked_destination', reason: 'loopback' });
    expect(target.connections).toBe(0);
  });

  it('refuses metadata names without resolving them, even with loopback open', async () => {
    const target = await startTarget();
    const dns = fakeDns({ 'metadata.google.internal': ['127.0.0.1'] });
    const error = await refusal(
      egress({ lookup: dns.lookup, policy: loopbackOpen }).send(
        get(`http://metadata.google.internal:${target.port}/computeMetadata/v1/`),
      ),
    );
    expect(error).toMatchObject({ code: 'blocked_destination', reason: 'metadata' });
    expect(dns.queries).toEqual([]);
    expect(target.connections).toBe(0);
  });

  it('checks the answer each connection actually uses, so a rebinding resolver cannot slip loopback through', async () => {
    const target = await startTarget();
    // 192.0.2.1 (documentation) stands in for a public address: the operator allowlist opens it for this test.
    let query = 0;
    const dns = fakeDns({ 'rebind.test': () => (++query === 1 ? ['192.0.2.1'] : ['127.0.0.1']) });
    const client = egress({
      lookup: dns.lookup,
      connectTimeoutMs: 200,
      policy: { allowLoopback: false, allowlist: ['192.0.2.1/32'] },
    });
    const url = `http://rebind.test:${target.port}/`;

    expect(await outcome(client.send(get(url, { timeoutMs: 1000 })))).not.toBe('blocked_destination');
    const second = await refusal(client.send(get(url)));
    expect(second).toMatchObject({ code: 'blocked_destination', reason: 'loopback' });

    expect(dns.queries).toEqual(['rebind.test', 'rebind.test']);
    expect(target.connections).toBe(0);
  });

  it('calls a local server when the policy opens loopback (development and tests only)', async () => {
    const target = await startTarget((_req, res) => res.end('{"ok":true}'));
    const response = await egress({ policy: loopbackOpen }).send(get(`${target.origin}/ping?x=1`));
    expect(response).toMatchObject({ status: 200, body: '{"ok":true}', url: `${target.origin}/ping?x=1` });
    expect(target.requests.map((r) => r.path)).toEqual(['/ping?x=1']);
  });

  it('dials a private address the operator allowlisted instead of refusing it', async () => {
    const dns = fakeDns({ 'crm.corp.test': ['10.255.255.1'] });
    const url = 'http://crm.corp.test:47999/';
    const refused = await refusal(egress({ lookup: dns.lookup }).send(get(url)));
    expect(refused).toMatchObject({ code: 'blocked_destination', reason: 'private' });

    // Whatever the network does with 10.255.255.1 (nothing, a refusal, a proxy), the egress let the call out.
    const options = { lookup: dns.lookup, connectTimeoutMs: 200 };
    const allowed = egress({ ...options, policy: { allowLoopback: false, allowlist: ['10.255.0.0/16'] } });
    expect(await outcome(allowed.send(get(url, { timeoutMs: 1000 })))).not.toBe('blocked_destination');
    const perChatbot = egress(options).send(get(url, { timeoutMs: 1000, allowlist: ['crm.corp.test'] }));
    expect(await outcome(perChatbot)).not.toBe('blocked_destination');
  });

  const privateInterface = Object.values(networkInterfaces())
    .flat()
    .find((info) => info && !info.internal && blockedReason(info.address) === 'private');

  it.runIf(privateInterface)('answers from an allowlisted private address of this machine', async () => {
    const address = privateInterface?.address ?? '';
    const target = await startTarget((_req, res) => res.end('inside'), address);
    const cidr = address.includes(':') ? `${address}/128` : `${address}/32`;
    expect((await refusal(egress().send(get(`${target.origin}/`)))).reason).toBe('private');
    const response = await egress({ policy: { allowLoopback: false, allowlist: [cidr] } }).send(
      get(`${target.origin}/`),
    );
    expect(response.body).toBe('inside');
  });

  it('keeps metadata addresses blocked even when the allowlist covers them', async () => {
    const dns = fakeDns({ 'imds.test': ['169.254.169.254'] });
    const client = egress({
      lookup: dns.lookup,
      policy: { allowLoopback: true, allowlist: ['169.254.0.0/16', '169.254.169.254', 'imds.test', 'fd00::/8'] },
    });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://imds.test/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
    ]) {
      expect(await refusal(client.send(get(url)))).toMatchObject({ code: 'blocked_destination', reason: 'metadata' });
    }
  });

  it('calls only http and https URLs', async () => {
    const client = egress({ policy: loopbackOpen });
    for (const url of ['ftp://127.0.0.1/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'not a url']) {
      expect((await refusal(client.send(get(url)))).code).toBe('bad_scheme');
    }
  });

  it('sends the URL host as Host, whatever Host header a template renders', async () => {
    const target = await startTarget();
    await egress({ policy: loopbackOpen }).send(get(`${target.origin}/`, { headers: { Host: 'internal.admin' } }));
    expect(target.requests[0]?.headers.host).toBe(`127.0.0.1:${target.port}`);
  });
});

describe('egress redirects', () => {
  it('returns a 3xx as it is when redirects are off (the default)', async () => {
    const target = await startTarget((req, res) => {
      res.writeHead(302, { location: '/new' }).end('moved');
    });
    const response = await egress({ policy: loopbackOpen }).send(get(`${target.origin}/old`));
    expect(response).toMatchObject({ status: 302, body: 'moved', url: `${target.origin}/old` });
    expect(response.headers['location']).toBe('/new');
    expect(target.requests.map((r) => r.path)).toEqual(['/old']);
  });

  it('follows up to three redirects when asked and refuses a fourth', async () => {
    const target = await startTarget((req, res) => {
      const hop = Number(req.path.slice(1));
      if (hop < 4) res.writeHead(hop % 2 ? 301 : 307, { location: `/${hop + 1}` }).end();
      else res.end(`arrived at ${hop}`);
    });
    const client = egress({ policy: loopbackOpen });
    const response = await client.send(get(`${target.origin}/1`, { followRedirects: 3 }));
    expect(response).toMatchObject({ status: 200, body: 'arrived at 4', url: `${target.origin}/4` });

    const tooMany = await refusal(client.send(get(`${target.origin}/0`, { followRedirects: 10 })));
    expect(tooMany.code).toBe('too_many_redirects');
    const limited = await refusal(client.send(get(`${target.origin}/1`, { followRedirects: 2 })));
    expect(limited.code).toBe('too_many_redirects');
  });

  it('re-checks every hop, so a redirect to the metadata service or a private address is refused', async () => {
    const hidden = await startTarget();
    const redirector = await startTarget((req, res) => {
      const to: Record<string, string> = {
        '/imds': 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        '/imds-mapped': 'http://[::ffff:169.254.169.254]/latest/meta-data/',
        '/imds-name': `http://metadata.google.internal:${hidden.port}/computeMetadata/v1/`,
        '/imds-dns': `http://imds.test:${hidden.port}/latest/meta-data/`,
        '/private': 'http://10.0.0.1/admin',
        '/file': 'file:///etc/passwd',
      };
      res.writeHead(302, { location: to[req.path] ?? '/' }).end();
    });
    const dns = fakeDns({ 'metadata.google.internal': ['127.0.0.1'], 'imds.test': ['169.254.169.254'] });
    const client = egress({ lookup: dns.lookup, policy: loopbackOpen });
    const follow = (path: string) => refusal(client.send(get(`${redirector.origin}${path}`, { followRedirects: 3 })));

    expect(await follow('/imds')).toMatchObject({ code: 'blocked_destination', reason: 'metadata' });
    expect(await follow('/imds-mapped')).toMatchObject({ code: 'blocked_destination', reason: 'metadata' });
    expect(await follow('/imds-name')).toMatchObject({ code: 'blocked_destination', reason: 'metadata' });
    expect(await follow('/imds-dns')).toMatchObject({ code: 'blocked_destination', reason: 'metadata' });
    expect(await follow('/private')).toMatchObject({ code: 'blocked_destination', reason: 'private' });
    expect(await follow('/file')).toMatchObject({ code: 'bad_scheme' });
    expect(hidden.connections).toBe(0);
    expect(dns.queries).toEqual(['imds.test']);
  });

  it('drops credentials on a cross-origin hop and keeps them on a same-origin hop', async () => {
    const other = await startTarget((req, res) => res.end(JSON.stringify(req.headers)));
    const first = await startTarget((req, res) => {
      if (req.path === '/same') res.writeHead(302, { location: '/echo' }).end();
      else if (req.path === '/cross')
        res.writeHead(302, { location: `${other.origin}/echo?api_key=leak&page=2` }).end();
      else res.end(JSON.stringify(req.headers));
    });
    const headers = {
      Authorization: 'Bearer sk_live_secret',
      cookie: 'session=abc',
      'x-api-key': 'k_123',
      'x-crm-sig': 'custom-secret',
      'proxy-authorization': 'Basic abc',
      'x-trace': 'keep-me',
    };
    const client = egress({ policy: loopbackOpen });
    const options = { headers, followRedirects: 1, credentialHeaders: ['X-Crm-Sig'], credentialQuery: ['api_key'] };

    const same = await client.send(get(`${first.origin}/same`, options));
    expect(JSON.parse(same.body)).toMatchObject({
      authorization: 'Bearer sk_live_secret',
      cookie: 'session=abc',
      'x-api-key': 'k_123',
      'x-crm-sig': 'custom-secret',
    });

    const cross = await client.send(get(`${first.origin}/cross`, options));
    const seen = JSON.parse(cross.body) as Record<string, string>;
    expect(seen['x-trace']).toBe('keep-me');
    for (const name of ['authorization', 'cookie', 'x-api-key', 'x-crm-sig', 'proxy-authorization']) {
      expect(seen[name]).toBeUndefined();
    }
    expect(other.requests.map((r) => r.path)).toEqual(['/echo?page=2']);
    expect(cross.url).toBe(`${other.origin}/echo?page=2`);
  });

  it('turns a POST into a GET without a body on 303 and keeps method and body on 307', async () => {
    const target = await startTarget((req, res) => {
      if (req.path === '/see-other') res.writeHead(303, { location: '/result' }).end();
      else if (req.path === '/temporary') res.writeHead(307, { location: '/result' }).end();
      else res.end(JSON.stringify({ method: req.method, body: req.body, type: req.headers['content-type'] ?? null }));
    });
    const client = egress({ policy: loopbackOpen });
    const post = (path: string) =>
      client.send({
        ...get(`${target.origin}${path}`, { followRedirects: 1 }),
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"order":1}',
      });
    expect(JSON.parse((await post('/see-other')).body)).toEqual({ method: 'GET', body: '', type: null });
    expect(JSON.parse((await post('/temporary')).body)).toEqual({
      method: 'POST',
      body: '{"order":1}',
      type: 'application/json',
    });
  });

  it('never sends a request carrying a secret again, as it was, to another origin', async () => {
    const other = await startTarget();
    const first = await startTarget((req, res) => {
      const [status, where] = req.path.slice(1).split('-');
      const location = where === 'same' ? '/arrived' : `${other.origin}/steal`;
      if (req.path === '/arrived') res.end('arrived');
      else res.writeHead(Number(status), { location }).end();
    });
    const client = egress({ policy: loopbackOpen });
    const send = (path: string, method = 'POST', carriesSecrets = true) =>
      client.send({
        ...get(`${first.origin}${path}`, { followRedirects: 1, carriesSecrets }),
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' ? null : '{"token":"sk_live_secret"}',
      });

    for (const [path, method] of [
      ['/307', 'POST'],
      ['/308', 'PUT'],
      ['/307', 'GET'],
      ['/302', 'PUT'],
    ] as const) {
      expect(await refusal(send(path, method))).toMatchObject({
        code: 'unsafe_redirect',
        message: expect.stringContaining(`answered ${path.slice(1)} to ${other.origin}`),
      });
    }
    expect(other.connections).toBe(0);
    expect((await send('/307-same')).body).toBe('arrived');
    expect((await send('/302', 'POST')).status).toBe(200);
    expect(other.requests.map((r) => [r.method, r.body])).toEqual([['GET', '']]);
    expect((await send('/307', 'POST', false)).status).toBe(200);
  });

  it('lets the caller refuse a hop, for secret host bindings', async () => {
    const other = await startTarget();
    const first = await startTarget((_req, res) => res.writeHead(302, { location: `${other.origin}/steal` }).end());
    const bindings = { crm_token: [`127.0.0.1`] };
    const call = egress({ policy: loopbackOpen }).send(
      get(`${first.origin}/`, {
        followRedirects: 1,
        checkRedirect: (url) => {
          if (new URL(url).port !== String(first.port))
            assertSecretHostAllowed('crm_token', bindings, 'http://other.test/');
        },
      }),
    );
    await expect(call).rejects.toThrow('secret "crm_token" may not be sent to other.test');
    expect(other.connections).toBe(0);
  });
});

describe('egress response size', () => {
  const MB = 1024 * 1024;
  let bomb: Buffer;

  beforeAll(async () => {
    // 50 MB of zeros, gzipped as it streams so the test itself never holds the 50 MB.
    const gzip = createGzip({ level: 9 });
    const chunks: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
    const block = Buffer.alloc(MB);
    for (let i = 0; i < 50; i++) if (!gzip.write(block)) await once(gzip, 'drain');
    gzip.end();
    await once(gzip, 'end');
    bomb = Buffer.concat(chunks);
  });

  it('cuts a gzip bomb at the cap on decoded bytes and keeps memory small', async () => {
    expect(bomb.length).toBeLessThan(MB / 10);
    const target = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' }).end(bomb);
    });
    const client = egress({ policy: loopbackOpen });
    // The process's peak resident set (KiB) also catches a spike inside synchronous code, which sampling cannot.
    const peakBefore = process.resourceUsage().maxRSS;
    const before = process.memoryUsage();
    const error = await refusal(client.send(get(`${target.origin}/bomb`)));
    const after = process.memoryUsage();
    expect(error.code).toBe('response_too_large');
    expect(process.resourceUsage().maxRSS - peakBefore).toBeLessThan(24 * 1024);
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(16 * MB);
  });

  it.each([
    ['deflate (zlib)', 'deflate', (data: Buffer) => deflateSync(data)],
    ['deflate (raw)', 'deflate', (data: Buffer) => deflateRawSync(data)],
    ['br', 'br', (data: Buffer) => brotliCompressSync(data)],
  ])('cuts a %s bomb at the cap too', async (_name, encoding, compress) => {
    const packed = compress(Buffer.alloc(8 * MB));
    const target = await startTarget((_req, res) => res.writeHead(200, { 'content-encoding': encoding }).end(packed));
    const error = await refusal(egress({ policy: loopbackOpen }).send(get(`${target.origin}/`)));
    expect(error.code).toBe('response_too_large');
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['deflate', deflateRawSync],
    ['br', brotliCompressSync],
  ])('decodes a %s body', async (encoding, compress) => {
    const text = JSON.stringify({ message: 'Your order shipped', items: Array.from({ length: 100 }, (_, i) => i) });
    const target = await startTarget((_req, res) =>
      res.writeHead(200, { 'content-encoding': encoding }).end(compress(Buffer.from(text))),
    );
    const response = await egress({ policy: loopbackOpen }).send(get(`${target.origin}/`));
    expect(response.body).toBe(text);
  });

  it('refuses a plain body over the cap and reads one exactly at it', async () => {
    const target = await startTarget((req, res) => res.end('a'.repeat(req.path === '/big' ? 2 * MB : MB)));
    const client = egress({ policy: loopbackOpen });
    expect((await refusal(client.send(get(`${target.origin}/big`)))).code).toBe('response_too_large');
    expect((await client.send(get(`${target.origin}/exact`))).body.length).toBe(MB);
  });

  it('honours a smaller configured cap', async () => {
    const target = await startTarget((_req, res) => res.end('x'.repeat(2000)));
    const client = egress({ policy: loopbackOpen, maxResponseBytes: 1000 });
    expect((await refusal(client.send(get(`${target.origin}/`)))).code).toBe('response_too_large');
  });
});

describe('egress timeouts', () => {
  it('times out a server that never answers', async () => {
    const target = await startTarget(() => undefined);
    const started = Date.now();
    const error = await refusal(egress({ policy: loopbackOpen }).send(get(`${target.origin}/`, { timeoutMs: 300 })));
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a body that stops halfway', async () => {
    const target = await startTarget((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const error = await refusal(egress({ policy: loopbackOpen }).send(get(`${target.origin}/`, { timeoutMs: 300 })));
    expect(error.code).toBe('timeout');
  });

  it('times out a body that trickles in slower than the deadline', async () => {
    const target = await startTarget((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const error = await refusal(egress({ policy: loopbackOpen }).send(get(`${target.origin}/`, { timeoutMs: 400 })));
    expect(error.code).toBe('timeout');
  });

  it('times out at connect when the resolver never answers', async () => {
    const dns = fakeDns({ 'slow.test': 'hang' });
    const error = await refusal(egress({ lookup: dns.lookup, connectTimeoutMs: 200 }).send(get('http://slow.test/')));
    expect(error.code).toBe('timeout');
  });

  it("rethrows the caller's cancellation as it is, not as an egress failure", async () => {
    const target = await startTarget(() => undefined);
    const controller = new AbortController();
    const call = egress({ policy: loopbackOpen }).send(get(`${target.origin}/`, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await expect(call).rejects.toThrow('activity cancelled');
    await expect(call).rejects.not.toBeInstanceOf(EgressError);
  });

  it('reports a refused connection as a network failure', async () => {
    const target = await startTarget();
    await target.close();
    const error = await refusal(egress({ policy: loopbackOpen }).send(get(`${target.origin}/`)));
    expect(error.code).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
