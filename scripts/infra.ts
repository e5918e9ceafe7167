import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';

/**
 * Starts the embedded infrastructure — the Temporal CLI dev server and FerretDB — from the tools the
 * bootstrap installed under .tools/bin. Used by `npm start` and by the integration tests' global setup.
 */

export const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, '.tools', 'bin');

/** Parley's search attributes, registered on the embedded Temporal server. */
export const SEARCH_ATTRIBUTES = ['ParleyChatbotId=Keyword'];

/** Path of a bootstrap-installed tool; fails with what to do when it is missing (never a silent skip). */
export function toolPath(name: 'temporal' | 'temporal-test-server' | 'ferretdb'): string {
  const path = join(BIN, name);
  if (!existsSync(path)) {
    throw new Error(
      `${name} is not installed in .tools/bin. Run \`npm run bootstrap\` (needs python3 and go once), ` +
        'or run the production-like stack with docker compose.',
    );
  }
  return path;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether something already listens on a loopback port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolveInUse) => {
    const server = createServer();
    server.once('error', () => resolveInUse(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveInUse(false)));
  });
}

/** A child process Parley started, with ways to stop it (SIGTERM, then SIGKILL) and to kill it outright. */
export type Service = {
  name: string;
  pid?: number;
  stop: () => Promise<void>;
  /** Sends SIGKILL — a crash, as the fault tests make one — and resolves once the process is gone. */
  kill: () => Promise<void>;
  exited: Promise<number | null>;
};

/**
 * Spawns a long-running child whose output goes to a log file; `stop` sends SIGTERM, then SIGKILL; `kill` sends
 * SIGKILL at once.
 */
export function spawnService(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env = process.env,
): Service & { child: ChildProcess } {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out], env, cwd: ROOT });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  return { name, pid: child.pid, child, stop, kill, exited };
}

function tail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** Polls `probe` until it succeeds, the service exits, or the deadline passes. */
async function waitUntilReady(
  service: Service,
  logFile: string,
  probe: () => Promise<unknown>,
  timeoutMs = 60_000,
): Promise<void> {
  let dead = false;
  void service.exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${service.name} exited during start-up. Its log (${logFile}) ends:\n${tail(logFile)}`);
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await service.stop();
  throw new Error(
    `${service.name} did not become ready in ${timeoutMs / 1000}s: ${String(lastError)}\n${tail(logFile)}`,
  );
}

export type TemporalDevServer = Service & { address: string; uiPort: number | null };

/** Starts the Temporal CLI dev server (SQLite file when `dbFile` is given) and waits until it answers. */
export async function startTemporalDevServer(options: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  logDir: string;
  namespace?: string;
  /** Dynamic config overrides, e.g. `limit.historyCount.suggestContinueAsNew=60` in tests. */
  dynamicConfig?: string[];
}): Promise<TemporalDevServer> {
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, 'temporal.log');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', attribute]),
    ...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...(options.dynamicConfig ?? []).flatMap((value) => ['--dynamic-config-value', value]),
  ];
  const service = spawnService('Temporal dev server', toolPath('temporal'), args, logFile);
  const address = `127.0.0.1:${options.port}`;
  await waitUntilReady(service, logFile, async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: options.namespace ?? 'default' });
    } finally {
      await connection.close();
    }
  });
  return { ...service, address, uiPort: options.uiPort ?? null };
}

export type FerretDb = Service & { uri: string };

/** Starts FerretDB on SQLite files under `dataDir` (telemetry off) and waits until it answers a ping. */
export async function startFerretDb(options: { port: number; dataDir: string; logDir: string }): Promise<FerretDb> {
  mkdirSync(options.dataDir, { recursive: true });
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, 'ferretdb.log');
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${options.dataDir}/`,
    `--state-dir=${options.dataDir}`,
    `--listen-addr=127.0.0.1:${options.port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
  ];
  const service = spawnService('FerretDB', toolPath('ferretdb'), args, logFile);
  const uri = `mongodb://127.0.0.1:${options.port}/`;
  await waitUntilReady(service, logFile, async () => {
    const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 1000 });
    try {
      await client.db('admin').command({ ping: 1 });
    } finally {
      await client.close();
    }
  });
  return { ...service, uri };
}
