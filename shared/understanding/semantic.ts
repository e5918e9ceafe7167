/**
 * The semantic half of routing: sentence embeddings (unit vectors from the encoder, made outside workflow code)
 * carried compactly as int8 in base64, and how close a message's embedding is to each action's meaning.
 *
 * An action's meaning is the centroid of its texts' embeddings (examples and description alike), and the
 * similarity of a message to it is the cosine, mapped onto [0, 1] by `calibratedSimilarity` so that it reads on
 * the same scale as the lexical similarity it is combined with. Pure and deterministic, like the rest of routing.
 */

/** A sentence embedding as it travels: which encoder made it, and its int8 components in base64. */
export type PackedVector = { encoder: string; vector: string };

/** Cosines at or below this are unrelated texts (0 after calibration); at or above `SIMILAR_COSINE`, paraphrases (1). */
export const UNRELATED_COSINE = 0.2;
export const SIMILAR_COSINE = 0.75;

const INT8_SCALE = 127;

/** Packs a unit vector as int8 components (each component × 127, rounded) in base64. */
export function packVector(vector: ArrayLike<number>): string {
  const bytes = new Uint8Array(vector.length);
  for (let d = 0; d < vector.length; d++) {
    const level = Math.max(-INT8_SCALE, Math.min(INT8_SCALE, Math.round((vector[d] ?? 0) * INT8_SCALE)));
    bytes[d] = level & 0xff;
  }
  return bytesToBase64(bytes);
}

/** Unpacks `packVector`'s output to a vector scaled back to unit length. */
export function unpackVector(packed: string): Float64Array {
  const bytes = base64ToBytes(packed);
  const vector = Float64Array.from(bytes, (byte) => (byte > 127 ? byte - 256 : byte));
  return normalized(vector);
}

/** Packs many vectors of one dimension end to end (one base64 string). */
export function packVectors(vectors: ArrayLike<number>[]): string {
  const parts = vectors.map((vector) => base64ToBytes(packVector(vector)));
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytesToBase64(bytes);
}

/** Unpacks `packVectors`'s output into unit vectors of `dimension` components. */
export function unpackVectors(packed: string, dimension: number): Float64Array[] {
  const bytes = base64ToBytes(packed);
  const vectors: Float64Array[] = [];
  for (let start = 0; start + dimension <= bytes.length; start += dimension) {
    const vector = Float64Array.from(bytes.subarray(start, start + dimension), (byte) =>
      byte > 127 ? byte - 256 : byte,
    );
    vectors.push(normalized(vector));
  }
  return vectors;
}

/** The unit-length mean of unit vectors (zeros when there are none). */
export function centroid(vectors: ArrayLike<number>[], dimension: number): Float64Array {
  const sum = new Float64Array(dimension);
  for (const vector of vectors) for (let d = 0; d < dimension; d++) sum[d]! += vector[d] ?? 0;
  return normalized(sum);
}

/** Dot product; the cosine for unit vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  const length = Math.min(a.length, b.length);
  for (let d = 0; d < length; d++) sum += a[d]! * b[d]!;
  return sum;
}

/** A cosine mapped linearly onto [0, 1] between `UNRELATED_COSINE` and `SIMILAR_COSINE`. */
export function calibratedSimilarity(cosine: number): number {
  return Math.min(1, Math.max(0, (cosine - UNRELATED_COSINE) / (SIMILAR_COSINE - UNRELATED_COSINE)));
}

function normalized(vector: Float64Array): Float64Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let d = 0; d < vector.length; d++) vector[d]! *= scale;
  return vector;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_INDEX = new Map([...BASE64].map((char, index) => [char, index]));

/** Standard base64 (workflow code has no Buffer). */
export function bytesToBase64(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const triple = (a << 16) | (b << 8) | c;
    out += BASE64[(triple >> 18) & 63]! + BASE64[(triple >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(triple >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[triple & 63]! : '=';
  }
  return out;
}

/** Decodes standard base64; throws on any other character. */
export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of clean) {
    const value = BASE64_INDEX.get(char);
    if (value === undefined) throw new Error('invalid base64');
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}
