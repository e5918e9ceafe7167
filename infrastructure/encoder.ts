import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { RoutableAction, TextEmbeddings } from '../shared/understanding/model';
import { trainingTexts } from '../shared/understanding/training';

/**
 * The sentence encoder behind semantic routing: all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime on the CPU,
 * with its own WordPiece tokenizer. Installed by the bootstrap from a pinned registry package (hash-checked);
 * nothing downloads at run time. Loaded lazily, once per process, and shared by every caller: the worker's
 * embedding activity and the training that runs when actions are saved.
 */

/** Files of the encoder inside its folder (as the bootstrap extracts them). */
export const ENCODER_FILES = { model: 'all-minilm-l6-v2-q.onnx', tokenizer: 'all-minilm-l6-v2-q-tokenizer.json' };
/** Identifies the vectors an encoder produces: a router trained with one encoder only matches vectors of the same. */
export const ENCODER_ID = 'all-MiniLM-L6-v2-q@1.19.0-beta29';
/** Tokens per text; visitor messages and examples are far shorter, longer texts are cut. */
const MAX_TOKENS = 128;
/** Texts per ONNX run when embedding many at once (padding waste grows with the batch). */
const BATCH = 32;
/**
 * Embeddings kept by text (about 1.5 KB each), so saving one action does not embed every other action's texts
 * again when the router is retrained.
 */
const CACHED_TEXTS = 10_000;

export type SentenceEncoder = {
  /** Which encoder made the vectors (`ENCODER_ID`). */
  id: string;
  dimension: number;
  /** Unit-length embeddings of the texts, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Frees the ONNX session; a later `embed` loads it again. */
  close(): Promise<void>;
};

/**
 * The embeddings a router trains on: every action's training texts (examples, then description), embedded in one
 * batch and grouped back by action, as `trainRouter` takes them.
 */
export async function embedTrainingTexts(encoder: SentenceEncoder, actions: RoutableAction[]): Promise<TextEmbeddings> {
  const texts = actions.map((action) => trainingTexts(action));
  const vectors = await encoder.embed(texts.flat());
  let next = 0;
  return {
    encoder: encoder.id,
    dimension: encoder.dimension,
    vectors: texts.map((list) => list.map(() => vectors[next++]!)),
  };
}

/** Whether an encoder is installed in `dir`. */
export function encoderInstalled(dir: string): boolean {
  return existsSync(join(dir, ENCODER_FILES.model)) && existsSync(join(dir, ENCODER_FILES.tokenizer));
}

/**
 * A sentence encoder over the files in `dir`, loaded on first use. `threads` bounds the CPU one embedding may
 * use (intra-op threads), so routing never takes every core from the workflows beside it.
 */
export function createSentenceEncoder(options: { dir: string; threads?: number }): SentenceEncoder {
  let loading: Promise<{ session: InferenceSession; tokenizer: Tokenizer }> | null = null;
  const cache = new Map<string, Float32Array>();

  function remember(text: string, vector: Float32Array): void {
    cache.delete(text);
    cache.set(text, vector);
    if (cache.size > CACHED_TEXTS) cache.delete(cache.keys().next().value as string);
  }

  function load() {
    loading ??= (async () => {
      const tokenizerJson = JSON.parse(readFileSync(join(options.dir, ENCODER_FILES.tokenizer), 'utf8')) as Record<
        string,
        unknown
      >;
      // The file pads every input to 128 tokens; each batch is padded to its own longest text instead.
      const tokenizer = new Tokenizer({ ...tokenizerJson, padding: null, truncation: null }, {});
      const session = await InferenceSession.create(join(options.dir, ENCODER_FILES.model), {
        intraOpNumThreads: options.threads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
      return { session, tokenizer };
    })();
    loading.catch(() => (loading = null));
    return loading;
  }

  async function embedBatch(session: InferenceSession, tokenizer: Tokenizer, texts: string[]): Promise<Float32Array[]> {
    const encoded: number[][] = texts.map((text) => tokenizer.encode(text).ids.slice(0, MAX_TOKENS));
    for (const ids of encoded) if (ids.length === MAX_TOKENS) ids[MAX_TOKENS - 1] = SEP_ID;
    const length = Math.max(...encoded.map((ids) => ids.length));
    const size = texts.length * length;
    const inputIds = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    encoded.forEach((ids, row) => {
      ids.forEach((id: number, column: number) => {
        inputIds[row * length + column] = BigInt(id);
        mask[row * length + column] = 1n;
      });
    });
    const shape = [texts.length, length];
    const output = await session.run({
      input_ids: new Tensor('int64', inputIds, shape),
      attention_mask: new Tensor('int64', mask, shape),
      token_type_ids: new Tensor('int64', new BigInt64Array(size), shape),
    });
    const hidden = output['last_hidden_state'];
    if (!hidden) throw new Error('sentence encoder: the model has no last_hidden_state output');
    const data = hidden.data as Float32Array;
    const dimension = hidden.dims[2] ?? 0;
    return encoded.map((ids, row) => meanPooled(data, row, length, ids.length, dimension));
  }

  return {
    id: ENCODER_ID,
    dimension: 384,
    async embed(texts) {
      const vectors: Float32Array[] = [];
      const missing: number[] = [];
      texts.forEach((text, i) => {
        const cached = cache.get(text);
        if (cached) vectors[i] = cached;
        else missing.push(i);
      });
      if (missing.length === 0) return vectors;
      const { session, tokenizer } = await load();
      // Similar lengths batch together, so little of each batch is padding.
      missing.sort((a, b) => texts[a]!.length - texts[b]!.length);
      for (let start = 0; start < missing.length; start += BATCH) {
        const indexes = missing.slice(start, start + BATCH);
        const batch = await embedBatch(
          session,
          tokenizer,
          indexes.map((i) => texts[i]!),
        );
        indexes.forEach((i, k) => {
          vectors[i] = batch[k]!;
          remember(texts[i]!, batch[k]!);
        });
      }
      return vectors;
    },
    async close() {
      const loaded = loading;
      loading = null;
      cache.clear();
      if (loaded) await (await loaded).session.release();
    },
  };
}

/** [SEP] in the BERT uncased vocabulary: a cut text still ends the way the model was trained to see. */
const SEP_ID = 102;

/** Mean of a row's token vectors over its real tokens, scaled to unit length. */
function meanPooled(data: Float32Array, row: number, length: number, tokens: number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let t = 0; t < tokens; t++) {
    const offset = (row * length + t) * dimension;
    for (let d = 0; d < dimension; d++) vector[d]! += data[offset + d]!;
  }
  let norm = 0;
  for (let d = 0; d < dimension; d++) norm += vector[d]! * vector[d]!;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < dimension; d++) vector[d]! *= scale;
  return vector;
}
