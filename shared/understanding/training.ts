/**
 * Training the router, when actions are saved (never in workflow code). Each action's examples and description
 * become TF-IDF vectors and, when the texts were embedded by the sentence encoder, each text's embedding joins
 * them as dense features. One multinomial logistic regression is trained on both by deterministic SGD; the
 * largest lexical weights and every embedding weight are kept (quantized) and returned with the normalized
 * examples and each action's meaning (the centroid of its embeddings): the `RouterModel`.
 */

import {
  buildVocabulary,
  count,
  featureCounts,
  IDF_SCALE,
  idfOf,
  routerWords,
  vectorize,
  type SparseVector,
} from './features';
import {
  pushVarint,
  round4,
  softmaxInPlace,
  toBase64,
  zigzag,
  type RoutableAction,
  type RouterModel,
  type TextEmbeddings,
} from './model';
import { centroid, packVectors } from './semantic';

/** Knobs for training; the defaults were chosen by cross-validation on CLINC150's train split. */
export type RouterTrainingOptions = {
  /** Passes of SGD over the training texts (default: 10, or enough for 30 000 steps on a small catalogue). */
  epochs?: number;
  /** L2 regularization strength (default 3e-6). */
  l2?: number;
  /**
   * How many classifier weights to keep, largest first (default: 12 per training text, or one per five actions
   * per text when that is more, at most 150 000).
   */
  maxWeights?: number;
  /** Seed of the example shuffle (default 1). */
  seed?: number;
  /** How strongly the embedding's components count against the lexical features in the classifier (default `DENSE_SCALE`). */
  denseScale?: number;
};

const MIN_EPOCHS = 10;
const MIN_STEPS = 30_000;
const DEFAULT_L2 = 3e-6;
const LEARNING_RATE = 2;
const WEIGHTS_PER_TEXT = 12;
const MAX_WEIGHTS = 150_000;
const WEIGHT_LEVELS = 255;
/**
 * Scale of the dense (embedding) features against the l2-normalized lexical blocks, and the fewest SGD steps when
 * they are present (they converge sooner): chosen on CLINC150 train → val at 0, 1, 5 and 10 examples per intent.
 */
const DENSE_SCALE = 1.5;
const MIN_STEPS_WITH_EMBEDDINGS = 10_000;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Multinomial logistic regression by SGD with L2 decay (Bottou's schedule); weights are feature-major. The
 * result is the average of the weights at the end of each epoch of the second half, which steadies the
 * probabilities (two actions with the same examples end up equally likely, not whichever came last).
 */
function trainClassifier(
  vectors: SparseVector[],
  labels: number[],
  featureCount: number,
  classCount: number,
  options: { epochs: number; l2: number; seed: number },
): { weights: Float64Array; bias: Float64Array } {
  const weights = new Float64Array(featureCount * classCount);
  const bias = new Float64Array(classCount);
  const averageWeights = new Float64Array(featureCount * classCount);
  const averageBias = new Float64Array(classCount);
  const firstAveraged = Math.floor(options.epochs / 2);
  const gradient = new Float64Array(classCount);
  const order = vectors.map((_, i) => i);
  const random = seededRandom(options.seed);
  let scale = 1; // the true weights are weights × scale, so L2 decay costs O(1) per step
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const swap = order[i]!;
      order[i] = order[j]!;
      order[j] = swap;
    }
    for (const example of order) {
      const vector = vectors[example]!;
      const rate = LEARNING_RATE / (1 + LEARNING_RATE * options.l2 * step++);
      gradient.set(bias);
      for (let k = 0; k < vector.index.length; k++) {
        const row = vector.index[k]! * classCount;
        const value = vector.value[k]! * scale;
        for (let c = 0; c < classCount; c++) gradient[c]! += value * weights[row + c]!;
      }
      softmaxInPlace(gradient);
      gradient[labels[example]!]! -= 1;
      scale *= 1 - rate * options.l2;
      for (let k = 0; k < vector.index.length; k++) {
        const row = vector.index[k]! * classCount;
        const value = (vector.value[k]! * rate) / scale;
        for (let c = 0; c < classCount; c++) weights[row + c]! -= value * gradient[c]!;
      }
      for (let c = 0; c < classCount; c++) bias[c]! -= rate * gradient[c]!;
      if (scale < 1e-6) {
        for (let w = 0; w < weights.length; w++) weights[w]! *= scale;
        scale = 1;
      }
    }
    if (epoch >= firstAveraged) {
      for (let w = 0; w < weights.length; w++) averageWeights[w]! += weights[w]! * scale;
      for (let c = 0; c < classCount; c++) averageBias[c]! += bias[c]!;
    }
  }
  const snapshots = options.epochs - firstAveraged;
  for (let w = 0; w < averageWeights.length; w++) averageWeights[w]! /= snapshots;
  for (let c = 0; c < classCount; c++) averageBias[c]! /= snapshots;
  return { weights: averageWeights, bias: averageBias };
}

/** The magnitude at or above which the `budget` largest weights lie. */
function magnitudeCutoff(weights: Float64Array, budget: number): number {
  if (budget <= 0) return Infinity;
  if (weights.length <= budget) return 0;
  const magnitudes = Float64Array.from(weights, Math.abs).sort();
  return magnitudes[magnitudes.length - budget] ?? 0;
}

/**
 * Trains a router for a catalogue of actions: deterministic (same actions and options, same model) and
 * meant to run when actions are saved. Actions without examples or description can never be chosen.
 */
export function trainRouter(
  actions: RoutableAction[],
  options: RouterTrainingOptions = {},
  embeddings: TextEmbeddings | null = null,
): RouterModel {
  const texts = actions.map((action) =>
    trainingTexts(action).flatMap((text, t) => {
      const words = routerWords(text);
      return words.length > 0 ? [{ words, embedding: embeddings?.vectors[actions.indexOf(action)]?.[t] ?? null }] : [];
    }),
  );
  const documents = texts.map((list) => list.map((text) => text.words));
  const documentCount = documents.reduce((sum, list) => sum + list.length, 0);

  const documentFrequency = new Map<number, number>();
  for (const list of documents)
    for (const words of list)
      for (const counts of featureCounts(words)) for (const hash of counts.keys()) count(documentFrequency, hash);
  const hashes = [...documentFrequency.keys()].sort((a, b) => a - b);
  const idfCodes = hashes.map((hash) =>
    Math.min(255, Math.round(idfOf(documentCount, documentFrequency.get(hash) ?? 0) * IDF_SCALE)),
  );
  const vocabulary = buildVocabulary(hashes, idfCodes, documentCount);

  // With embeddings, each text's vector joins its lexical features as `dimension` dense features after them.
  const dimension = embeddings?.dimension ?? 0;
  const denseScale = options.denseScale ?? DENSE_SCALE;
  const vectors: SparseVector[] = [];
  const labels: number[] = [];
  texts.forEach((list, action) => {
    for (const text of list) {
      const vector = vectorize(text.words, vocabulary);
      if (dimension > 0 && text.embedding) appendDense(vector, hashes.length, text.embedding, denseScale);
      vectors.push(vector);
      labels.push(action);
    }
  });
  const classCount = actions.length;
  const { weights, bias } = trainClassifier(vectors, labels, hashes.length + dimension, classCount, {
    epochs: Math.max(
      1,
      options.epochs ??
        Math.max(
          MIN_EPOCHS,
          Math.ceil((dimension > 0 ? MIN_STEPS_WITH_EMBEDDINGS : MIN_STEPS) / Math.max(1, vectors.length)),
        ),
    ),
    l2: options.l2 ?? DEFAULT_L2,
    seed: options.seed ?? 1,
  });
  const lexicalWeights = weights.subarray(0, hashes.length * classCount);

  const weightsPerText = Math.max(WEIGHTS_PER_TEXT, classCount / 5);
  const budget = options.maxWeights ?? Math.min(MAX_WEIGHTS, Math.round(weightsPerText * documentCount));
  const cutoff = magnitudeCutoff(lexicalWeights, budget);
  const weightStep = largestMagnitude(lexicalWeights) / WEIGHT_LEVELS || 1;

  const featureBytes: number[] = [];
  const weightBytes: number[] = [];
  let previous = 0;
  hashes.forEach((hash, feature) => {
    pushVarint(featureBytes, hash - previous);
    previous = hash;
    const kept: [number, number][] = [];
    for (let c = 0; c < classCount; c++) {
      const weight = weights[feature * classCount + c] ?? 0;
      const level = Math.round(weight / weightStep);
      if (Math.abs(weight) >= cutoff && level !== 0) kept.push([c, level]);
    }
    pushVarint(weightBytes, kept.length);
    let previousClass = 0;
    for (const [c, level] of kept) {
      pushVarint(weightBytes, c - previousClass);
      pushVarint(weightBytes, zigzag(level));
      previousClass = c;
    }
  });

  const model: RouterModel = {
    version: 1,
    actions: actions.map((action) => action.name),
    documents: documents.map((list) => list.map((words) => words.join(' '))),
    features: toBase64(featureBytes),
    idf: toBase64(idfCodes),
    weights: toBase64(weightBytes),
    weightStep,
    bias: Array.from(bias, (value) => round4(value)),
  };
  if (!embeddings || dimension === 0) return model;
  // The classifier saw each component × denseScale; the stored weights apply to the embedding as it is.
  const denseWeights = Float64Array.from(weights.subarray(hashes.length * classCount), (weight) => weight * denseScale);
  const denseStep = largestMagnitude(denseWeights) / 127 || 1;
  const centroids = texts.map((list) =>
    centroid(
      list.flatMap((text) => (text.embedding ? [text.embedding] : [])),
      dimension,
    ),
  );
  return {
    ...model,
    semantic: {
      encoder: embeddings.encoder,
      dimension,
      centroids: packVectors(centroids),
      weights: toBase64(Array.from(denseWeights, (weight) => Math.round(weight / denseStep) & 0xff)),
      weightStep: denseStep,
    },
  };
}

/**
 * The texts an action is trained on, in the order `TextEmbeddings` follows: its examples, then its description
 * (without the boilerplate operators put before what the visitor wants, such as "Use when the visitor asks").
 */
export function trainingTexts(action: RoutableAction): string[] {
  return [...action.examples, descriptionCore(action.description)];
}

const USE_WHEN = '(?:use|call|run|trigger|fire)(?: this(?: action)?)?\\s+(?:when(?:ever)?|if)\\s+';
const SUBJECT = '(?:the\\s+|a\\s+)?(?:visitor|user|customer|client|shopper|person|caller)s?\\s+';
const VERB =
  '(?:asks?|wants?|says?|needs?|requests?|would like|wishes|inquires?|enquires?|is asking|mentions?|reports?)' +
  '(?:\\s+(?:to|about|for))?\\s+';
/** "Use when the visitor asks …", "the customer wants to …", "Use if the user …": a lead-in, never the meaning. */
const DESCRIPTION_LEADS = [
  new RegExp(`^\\s*(?:${USE_WHEN})?${SUBJECT}${VERB}`, 'i'),
  new RegExp(`^\\s*${USE_WHEN}(?:${SUBJECT})?`, 'i'),
];

/** A description without its boilerplate lead-in ("Use when the visitor asks where their order is" → "where their order is"). */
export function descriptionCore(description: string): string {
  const lead = DESCRIPTION_LEADS.map((pattern) => pattern.exec(description)?.[0]).find(Boolean) ?? '';
  const core = description.slice(lead.length);
  return core.trim().length > 0 ? core : description;
}

function appendDense(vector: SparseVector, offset: number, embedding: ArrayLike<number>, scale: number): void {
  for (let d = 0; d < embedding.length; d++) {
    vector.index.push(offset + d);
    vector.value.push((embedding[d] ?? 0) * scale);
  }
}

function largestMagnitude(values: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]!));
  return largest;
}
