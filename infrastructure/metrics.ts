import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouteResult } from '../shared/understanding/routing';

/**
 * Parley's Prometheus metrics: every metric it defines, in one registry per process, built by the composition root
 * (`createRuntime`) and handed to what records — the API's chat routes, the HTTP step activity — so no module
 * reaches for a global registry. Workflow code never records (it must replay deterministically): turns are counted
 * by the API as it answers them, calls by the activity as it makes them, and an action's run through a Temporal sink
 * the worker calls outside replay.
 *
 * Labels stay bounded: a chatbot's id, an action's name, and small fixed sets of outcomes, decisions, failure types
 * and limits — never conversation ids or anything a visitor wrote.
 */

/** How a visitor's turn ended for the API: its own answer, the deadline's "still working", a refusal, or no answer. */
export type TurnOutcome = 'answered' | 'still_working' | 'refused' | 'unavailable';

/** How one attempt of an HTTP step ended: answered, failed after its request went out, refused before, cut off. */
export type StepAttemptOutcome = 'ok' | 'failed' | 'not_sent' | 'interrupted';

/**
 * The budget a refusal was over. The API's: `concurrent_turns` (the chatbot's share of turns running in one
 * process), `chatbot_calls` (its API-call budget, spent before the turn), `visitor_messages` (buttons and leads),
 * `conversation` (the conversation's own message or call budget, refused by its update validator), and the three
 * conversation-start budgets. The HTTP step's: `chatbot_calls` and `conversation_calls`.
 */
export type RateLimitName =
  | 'concurrent_turns'
  | 'chatbot_calls'
  | 'conversation_calls'
  | 'visitor_messages'
  | 'conversation'
  | 'starts_per_address'
  | 'starts_per_chatbot_second'
  | 'starts_per_chatbot_minute';

/**
 * The Temporal SDK's own worker metrics that Parley's Grafana dashboard charts (deploy/grafana/parley.json). The
 * worker serves them, with the SDK's others, on PARLEY_WORKER_METRICS_ADDRESS (durations in seconds); a test runs a
 * worker process and finds each of them there.
 */
export const TEMPORAL_SDK_METRICS = [
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_local_activity_execution_latency',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_sticky_cache_size',
  'temporal_num_pollers',
] as const;

/** Seconds: a turn is answered within its deadline (default 8 s) or says it is still working. */
const TURN_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30];
/** Seconds: a step's attempt lasts at most its timeout (100 ms – 60 s). */
const STEP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the open event streams of one API process number (api/live.ts `size()`). */
type LiveStreamsSource = () => { streams: number; conversations: number };
/** What waits in the call log's outbox (infrastructure/call-log.ts `outbox()`). */
type OutboxSource = () => { unwritten: number; dropped: number };

/**
 * Creates a process's metrics. `processMetrics` adds prom-client's process and Node.js metrics (CPU, memory, event
 * loop lag, GC); they watch the whole process, so tests that build many runtimes in one process leave them off.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const turns = new Counter({
    name: 'parley_turns_total',
    help: "Visitor messages answered by the API, by chatbot and outcome (answered, still_working: the turn deadline's answer, refused: 4xx, unavailable: 5xx)",
    labelNames: ['chatbot', 'outcome'] as const,
    registers,
  });
  const turnSeconds = new Histogram({
    name: 'parley_turn_duration_seconds',
    help: 'How long the API took to answer a visitor message, by chatbot and outcome',
    labelNames: ['chatbot', 'outcome'] as const,
    buckets: TURN_BUCKETS,
    registers,
  });
  const routing = new Counter({
    name: 'parley_routing_decisions_total',
    help: "How the chatbot's trained router read visitor messages as the API admitted them: decision action (with the action), none or ambiguous",
    labelNames: ['chatbot', 'decision', 'action'] as const,
    registers,
  });
  const stepSeconds = new Histogram({
    name: 'parley_http_step_duration_seconds',
    help: "One attempt of an action's HTTP step, from start to result, by chatbot, action and outcome (ok, failed, not_sent, interrupted)",
    labelNames: ['chatbot', 'action', 'outcome'] as const,
    buckets: STEP_BUCKETS,
    registers,
  });
  const stepFailures = new Counter({
    name: 'parley_http_step_failures_total',
    help: 'Failed attempts of HTTP steps, by chatbot, action and failure type (HttpServerError, Timeout, RateLimited, …)',
    labelNames: ['chatbot', 'action', 'type'] as const,
    registers,
  });
  const stepResults = new Counter({
    name: 'parley_step_results_total',
    help: "HTTP steps' results after all their attempts, by chatbot, action and outcome (ok, failed)",
    labelNames: ['chatbot', 'action', 'outcome'] as const,
    registers,
  });
  const actionRuns = new Counter({
    name: 'parley_action_runs_total',
    help: "Actions' runs in conversations, by chatbot, action and outcome (ok, failed), counted as each run ends",
    labelNames: ['chatbot', 'action', 'outcome'] as const,
    registers,
  });
  const refusals = new Counter({
    name: 'parley_rate_limit_refusals_total',
    help: 'Requests and calls refused for a spent budget, by chatbot (empty before it is known) and limit',
    labelNames: ['chatbot', 'limit'] as const,
    registers,
  });

  const liveSources = new Set<LiveStreamsSource>();
  const liveTotals = () => {
    let streams = 0;
    let conversations = 0;
    for (const source of liveSources) {
      const size = source();
      streams += size.streams;
      conversations += size.conversations;
    }
    return { streams, conversations };
  };
  new Gauge({
    name: 'parley_live_streams_open',
    help: "Visitors' event streams (GET /v1/conversations/:id/events) open on this API process",
    registers,
    collect() {
      this.set(liveTotals().streams);
    },
  });
  new Gauge({
    name: 'parley_live_conversations_watched',
    help: 'Conversations this API process watches for its open event streams',
    registers,
    collect() {
      this.set(liveTotals().conversations);
    },
  });

  let outbox: OutboxSource = () => ({ unwritten: 0, dropped: 0 });
  new Gauge({
    name: 'parley_call_log_outbox_entries',
    help: 'Call-log entries waiting in this process for the database to take them',
    registers,
    collect() {
      this.set(outbox().unwritten);
    },
  });
  new Counter({
    name: 'parley_call_log_outbox_dropped_total',
    help: 'Call-log entries dropped because the outbox was full while the database was down',
    registers,
    collect() {
      this.reset();
      this.inc(outbox().dropped);
    },
  });

  return {
    /** The registry: what /metrics exposes. */
    registry,

    /** The names of every metric this registry exposes (histograms by their base name). */
    names(): string[] {
      return registry.getMetricsAsArray().map((metric) => metric.name);
    },

    /** The exposition text and its content type, for a /metrics response. */
    async exposition(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },

    /** A visitor message the API answered (or refused), and how long that took. */
    turn(chatbotId: string, outcome: TurnOutcome, seconds: number): void {
      turns.inc({ chatbot: chatbotId, outcome });
      turnSeconds.observe({ chatbot: chatbotId, outcome }, seconds);
    },

    /** How the chatbot's router read a message. */
    routed(chatbotId: string, result: RouteResult): void {
      routing.inc({ chatbot: chatbotId, decision: result.kind, action: result.kind === 'action' ? result.action : '' });
    },

    /** One attempt of an HTTP step: its duration, and its failure type when it failed. */
    stepAttempt(attempt: {
      chatbotId: string;
      action: string;
      outcome: StepAttemptOutcome;
      seconds: number;
      failureType: string | null;
    }): void {
      const { chatbotId: chatbot, action } = attempt;
      stepSeconds.observe({ chatbot, action, outcome: attempt.outcome }, attempt.seconds);
      if (attempt.failureType !== null) stepFailures.inc({ chatbot, action, type: attempt.failureType });
    },

    /** An HTTP step's result once it has no attempts left to make. */
    stepResult(chatbotId: string, action: string, ok: boolean): void {
      stepResults.inc({ chatbot: chatbotId, action, outcome: ok ? 'ok' : 'failed' });
    },

    /**
     * An action's run in a conversation, as it ended: told by the workflow through a sink (worker/worker.ts), which
     * Temporal calls once when the run ends, never again when the conversation is replayed.
     */
    actionRun(chatbotId: string, action: string, outcome: 'ok' | 'failed'): void {
      actionRuns.inc({ chatbot: chatbotId, action, outcome });
    },

    /** A refusal for a spent budget (`chatbotId` empty when the chatbot is not known yet). */
    refused(chatbotId: string, limit: RateLimitName): void {
      refusals.inc({ chatbot: chatbotId, limit });
    },

    /** Counts an API process's open event streams (each app's live hub) at every scrape. */
    watchLiveStreams(source: LiveStreamsSource): void {
      liveSources.add(source);
    },

    /** Reads the call log's outbox at every scrape. */
    watchCallLogOutbox(source: OutboxSource): void {
      outbox = source;
    },
  };
}

/** A process's metrics. */
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Serves `GET /metrics` on its own port, for a process without an HTTP server of its own (the worker). Port 0
 * picks a free one; the answer says which, and where to scrape.
 */
export async function serveMetrics(
  metrics: Metrics,
  options: { port: number; host?: string },
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.exposition().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : 'localhost';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
