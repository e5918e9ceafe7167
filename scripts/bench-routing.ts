import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createSentenceEncoder,
  embedTrainingTexts,
  encoderInstalled,
  type SentenceEncoder,
} from '../infrastructure/encoder';
import { DEFAULT_ENCODER_DIR } from '../shared/config';
import type { RoutableAction } from '../shared/understanding/model';
import { routeWithModel } from '../shared/understanding/routing';
import { seededRandom, trainRouter } from '../shared/understanding/training';
import { packVector } from '../shared/understanding/semantic';

/**
 * Benchmarks routing as a conversation pays for it: 50 actions × 20 examples (50 CLINC150 intents when the dev
 * file is there, generated actions otherwise). Saving: every text embedded by the sentence encoder (one thread,
 * as in the API) and the router trained. Each message: embedded (as the embedding activity does) and routed.
 * Prints the save time, p50/p95/mean milliseconds per message with and without the embedding, the model's JSON
 * size, and the memory the encoder adds to a process, each against its target.
 *
 *   npm run bench:routing -- [--data FILE] [--full] [--lexical]
 *
 * `--full` also reports the router trained on all 150 CLINC150 intents × 100 examples (no target).
 * `--lexical` measures the router without the encoder.
 */

type Pair = [string, string];
/** Targets on a 2-core machine: p95 per message including the embedding, saving 50 × 20, memory of the encoder. */
const TARGET_P95_MS = 20;
const TARGET_SAVE_MS = 5_000;
const TARGET_ENCODER_MB = 150;
const ACTIONS = 50;
const EXAMPLES = 20;
const MIN_MESSAGES = 2000;

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
  const random = seededRandom(42);
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

function verdict(value: number, target: number): string {
  return value <= target ? `target ≤ ${target}: met` : `target ≤ ${target}: MISSED`;
}

async function bench(
  label: string,
  actions: RoutableAction[],
  messages: string[],
  encoder: SentenceEncoder | null,
  withTargets: boolean,
): Promise<void> {
  const saveStarted = performance.now();
  const embeddings = encoder ? await embedTrainingTexts(encoder, actions) : null;
  const embedMs = performance.now() - saveStarted;
  const model = trainRouter(actions, {}, embeddings);
  const saveMs = performance.now() - saveStarted;
  const size = JSON.stringify(model).length;
  console.log(
    `${label}: ${actions.length} actions × ${actions[0]?.examples.length ?? 0} examples; saved in ${saveMs.toFixed(0)} ms ` +
      `(embedding ${embedMs.toFixed(0)} ms, training ${(saveMs - embedMs).toFixed(0)} ms)` +
      (withTargets ? ` — ${verdict(saveMs, TARGET_SAVE_MS)}` : '') +
      `; model ${(size / 1024).toFixed(1)} KB of JSON`,
  );
  // Route a copy parsed from JSON, as a workflow receives it.
  const received = JSON.parse(JSON.stringify(model)) as typeof model;
  const total: number[] = [];
  const routing: number[] = [];
  let routed = 0;
  for (const message of messages) {
    const started = performance.now();
    const [vector] = encoder ? await encoder.embed([message]) : [];
    const embedded = performance.now();
    const embedding = encoder && vector ? { encoder: encoder.id, vector: packVector(vector) } : null;
    const result = routeWithModel(received, message, { embedding });
    const done = performance.now();
    total.push(done - started);
    routing.push(done - embedded);
    if (result.kind === 'action') routed += 1;
  }
  const describe = (times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((sum, time) => sum + time, 0) / Math.max(1, times.length);
    return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), mean };
  };
  const all = describe(total);
  const route = describe(routing);
  console.log(
    `  ${messages.length} messages, ${encoder ? 'embedding + routing' : 'routing'}: p50 ${all.p50.toFixed(2)} ms, ` +
      `p95 ${all.p95.toFixed(2)} ms, mean ${all.mean.toFixed(2)} ms` +
      (withTargets ? ` — p95 ${verdict(all.p95, TARGET_P95_MS)}` : '') +
      `; routing alone p50 ${route.p50.toFixed(3)} ms, p95 ${route.p95.toFixed(3)} ms (first call, which unpacks the model, ` +
      `${(routing[0] ?? 0).toFixed(1)} ms); ${routed} routed to an action`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      full: { type: 'boolean', default: false },
      lexical: { type: 'boolean', default: false },
    },
  });
  const file = values.data ?? resolve(__dirname, '../../shared/data/clinc150/clinc150-dev.json');
  const hasData = existsSync(file);
  const corpus = hasData ? clincCorpus(file, ACTIONS, EXAMPLES) : generatedCorpus();
  if (!hasData) console.log(`(no ${file}: using generated actions)`);
  while (corpus.messages.length < MIN_MESSAGES) corpus.messages.push(...corpus.messages.slice(0, MIN_MESSAGES));

  let encoder: SentenceEncoder | null = null;
  if (!values.lexical) {
    if (!encoderInstalled(DEFAULT_ENCODER_DIR))
      throw new Error(`no sentence encoder in ${DEFAULT_ENCODER_DIR}: run npm run bootstrap`);
    const before = process.memoryUsage().rss;
    encoder = createSentenceEncoder({ dir: DEFAULT_ENCODER_DIR, threads: 1 });
    await encoder.embed(corpus.messages.slice(0, 200));
    const addedMb = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(
      `sentence encoder ${encoder.id}: loaded and warmed, the process grew by ${addedMb.toFixed(0)} MB RSS — ${verdict(addedMb, TARGET_ENCODER_MB)}`,
    );
  }
  await bench(hasData ? 'CLINC150 subset' : 'generated', corpus.actions, corpus.messages, encoder, true);
  if (values.full && hasData) {
    const full = clincCorpus(file, 150, 100);
    await bench('CLINC150 full', full.actions, full.messages.slice(0, 500), encoder, false);
  }
  await encoder?.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
