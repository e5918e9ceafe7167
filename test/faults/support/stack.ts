import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MongoClient, type Db } from 'mongodb';
import {
  freePort,
  spawnService,
  startFerretDb,
  startTemporalDevServer,
  type FerretDb,
  type Service,
  type TemporalDevServer,
} from '../../../scripts/infra';
import { waitFor } from './wait';

/** What one HTTP call to the API answered, and how long it took. */
export type ApiAnswer = {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
  retryAfter: string | null;
  ms: number;
};

/** A process of the stack (worker or API) and the log file it writes. */
type NodeProcess = Service & { log: string };

/**
 * A whole Parley whose every part can be killed: its own Temporal dev server (state in a SQLite file, so a restart
 * keeps every conversation), its own FerretDB (same data folder on restart), and the worker and the API as real
 * processes (`node --import tsx worker/main.ts`, `api/main.ts`) configured only through the environment, as in
 * production — all on free loopback ports, in a temporary folder. `kill*` sends SIGKILL and waits until the
 * process is gone; `start*` brings a part back on the same port and state and resolves once it serves.
 */
export async function startFaultStack() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-faults-'));
  const [temporalPort, mongoPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const adminKey = `faults-${randomBytes(18).toString('base64url')}`;
  const temporalDb = join(dir, 'temporal.db');
  const ferretDir = join(dir, 'ferretdb');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(apiPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_TASK_QUEUE: 'parley-faults',
    MONGODB_URI: `mongodb://127.0.0.1:${mongoPort}/`,
    MONGODB_DB: 'parley_faults',
    PARLEY_ADMIN_KEY: adminKey,
    PARLEY_SECRET_KEYS: `faults1:${randomBytes(32).toString('base64')}`,
    PARLEY_DATA_DIR: dir,
    // The upstream lives on loopback.
    PARLEY_ALLOW_LOOPBACK: 'true',
    // Routing by words alone: the suite's messages are the actions' examples, and two cores are better spent on
    // the processes under test than on loading the sentence encoder into each of them.
    PARLEY_ENCODER_DIR: join(dir, 'no-encoder'),
    // One test client starts every conversation from one address.
    PARLEY_STARTS_PER_ADDRESS_PER_MINUTE: '10000',
    LOG_LEVEL: 'info',
  };

  let temporal: TemporalDevServer | null = null;
  let ferret: FerretDb | null = null;
  let worker: NodeProcess | null = null;
  let api: NodeProcess | null = null;
  const incarnations = { worker: 0, api: 0 };

  const startTemporal = async () => {
    temporal = await startTemporalDevServer({ port: temporalPort, dbFile: temporalDb, logDir: dir });
  };
  const startFerret = async () => {
    ferret = await startFerretDb({ port: mongoPort, dataDir: ferretDir, logDir: dir });
  };

  /** Spawns worker/main.ts or api/main.ts and resolves once its log says `ready` (rejects if it exits first). */
  async function spawnNode(name: 'worker' | 'api', ready: string, timeoutMs: number): Promise<NodeProcess> {
    incarnations[name] += 1;
    const log = join(dir, `${name}-${incarnations[name]}.log`);
    const service = spawnService(name, process.execPath, ['--import', 'tsx', `${name}/main.ts`], log, env);
    let exited = false;
    void service.exited.then(() => (exited = true));
    const outcome = await waitFor(
      `the ${name} to start (log: ${log})`,
      () => (exited ? 'exited' : existsSync(log) && readFileSync(log, 'utf8').includes(`"msg":"${ready}"`)),
      { timeoutMs, intervalMs: 50 },
    ).catch(async (error: unknown) => {
      await service.kill();
      throw error;
    });
    if (outcome === 'exited') throw new Error(`the ${name} exited during start-up; its log ends:\n${tail(log)}`);
    return { ...service, log };
  }

  const stack = {
    dir,
    adminKey,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    temporalAddress: `127.0.0.1:${temporalPort}`,

    startTemporal,
    async killTemporal() {
      await temporal?.kill();
      temporal = null;
    },
    startFerretDb: startFerret,
    async killFerretDb() {
      await ferret?.kill();
      ferret = null;
    },
    /** Starts a worker process; resolves once it has created its worker (bundled its workflows) and runs it. */
    async startWorker(): Promise<void> {
      worker = await spawnNode('worker', 'worker started', 120_000);
    },
    async killWorker() {
      await worker?.kill();
      worker = null;
    },
    /** Starts an API process; resolves once it listens. */
    async startApi(): Promise<void> {
      api = await spawnNode('api', 'API listening', 60_000);
    },
    async killApi() {
      await api?.kill();
      api = null;
    },

    /** One JSON call to the API (no retries); `timeoutMs` bounds it. */
    async call(
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      path: string,
      options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
    ): Promise<ApiAnswer> {
      const started = performance.now();
      const response = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? (JSON.parse(text) as ApiAnswer['body']) : {},
        retryAfter: response.headers.get('retry-after'),
        ms: Math.round(performance.now() - started),
      };
    },
    /** An admin call (Authorization: Bearer <admin key>). */
    admin(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, timeoutMs?: number) {
      return stack.call(method, path, {
        body,
        headers: { authorization: `Bearer ${adminKey}` },
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    },

    /** Runs `use` with a Temporal client of the stack's dev server (connected for that call only). */
    async withTemporal<T>(use: (client: Client) => Promise<T>): Promise<T> {
      const connection = await Connection.connect({ address: stack.temporalAddress, connectTimeout: 2_000 });
      try {
        return await use(new Client({ connection }));
      } finally {
        await connection.close();
      }
    },
    /** Runs `use` with Parley's database (connected for that call only). */
    async withDatabase<T>(use: (db: Db) => Promise<T>): Promise<T> {
      const client = await MongoClient.connect(env.MONGODB_URI ?? '', { serverSelectionTimeoutMS: 2_000 });
      try {
        return await use(client.db(env.MONGODB_DB));
      } finally {
        await client.close();
      }
    },

    /** Brings back every part a test left killed (a failed test must not take the next one down with it). */
    async restore(): Promise<void> {
      if (!temporal || !ferret) await Promise.all([temporal ? null : startTemporal(), ferret ? null : startFerret()]);
      if (!worker || !api) await Promise.all([worker ? null : stack.startWorker(), api ? null : stack.startApi()]);
    },

    /** Stops everything that still runs and removes the folder (kept, with its logs, when `keep`). */
    async stop(keep = false) {
      for (const part of [api, worker, ferret, temporal]) await part?.kill();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all([startTemporal(), startFerret()]);
    await Promise.all([stack.startWorker(), stack.startApi()]);
  } catch (error) {
    await stack.stop(true);
    throw error;
  }
  return stack;
}
export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}
