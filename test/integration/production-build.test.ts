import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, ROOT } from '../../scripts/infra';
import { DEFAULT_ENCODER_DIR } from '../../shared/config';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { orderStatusAction } from '../support/parley';

/**
 * The artifact operators run: `npm run build`, then the compiled API and worker (`node dist/…/main.js`) with
 * NODE_ENV=production against the real Temporal dev server and FerretDB, exactly as the Dockerfile starts them.
 */

const ADMIN_KEY = `prod-admin-${randomUUID()}`;
const SECRET_KEYS = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
const ENCODER_DIR = join(ROOT, DEFAULT_ENCODER_DIR);
/** How long a process may take to come up (or to give up) before the test says so. */
const READY_MS = 45_000;

/** A compiled Parley process, its output kept line by line. */
type ParleyProcess = {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits or time runs out. */
  line: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  stop: () => Promise<void>;
};

const processes: ParleyProcess[] = [];

/** Starts `node dist/<which>/main.js` with only the given environment (plus PATH and HOME). */
function startProcess(which: 'api' | 'worker', env: Record<string, string>): ParleyProcess {
  const child = spawn(process.execPath, [join('dist', which, 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (into: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      into.push(...lines);
      for (const listener of listeners) listener();
    };
  };
  child.stdout?.on('data', collect(stdout));
  child.stderr?.on('data', collect(stderr));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      for (const listener of listeners) listener();
      resolve(code);
    }),
  );
  const line = (pattern: RegExp, timeoutMs = READY_MS) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.find((text) => pattern.test(text));
        if (found !== undefined) return done(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null)
          done(() => reject(new Error(`${which} exited (${child.exitCode}) before ${pattern}: ${stderr.join('\n')}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${which} printed no ${pattern} in ${timeoutMs} ms: ${stderr.join('\n')}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const started = { child, stdout, stderr, exited, line, stop };
  processes.push(started);
  return started;
}

/** The production environment of one Parley: its own database and task queue, the test servers by default. */
function productionEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  return {
    NODE_ENV: 'production',
    PARLEY_ADMIN_KEY: ADMIN_KEY,
    PARLEY_SECRET_KEYS: SECRET_KEYS,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    MONGODB_URI: inject('mongodbUri'),
    MONGODB_DB: `parley_prod_${id}`,
    TEMPORAL_TASK_QUEUE: `prod-${id}`,
    PARLEY_ENCODER_DIR: ENCODER_DIR,
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/** GET /healthz until it answers 200, or fails with what the process said once the deadline passes. */
async function untilHealthy(port: number, api: ParleyProcess): Promise<void> {
  const deadline = Date.now() + READY_MS;
  for (;;) {
    if (api.child.exitCode !== null) throw new Error(`the API exited: ${api.stderr.join('\n')}`);
    const status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the API was not healthy in ${READY_MS} ms: ${api.stderr.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The exit of a process that should refuse to start: its code, and stderr's non-empty lines. */
async function refusal(started: ParleyProcess): Promise<{ code: number | null; lines: string[] }> {
  const code = await Promise.race([
    started.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still running after ${READY_MS} ms`)), READY_MS).unref(),
    ),
  ]);
  return { code, lines: started.stderr.filter((text) => text.trim() !== '') };
}

/**
 * An address of this machine other than loopback, which production never calls: the fake upstream listens
 * there, and PARLEY_EGRESS_ALLOWLIST opens it the way an operator opens a private API.
 */
function nonLoopbackAddress(): string {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal);
  const chosen = addresses.find((entry) => entry?.family === 'IPv4') ?? addresses.find((entry) => !entry?.scopeid);
  if (!chosen) throw new Error('this machine has no non-loopback address for the fake upstream to listen on');
  return chosen.address;
}

/** A TCP port on `listenHost` that forwards to `target` once `open` is called: a dependency that comes up late. */
async function lateProxy(target: string, listenHost = '127.0.0.1') {
  const port = await freePort();
  const [host = '127.0.0.1', targetPort] = target
    .replace(/^mongodb:\/\//, '')
    .replace(/\/.*$/, '')
    .split(':');
  let server: Server | undefined;
  return {
    port,
    open: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((socket) => {
          const upstream = connect(Number(targetPort), host);
          socket.pipe(upstream).pipe(socket);
          socket.on('error', () => upstream.destroy());
          upstream.on('error', () => socket.destroy());
        });
        server.once('error', reject);
        server.listen(port, listenHost, () => resolve());
      }),
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

describe('the production build', () => {
  let upstream: FakeApi | undefined;
  const proxies: Array<{ close: () => Promise<void> }> = [];

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 120_000 });
  }, 150_000);

  afterAll(async () => {
    await Promise.all(processes.map((started) => started.stop()));
    await Promise.all([upstream?.close(), ...proxies.map((proxy) => proxy.close())]);
  });

  it('compiles a worker that bundles its workflow code from dist and an encoder path it finds', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-e', "console.log(require('./dist/worker/worker.js').workflowsPath)"],
      { cwd: ROOT },
    );
    expect(stdout.trim()).toBe(join(ROOT, 'dist', 'workflows', 'index.js'));
    expect(existsSync(join(ENCODER_DIR, 'all-minilm-l6-v2-q.onnx')), `encoder in ${ENCODER_DIR}`).toBe(true);
    expect(existsSync(join(ROOT, 'dist', 'widget', 'widget.js')), 'the web chat bundle').toBe(true);
  });

  it('answers a conversation through an action calling a real HTTP API, with NODE_ENV=production', async () => {
    const host = nonLoopbackAddress();
    upstream = await startFakeApi((request) =>
      request.path === '/orders/12345'
        ? { status: 200, body: { data: { order: { status: 'shipped', eta: 'Friday' } } } }
        : { status: 404, body: {} },
    );
    // startFakeApi listens on loopback, which production never calls: listen on the machine's own address too.
    const outside = await lateProxy(upstream.url.replace('http://', ''), host);
    proxies.push(outside);
    const apiPort = await freePort();
    const env = productionEnv({ PARLEY_EGRESS_ALLOWLIST: host });
    const worker = startProcess('worker', env);
    const api = startProcess('api', { ...env, PORT: String(apiPort) });
    await outside.open();
    await Promise.all([worker.line(/"msg":"worker started"/), untilHealthy(apiPort, api)]);

    // The web chat that `npm run build` bundled, served by the compiled API (gzipped, revalidated by its ETag).
    const widget = await fetch(`http://127.0.0.1:${apiPort}/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(widget.status).toBe(200);
    expect(widget.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(widget.headers.get('content-encoding')).toBe('gzip');
    expect(await widget.text()).toMatch(/^\/\* Parley web chat \*\//);
    const unchanged = await fetch(`http://127.0.0.1:${apiPort}/widget.js`, {
      // As a browser revalidates (fetch() alone would add Cache-Control: no-cache to a conditional request).
      headers: { 'if-none-match': widget.headers.get('etag') ?? '', 'cache-control': 'max-age=0' },
    });
    expect(unchanged.status).toBe(304);

    const base = `http://${host.includes(':') ? `[${host}]` : host}:${outside.port}`;
    expect(base).not.toContain('127.0.0.1');
    const admin = (method: string, path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${apiPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const chatbotId = `prod-${randomUUID().slice(0, 8)}`;
    const chatbot = await admin('POST', '/v1/chatbots', { id: chatbotId, name: 'Production bot' });
    expect(chatbot.status).toBe(201);
    const { publishableKey } = (await chatbot.json()) as { publishableKey: string };
    const action = await admin('PUT', `/v1/chatbots/${chatbotId}/actions/check_order_status`, orderStatusAction(base));
    expect(action.status).toBe(201);
    expect(((await action.json()) as { warnings: string[] }).warnings).toEqual([]);

    const started = await fetch(`http://127.0.0.1:${apiPort}/v1/chatbots/${chatbotId}/conversations`, {
      method: 'POST',
      headers: { 'x-parley-key': publishableKey, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(201);
    const { conversationId, token } = (await started.json()) as { conversationId: string; token: string };
    const reply = await fetch(`http://127.0.0.1:${apiPort}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'where is my order 12345?', messageId: randomUUID() }),
    });
    expect(reply.status).toBe(200);
    const { messages } = (await reply.json()) as { messages: Array<{ text?: string }> };
    expect(
      messages.map((message) => message.text),
      JSON.stringify({ messages, logs: worker.stdout }),
    ).toContain('Your order is shipped (ETA Friday).');
    expect(upstream.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /orders/12345']);

    for (const started of [api, worker]) {
      expect(started.stdout.join('\n')).not.toMatch(/no sentence encoder installed/);
      expect(started.stderr.filter((text) => text.trim() !== '')).toEqual([]);
    }
  });

  it('comes up by itself when started before MongoDB and Temporal, logging each wait by variable', async () => {
    const [mongo, temporal] = await Promise.all([
      lateProxy(inject('mongodbUri')),
      lateProxy(inject('temporalAddress')),
    ]);
    proxies.push(mongo, temporal);
    const env = productionEnv({
      MONGODB_URI: `mongodb://127.0.0.1:${mongo.port}/`,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
    });
    const apiPort = await freePort();
    const api = startProcess('api', { ...env, PORT: String(apiPort) });
    const worker = startProcess('worker', env);

    await Promise.all([
      api.line(/MONGODB_URI=mongodb:\/\/127\.0\.0\.1:\d+\/: MongoDB cannot be reached yet/),
      worker.line(/MONGODB_URI=.*cannot be reached yet/),
    ]);
    await mongo.open();
    await Promise.all([
      api.line(/TEMPORAL_ADDRESS=127\.0\.0\.1:\d+: Temporal cannot be reached yet/),
      worker.line(/TEMPORAL_ADDRESS=127\.0\.0\.1:\d+: Temporal cannot be reached yet/),
    ]);
    await temporal.open();
    await Promise.all([worker.line(/"msg":"worker started"/), untilHealthy(apiPort, api)]);
  });

  describe('refuses to start with one line naming what is wrong', () => {
    it('when TEMPORAL_ADDRESS points where no Temporal answers', async () => {
      const address = `127.0.0.1:${await freePort()}`;
      const env = productionEnv({ TEMPORAL_ADDRESS: address, PARLEY_STARTUP_WAIT_SECONDS: '2' });
      for (const result of await Promise.all([
        refusal(startProcess('api', { ...env, PORT: String(await freePort()) })),
        refusal(startProcess('worker', env)),
      ])) {
        expect(result.code).not.toBe(0);
        expect(result.lines).toHaveLength(1);
        expect(result.lines[0]).toMatch(
          new RegExp(`^TEMPORAL_ADDRESS=${address}: Temporal cannot be reached \\(gave up after 2 s`),
        );
      }
    });

    it('at once when TEMPORAL_ADDRESS is not a host:port', async () => {
      const env = productionEnv({ TEMPORAL_ADDRESS: 'http://temporal:7233' });
      const startedAt = Date.now();
      for (const result of await Promise.all([
        refusal(startProcess('api', { ...env, PORT: String(await freePort()) })),
        refusal(startProcess('worker', env)),
      ])) {
        expect(result.code).not.toBe(0);
        expect(result.lines).toEqual([
          expect.stringMatching(/^TEMPORAL_ADDRESS=http:\/\/temporal:7233: Temporal cannot be used \(Invalid address/),
        ]);
      }
      // Well inside the minute a production process waits for a Temporal that is merely down.
      expect(Date.now() - startedAt).toBeLessThan(30_000);
    });

    it('when MONGODB_URI points where no database answers, never printing its password', async () => {
      const uri = `mongodb://parley:hunter2@127.0.0.1:${await freePort()}/`;
      // Three seconds: one failed attempt (two seconds of server selection), one logged wait, then giving up.
      const env = productionEnv({ MONGODB_URI: uri, PARLEY_STARTUP_WAIT_SECONDS: '3' });
      const started = [startProcess('api', { ...env, PORT: String(await freePort()) }), startProcess('worker', env)];
      for (const [index, result] of (await Promise.all(started.map(refusal))).entries()) {
        expect(result.code).not.toBe(0);
        expect(result.lines).toHaveLength(1);
        expect(result.lines[0]).toMatch(
          /^MONGODB_URI=mongodb:\/\/parley:\*\*\*@127\.0\.0\.1:\d+\/: MongoDB cannot be reached \(gave up after 3 s/,
        );
        expect(started[index]?.stdout.join('\n')).toMatch(
          /MONGODB_URI=mongodb:\/\/parley:\*\*\*@.*cannot be reached yet/,
        );
        expect([...started[index]!.stdout, ...result.lines].join('\n')).not.toContain('hunter2');
      }
    });

    it('when PARLEY_ADMIN_KEY is missing in production', async () => {
      const { PARLEY_ADMIN_KEY: _, ...env } = productionEnv();
      for (const result of await Promise.all([
        refusal(startProcess('api', env)),
        refusal(startProcess('worker', env)),
      ])) {
        expect(result.code).not.toBe(0);
        expect(result.lines).toHaveLength(1);
        expect(result.lines[0]).toMatch(/PARLEY_ADMIN_KEY: is required when NODE_ENV=production/);
      }
    });
  });
});
