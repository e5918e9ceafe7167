import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Histogram } from 'prom-client';
import { parse } from 'yaml';
import { createMetrics, TEMPORAL_SDK_METRICS } from '../../infrastructure/metrics';
import { ConfigSchema, loadConfig } from '../../shared/config';

/**
 * No Docker engine runs on the dev machines, so the production stack (docker-compose.yml and the Dockerfile)
 * is checked here against what Parley expects instead of by starting it.
 */

type ComposeService = {
  image?: string;
  entrypoint?: string | string[];
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: unknown;
  restart?: string;
  volumes?: string[];
};

const root = join(__dirname, '..', '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

const ADMIN_KEY = 'k'.repeat(32);
const SECRET_KEYS = `k1:${Buffer.alloc(32, 1).toString('base64')}`;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Substitutes compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` forms the way `docker compose` does. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name, op, arg) => {
    if (match === '$$') return '$';
    const current = vars[name as string];
    const unset = op?.startsWith(':') ? !current : current === undefined;
    if (unset && op?.endsWith('?')) throw new Error(`${name as string}: ${arg as string}`);
    if (unset && op?.endsWith('-')) return arg as string;
    return current ?? '';
  });
}

/** A service's environment after compose interpolation, as the process would see it. */
function environment(
  name: string,
  vars: Record<string, string> = { PARLEY_ADMIN_KEY: ADMIN_KEY, PARLEY_SECRET_KEYS: SECRET_KEYS },
): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(env).map(([key, value]) => [key, String(value)] as const);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value, vars)]));
}

/** Maps each container port a service publishes to its host port. */
function publishedPorts(name: string): Map<number, number> {
  const ports = new Map<number, number>();
  for (const port of service(name).ports ?? []) {
    if (typeof port === 'object') {
      ports.set(Number(port.target), Number(port.published));
    } else {
      const parts = String(port)
        .replace(/\/(tcp|udp)$/, '')
        .split(':');
      const container = Number(parts.at(-1));
      ports.set(container, parts.length > 1 ? Number(parts.at(-2)) : container);
    }
  }
  return ports;
}

/** A service's image, split into repository and tag. */
function imageOf(name: string): { repository: string; tag: string } {
  const image = service(name).image ?? '';
  const colon = image.lastIndexOf(':');
  return colon === -1
    ? { repository: image, tag: '' }
    : { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

function command(name: string): string[] {
  const cmd = service(name).command;
  return typeof cmd === 'string' ? cmd.trim().split(/\s+/) : (cmd ?? []);
}

function dependsOn(name: string): Record<string, string> {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((dep) => [dep, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([dep, spec]) => [dep, spec.condition ?? 'service_started']));
}

/** The instructions of the Dockerfile's final (runtime) stage, continuation lines joined. */
function runtimeStage(): Array<{ instruction: string; args: string }> {
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [instruction = '', ...rest] = line.split(/\s+/);
      return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
    });
  const lastFrom = lines.map((line) => line.instruction).lastIndexOf('FROM');
  return lines.slice(lastFrom);
}

describe('docker-compose.yml', () => {
  it('defines Temporal, its UI and database, MongoDB, the API and the worker', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['temporal', 'temporal-schema', 'temporal-ui', 'postgresql', 'mongodb', 'api', 'worker']),
    );
  });

  it('publishes the API on 3000, the Temporal UI on 8080 and the Temporal frontend on 7233', () => {
    expect(publishedPorts('api').get(3000)).toBe(3000);
    expect(publishedPorts('temporal-ui').get(8080)).toBe(8080);
    expect(publishedPorts('temporal').get(7233)).toBe(7233);
  });

  it('points api and worker at the temporal service and the mongodb service', () => {
    for (const name of ['api', 'worker']) {
      const env = environment(name);
      const [host, port] = (env.TEMPORAL_ADDRESS ?? '').split(':');
      expect(host, `${name} TEMPORAL_ADDRESS`).toBe('temporal');
      expect(publishedPorts('temporal').has(Number(port)), `${name} TEMPORAL_ADDRESS port`).toBe(true);
      const mongo = new URL(env.MONGODB_URI ?? '');
      expect(mongo.hostname, `${name} MONGODB_URI`).toBe('mongodb');
      expect(mongo.port || '27017', `${name} MONGODB_URI port`).toBe('27017');
      expect(compose.services).toHaveProperty('mongodb');
    }
  });

  it('gives api and worker the same task queue, namespace, database and admin key', () => {
    const api = environment('api');
    const worker = environment('worker');
    for (const key of ['TEMPORAL_TASK_QUEUE', 'TEMPORAL_NAMESPACE', 'MONGODB_DB', 'PARLEY_ADMIN_KEY']) {
      expect(api[key], key).toBeDefined();
      expect(worker[key], key).toBe(api[key]);
    }
  });

  it("sets only environment variables that Parley's config knows", () => {
    const known = Object.keys(ConfigSchema.shape);
    for (const name of ['api', 'worker']) {
      for (const key of Object.keys(environment(name))) {
        expect(known, `${name} sets ${key}`).toContain(key);
      }
    }
  });

  it('gives api and worker an environment that loadConfig accepts as external production services', () => {
    for (const name of ['api', 'worker']) {
      const config = loadConfig(environment(name));
      expect(config.env).toBe('production');
      expect(config.temporal).toMatchObject({ address: 'temporal:7233', embedded: false });
      expect(config.mongodb.embedded).toBe(false);
      expect(config.adminKey).toBe(ADMIN_KEY);
    }
    expect(loadConfig(environment('api')).port).toBe(3000);
    // The worker reaches the API's live-delivery push endpoint by its service name.
    expect(loadConfig(environment('api')).apiInternalUrl).toBe('http://api:3000');
  });

  it('refuses to start without PARLEY_ADMIN_KEY or PARLEY_SECRET_KEYS', () => {
    expect(() => environment('api', { PARLEY_SECRET_KEYS: SECRET_KEYS })).toThrow(/PARLEY_ADMIN_KEY/);
    expect(() => environment('worker', { PARLEY_SECRET_KEYS: SECRET_KEYS })).toThrow(/PARLEY_ADMIN_KEY/);
    expect(() => environment('api', { PARLEY_ADMIN_KEY: ADMIN_KEY })).toThrow(/PARLEY_SECRET_KEYS/);
  });

  it('registers the ParleyChatbotId search attribute before api and worker start', () => {
    const setup = command('temporal-setup').join(' ');
    expect(setup).toMatch(/temporal operator search-attribute create\b.*--name ParleyChatbotId --type Keyword/);
    expect(setup).toContain('--address temporal:7233');
    for (const name of ['api', 'worker']) {
      expect(dependsOn(name)).toMatchObject({
        'temporal-setup': 'service_completed_successfully',
        mongodb: 'service_healthy',
      });
    }
  });

  it('runs Temporal from its production images, never temporalio/auto-setup (which Temporal marks not for production)', () => {
    for (const [name, { image }] of Object.entries(compose.services)) {
      expect(image ?? '', `${name} image`).not.toMatch(/auto-setup/);
    }
    const uncommented = composeText
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(uncommented).not.toMatch(/auto-setup|autosetup/);
    expect(imageOf('temporal')).toEqual({
      repository: 'temporalio/server',
      tag: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
  });

  it('starts the Temporal server only after a one-shot admin-tools schema setup completed successfully', () => {
    expect(imageOf('temporal-schema').repository).toBe('temporalio/admin-tools');
    expect(dependsOn('temporal')).toMatchObject({
      'temporal-schema': 'service_completed_successfully',
      postgresql: 'service_healthy',
    });
    expect(dependsOn('temporal-schema')).toMatchObject({ postgresql: 'service_healthy' });
    expect(service('temporal-schema').restart).toBe('no');
  });

  it('pins the same Temporal version for the server and every admin-tools service', () => {
    const server = imageOf('temporal').tag;
    const adminTools = Object.keys(compose.services)
      .map(imageOf)
      .filter((image) => image.repository === 'temporalio/admin-tools');
    expect(adminTools.length).toBeGreaterThanOrEqual(2);
    for (const { tag } of adminTools) {
      // admin-tools tags name the server version first: 1.28.0 or 1.28.0-tctl-1.18.2-cli-1.3.0.
      expect(tag.split('-')[0], `admin-tools ${tag}`).toBe(server);
    }
  });

  it('creates and migrates both Temporal databases for postgres12 with the schemas shipped in admin-tools', () => {
    const env = environment('temporal-schema');
    expect(env).toMatchObject({ SQL_PLUGIN: 'postgres12', SQL_HOST: 'postgresql', SQL_PORT: '5432' });
    const script = command('temporal-schema').join(' ');
    expect(script).toMatch(/set -e/);
    for (const [database, dir] of [
      ['temporal', '/etc/temporal/schema/postgresql/v12/temporal/versioned'],
      ['temporal_visibility', '/etc/temporal/schema/postgresql/v12/visibility/versioned'],
    ] as const) {
      const steps = [
        `temporal-sql-tool --db ${database} create-database`,
        `temporal-sql-tool --db ${database} setup-schema -v 0.0`,
        `temporal-sql-tool --db ${database} update-schema -d ${dir}`,
      ];
      const at = steps.map((step) => script.indexOf(step));
      expect(
        at.every((index) => index >= 0),
        `${database}: ${steps.join('; ')}`,
      ).toBe(true);
      expect(
        [...at].sort((a, b) => a - b),
        `${database} steps in order`,
      ).toEqual(at);
    }
  });

  it('configures the server for the databases the schema setup made, with the credentials PostgreSQL has', () => {
    const server = environment('temporal');
    const schema = environment('temporal-schema');
    const postgres = environment('postgresql');
    expect(server).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: schema.SQL_HOST,
      DB_PORT: schema.SQL_PORT,
      DBNAME: 'temporal',
      VISIBILITY_DBNAME: 'temporal_visibility',
    });
    expect([server.POSTGRES_USER, schema.SQL_USER]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_USER]);
    expect([server.POSTGRES_PWD, schema.SQL_PASSWORD]).toEqual([
      postgres.POSTGRES_PASSWORD,
      postgres.POSTGRES_PASSWORD,
    ]);
    // The frontend must listen beyond the container's loopback for api, worker, the UI and the host to reach it.
    expect(server.BIND_ON_IP).toBe('0.0.0.0');
  });

  it('creates the default namespace once the server is healthy (the server image creates none)', () => {
    const setup = command('temporal-setup').join(' ');
    expect(setup).toMatch(/temporal operator namespace create --namespace default\b/);
    expect(dependsOn('temporal-setup')).toMatchObject({ temporal: 'service_healthy' });
    expect(service('temporal').healthcheck).toBeDefined();
  });

  it('runs the API and the worker from the same image built from the Dockerfile', () => {
    expect(service('api').build).toBeDefined();
    expect(service('worker').build).toEqual(service('api').build);
    expect(service('worker').image).toBe(service('api').image);
    expect(command('worker')).toEqual(['node', 'dist/worker/main.js']);
  });
});

describe('Dockerfile', () => {
  it("starts the API by default, which the compose api service's command matches", () => {
    const cmd = runtimeStage().filter((line) => line.instruction === 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]?.args ?? '')).toEqual(['node', 'dist/api/main.js']);
    expect(command('api')).toEqual(['node', 'dist/api/main.js']);
  });

  it('runs as a non-root user', () => {
    const users = runtimeStage().filter((line) => line.instruction === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)?.args.split(':')[0];
    expect(user).not.toMatch(/^(root|0)$/);
  });

  it('runs in production mode with production dependencies only', () => {
    const stage = runtimeStage();
    expect(stage.some((line) => line.instruction === 'ENV' && /NODE_ENV[= ]production/.test(line.args))).toBe(true);
    expect(stage.some((line) => line.instruction === 'RUN' && /npm ci\b.*--omit=dev/.test(line.args))).toBe(true);
  });
});

describe('Dockerfile: the sentence encoder', () => {
  const bootstrap = readFileSync(join(root, 'scripts', 'bootstrap.mjs'), 'utf8');

  it('installs the same pinned, hash-checked encoder as the bootstrap and points the runtime at it', () => {
    const artifact = /artifact: '([^']+)'/.exec(bootstrap)?.[1];
    const hashes = [...bootstrap.matchAll(/'all-minilm-l6-v2-q[^']*': '([0-9a-f]{64})'/g)].map((match) => match[1]);
    const jarHash = /jarSha256: '([0-9a-f]{64})'/.exec(bootstrap)?.[1];
    expect(artifact).toBeDefined();
    expect(hashes).toHaveLength(2);
    expect(dockerfile).toContain(`ENCODER_ARTIFACT=${artifact}`);
    for (const hash of [jarHash, ...hashes]) expect(dockerfile).toContain(`${hash}  `);
    const stage = runtimeStage();
    expect(
      stage.some((line) => line.instruction === 'ENV' && /PARLEY_ENCODER_DIR=\/app\/models\//.test(line.args)),
    ).toBe(true);
    expect(stage.some((line) => line.instruction === 'COPY' && /--from=encoder/.test(line.args))).toBe(true);
  });

  it('never lets onnxruntime-node download at install time', () => {
    const lines = dockerfile.split('\n');
    const firstInstall = lines.findIndex((line) => /npm ci/.test(line));
    const skip = lines.findIndex((line) => /ONNXRUNTIME_NODE_INSTALL=skip/.test(line));
    expect(skip).toBeGreaterThan(-1);
    expect(skip).toBeLessThan(firstInstall);
  });
});

/** The path in this repository that a service mounts at `target` (a `./host:target[:ro]` bind). */
function mountedPath(name: string, target: string): string {
  const bind = (service(name).volumes ?? []).find((volume) => volume.split(':')[1] === target);
  if (!bind) throw new Error(`${name} mounts nothing at ${target}`);
  const path = join(root, bind.split(':')[0] ?? '');
  if (!existsSync(path)) throw new Error(`${name} mounts ${bind.split(':')[0]}, which is not in the repository`);
  return path;
}

/** The text of the file of this repository that a service mounts at `target`. */
const mountedFile = (name: string, target: string) => readFileSync(mountedPath(name, target), 'utf8');

type ScrapeConfig = {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; type?: string; port: number }[];
};

/** Every host:port a scrape job scrapes: static targets, and the service names it finds by DNS with their port. */
function scrapeTargets(job: ScrapeConfig): { host: string; port: number }[] {
  const fixed = (job.static_configs ?? []).flatMap((config) => config.targets);
  const found = (job.dns_sd_configs ?? []).flatMap((config) => config.names.map((host) => `${host}:${config.port}`));
  return [...fixed, ...found].map((target) => {
    const [host = '', port = ''] = target.split(':');
    return { host, port: Number(port) };
  });
}

/**
 * The metric names a PromQL expression reads: identifiers that are not functions (followed by `(`), keywords,
 * label names (inside `{…}`, `by (…)`) or durations (`[5m]`), with a histogram's `_bucket`, `_sum` and `_count`
 * series named by their histogram.
 */
function metricNamesIn(expr: string): string[] {
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool']);
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)]
    .filter((match) => match[1] !== '(' && !keywords.has(match[0]) && !/^(and|or|unless)$/.test(match[0]))
    .map((match) =>
      match[0].replace(/_(bucket|sum|count)$/, (suffix, _kind, offset, name: string) => {
        const base = name.slice(0, offset);
        return histograms.has(base) ? '' : suffix;
      }),
    );
}

const registry = createMetrics({ processMetrics: true });
const histograms = new Set(
  registry.registry
    .getMetricsAsArray()
    .filter((metric) => metric instanceof Histogram)
    .map((metric) => metric.name),
);
for (const name of TEMPORAL_SDK_METRICS) if (name.endsWith('_latency')) histograms.add(name);

describe('docker-compose.yml: metrics', () => {
  const prometheus = parse(mountedFile('prometheus', '/etc/prometheus/prometheus.yml')) as {
    scrape_configs: ScrapeConfig[];
  };
  const job = (name: string) => {
    const found = prometheus.scrape_configs.find((config) => config.job_name === name);
    if (!found) throw new Error(`prometheus.yml has no job ${name}`);
    return found;
  };

  type Panel = { type: string; title: string; targets?: { expr: string }[]; datasource?: { uid?: string } };
  const dashboard = JSON.parse(mountedFile('grafana', '/etc/grafana/dashboards/parley.json')) as {
    uid: string;
    panels: Panel[];
  };
  const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

  it('runs Prometheus and Grafana from pinned images, Prometheus reading the scrape config in the repository', () => {
    expect(imageOf('prometheus')).toEqual({
      repository: 'prom/prometheus',
      tag: expect.stringMatching(/^v\d+\.\d+\.\d+$/),
    });
    expect(imageOf('grafana')).toEqual({
      repository: 'grafana/grafana',
      tag: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
    expect(command('prometheus')).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(publishedPorts('prometheus').get(9090)).toBe(9090);
    // Grafana's own 3000 would clash with the API's on the host.
    expect(publishedPorts('grafana').get(3000)).toBe(3001);
  });

  it("scrapes the API's /metrics on the port the api service listens on", () => {
    const api = job('parley-api');
    expect(api.metrics_path ?? '/metrics').toBe('/metrics');
    expect(scrapeTargets(api)).toEqual([{ host: 'api', port: loadConfig(environment('api')).port }]);
  });

  it("scrapes every worker's Parley metrics and Temporal SDK metrics on the ports the worker service opens", () => {
    const { workerMetrics } = loadConfig(environment('worker'));
    expect(workerMetrics.port).not.toBeNull();
    expect(workerMetrics.temporalAddress).not.toBeNull();
    const [sdkHost, sdkPort] = (workerMetrics.temporalAddress ?? '').split(':');
    // Bound beyond the container's loopback, or Prometheus in its own container could not reach it.
    expect(sdkHost).toBe('0.0.0.0');
    expect(scrapeTargets(job('parley-worker'))).toEqual([{ host: 'worker', port: workerMetrics.port }]);
    expect(scrapeTargets(job('temporal-sdk'))).toEqual([{ host: 'worker', port: Number(sdkPort) }]);
    // Every scraped host is a service of this file.
    for (const config of prometheus.scrape_configs) {
      for (const target of scrapeTargets(config)) expect(Object.keys(compose.services)).toContain(target.host);
    }
  });

  it('provisions Grafana with the prometheus service as its data source and the dashboard in the repository', () => {
    const datasources = parse(
      readFileSync(join(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string; url: string }[] };
    const [datasource] = datasources.datasources;
    expect(datasource).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    expect(mountedPath('grafana', '/etc/grafana/provisioning')).toBe(join(root, 'deploy/grafana/provisioning'));
    const providers = parse(readFileSync(join(root, 'deploy/grafana/provisioning/dashboards/parley.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    expect(providers.providers[0]?.options.path).toBe('/etc/grafana/dashboards');
    for (const panel of dashboard.panels.filter((panel) => panel.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe(datasource?.uid);
    }
  });

  it("charts only metrics Parley's registry defines (or the Temporal SDK metrics its worker serves), and each of Parley's own", () => {
    const known = new Set([...registry.names(), ...TEMPORAL_SDK_METRICS]);
    const used = new Set(queries.flatMap(metricNamesIn));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(known, `the dashboard queries ${name}`).toContain(name);
    for (const name of registry.names().filter((name) => name.startsWith('parley_'))) {
      expect(used, `no panel charts ${name}`).toContain(name);
    }
    for (const name of TEMPORAL_SDK_METRICS) expect(used, `no panel charts ${name}`).toContain(name);
  });

  it('reads metric names out of PromQL the way the dashboard check needs', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, action) (rate(parley_http_step_duration_seconds_bucket{chatbot=~"$chatbot", outcome="ok"}[$__rate_interval])))',
      ),
    ).toEqual(['parley_http_step_duration_seconds']);
    expect(metricNamesIn('sum(parley_live_streams_open) + on (instance) process_cpu_seconds_total')).toEqual([
      'parley_live_streams_open',
      'process_cpu_seconds_total',
    ]);
  });
});
