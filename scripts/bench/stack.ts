import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { freePort, spawnService, startFerretDb, startTemporalDevServer, type Service } from '../infra';
import { MEMORY_PROBE_ARGS } from './memory';

/**
 * A whole Parley for benchmarks, on loopback only: the Temporal dev server (in memory) and FerretDB in a
 * temporary folder, the worker and the API as their own processes (as `npm start` runs them), and an upstream
 * "order API" that answers at once. With `probeWorkerMemory` the worker runs with the memory probe
 * (memory-probe.ts) writing to `workerMemoryDir`. `spawn` runs another process of the benchmark's own (the
 * no-op worker) that stops with the rest. Everything stops, and the folder goes, on `stop()`.
 */
export async function startBenchStack(
  options: { env?: Record<string, string>; log?: (line: string) => void; probeWorkerMemory?: boolean } = {},
) {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const services: Service[] = [];
  const dispatcher = new Agent({ connections: 1024, pipelining: 0, keepAliveTimeout: 30_000 });
  let upstream: Server | undefined;
  const stop = async () => {
    for (const service of [...services].reverse()) await service.stop();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [temporalPort, mongoPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    log('starting the Temporal dev server and FerretDB');
    const [temporal, ferret] = await Promise.all([
      startTemporalDevServer({ port: temporalPort, logDir: dir }),
      startFerretDb({ port: mongoPort, dataDir: join(dir, 'ferretdb'), logDir: dir }),
    ]);
    services.push(temporal, ferret);

    upstream = createServer((req, res) => {
      const order = /^\/orders\/(\d+)/.exec(req.url ?? '')?.[1] ?? '0';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { order: { id: order, status: 'shipped', eta: '2026-11-24' } } }));
    });
    await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    const adminKey = `bench_${randomBytes(18).toString('base64url')}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(apiPort),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'parley-bench',
      MONGODB_URI: ferret.uri,
      MONGODB_DB: 'parley_bench',
      PARLEY_ADMIN_KEY: adminKey,
      PARLEY_SECRET_KEYS: `bench1:${randomBytes(32).toString('base64')}`,
      PARLEY_ALLOW_LOOPBACK: 'true',
      PARLEY_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    /** Runs a TypeScript file as a child process (with the memory probe writing to `memoryDir`, if given). */
    const spawn = (name: string, file: string, args: string[] = [], memoryDir?: string) => {
      const probe = memoryDir ? MEMORY_PROBE_ARGS : [];
      if (memoryDir) mkdirSync(memoryDir, { recursive: true });
      const childEnv = memoryDir ? { ...env, PARLEY_BENCH_MEMORY_DIR: memoryDir } : env;
      const service = spawnService(
        name,
        process.execPath,
        ['--import', 'tsx', ...probe, file, ...args],
        join(dir, `${name}.log`),
        childEnv,
      );
      services.push(service);
      return service;
    };
    const workerMemoryDir = join(dir, 'memory-worker');
    log('starting the worker and the API');
    spawn('worker', 'worker/main.ts', [], options.probeWorkerMemory ? workerMemoryDir : undefined);
    spawn('api', 'api/main.ts');
    const api = `http://127.0.0.1:${apiPort}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const healthy = await request(`${api}/healthz`, { dispatcher }).then(
        async (response) => (await response.body.text(), response.statusCode === 200),
        () => false,
      );
      if (healthy) break;
      if (Date.now() > deadline) throw new Error(`the API did not become healthy; logs in ${dir}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    return {
      api,
      adminKey,
      upstreamUrl,
      dispatcher,
      dir,
      temporalAddress: temporal.address,
      workerMemoryDir,
      spawn,
      /** The stack's processes, for CPU accounting. */
      processes: () => services.map(({ name, pid }) => ({ name, pid })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;

/** A JSON call to the stack's API: status, body and the headers a client reads. */
export async function call(
  stack: BenchStack,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; retryAfter: number | null }> {
  const response = await request(`${stack.api}${path}`, {
    method,
    dispatcher: stack.dispatcher,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.body.text();
  const retryAfter = response.headers['retry-after'];
  return {
    status: response.statusCode,
    body: text ? (JSON.parse(text) as unknown) : null,
    retryAfter: typeof retryAfter === 'string' ? Number(retryAfter) : null,
  };
}
