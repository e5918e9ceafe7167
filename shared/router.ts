/**
 * Trained intent routing: which action, if any, a visitor message asks for.
 *
 * `trainRouter` runs when actions are saved. It turns each action's examples and description into TF-IDF
 * vectors (word unigrams and bigrams, character 3–4-grams inside words; sublinear tf, l2 norm per block) and,
 * when the texts were embedded by the sentence encoder, appends each text's embedding as dense features. It
 * trains one multinomial logistic regression on both by deterministic SGD, keeps the largest lexical weights
 * and every embedding weight (quantized), and returns them with the normalized examples and each action's
 * meaning (the centroid of its embeddings) as compact JSON-safe data: the `RouterModel`.
 *
 * `routeWithModel` scores a message (and its embedding, when it has one) against that model. An action's
 * score combines how sure the classifier is (its probability above chance) with how like the action the
 * message is — the better of its word similarity to the three nearest examples and its calibrated cosine to
 * the action's meaning — as a geometric mean in [0, 1]. The classifier separates actions from each other; the
 * similarity says whether the message is like anything the operator wrote or meant at all, which is what makes
 * one threshold work for a catalogue of three actions as well as one of 150, with no examples or a hundred.
 *
 * Everything here is pure and deterministic (no clock, no randomness but a seeded generator, no I/O), so it
 * runs as workflow code and replays exactly.
 */

import {
  base64ToBytes,
  bytesToBase64,
  calibratedSimilarity,
  centroid,
  dot,
  packVectors,
  unpackVector,
  unpackVectors,
  type PackedVector,
} from './semantic';

/** What the router needs of an action: its name, a description and example messages. */
export type RoutableAction = { name: string; description: string; examples: string[] };

/**
 * Sentence embeddings of each action's training texts, made by the encoder when actions are saved:
 * `vectors[action][text]` follows the order of `trainingTexts(action)`.
 */
export type TextEmbeddings = { encoder: string; dimension: number; vectors: ArrayLike<number>[][] };

/** The semantic part of a model: how each action's meaning sits in the encoder's space. */
export type SemanticModel = {
  /** The encoder whose vectors this part understands; a message embedded by another is routed lexically. */
  encoder: string;
  dimension: number;
  /** Base64 int8: each action's centroid (`packVectors`). */
  centroids: string;
  /** Base64 int8: the classifier's weights on the embedding's components, dimension-major (d × actions + c). */
  weights: string;
  weightStep: number;
};

/** A trained router: JSON-serialisable, built when actions are saved, carried into conversations. */
export type RouterModel = {
  version: 1;
  /** Action names; an action's position here is its class index. */
  actions: string[];
  /** Each action's training texts (examples, then description), normalized, for nearest-example similarity. */
  documents: string[][];
  /** Base64 varints: the vocabulary's feature hashes, ascending, delta-coded. */
  features: string;
  /** Base64 bytes: each feature's inverse document frequency × 16. */
  idf: string;
  /** Base64 varints: for each feature, how many weights, then (class delta, zigzag weight ÷ weightStep) pairs. */
  weights: string;
  weightStep: number;
  /** One bias per action. */
  bias: number[];
  /** Present when the actions' texts were embedded: routing then also weighs meaning, not only words. */
  semantic?: SemanticModel;
};

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

/** One action and how well the message matches it, in [0, 1]. */
export type RouteScore = { action: string; score: number };

/** The routing decision; candidates are the best-scoring actions (at most three), best first. */
export type RouteResult =
  | { kind: 'action'; action: string; score: number; candidates: RouteScore[] }
  | { kind: 'ambiguous'; candidates: RouteScore[] }
  | { kind: 'none'; candidates: RouteScore[] };

/** Options for one routing decision. */
export type RouteOptions = {
  /** The message's sentence embedding (from the embedding activity); without it routing is lexical only. */
  embedding?: PackedVector | null;
  /** Minimum score to route to an action (default `DEFAULT_THRESHOLD`). */
  threshold?: number;
  /**
   * Actions scoring within this of the best, or which the classifier finds at least half as likely and whose
   * examples are within this as similar, are ambiguous with it (default `DEFAULT_AMBIGUITY_MARGIN`; 0 turns
   * ambiguity off).
   */
  ambiguityMargin?: number;
};

/**
 * Default minimum score for routing to an action. Chosen on simulated product catalogues built from CLINC150's
 * train split only: random sets of 3, 10 and 50 intents with 5, 10 and 20 examples each (six of each kind),
 * in scope 10 held-out train queries per intent, out of scope one query of every intent left out plus
 * `oos_train`. In-scope accuracy plus out-of-scope recall, averaged over the nine kinds, is flat from 0.25 to
 * 0.3 (86% / 86% at 0.25, 84% / 89% at the best, 0.275); the lower end is kinder to visitors. With semantic
 * routing it holds across sizes on CLINC150 val: 57% / 91% with descriptions only, 81% / 79% at 5 examples,
 * 96% / 61% with all 100 (in-scope accuracy / out-of-scope recall).
 */
export const DEFAULT_THRESHOLD = 0.25;

/** Default width of the band below the best score whose actions are offered together as ambiguous. */
export const DEFAULT_AMBIGUITY_MARGIN = 0.05;

const MAX_CANDIDATES = 3;
const NEAREST = 3;
const CHAR_MIN = 3;
const CHAR_MAX = 4;
const WORD_BLOCK_WEIGHT = 0.6;
const CHAR_BLOCK_WEIGHT = 0.8;
const IDF_SCALE = 16;
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

// ---------------------------------------------------------------------------------------------------------
// Text normalization and features

const CONTRACTIONS: [RegExp, string][] = [
  [/\bcan't\b/g, 'can not'],
  [/\bwon't\b/g, 'will not'],
  [/n't\b/g, ' not'],
  [/'m\b/g, ' am'],
  [/'re\b/g, ' are'],
  [/'ll\b/g, ' will'],
  [/'ve\b/g, ' have'],
  [/'d\b/g, ' would'],
  [/\b(what|that|it|how|when|where|there|who|here|let)'s\b/g, '$1 is'],
  [/'s\b/g, ''],
];

/** Folds common English suffixes so "cards", "carded" and "card" share features. */
function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ss') || word.endsWith('us') || word.endsWith('is')) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && !word.endsWith('eed') && word.length > 4) return word.slice(0, -2);
  return word;
}

/** The words of a text as the router sees them: lower case, contractions expanded, numbers as 0, stemmed. */
function routerWords(text: string): string[] {
  let normalized = text.toLowerCase().replace(/[\u2018\u2019`´]/g, "'");
  for (const [pattern, replacement] of CONTRACTIONS) normalized = normalized.replace(pattern, replacement);
  normalized = normalized.replace(/[^\p{L}\p{N}]+/gu, ' ').replace(/\p{N}+/gu, '0');
  return normalized
    .split(' ')
    .filter((word) => word.length > 0)
    .map(stem);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const UNIGRAM_SEED = 0x9e3779b1;
const BIGRAM_SEED = 0x85ebca6b;
const CHAR_SEED = 0xc2b2ae35;

function hashString(text: string, seed: number): number {
  let hash = FNV_OFFSET ^ seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash >>> 0;
}

type Counts = Map<number, number>;

function count(counts: Counts, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Hashed feature counts of normalized words: one map for words and word pairs, one for character n-grams. */
function featureCounts(words: string[]): [Counts, Counts] {
  const wordCounts: Counts = new Map();
  const charCounts: Counts = new Map();
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    count(wordCounts, hashString(word, UNIGRAM_SEED));
    const next = words[i + 1];
    if (next !== undefined) count(wordCounts, hashString(`${word} ${next}`, BIGRAM_SEED));
    const padded = ` ${word} `;
    for (let start = 0; start + CHAR_MIN <= padded.length; start++) {
      let hash = FNV_OFFSET ^ CHAR_SEED;
      for (let n = 0; n < CHAR_MAX && start + n < padded.length; n++) {
        hash = Math.imul(hash ^ padded.charCodeAt(start + n), FNV_PRIME);
        if (n + 1 >= CHAR_MIN) count(charCounts, hash >>> 0);
      }
    }
  }
  return [wordCounts, charCounts];
}

type Vocabulary = { index: Map<number, number>; idf: Float64Array; unseenIdf: number };
type SparseVector = { index: number[]; value: number[] };

/**
 * TF-IDF vector of normalized words over the vocabulary, each block l2-normalized then weighted. Features
 * outside the vocabulary count towards the norm (at the highest idf) but are dropped, so a message made of
 * words the catalogue never uses has a short vector and matches nothing well.
 */
function vectorize(words: string[], vocabulary: Vocabulary): SparseVector {
  const entries: [number, number][] = [];
  const blocks = featureCounts(words);
  const blockWeights = [WORD_BLOCK_WEIGHT, CHAR_BLOCK_WEIGHT];
  blocks.forEach((counts, block) => {
    let norm = 0;
    const known: [number, number][] = [];
    for (const [hash, tf] of counts) {
      const index = vocabulary.index.get(hash);
      const value = (1 + Math.log(tf)) * (index === undefined ? vocabulary.unseenIdf : (vocabulary.idf[index] ?? 0));
      norm += value * value;
      if (index !== undefined) known.push([index, value]);
    }
    if (norm === 0) return;
    const scale = (blockWeights[block] ?? 0) / Math.sqrt(norm);
    for (const [index, value] of known) entries.push([index, value * scale]);
  });
  entries.sort((a, b) => a[0] - b[0]);
  const vector: SparseVector = { index: [], value: [] };
  for (const [index, value] of entries) {
    const last = vector.index.length - 1;
    if (vector.index[last] === index) vector.value[last] = (vector.value[last] ?? 0) + value;
    else {
      vector.index.push(index);
      vector.value.push(value);
    }
  }
  return vector;
}

// ---------------------------------------------------------------------------------------------------------
// Compact encoding: unsigned varints in base64

const toBase64 = bytesToBase64;

function fromBase64(text: string): Uint8Array {
  try {
    return base64ToBytes(text);
  } catch {
    throw new Error('router model: invalid base64');
  }
}

function pushVarint(bytes: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    bytes.push(rest % 0x80 | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}

function varintReader(bytes: Uint8Array): () => number {
  let at = 0;
  return () => {
    let value = 0;
    let factor = 1;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('router model: truncated data');
      value += (byte & 0x7f) * factor;
      if (byte < 0x80) return value;
      factor *= 0x80;
    }
  };
}

const zigzag = (value: number): number => (value < 0 ? -2 * value - 1 : 2 * value);
const unzigzag = (value: number): number => (value % 2 === 1 ? -(value + 1) / 2 : value / 2);

// ---------------------------------------------------------------------------------------------------------
// Training

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function seededRandom(seed: number): () => number {
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

function softmaxInPlace(values: Float64Array): void {
  let max = -Infinity;
  for (const value of values) if (value > max) max = value;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] = Math.exp(values[i]! - max);
  for (let i = 0; i < values.length; i++) values[i]! /= sum;
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

const DESCRIPTION_LEAD = new RegExp(
  '^\\s*(?:(?:use|call|run|trigger|fire)(?: this(?: action)?)?\\s+(?:when(?:ever)?|if)\\s+)?' +
    '(?:the\\s+|a\\s+)?(?:visitor|user|customer|client|shopper|person|caller)s?\\s+' +
    '(?:(?:asks?|wants?|says?|needs?|requests?|would like|wishes|inquires?|enquires?|is asking|mentions?|reports?)' +
    '(?:\\s+(?:to|about|for))?\\s+)?',
  'i',
);

/** A description without its boilerplate lead-in ("Use when the visitor asks where their order is" → "where their order is"). */
export function descriptionCore(description: string): string {
  const core = description.replace(DESCRIPTION_LEAD, '');
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

function idfOf(documentCount: number, frequency: number): number {
  return Math.log((1 + documentCount) / (1 + frequency)) + 1;
}

/** Rounded to four decimals, so scores and biases stay short in JSON. */
function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function buildVocabulary(hashes: number[], idfCodes: ArrayLike<number>, documentCount: number): Vocabulary {
  const index = new Map<number, number>();
  hashes.forEach((hash, i) => index.set(hash, i));
  const idf = Float64Array.from({ length: hashes.length }, (_, i) => (idfCodes[i] ?? 0) / IDF_SCALE);
  return { index, idf, unseenIdf: idfOf(documentCount, 0) };
}

// ---------------------------------------------------------------------------------------------------------
// Routing

/** A model unpacked for fast routing. */
type PreparedRouter = {
  actions: string[];
  vocabulary: Vocabulary;
  /** Classifier weights in CSR form: feature f's weights are at weightStart[f] .. weightStart[f + 1]. */
  weightStart: Int32Array;
  weightClass: Int32Array;
  weightValue: Float64Array;
  bias: Float64Array;
  /** Inverted index of the documents' vectors, in CSR form by feature. */
  postingStart: Int32Array;
  postingDocument: Int32Array;
  postingValue: Float64Array;
  documentAction: Int32Array;
  semantic: PreparedSemantic | null;
};

/** The semantic part unpacked: centroids and the classifier's embedding weights (d × actions + c). */
type PreparedSemantic = { encoder: string; dimension: number; centroids: Float64Array[]; weights: Float64Array };

/**
 * Unpacked models, by object and, for a model that arrives as a new object each turn (parsed again from
 * history or an activity result), by content among the last few. Only a cache: results never depend on it.
 */
const preparedByObject = new WeakMap<RouterModel, PreparedRouter>();
const preparedByContent: { json: string; router: PreparedRouter }[] = [];
const PREPARED_BY_CONTENT = 4;

function prepare(model: RouterModel): PreparedRouter {
  const byObject = preparedByObject.get(model);
  if (byObject) return byObject;
  const json = JSON.stringify(model);
  const byContent = preparedByContent.find((entry) => entry.json === json);
  const router = byContent?.router ?? unpack(model);
  if (!byContent) {
    preparedByContent.unshift({ json, router });
    preparedByContent.length = Math.min(preparedByContent.length, PREPARED_BY_CONTENT);
  }
  preparedByObject.set(model, router);
  return router;
}

function unpack(model: RouterModel): PreparedRouter {
  if (model.version !== 1) throw new Error(`router model: unsupported version ${String(model.version)}`);
  const classCount = model.actions.length;
  const readFeature = varintReader(fromBase64(model.features));
  const idfCodes = fromBase64(model.idf);
  const featureCount = idfCodes.length;
  const hashes: number[] = [];
  let hash = 0;
  for (let f = 0; f < featureCount; f++) hashes.push((hash += readFeature()));
  const documentCount = model.documents.reduce((sum, texts) => sum + texts.length, 0);
  const vocabulary = buildVocabulary(hashes, idfCodes, documentCount);

  const readWeight = varintReader(fromBase64(model.weights));
  const weightStart = new Int32Array(featureCount + 1);
  const classes: number[] = [];
  const values: number[] = [];
  for (let f = 0; f < featureCount; f++) {
    weightStart[f] = classes.length;
    const kept = readWeight();
    let c = 0;
    for (let k = 0; k < kept; k++) {
      c += readWeight();
      if (c >= classCount) throw new Error('router model: weight for an unknown action');
      classes.push(c);
      values.push(unzigzag(readWeight()) * model.weightStep);
    }
  }
  weightStart[featureCount] = classes.length;

  const documentAction: number[] = [];
  const documentVectors: SparseVector[] = [];
  model.documents.forEach((texts, action) => {
    for (const text of texts) {
      documentVectors.push(vectorize(text.split(' '), vocabulary));
      documentAction.push(action);
    }
  });
  // Inverted index by counting sort: documents are visited in order, so each posting list is sorted.
  const postingStart = new Int32Array(featureCount + 1);
  for (const vector of documentVectors) for (const feature of vector.index) postingStart[feature + 1]! += 1;
  for (let f = 0; f < featureCount; f++) postingStart[f + 1]! += postingStart[f]!;
  const postingDocument = new Int32Array(postingStart[featureCount]!);
  const postingValue = new Float64Array(postingStart[featureCount]!);
  const filled = postingStart.slice(0, featureCount);
  documentVectors.forEach((vector, document) => {
    vector.index.forEach((feature, k) => {
      const at = filled[feature]!++;
      postingDocument[at] = document;
      postingValue[at] = vector.value[k] ?? 0;
    });
  });

  return {
    actions: model.actions,
    vocabulary,
    weightStart,
    weightClass: Int32Array.from(classes),
    weightValue: Float64Array.from(values),
    bias: Float64Array.from({ length: classCount }, (_, c) => model.bias[c] ?? 0),
    postingStart,
    postingDocument,
    postingValue,
    documentAction: Int32Array.from(documentAction),
    semantic: model.semantic ? unpackSemantic(model.semantic, classCount) : null,
  };
}

function unpackSemantic(semantic: SemanticModel, classCount: number): PreparedSemantic {
  const centroids = unpackVectors(semantic.centroids, semantic.dimension);
  const levels = fromBase64(semantic.weights);
  if (centroids.length !== classCount || levels.length !== classCount * semantic.dimension)
    throw new Error('router model: semantic part does not match its actions');
  const weights = Float64Array.from(levels, (byte) => (byte > 127 ? byte - 256 : byte) * semantic.weightStep);
  return { encoder: semantic.encoder, dimension: semantic.dimension, centroids, weights };
}

/**
 * Each action's score for a message, in [0, 1]: the geometric mean of the classifier's probability above
 * chance and the mean cosine similarity of the message to the action's nearest examples. With a single action
 * there is nothing to tell apart, and the score is the similarity alone.
 */
function scoreActions(
  router: PreparedRouter,
  message: string,
  embedding: Float64Array | null,
): { scores: Float64Array; probabilities: Float64Array; similarities: Float64Array } {
  const classCount = router.actions.length;
  const vector = vectorize(routerWords(message), router.vocabulary);
  const probabilities = Float64Array.from(router.bias);
  const documentSimilarity = new Float64Array(router.documentAction.length);
  for (let k = 0; k < vector.index.length; k++) {
    const feature = vector.index[k]!;
    const value = vector.value[k]!;
    for (let w = router.weightStart[feature]!; w < router.weightStart[feature + 1]!; w++)
      probabilities[router.weightClass[w]!]! += value * router.weightValue[w]!;
    for (let p = router.postingStart[feature]!; p < router.postingStart[feature + 1]!; p++)
      documentSimilarity[router.postingDocument[p]!]! += value * router.postingValue[p]!;
  }
  const semantic = embedding && router.semantic;
  if (semantic) {
    for (let d = 0; d < semantic.dimension; d++) {
      const value = embedding[d]!;
      for (let c = 0; c < classCount; c++) probabilities[c]! += value * semantic.weights[d * classCount + c]!;
    }
  }
  softmaxInPlace(probabilities);

  const nearest = Array.from({ length: classCount }, () => [] as number[]);
  documentSimilarity.forEach((similarity, document) => {
    const top = nearest[router.documentAction[document]!]!;
    if (top.length < NEAREST) top.push(similarity);
    else {
      let lowest = 0;
      for (let i = 1; i < top.length; i++) if (top[i]! < top[lowest]!) lowest = i;
      if (similarity > top[lowest]!) top[lowest] = similarity;
    }
  });
  const similarities = Float64Array.from(nearest, (top) =>
    top.length === 0 ? 0 : Math.max(0, top.reduce((sum, value) => sum + value, 0) / top.length),
  );
  if (semantic) {
    // Meaning and words each say how like the action the message is; either is enough.
    for (let c = 0; c < classCount; c++) {
      const meaning = calibratedSimilarity(dot(embedding, semantic.centroids[c]!));
      similarities[c] = Math.max(similarities[c]!, meaning);
    }
  }
  const scores = new Float64Array(classCount);
  for (let c = 0; c < classCount; c++) {
    const aboveChance = groupAboveChance(probabilities[c]!, 1, classCount, similarities[c]!);
    scores[c] = Math.sqrt(aboveChance * similarities[c]!);
  }
  return { scores, probabilities, similarities };
}

/**
 * How far a group of `size` actions with total probability `probability` is above chance, in [0, 1]. A group
 * holding every action has nothing to be told apart from, so its `similarity` stands in.
 */
function groupAboveChance(probability: number, size: number, classCount: number, similarity: number): number {
  if (size >= classCount) return similarity;
  const chance = size / classCount;
  return Math.min(1, Math.max(0, (probability - chance) / (1 - chance)));
}

/**
 * Routes a message with a trained model: the action to run, `ambiguous` when two or three actions are too
 * close to choose between (ask the visitor), or `none` when the best score is under `threshold`. Pure and
 * deterministic; the model is unpacked on first use and cached.
 */
export function routeWithModel(model: RouterModel, message: string, options: RouteOptions = {}): RouteResult {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const margin = options.ambiguityMargin ?? DEFAULT_AMBIGUITY_MARGIN;
  const router = prepare(model);
  if (router.actions.length === 0) return { kind: 'none', candidates: [] };
  const embedding = messageEmbedding(router, options.embedding);
  const { scores, probabilities, similarities } = scoreActions(router, message, embedding);
  const ranked = Array.from(scores, (_, c) => c).sort(
    (a, b) => scores[b]! - scores[a]! || probabilities[b]! - probabilities[a]! || a - b,
  );
  const candidates = ranked
    .slice(0, MAX_CANDIDATES)
    .filter((c) => scores[c]! > 0)
    .map((c) => ({ action: router.actions[c]!, score: round4(scores[c]!) }));
  const best = ranked[0]!;
  const group = margin > 0 ? ambiguousWith(best, ranked, scores, probabilities, similarities, margin) : [best];
  const score = (c: number): RouteScore => ({ action: router.actions[c]!, score: round4(scores[c]!) });
  if (group.length > 1) {
    // The classifier may split its probability between actions it cannot tell apart (in the extreme, two
    // actions with the same examples), so the group is judged as one: its probability together, above the
    // chance of that many actions, with its members' lowest similarity.
    let groupProbability = 0;
    let groupSimilarity = Infinity;
    for (const c of group) {
      groupProbability += probabilities[c]!;
      groupSimilarity = Math.min(groupSimilarity, similarities[c]!);
    }
    const aboveChance = groupAboveChance(groupProbability, group.length, router.actions.length, groupSimilarity);
    const groupScore = Math.sqrt(aboveChance * groupSimilarity);
    if (groupScore >= threshold || scores[best]! >= threshold)
      return { kind: 'ambiguous', candidates: group.map(score) };
  }
  if (scores[best]! < threshold || similarities[best]! === 0) return { kind: 'none', candidates };
  return { kind: 'action', action: router.actions[best]!, score: round4(scores[best]!), candidates };
}

/** The message's embedding, when there is one from the encoder the model was trained with. */
function messageEmbedding(router: PreparedRouter, packed: PackedVector | null | undefined): Float64Array | null {
  if (!packed || !router.semantic || packed.encoder !== router.semantic.encoder) return null;
  const vector = unpackVector(packed.vector);
  return vector.length === router.semantic.dimension ? vector : null;
}

/**
 * The actions too close to the best one to choose between (the best first, at most three): those scoring
 * within `margin` of it, and those the classifier finds at least half as likely while being about as similar
 * to the message. Only actions with some similarity to the message qualify.
 */
function ambiguousWith(
  best: number,
  ranked: number[],
  scores: Float64Array,
  probabilities: Float64Array,
  similarities: Float64Array,
  margin: number,
): number[] {
  const close = ranked.filter(
    (c) =>
      c !== best &&
      similarities[c]! > 0 &&
      (scores[c]! >= scores[best]! - margin ||
        (probabilities[c]! >= probabilities[best]! / 2 && similarities[c]! >= similarities[best]! - margin)),
  );
  return [best, ...close.slice(0, MAX_CANDIDATES - 1)];
}
