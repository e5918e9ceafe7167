import { createHash } from 'node:crypto';
import { MongoServerError, ObjectId, type Collection, type Db, type Document } from 'mongodb';
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

/**
 * How an attempt ended, as operators read it: `ok`, `failed`, `sending` (its request is out, no answer yet) or
 * `interrupted` (its worker died mid-call: a later attempt of the same call exists, or its time ran out unanswered).
 */
export type CallOutcome = 'ok' | 'failed' | 'sending' | 'interrupted';

/** A recorded attempt: its id, when it started (ISO 8601) and how it ended. */
export type StoredCallLogEntry = CallLogEntry & { id: string; at: string; outcome: CallOutcome };

/** An attempt whose request is going out: written as `sending` at once, completed by `record`. */
export type SendingAttempt = { id: string; at: Date; idempotencyKey: string; deadline: Date };

export type CallLogOptions = {
  /** How long entries are kept (default 7 days). */
  retentionDays?: number;
  /** Longer request and response bodies are cut to this many characters (default 2000). */
  maxBodyChars?: number;
  clock?: () => Date;
};

// Header names and extracted fields are kept as a list and as JSON text: documents cannot have keys with '.' or '$'.
// An attempt is written as unique inserts only (FerretDB scans a collection to update one document): its `sending`
// mark (`_id` = its id + SENDING_SUFFIX) as its request goes out, and its entry (`_id` = its id) once it ended; a
// mark without its entry is an attempt still going, or lost. Entries written before attempts had marks have an
// ObjectId `_id` and no `state`, `idempotencyKey` or `deadline` (they are all done).
type CallLogDoc = Omit<CallLogEntry, 'requestHeaders' | 'fields'> & {
  _id: string | ObjectId;
  requestHeaders: { name: string; value: string }[];
  fieldsJson: string | null;
  at: Date;
  state?: 'sending' | 'done';
  /** The call's key, shared by all its attempts: a later attempt of the same call marks an unanswered one lost. */
  idempotencyKey?: string;
  /** When an attempt still `sending` is lost even if no other attempt followed it. */
  deadline?: Date;
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
/**
 * How long recording an attempt may hold up its step: past the driver's 2 s server selection, so that an outage is
 * known (and the entry queued) by then; a write that hangs longer finishes, or is queued, in the background.
 */
const RECORD_WAIT_MS = 3_000;
/** How long past its timeout an attempt may still answer (its activity's start-to-close margin). */
const ANSWER_MARGIN_MS = 5_000;
/** Entries waiting for the database; past this many the oldest are dropped (and counted). */
const MAX_UNWRITTEN = 10_000;
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 10_000;
/** What an attempt's `sending` mark adds to its id. */
const SENDING_SUFFIX = ':sending';

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

  /** The stored form of an entry: every string that can hold a secret redacted, bodies cut after redaction. */
  function toDoc(entry: CallLogEntry, redact: (text: string) => string, id: string, at: Date): CallLogDoc {
    const body = (text: string | null) => (text === null ? null : truncateText(redact(text), maxBodyChars));
    const { requestHeaders, fields, ...rest } = entry;
    return {
      ...rest,
      _id: id,
      url: redact(entry.url),
      requestHeaders: Object.entries(requestHeaders).map(([name, value]) => ({
        name,
        value: isSecretHeader(name) ? REDACTED : redact(value),
      })),
      requestBody: body(entry.requestBody),
      responseBody: body(entry.responseBody),
      fieldsJson:
        fields === null ? null : JSON.stringify(mapStrings(fields, (text) => truncateText(redact(text), maxBodyChars))),
      error: entry.error && { type: entry.error.type, message: body(entry.error.message) ?? '' },
      at,
    };
  }

  // The outbox: finished attempts the database would not take, written in order once it answers again. A step's
  // result never waits on it, so an outage costs the log a delay, never the visitor an answer or a second call.
  const unwritten: CallLogDoc[] = [];
  let dropped = 0;
  let retryDelay = RETRY_FIRST_MS;
  let retryTimer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  /** Writes a finished attempt's entry; one already there (an outbox retry of a write that landed) is fine. */
  async function writeDone(doc: CallLogDoc): Promise<void> {
    try {
      await entries.insertOne(doc);
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
    }
  }

  function scheduleFlush(): void {
    if (retryTimer || flushing || unwritten.length === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void flush();
    }, retryDelay);
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }

  function enqueue(doc: CallLogDoc): void {
    if (unwritten.length >= MAX_UNWRITTEN) {
      unwritten.shift();
      dropped += 1;
    }
    unwritten.push(doc);
    scheduleFlush();
  }

  /** Writes the outbox in order; stops at the first failure and tries again later (backing off to 10 s). */
  function flush(): Promise<void> {
    flushing ??= (async () => {
      try {
        for (let doc = unwritten[0]; doc; doc = unwritten[0]) {
          await writeDone(doc);
          unwritten.shift();
        }
        retryDelay = RETRY_FIRST_MS;
      } catch {
        // Still down: scheduleFlush below tries again later.
      } finally {
        flushing = null;
        scheduleFlush();
      }
    })();
    return flushing;
  }

  return {
    /** Creates the indexes the log relies on (TTL on `at` where the server supports it); safe at every start. */
    async ensureIndexes(): Promise<void> {
      await ensureTtlIndex(entries, 'at', retentionDays * DAY_SECONDS);
      await entries.createIndex({ chatbotId: 1, action: 1, at: -1 });
    },

    /**
     * Notes that an attempt's request is going out, so that an attempt whose worker dies mid-call still shows, as
     * `interrupted`. The write is not awaited (the request does not wait on the log) and a failed one is dropped:
     * `record` writes the whole entry either way.
     */
    sending(
      entry: CallLogEntry,
      redact: (text: string) => string,
      call: { idempotencyKey: string; timeoutMs: number },
    ): SendingAttempt {
      const at = clock();
      const sending: SendingAttempt = {
        id: new ObjectId().toHexString(),
        at,
        idempotencyKey: call.idempotencyKey,
        deadline: new Date(at.getTime() + call.timeoutMs + ANSWER_MARGIN_MS),
      };
      const { id, idempotencyKey, deadline } = sending;
      const doc: CallLogDoc = {
        ...toDoc(entry, redact, `${id}${SENDING_SUFFIX}`, at),
        state: 'sending',
        idempotencyKey,
        deadline,
      };
      // Not awaited, and a failed mark is dropped: `record` writes the whole entry either way.
      entries.insertOne(doc).catch(() => undefined);
      return sending;
    },

    /**
     * Records one attempt (its `sending` mark then no longer shows). Every string that can hold a secret (URL,
     * header values, bodies, extracted fields, the error message) goes through `redact`, credential headers are
     * masked by name, and bodies are cut to `maxBodyChars` after redaction, so that a cut never leaves part of a
     * secret. Never fails and never waits long: when the database does not take the entry within 3 s it is
     * written in the background, and kept in the outbox until the database answers again. Resolves `written`,
     * or `pending` when the entry is not in the database yet.
     */
    async record(
      entry: CallLogEntry,
      redact: (text: string) => string,
      sending?: SendingAttempt,
    ): Promise<'written' | 'pending'> {
      const at = sending?.at ?? clock();
      const doc: CallLogDoc = {
        ...toDoc(entry, redact, sending?.id ?? new ObjectId().toHexString(), at),
        state: 'done',
        // Whichever of the two writes lands first, the entry knows its call (a later attempt marks earlier ones lost).
        ...(sending ? { idempotencyKey: sending.idempotencyKey, deadline: sending.deadline } : {}),
      };
      // Entries queued earlier go first, so the log keeps its order.
      if (unwritten.length > 0) {
        enqueue(doc);
        return 'pending';
      }
      const written = writeDone(doc).then(
        async () => {
          await pruneExpired(clock()).catch(() => undefined);
          return 'written' as const;
        },
        () => {
          enqueue(doc);
          return 'pending' as const;
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<'pending'>((resolve) => {
        timer = setTimeout(() => resolve('pending'), RECORD_WAIT_MS);
      });
      try {
        return await Promise.race([written, waited]);
      } finally {
        clearTimeout(timer);
      }
    },

    /** Entries not yet in the database, and how many were dropped because the outbox was full. */
    outbox(): { unwritten: number; dropped: number } {
      return { unwritten: unwritten.length, dropped };
    },

    /** Tries once more to write what waits in the outbox (at shutdown); resolves when that attempt ends. */
    async flush(): Promise<void> {
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      await flush();
    },

    /** The latest entries of an action, newest first; `limit` is kept within 1..200 (default 20). */
    async latest(chatbotId: string, action: string, limit = 20): Promise<StoredCallLogEntry[]> {
      const count = Number.isFinite(limit) ? Math.min(200, Math.max(1, Math.trunc(limit))) : 20;
      const now = clock();
      const since = new Date(now.getTime() - retentionMs);
      // An attempt's mark and entry share `at`, so they sort side by side: twice the entries hold both of each.
      const docs = await entries
        .find({ chatbotId, action, at: { $gt: since } })
        .sort({ at: -1, _id: -1 })
        .limit(count * 2)
        .toArray();
      const idOf = (doc: CallLogDoc) =>
        typeof doc._id === 'string' ? doc._id.replace(SENDING_SUFFIX, '') : doc._id.toHexString();
      const ended = new Set(docs.filter((doc) => doc.state !== 'sending').map(idOf));
      const shown = docs.filter((doc) => doc.state !== 'sending' || !ended.has(idOf(doc))).slice(0, count);
      return shown.map((doc, index) => {
        const { _id, at, requestHeaders, fieldsJson, state, idempotencyKey, deadline, ...rest } = doc;
        // A later attempt of the same call is newer, so it is on this page whenever the older one is.
        const followed = shown.slice(0, index).some((later) => later.idempotencyKey === idempotencyKey);
        const outcome: CallOutcome =
          state === 'sending'
            ? followed || (deadline !== undefined && deadline < now)
              ? 'interrupted'
              : 'sending'
            : rest.error
              ? 'failed'
              : 'ok';
        return {
          ...rest,
          id: idOf(doc),
          at: at.toISOString(),
          outcome,
          requestHeaders: Object.fromEntries(requestHeaders.map(({ name, value }) => [name, value])),
          fields: fieldsJson === null ? null : (JSON.parse(fieldsJson) as JsonObject),
        };
      });
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
