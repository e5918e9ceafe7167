import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import { inject } from 'vitest';
import { createRuntime } from '../../infrastructure/runtime';
import { testEncoder } from './encoder';
import type { LlmSettings } from '../../shared/understanding/llm';
import { createApp, type AppDeps } from '../../api/app';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { loadConfig, type Config } from '../../shared/config';
import type { TrafficLimits, TrustProxy } from '../../shared/security/traffic';
import { createWorker, workerActivities } from '../../worker/worker';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIVE_PUSH_PATH } from '../../api/routes/live';

export const ADMIN_KEY = 'test-admin-key-0123456789';

/** The key ring test Parleys seal secrets with. */
const TEST_SECRET_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;

/** What a test Parley's configuration differs in. */
export type TestSetup = {
  smtpUrl?: string;
  /** Budgets and caps (each defaults to one no test reaches unless it sets it). */
  traffic?: Partial<TrafficLimits>;
  llm?: LlmSettings;
  /** Open loopback to actions (the fake APIs live there); false shows what production refuses. */
  allowLoopback?: boolean;
};

/**
 * The configuration of a test Parley, parsed like production's: the servers the global setup started, a database
 * of its own, loopback open to the fake APIs, short connect timeouts.
 */
export function testConfig(database: string, setup: TestSetup = {}): Config {
  const config = loadConfig({
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    MONGODB_URI: inject('mongodbUri'),
    MONGODB_DB: database,
    PARLEY_SECRET_KEYS: TEST_SECRET_KEYS,
    PARLEY_HTTP_CONNECT_TIMEOUT_MS: '2000',
    PARLEY_ALLOW_LOOPBACK: String(setup.allowLoopback ?? true),
    PARLEY_SMTP_URL: setup.smtpUrl,
    PARLEY_ALERT_FROM: 'Parley <parley@test.local>',
    PARLEY_LOG_RETENTION_DAYS: '7',
  });
  const traffic: TrafficLimits = {
    chatbotCallsPerMinute: 1000,
    conversationCallsPerMinute: 1000,
    visitorMessagesPerMinute: 1000,
    concurrentTurns: 1000,
    chatbotConcurrentTurns: 1000,
    startsPerAddressPerMinute: 10_000,
    startsPerChatbotPerMinute: 10_000,
    startsPerChatbotPerSecond: 10_000,
    ...setup.traffic,
  };
  return { ...config, traffic, llm: setup.llm ?? null };
}

/**
 * Parley's runtime and activities for a test, built by the same composition root as the worker and the API
 * (with the process's shared sentence encoder). Close the runtime when done.
 */
export async function startTestRuntime(
  database: string,
  setup: TestSetup = {},
  logger: Logger = pino({ level: 'silent' }),
) {
  const config = testConfig(database, setup);
  // No process metrics: a test process builds many runtimes, and each would watch the event loop.
  const runtime = await createRuntime(config, logger, { encoder: testEncoder(), processMetrics: false });
  return { config, runtime, activities: workerActivities(runtime, config, logger) };
}

/**
 * A whole Parley — store, worker and Express app — on the real Temporal dev server and FerretDB the global
 * setup started, with its own task queue and database so test files never see each other's data.
 */
export async function startParley(
  options: TestSetup & {
    rateLimitPerMinute?: number;
    trustProxy?: TrustProxy;
    visitorMessagesPerMinute?: number;
    /** Receives every log line the worker and API write. */
    logLines?: string[];
  } = {},
) {
  const id = randomUUID().slice(0, 8);
  const taskQueue = `test-${id}`;
  const address = inject('temporalAddress');
  const workerConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const lines = options.logLines;
  const logger = lines
    ? pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) })
    : pino({ level: 'silent' });
  const databaseName = `parley_test_${id}`;
  const { config, runtime, activities } = await startTestRuntime(
    databaseName,
    {
      ...options,
      traffic: {
        ...(options.rateLimitPerMinute !== undefined ? { chatbotCallsPerMinute: options.rateLimitPerMinute } : {}),
        ...(options.visitorMessagesPerMinute !== undefined
          ? { visitorMessagesPerMinute: options.visitorMessagesPerMinute }
          : {}),
        ...options.traffic,
      },
    },
    logger,
  );
  const { services, db } = runtime;
  const { store } = services;
  const { traffic } = config;

  let current: { worker: Worker; running: Promise<void> } | null = null;
  async function startWorker(): Promise<void> {
    const worker = await createWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue,
      activities,
      workflowBundle: { code: inject('workflowBundleCode') },
      shutdownGraceTime: '100 milliseconds',
      metrics: services.metrics,
    });
    current = { worker, running: worker.run() };
  }
  async function stopWorker(): Promise<void> {
    if (!current) return;
    const { worker, running } = current;
    current = null;
    worker.shutdown();
    await running;
  }
  await startWorker();

  // Live delivery pushes to wherever `listen` put the app.
  let pushUrl = 'http://127.0.0.1:9/not-listening';
  let server: Server | null = null;
  const appDeps: AppDeps = {
    services,
    temporal: { client, taskQueue, searchAttributes: true },
    adminKey: ADMIN_KEY,
    defaultIdleTimeoutMinutes: 30,
    traffic,
    trustProxy: options.trustProxy ?? false,
    egressPolicy: config.egress,
    llmEnabled: config.llm !== null,
    live: { signing: runtime.live.signing, pushUrl: () => pushUrl },
    logger,
  };
  /** The Express app over this Parley's services and worker, with some settings changed. */
  const appWith = (changes: Partial<AppDeps>) => createApp({ ...appDeps, ...changes });
  const app = appWith({});
  const api = request(app);
  const admin = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) =>
    api[method](path).set('authorization', `Bearer ${ADMIN_KEY}`);

  return {
    app,
    appWith,
    api,
    admin,
    store,
    services,
    /** This Parley's own database, to look at what it stored. */
    db,
    traffic,
    databaseName,
    client,
    taskQueue,
    /** The activities the worker runs, for tests that run workflows and activities on separate workers. */
    activities,
    startWorker,
    stopWorker,

    /** Serves the app on a loopback port (for clients that need a real server: event streams); its base URL. */
    async listen(): Promise<string> {
      if (!server) {
        const listening = app.listen(0, '127.0.0.1');
        await new Promise((resolve) => listening.once('listening', resolve));
        server = listening;
      }
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      pushUrl = `${base}${LIVE_PUSH_PATH}`;
      return base;
    },

    /**
     * A workflow's whole history as text — every run of it, across continue-as-new — with every payload decoded
     * (history JSON carries them as base64), to search.
     */
    async historyText(workflowId: string): Promise<string> {
      type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
      const runs: string[] = [];
      let runId: string | undefined = undefined;
      for (;;) {
        const history: { events?: HistoryEvent[] | null } = await client.workflow
          .getHandle(workflowId, runId)
          .fetchHistory();
        const events = history.events ?? [];
        runs.unshift(JSON.stringify({ events }));
        runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
        if (!runId) break;
      }
      const text = runs.join('\n');
      const payloads = [...text.matchAll(/"data":"([A-Za-z0-9+/=]*)"/g)].map(([, data = '']) =>
        Buffer.from(data, 'base64').toString('utf8'),
      );
      return [text, ...payloads].join('\n');
    },

    /** Creates a chatbot with the given actions through the admin API. */
    async createChatbot(actions: ActionDefinitionInput[], extra: Record<string, unknown> = {}): Promise<string> {
      const chatbotId = `bot-${randomUUID().slice(0, 8)}`;
      await admin('post', '/v1/chatbots')
        .send({ id: chatbotId, name: 'Test bot', ...extra })
        .expect(201);
      for (const action of actions)
        await admin('put', `/v1/chatbots/${chatbotId}/actions/${action.name}`).send(action).expect(201);
      return chatbotId;
    },

    /** Starts a conversation through the chat API and returns a small client for it. */
    async startConversation(chatbotId: string, body: Record<string, unknown> = {}) {
      const key = (await store.getChatbot(chatbotId))?.publishableKey ?? '';
      const created = await api
        .post(`/v1/chatbots/${chatbotId}/conversations`)
        .set('x-parley-key', key)
        .send(body)
        .expect(201);
      const { conversationId, token } = created.body as { conversationId: string; token: string };
      const auth = `Bearer ${token}`;
      return {
        conversationId,
        token,
        opening: created.body.messages as unknown[],
        workflowId: `conversation:${chatbotId}:${conversationId}`,
        send: (text: string, messageId?: string) =>
          api
            .post(`/v1/conversations/${conversationId}/messages`)
            .set('authorization', auth)
            .send({ text, ...(messageId ? { messageId } : {}) }),
        /** The text of every bot message of a turn. */
        say: async (text: string, messageId?: string): Promise<string[]> => {
          const response = await api
            .post(`/v1/conversations/${conversationId}/messages`)
            .set('authorization', auth)
            .send({ text, ...(messageId ? { messageId } : {}) })
            .expect(200);
          return (response.body.messages as { type: string; text?: string }[]).map((m) => m.text ?? `[${m.type}]`);
        },
        transcript: async (after = 0) =>
          (
            await api
              .get(`/v1/conversations/${conversationId}/messages?after=${after}`)
              .set('authorization', auth)
              .expect(200)
          ).body.messages as { seq: number; from: string; message: { type: string; text?: string } }[],
        close: () => api.post(`/v1/conversations/${conversationId}/close`).set('authorization', auth).send({}),
      };
    },

    async close(): Promise<void> {
      if (server) {
        server.closeAllConnections();
        await new Promise((resolve) => server?.close(resolve));
      }
      await stopWorker();
      await Promise.allSettled([workerConnection.close(), connection.close(), runtime.close()]);
    },
  };
}
export type Parley = Awaited<ReturnType<typeof startParley>>;

/** An order-status action against a fake API at `baseUrl`, like the demo's; overrides replace top-level keys. */
export function orderStatusAction(
  baseUrl: string,
  overrides: Partial<ActionDefinitionInput> = {},
): ActionDefinitionInput {
  return {
    name: 'check_order_status',
    description: "Look up an order's status when the visitor asks where their order is",
    examples: ['where is my order', 'track order 12345', 'has my order shipped'],
    parameters: [
      {
        name: 'order_number',
        type: 'text',
        description: 'Order number',
        pattern: '^[0-9]{5,10}$',
        prompt: 'What is your order number?',
      },
    ],
    steps: [
      {
        id: 'lookup',
        request: { method: 'GET', url: `${baseUrl}/orders/{{order_number}}` },
        response: { fields: { status: 'data.order.status', eta: 'data.order.eta' } },
        timeoutMs: 5_000,
        retry: { maxAttempts: 3, initialIntervalMs: 50, backoffCoefficient: 1 },
        onError: { then: 'stop', reply: "Sorry, I can't reach the order system right now." },
      },
    ],
    reply: { template: 'Your order is {{steps.lookup.status}} (ETA {{steps.lookup.eta}}).' },
    ...overrides,
  };
}
