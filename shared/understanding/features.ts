/**
 * What the router sees of a text: words normalized (lower case, contractions expanded, numbers as 0, English
 * suffixes folded) and hashed into TF-IDF features — word unigrams and bigrams in one block, character
 * 3–4-grams inside words in another, each l2-normalized then weighted.
 */

const CHAR_MIN = 3;
const CHAR_MAX = 4;
const WORD_BLOCK_WEIGHT = 0.6;
const CHAR_BLOCK_WEIGHT = 0.8;
/** Inverse document frequencies travel as bytes: idf × 16. */
export const IDF_SCALE = 16;

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
export function routerWords(text: string): string[] {
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

export type Counts = Map<number, number>;

export function count(counts: Counts, key: number): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Hashed feature counts of normalized words: one map for words and word pairs, one for character n-grams. */
export function featureCounts(words: string[]): [Counts, Counts] {
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

export type Vocabulary = { index: Map<number, number>; idf: Float64Array; unseenIdf: number };
export type SparseVector = { index: number[]; value: number[] };

/**
 * TF-IDF vector of normalized words over the vocabulary, each block l2-normalized then weighted. Features
 * outside the vocabulary count towards the norm (at the highest idf) but are dropped, so a message made of
 * words the catalogue never uses has a short vector and matches nothing well.
 */
export function vectorize(words: string[], vocabulary: Vocabulary): SparseVector {
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

export function idfOf(documentCount: number, frequency: number): number {
  return Math.log((1 + documentCount) / (1 + frequency)) + 1;
}

export function buildVocabulary(hashes: number[], idfCodes: ArrayLike<number>, documentCount: number): Vocabulary {
  const index = new Map<number, number>();
  hashes.forEach((hash, i) => index.set(hash, i));
  const idf = Float64Array.from({ length: hashes.length }, (_, i) => (idfCodes[i] ?? 0) / IDF_SCALE);
  return { index, idf, unseenIdf: idfOf(documentCount, 0) };
}
