import { createHash } from 'node:crypto';
import { MongoServerError, type Collection, type Db, type Document, type ObjectId } from 'mongodb';
import type { Json, JsonObject } from '../shared/json';
import { REDACTED } from '../shared/actions/redact';
import { jsonShape } from '../shared/actions/json-shape';
import type { AttemptRecord } from '../shared/actions/step-result';

/** One attempt of one HTTP step, as operators see it in an action's logs. */
export type CallLogEntry = AttemptRecord & {
  chatbotId: string;
  action: string;
  step: string;
  conversationId: string;
  attempt: number;
  durationMs: number;
  fields: JsonObject | null;
  error: { type: string; message: string } | null;
  structureChanged: boolean;
  test: boolean;
};

/** A recorded attempt: its id and when it was recorded (ISO 8601). */
export type StoredCallLogEntry = CallLogEntry & { id: string; at: string };

export type CallLogOptions = {
  /** How long entries are kept (default 7 days). */
  retentionDays?: number;
  /** Longer request and response bodies are cut to this many characters (default 2000). */
  maxBodyChars?: number;
  clock?: () => Date;
};

// Header names and extracted fields are kept as a list and as JSON text: documents cannot have keys with '.' or '$'.
type CallLogDoc = Omit<CallLogEntry, 'requestHeaders' | 'fields'> & {
  _id?: ObjectId;
  requestHeaders: { name: string; value: string }[];
  fieldsJson: string | null;
  at: Date;
};
type ResponseShapeDoc = { _id: string; shape: string; updatedAt: Date };

/** Headers whose values are masked whatever they hold. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
]);
const SECRET_HEADER_PARTS = ['token', 'secret', 'key', 'auth', 'password'];
/** Longer shapes are remembered by their SHA-256. */
const MAX_STORED_SHAPE_CHARS = 512;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** How many steps' last shapes a process remembers. */
const MAX_REMEMBERED_SHAPES = 10_000;
const DAY_SECONDS = 86_400;

/** True when a header's value is a credential by its name alone. */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || SECRET_HEADER_PARTS.some((part) => lower.includes(part));
}

/** Cuts text to `max` characters (never inside a surrogate pair), saying how much was left out. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…[truncated ${text.length - end} chars]`;
}

function mapStrings(value: Json, map: (text: string) => string): Json {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  }
  return value;
}

/**
 * Creates `field`'s TTL index where the server has them, else a plain index on it; true when the server
 * expires documents itself. FerretDB 1.24 answers NotImplemented (238) to `expireAfterSeconds`. An index
 * on the field with other options (a changed retention, or one made on FerretDB) is replaced.
 */
export async function ensureTtlIndex<T extends Document>(
  collection: Collection<T>,
  field: string,
  expireAfterSeconds: number,
): Promise<boolean> {
  const key = { [field]: 1 } as const;
  try {
    await collection.createIndex(key, { expireAfterSeconds });
    return true;
  } catch (error) {
    if (!(error instanceof MongoServerError)) throw error;
    if (error.code === 238) {
      await collection.createIndex(key);
      return false;
    }
    // IndexOptionsConflict, IndexKeySpecsConflict: the same key exists with other options.
    if (error.code !== 85 && error.code !== 86) throw error;
    await collection.dropIndex(`${field}_1`);
    await collection.createIndex(key, { expireAfterSeconds });
    return true;
  }
}

/**
 * The per-attempt HTTP call log (collection `call_log`, kept `retentionDays`) and the memory of each step's
 * response structure (collection `response_shapes`). Everything stored is redacted first: secret values
 * wherever they appear, credential headers by name.
 */
export function createCallLog(db: Db, options: CallLogOptions = {}) {
  const retentionDays = options.retentionDays ?? 7;
  const maxBodyChars = options.maxBodyChars ?? 2000;
  const clock = options.clock ?? (() => new Date());
  const retentionMs = retentionDays * DAY_SECONDS * 1000;
  const entries = db.collection<CallLogDoc>('call_log');
  const shapes = db.collection<ResponseShapeDoc>('response_shapes');
  let lastPrune = Number.NEGATIVE_INFINITY;
  /** Per step, the shape this process last stored, under the action version that answered it. */
  const lastShapes = new Map<string, { version: number; shape: string }>();

  // Expired entries are deleted here too (hourly), so that retention holds where TTL indexes are missing.
  async function pruneExpired(now: Date): Promise<void> {
    if (now.getTime() - lastPrune < PRUNE_INTERVAL_MS) return;
    lastPrune = now.getTime();
    await entries.deleteMany({ at: { $lt: new Date(now.getTime() - retentionMs) } });
  }

  async function rememberShape(key: string, shape: string): Promise<ResponseShapeDoc | null> {
    const update = { $set: { shape, updatedAt: clock() } };
    try {
      return await shapes.findOneAndUpdate({ _id: key }, update, { upsert: true, returnDocument: 'before' });
    } catch (error) {
      // Two first upserts of one key at once: MongoDB refuses one; the other's shape is now the previous one.
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
      return await shapes.findOneAndUpdate({ _id: key }, update, { returnDocument: 'before' });
    }
  }

  return {
    /** Creates the indexes the log relies on (TTL on `at` where the server supports it); safe at every start. */
    async ensureIndexes(): Promise<void> {
      await ensureTtlIndex(entries, 'at', retentionDays * DAY_SECONDS);
      await entries.createIndex({ chatbotId: 1, action: 1, at: -1 });
    },

    /**
     * Records one attempt. Every string that can hold a secret (URL, header values, bodies, extracted
     * fields, the error message) goes through `redact`, credential headers are masked by name, and bodies
     * are cut to `maxBodyChars` after redaction, so that a cut never leaves part of a secret.
     */
    async record(entry: CallLogEntry, redact: (text: string) => string): Promise<void> {
      const body = (text: string | null) => (text === null ? null : truncateText(redact(text), maxBodyChars));
      const at = clock();
      const { requestHeaders, fields, ...rest } = entry;
      await entries.insertOne({
        ...rest,
        url: redact(entry.url),
        requestHeaders: Object.entries(requestHeaders).map(([name, value]) => ({
          name,
          value: isSecretHeader(name) ? REDACTED : redact(value),
        })),
        requestBody: body(entry.requestBody),
        responseBody: body(entry.responseBody),
        fieldsJson:
          fields === null
            ? null
            : JSON.stringify(mapStrings(fields, (text) => truncateText(redact(text), maxBodyChars))),
        error: entry.error && { type: entry.error.type, message: body(entry.error.message) ?? '' },
        at,
      });
      await pruneExpired(at);
    },

    /** The latest entries of an action, newest first; `limit` is kept within 1..200 (default 20). */
    async latest(chatbotId: string, action: string, limit = 20): Promise<StoredCallLogEntry[]> {
      const count = Number.isFinite(limit) ? Math.min(200, Math.max(1, Math.trunc(limit))) : 20;
      const since = new Date(clock().getTime() - retentionMs);
      const docs = await entries
        .find({ chatbotId, action, at: { $gt: since } })
        .sort({ at: -1, _id: -1 })
        .limit(count)
        .toArray();
      return docs.map(({ _id, at, requestHeaders, fieldsJson, ...rest }) => ({
        ...rest,
        id: _id.toHexString(),
        at: at.toISOString(),
        requestHeaders: Object.fromEntries(requestHeaders.map(({ name, value }) => [name, value])),
        fields: fieldsJson === null ? null : (JSON.parse(fieldsJson) as JsonObject),
      }));
    },

    /**
     * Compares a response body's structure with the one remembered for the chatbot's action step, remembers
     * the new one, and tells whether it changed (false the first time). Values never matter, only keys and types.
     * Given the action's version, a shape this process already stored for that version is not written again: the
     * same answer, call after call, costs no database work (another process's different shape in between is
     * noticed by that process).
     */
    async structureChanged(
      chatbotId: string,
      action: string,
      step: string,
      body: Json,
      version?: number,
    ): Promise<boolean> {
      const full = jsonShape(body);
      const shape =
        full.length <= MAX_STORED_SHAPE_CHARS ? full : `sha256:${createHash('sha256').update(full).digest('hex')}`;
      const key = `${chatbotId}:${action}:${step}`;
      const known = lastShapes.get(key);
      if (version !== undefined && known?.version === version && known.shape === shape) return false;
      const previous = await rememberShape(key, shape);
      if (version !== undefined) {
        if (lastShapes.size >= MAX_REMEMBERED_SHAPES && !lastShapes.has(key)) lastShapes.clear();
        lastShapes.set(key, { version, shape });
      }
      return previous !== null && previous.shape !== shape;
    },
  };
}

/** The HTTP call log. */
export type CallLog = ReturnType<typeof createCallLog>;
