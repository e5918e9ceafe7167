import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSentenceEncoder, encoderInstalled } from '../infrastructure/encoder';
import { DEFAULT_ENCODER_DIR } from '../shared/config';
import type { RoutableAction, RouterModel, TextEmbeddings } from '../shared/understanding/model';
import { DEFAULT_AMBIGUITY_MARGIN, DEFAULT_THRESHOLD, routeWithModel } from '../shared/understanding/routing';
import { trainingTexts, trainRouter } from '../shared/understanding/training';
import { packVector, unpackVector, type PackedVector } from '../shared/understanding/semantic';

/**
 * Evaluates the router with the CLINC150 protocol on a file of [query, intent] splits (the format of
 * ../shared/data/clinc150/clinc150-dev.json): one action per in-scope intent (description from the intent's
 * name, examples from `train`, all or the first K; K = 0 is description only), the out-of-scope threshold chosen
 * on `val` + `oos_val`, then in-scope accuracy and out-of-scope recall on the evaluation split, printed as one
 * JSON line per size. Every text is embedded by the real sentence encoder, as when actions are saved.
 *
 *   npm run eval:routing -- --data ../shared/data/clinc150/clinc150-dev.json [--shots K | --sweep] [--split val]
 *     [--threshold T] [--tolerance 0.004] [--lexical]
 *
 * `--sweep` runs 0, 1, 5, 10 and all examples in one run. `--lexical` routes by words alone (no encoder).
 * Threshold objective: the highest out-of-scope recall whose in-scope accuracy stays within `--tolerance` of
 * the accuracy without a threshold (ties: the lowest threshold). The default, 0.004 (0.4 points), trades
 * out-of-scope recall only while in-scope accuracy, the tighter target, barely moves. `--threshold` skips the
 * tuning. Queries are routed with ambiguity off, so each gets one prediction. Diagnostics go to stderr.
 */

type Pair = [string, string];
type Splits = Record<string, Pair[] | undefined>;
type Scored = { intent: string; predicted: string; score: number };
type Outcome = { inScopeAccuracy: number; oosRecall: number; inScopeCount: number; oosCount: number };

const OOS = 'oos';

function usage(message: string): never {
  console.error(
    `${message}\nusage: eval-routing --data FILE [--shots K | --sweep] [--split val|test] [--threshold T] ` +
      '[--tolerance 0.004] [--lexical]',
  );
  process.exit(2);
}

/** Each text's packed embedding, for training and routing alike (null: lexical routing only). */
type Embedded = Map<string, PackedVector> | null;

function split(data: Splits, name: string): Pair[] {
  const pairs = data[name];
  if (!Array.isArray(pairs)) usage(`the data file has no "${name}" split`);
  return pairs;
}

/** Top action and its score for each query, routed with no threshold and no ambiguity. */
function score(model: RouterModel, pairs: Pair[], embedded: Embedded): Scored[] {
  return pairs.map(([query, intent]) => {
    const embedding = embedded?.get(query) ?? null;
    const result = routeWithModel(model, query, { threshold: 0, ambiguityMargin: 0, embedding });
    return result.kind === 'action'
      ? { intent, predicted: result.action, score: result.score }
      : { intent, predicted: OOS, score: 0 };
  });
}

function outcome(inScope: Scored[], outOfScope: Scored[], threshold: number): Outcome {
  const correct = inScope.filter((item) => item.score >= threshold && item.predicted === item.intent).length;
  const rejected = outOfScope.filter((item) => item.score < threshold).length;
  return {
    inScopeAccuracy: inScope.length ? correct / inScope.length : 0,
    oosRecall: outOfScope.length ? rejected / outOfScope.length : 0,
    inScopeCount: inScope.length,
    oosCount: outOfScope.length,
  };
}

/** The threshold with the best out-of-scope recall among those costing at most `tolerance` of in-scope accuracy. */
function chooseThreshold(inScope: Scored[], outOfScope: Scored[], tolerance: number): number {
  const floor = outcome(inScope, outOfScope, 0).inScopeAccuracy - tolerance;
  const candidates = [...new Set([0, ...inScope.map((item) => item.score), ...outOfScope.map((item) => item.score)])];
  candidates.sort((a, b) => a - b);
  let best = { threshold: 0, recall: -1 };
  for (const threshold of candidates) {
    const result = outcome(inScope, outOfScope, threshold);
    if (result.inScopeAccuracy < floor) break;
    if (result.oosRecall > best.recall) best = { threshold, recall: result.oosRecall };
  }
  return best.threshold;
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

function describe(result: Outcome): string {
  return `in-scope ${(100 * result.inScopeAccuracy).toFixed(2)}%, out-of-scope recall ${(100 * result.oosRecall).toFixed(2)}%`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      shots: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      split: { type: 'string', default: 'val' },
      threshold: { type: 'string' },
      tolerance: { type: 'string', default: '0.004' },
      lexical: { type: 'boolean', default: false },
    },
  });
  if (!values.data) usage('--data is required');
  if (values.sweep && values.shots !== undefined) usage('--sweep and --shots exclude each other');
  const sizes = values.sweep ? [0, 1, 5, 10, Infinity] : [values.shots === undefined ? Infinity : Number(values.shots)];
  if (!sizes.every((shots) => shots >= 0 && (Number.isInteger(shots) || shots === Infinity)))
    usage('--shots must be a whole number, 0 or more');
  const fixedThreshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (fixedThreshold !== undefined && !Number.isFinite(fixedThreshold)) usage('--threshold must be a number');
  const evaluationSplit = values.split ?? 'val';
  const tolerance = Number(values.tolerance);
  if (!(tolerance >= 0 && tolerance < 1)) usage('--tolerance must be a fraction in [0, 1)');

  const data = JSON.parse(readFileSync(values.data, 'utf8')) as Splits;
  const evaluated = [
    evaluationSplit,
    `oos_${evaluationSplit}`,
    ...(evaluationSplit === 'val' ? [] : ['val', 'oos_val']),
  ];
  const embedded = values.lexical ? null : await embedAll(data, ['train', ...evaluated]);
  for (const shots of sizes) evaluate(data, shots, embedded, { evaluationSplit, fixedThreshold, tolerance });
}

/** Embeds every query of the splits and every intent name with the installed encoder, reporting its cost. */
async function embedAll(data: Splits, splits: string[]): Promise<Map<string, PackedVector>> {
  const dir = DEFAULT_ENCODER_DIR;
  if (!encoderInstalled(dir)) usage(`no sentence encoder in ${dir}: run npm run bootstrap (or pass --lexical)`);
  const encoder = createSentenceEncoder({ dir, threads: 2 });
  const texts = new Set<string>();
  for (const name of splits)
    for (const [query, intent] of split(data, name)) texts.add(query).add(intentDescription(intent));
  const list = [...texts];
  const started = performance.now();
  const vectors = await encoder.embed(list);
  const seconds = (performance.now() - started) / 1000;
  console.error(
    `embedded ${list.length} texts with ${encoder.id} in ${seconds.toFixed(1)} s ` +
      `(${((1000 * seconds) / list.length).toFixed(2)} ms per text, batched, 2 threads)`,
  );
  await encoder.close();
  return new Map(list.map((text, i) => [text, { encoder: encoder.id, vector: packVector(vectors[i]!) }]));
}

const intentDescription = (intent: string): string => intent.replace(/_/g, ' ');

/** Trains on the first `shots` train queries of each intent, tunes the threshold, and prints one JSON line. */
function evaluate(
  data: Splits,
  shots: number,
  embedded: Embedded,
  settings: { evaluationSplit: string; fixedThreshold: number | undefined; tolerance: number },
): void {
  const { evaluationSplit, fixedThreshold, tolerance } = settings;
  const examples = new Map<string, string[]>();
  for (const [query, intent] of split(data, 'train')) {
    if (intent === OOS) continue;
    const list = examples.get(intent) ?? [];
    if (list.length < shots) list.push(query);
    examples.set(intent, list);
  }
  const actions: RoutableAction[] = [...examples].map(([name, queries]) => ({
    name,
    description: intentDescription(name),
    examples: queries,
  }));
  const embeddings: TextEmbeddings | null = embedded && {
    encoder: embedded.values().next().value?.encoder ?? '',
    dimension: 384,
    vectors: actions.map((action) => trainingTexts(action).map((text) => unpacked(embedded, text))),
  };

  const started = performance.now();
  const model = trainRouter(actions, {}, embeddings);
  const trainSeconds = (performance.now() - started) / 1000;
  const label = Number.isFinite(shots) ? `${shots} example(s) per intent` : 'all examples';
  console.error(
    `\n[${label}] trained on ${actions.length} actions, ${actions.reduce((sum, action) => sum + action.examples.length, 0)} examples ` +
      `in ${trainSeconds.toFixed(1)} s; model ${(JSON.stringify(model).length / 1024).toFixed(0)} KB of JSON`,
  );

  const tuneStarted = performance.now();
  const tuneInScope = score(model, split(data, 'val'), embedded);
  const tuneOutOfScope = score(model, split(data, 'oos_val'), embedded);
  const routeMs = (performance.now() - tuneStarted) / (tuneInScope.length + tuneOutOfScope.length);
  console.error(`routing: ${routeMs.toFixed(3)} ms per message, embedding aside (including the model's preparation)`);
  const threshold = fixedThreshold ?? chooseThreshold(tuneInScope, tuneOutOfScope, tolerance);
  console.error(
    `threshold ${round(threshold)} (${fixedThreshold === undefined ? `best out-of-scope recall within ${100 * tolerance} point(s) of the no-threshold in-scope accuracy, on val + oos_val` : 'given'}); ` +
      `without threshold: ${describe(outcome(tuneInScope, tuneOutOfScope, 0))} on val`,
  );

  const evaluation =
    evaluationSplit === 'val'
      ? { inScope: tuneInScope, outOfScope: tuneOutOfScope }
      : {
          inScope: score(model, split(data, evaluationSplit), embedded),
          outOfScope: score(model, split(data, `oos_${evaluationSplit}`), embedded),
        };
  const result = outcome(evaluation.inScope, evaluation.outOfScope, threshold);

  if (evaluationSplit === 'val') {
    console.error('note: --split val reports on the same split the threshold was tuned on (optimistic).');
    if (fixedThreshold === undefined) splitHalfEstimate(tuneInScope, tuneOutOfScope, tolerance);
  }
  const atDefault = outcome(evaluation.inScope, evaluation.outOfScope, DEFAULT_THRESHOLD);
  console.error(`at DEFAULT_THRESHOLD ${DEFAULT_THRESHOLD}: ${describe(atDefault)} on ${evaluationSplit}`);
  ambiguityReport(model, split(data, evaluationSplit), threshold, embedded);

  console.log(
    JSON.stringify({
      inScopeAccuracy: round(result.inScopeAccuracy),
      oosRecall: round(result.oosRecall),
      inScopeCount: result.inScopeCount,
      oosCount: result.oosCount,
      threshold: round(threshold),
      atDefaultThreshold: { inScopeAccuracy: round(atDefault.inScopeAccuracy), oosRecall: round(atDefault.oosRecall) },
      split: evaluationSplit,
      shots: Number.isFinite(shots) ? shots : 'all',
      semantic: embedded !== null,
    }),
  );
}

function unpacked(embedded: Map<string, PackedVector>, text: string): number[] {
  const packed = embedded.get(text);
  if (!packed) throw new Error(`no embedding for "${text}"`);
  return Array.from(unpackVector(packed.vector));
}

/**
 * A fairer estimate for --split val: val and oos_val cut in two halves (alternate queries of each intent),
 * the threshold chosen on one half and applied to the other, both ways, averaged.
 */
function splitHalfEstimate(inScope: Scored[], outOfScope: Scored[], tolerance: number): void {
  const halves = (items: Scored[]): [Scored[], Scored[]] => {
    const seen = new Map<string, number>();
    const parts: [Scored[], Scored[]] = [[], []];
    for (const item of items) {
      const index = seen.get(item.intent) ?? 0;
      seen.set(item.intent, index + 1);
      parts[index % 2]!.push(item);
    }
    return parts;
  };
  const [inA, inB] = halves(inScope);
  const [oosA, oosB] = halves(outOfScope);
  const aToB = outcome(inB, oosB, chooseThreshold(inA, oosA, tolerance));
  const bToA = outcome(inA, oosA, chooseThreshold(inB, oosB, tolerance));
  console.error(
    `split-half estimate (threshold tuned on one half of val + oos_val, measured on the other, averaged): ` +
      describe({
        ...aToB,
        inScopeAccuracy: (aToB.inScopeAccuracy + bToA.inScopeAccuracy) / 2,
        oosRecall: (aToB.oosRecall + bToA.oosRecall) / 2,
      }) +
      ` (A→B ${describe(aToB)}; B→A ${describe(bToA)})`,
  );
}

/** How often the default ambiguity margin would ask the visitor, and how often the right action is offered. */
function ambiguityReport(model: RouterModel, pairs: Pair[], threshold: number, embedded: Embedded): void {
  let ambiguous = 0;
  let offered = 0;
  let routed = 0;
  let routedCorrectly = 0;
  for (const [query, intent] of pairs) {
    const result = routeWithModel(model, query, { threshold, embedding: embedded?.get(query) ?? null });
    if (result.kind === 'ambiguous') {
      ambiguous += 1;
      if (result.candidates.some((candidate) => candidate.action === intent)) offered += 1;
    } else if (result.kind === 'action') {
      routed += 1;
      if (result.action === intent) routedCorrectly += 1;
    }
  }
  console.error(
    `with ambiguityMargin ${DEFAULT_AMBIGUITY_MARGIN} on in-scope queries: ${((100 * ambiguous) / pairs.length).toFixed(1)}% ambiguous ` +
      `(right action offered in ${((100 * offered) / Math.max(1, ambiguous)).toFixed(1)}%), ` +
      `${((100 * routed) / pairs.length).toFixed(1)}% routed (${((100 * routedCorrectly) / Math.max(1, routed)).toFixed(1)}% correctly)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
