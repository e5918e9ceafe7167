import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { ConfigError, EMBEDDED_DEFAULTS, loadConfig } from '../shared/config';
import { createAcmeApi } from './demo/acme-api';
import { DEMO_CHATBOT, DEMO_SECRET, seedDemo } from './demo/seed';
import { createStoreServer, STORE_PORT } from './demo/store-page';
import { portInUse, ROOT, spawnService, startFerretDb, startTemporalDevServer, type Service } from './infra';

/**
 * `npm start`: the whole stack on embedded defaults — Temporal dev server (UI on :8233) and FerretDB with
 * state under PARLEY_DATA_DIR, the worker, the API, the demo Acme store API, a seeded demo chatbot and the demo
 * store page with the web chat on it.
 * When TEMPORAL_ADDRESS / MONGODB_URI are set, those are used and nothing embedded starts.
 */

const ACME_PORT = 4010;
/** Where the worker serves Parley's metrics, and the Temporal SDK's (unless PARLEY_WORKER_METRICS_* say otherwise). */
const WORKER_METRICS_PORT = 9464;
const TEMPORAL_METRICS_ADDRESS = '127.0.0.1:9465';

async function main(): Promise<void> {
  const config = loadConfig();
  const dataDir = resolve(ROOT, config.dataDir);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const services: Service[] = [];
  let acme: Server | undefined;
  let store: Server | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Parley…');
    for (const service of [...services].reverse()) await service.stop();
    acme?.close();
    store?.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (config.temporal.embedded) {
      const port = Number(EMBEDDED_DEFAULTS.temporalAddress.split(':')[1]);
      await refuseBusyPort(port, 'Temporal', 'TEMPORAL_ADDRESS');
      console.log(`Starting the Temporal dev server on :${port} (UI :${EMBEDDED_DEFAULTS.temporalUiPort})…`);
      const temporal = await startTemporalDevServer({
        port,
        uiPort: EMBEDDED_DEFAULTS.temporalUiPort,
        dbFile: join(dataDir, 'temporal.db'),
        logDir,
        namespace: config.temporal.namespace,
      });
      services.push(temporal);
      env['TEMPORAL_ADDRESS'] = temporal.address;
    }
    if (config.mongodb.embedded) {
      const port = Number(new URL(EMBEDDED_DEFAULTS.mongodbUri).port);
      await refuseBusyPort(port, 'MongoDB', 'MONGODB_URI');
      console.log(`Starting FerretDB on :${port} (SQLite under ${join(config.dataDir, 'ferretdb')})…`);
      const ferret = await startFerretDb({ port, dataDir: join(dataDir, 'ferretdb'), logDir });
      services.push(ferret);
      env['MONGODB_URI'] = ferret.uri;
    }

    const acmeToken = DEMO_SECRET.value;
    acme = createAcmeApi(acmeToken);
    await new Promise<void>((resolveListen) => acme?.listen(ACME_PORT, '127.0.0.1', resolveListen));

    const adminKey = config.adminKey ?? `dev_${randomBytes(18).toString('base64url')}`;
    env['PARLEY_ADMIN_KEY'] = adminKey;
    env['PARLEY_SECRET_KEYS'] = config.secretKeys ?? developmentSecretKeys(dataDir);
    // The demo API lives on this machine; outbound calls to loopback are otherwise refused.
    env['PARLEY_ALLOW_LOOPBACK'] = process.env['PARLEY_ALLOW_LOOPBACK'] ?? 'true';
    const workerMetricsPort = config.workerMetrics.port ?? WORKER_METRICS_PORT;
    const temporalMetrics = config.workerMetrics.temporalAddress ?? TEMPORAL_METRICS_ADDRESS;
    env['PARLEY_WORKER_METRICS_PORT'] = String(workerMetricsPort);
    env['PARLEY_WORKER_METRICS_ADDRESS'] = temporalMetrics;
    for (const [name, file] of [
      ['worker', 'worker/main.ts'],
      ['API', 'api/main.ts'],
    ] as const) {
      const service = spawnService(
        name,
        process.execPath,
        ['--import', 'tsx', file],
        join(logDir, `${name.toLowerCase()}.log`),
        env,
      );
      services.push(service);
      void service.exited.then((code) => {
        if (!stopping) {
          console.error(
            `The ${name} exited (code ${code}); see ${join(config.dataDir, 'logs', `${name.toLowerCase()}.log`)}`,
          );
          void stopAll(1);
        }
      });
    }

    const api = `http://localhost:${config.port}`;
    await waitForHealthy(api);
    // The demo store page, on an origin of its own like an operator's site: the demo chatbot allows it (CORS).
    const storePage = `http://localhost:${STORE_PORT}`;
    store = createStoreServer({ api });
    await listenOn(store, STORE_PORT, 'the demo store page');
    await seedDemo(api, adminKey, `http://127.0.0.1:${ACME_PORT}`, {
      storeOrigins: [storePage, `http://127.0.0.1:${STORE_PORT}`],
    });

    console.log(
      [
        '',
        'Parley is running.',
        `  API          ${api}   (admin key: ${adminKey})`,
        `  Metrics      ${api}/metrics   worker http://localhost:${workerMetricsPort}/metrics   Temporal SDK http://${temporalMetrics}/metrics`,
        config.temporal.embedded
          ? `  Temporal UI  http://localhost:${EMBEDDED_DEFAULTS.temporalUiPort}   (filter: ParleyChatbotId = "${DEMO_CHATBOT.id}")`
          : `  Temporal     ${config.temporal.address}`,
        `  Demo API     http://127.0.0.1:${ACME_PORT}   (Acme store: orders 12345, 23456, 34567)`,
        `  Demo store   ${storePage}   (a web page with the web chat, talking to the demo chatbot)`,
        `  Logs         ${join(config.dataDir, 'logs')}/`,
        env['PARLEY_ALLOW_LOOPBACK'] === 'true'
          ? '  Note         loopback is open to actions (PARLEY_ALLOW_LOOPBACK=true) so the demo API can be called'
          : '  Note         loopback is closed to actions (PARLEY_ALLOW_LOOPBACK=false)',
        '',
        `Try it: curl -s -X POST ${api}/v1/chatbots/${DEMO_CHATBOT.id}/conversations -H 'x-parley-key: ${DEMO_CHATBOT.publishableKey}' -H 'content-type: application/json' -d '{}'`,
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
    await stopAll(1);
  }
}

/** A development key ring for secrets at rest, kept under the data folder so restarts can open what was sealed. */
function developmentSecretKeys(dataDir: string): string {
  const file = join(dataDir, 'secret-keys');
  if (!existsSync(file)) writeFileSync(file, `dev1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Listens on loopback, or fails naming what could not start and why. */
async function listenOn(server: Server, port: number, what: string): Promise<void> {
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error) => reject(new Error(`Could not serve ${what} on port ${port}: ${error.message}`)));
    server.listen(port, '127.0.0.1', resolveListen);
  });
}

async function refuseBusyPort(port: number, what: string, variable: string): Promise<void> {
  if (await portInUse(port)) {
    throw new Error(
      `Port ${port} is already in use, so the embedded ${what} cannot start. Stop whatever uses it, or set ${variable} to use an existing server.`,
    );
  }
}

async function waitForHealthy(api: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${api}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`The API did not become healthy at ${api}/healthz`);
}

void main();
