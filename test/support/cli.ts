import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { createAcmeApi } from '../../scripts/demo/acme-api';
import { DEMO_SECRET, seedDemo } from '../../scripts/demo/seed';
import { ADMIN_KEY, type Parley } from './parley';

/** The repository's root: where processes the tests start run. */
export const ROOT = resolve(__dirname, '../..');

/** How a process ended: its exit code and what it printed. */
export type Run = { code: number; stdout: string; stderr: string };

/** Serves a server on a free loopback port; its base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops a server, cutting the connections it holds. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

/** Runs a command from the repository's root with only PATH, HOME and `env` set, as an operator's shell would. */
export function runProcess(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `parley <args>` as its own process (`npm run parley --` runs the same file). */
export function runCli(args: string[], env: Record<string, string>): Promise<Run> {
  return runProcess(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], env);
}

/**
 * What a CLI process talks to: the test Parley's app on a real port, and the demo Acme API beside it, with the demo
 * chatbot seeded as `npm start` seeds it.
 */
export async function serveDemo(parley: Parley): Promise<{ api: string; acmeUrl: string; close: () => Promise<void> }> {
  const apiServer = createServer(parley.app);
  const acmeServer = createAcmeApi(DEMO_SECRET.value);
  const api = await listen(apiServer);
  const acmeUrl = await listen(acmeServer);
  await seedDemo(api, ADMIN_KEY, acmeUrl);
  return { api, acmeUrl, close: async () => void (await Promise.all([close(apiServer), close(acmeServer)])) };
}
