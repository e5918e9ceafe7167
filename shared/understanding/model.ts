/**
 * The router's model as it travels: what training produces and routing reads (JSON-safe, carried with the
 * catalogue into conversations), and the compact encodings its arrays use.
 */

import { base64ToBytes, bytesToBase64 } from './semantic';

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

// ---------------------------------------------------------------------------------------------------------
// Compact encoding: unsigned varints in base64

export const toBase64 = bytesToBase64;

export function fromBase64(text: string): Uint8Array {
  try {
    return base64ToBytes(text);
  } catch {
    throw new Error('router model: invalid base64');
  }
}

export function pushVarint(bytes: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    bytes.push(rest % 0x80 | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}

export function varintReader(bytes: Uint8Array): () => number {
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

export const zigzag = (value: number): number => (value < 0 ? -2 * value - 1 : 2 * value);
export const unzigzag = (value: number): number => (value % 2 === 1 ? -(value + 1) / 2 : value / 2);

/** Rounded to four decimals, so scores and biases stay short in JSON. */
export function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Softmax in place. */
export function softmaxInPlace(values: Float64Array): void {
  let max = -Infinity;
  for (const value of values) if (value > max) max = value;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] = Math.exp(values[i]! - max);
  for (let i = 0; i < values.length; i++) values[i]! /= sum;
}
