import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { routeWithModel, trainRouter, type RoutableAction } from '../shared/router';

/**
 * Benchmarks routing: 50 actions × 20 examples (50 CLINC150 intents when the dev file is there, generated
 * actions otherwise), trained once, then `routeWithModel` timed over every message of the corpus. Prints
 * p50/p95/mean milliseconds per message and the model's JSON size; exits 1 when the mean exceeds 5 ms.
 *
 *   npx tsx scripts/bench-routing.ts [--data FILE] [--full]
 *
 * `--full` also reports (without a limit) the router trained on all 150 CLINC150 intents × 100 examples.
 */

type Pair = [string, string];
const LIMIT_MS = 5;
const ACTIONS = 50;
const EXAMPLES = 20;
const MIN_MESSAGES = 2000;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so the generated corpus is the same each run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A catalogue and messages from CLINC150: every third intent, its first 20 train queries; all val queries. */
function clincCorpus(
  file: string,
  intentCount: number,
  examples: number,
): { actions: RoutableAction[]; messages: string[] } {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Pair[]>;
  const byIntent = new Map<string, string[]>();
  for (const [query, intent] of data.train ?? []) byIntent.set(intent, [...(byIntent.get(intent) ?? []), query]);
  const intents = [...byIntent.keys()].sort();
  const step = Math.max(1, Math.floor(intents.length / intentCount));
  const chosen = intents.filter((_, i) => i % step === 0).slice(0, intentCount);
  const actions = chosen.map((name) => ({
    name,
    description: name.replace(/_/g, ' '),
    examples: (byIntent.get(name) ?? []).slice(0, examples),
  }));
  const messages = [...(data.val ?? []), ...(data.oos_val ?? [])].map((pair) => pair[0]);
  return { actions, messages };
}

/** A generated catalogue of customer-service actions and messages mixing paraphrases and unrelated text. */
function generatedCorpus(): { actions: RoutableAction[]; messages: string[] } {
  const random = seeded(42);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const verbs = ['check', 'cancel', 'change', 'update', 'track', 'book', 'return', 'renew', 'report', 'pay'];
  const objects = [
    'order',
    'subscription',
    'password',
    'address',
    'invoice',
    'delivery',
    'appointment',
    'refund',
    'card',
    'plan',
  ];
  const openers = ['i want to', 'can you', 'please', 'help me', "i'd like to", 'how do i', 'i need to', 'could you'];
  const closers = ['', 'now', 'today', 'for me', 'please', 'asap', 'right away', 'if possible'];
  const extras = ['my', 'the', 'our', 'this'];
  const actions: RoutableAction[] = [];
  for (const verb of verbs)
    for (const object of objects.slice(0, ACTIONS / verbs.length))
      actions.push({
        name: `${verb}_${object}`,
        description: `${verb} the customer's ${object}`,
        examples: Array.from({ length: EXAMPLES }, () =>
          `${pick(openers)} ${verb} ${pick(extras)} ${object} ${pick(closers)}`.trim(),
        ),
      });
  const unrelated = [
    'what is the weather like',
    'tell me a joke',
    'who won the game last night',
    'how tall is everest',
  ];
  const messages = Array.from({ length: MIN_MESSAGES + 100 }, (_, i) =>
    i % 10 === 9
      ? pick(unrelated)
      : `${pick(openers)} ${pick(verbs)} ${pick(extras)} ${pick(objects)} ${pick(closers)}`.trim(),
  );
  return { actions, messages };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

function bench(label: string, actions: RoutableAction[], messages: string[]): number {
  const trainStarted = performance.now();
  const model = trainRouter(actions);
  const trainMs = performance.now() - trainStarted;
  const size = JSON.stringify(model).length;
  // Route a copy parsed from JSON, as a workflow would receive it.
  const received = JSON.parse(JSON.stringify(model)) as typeof model;
  const times: number[] = [];
  let routed = 0;
  for (const message of messages) {
    const started = performance.now();
    const result = routeWithModel(received, message);
    times.push(performance.now() - started);
    if (result.kind === 'action') routed += 1;
  }
  const first = times[0] ?? 0;
  const mean = times.reduce((sum, time) => sum + time, 0) / Math.max(1, times.length);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `${label}: ${actions.length} actions × ${actions[0]?.examples.length ?? 0} examples; trained in ${trainMs.toFixed(0)} ms; ` +
      `model ${(size / 1024).toFixed(1)} KB of JSON (${size} bytes)`,
  );
  console.log(
    `  ${times.length} messages: p50 ${percentile(sorted, 0.5).toFixed(3)} ms, p95 ${percentile(sorted, 0.95).toFixed(3)} ms, ` +
      `mean ${mean.toFixed(3)} ms (first call, which unpacks the model, ${first.toFixed(1)} ms); ${routed} routed to an action`,
  );
  // A workflow that receives the model anew each turn finds it by content instead of by object.
  const json = JSON.stringify(model);
  let freshTotal = 0;
  const freshCount = Math.min(200, messages.length);
  for (const message of messages.slice(0, freshCount)) {
    const fresh = JSON.parse(json) as typeof model;
    const started = performance.now();
    routeWithModel(fresh, message);
    freshTotal += performance.now() - started;
  }
  console.log(`  with a freshly parsed copy of the model each call: mean ${(freshTotal / freshCount).toFixed(3)} ms`);
  return mean;
}

function main(): void {
  const { values } = parseArgs({ options: { data: { type: 'string' }, full: { type: 'boolean', default: false } } });
  const file = values.data ?? resolve(__dirname, '../../shared/data/clinc150/clinc150-dev.json');
  const hasData = existsSync(file);
  const corpus = hasData ? clincCorpus(file, ACTIONS, EXAMPLES) : generatedCorpus();
  if (!hasData) console.log(`(no ${file}: using generated actions)`);
  while (corpus.messages.length < MIN_MESSAGES) corpus.messages.push(...corpus.messages.slice(0, MIN_MESSAGES));
  const mean = bench(hasData ? 'CLINC150 subset' : 'generated', corpus.actions, corpus.messages);
  if (values.full && hasData) {
    const full = clincCorpus(file, 150, 100);
    bench('CLINC150 full (no limit)', full.actions, full.messages);
  }
  if (mean > LIMIT_MS) {
    console.error(`mean ${mean.toFixed(3)} ms per message is over the ${LIMIT_MS} ms limit`);
    process.exit(1);
  }
}

main();
