/**
 * Routing a visitor message with a trained model: the action to run, `ambiguous` when two or three actions are
 * too close to choose between, or `none`. An action's score combines how sure the classifier is (its
 * probability above chance) with how like the action the message is — the better of its word similarity to
 * the three nearest examples and its calibrated cosine to the action's meaning — as a geometric mean in [0, 1].
 * The classifier separates actions from each other; the similarity says whether the message is like anything
 * the operator wrote or meant at all, which is what makes one threshold work for a catalogue of three actions
 * as well as one of 150, with no examples or a hundred.
 *
 * Pure and deterministic (no clock, no I/O), so it runs as workflow code and replays exactly.
 */

import { buildVocabulary, routerWords, vectorize, type SparseVector, type Vocabulary } from './features';
import {
  fromBase64,
  round4,
  softmaxInPlace,
  unzigzag,
  varintReader,
  type RouterModel,
  type SemanticModel,
} from './model';
import { calibratedSimilarity, dot, unpackVector, unpackVectors, type PackedVector } from './semantic';

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
