import type { Json, JsonObject } from '../json';
import type { TranscriptEntry } from '../messages';

/**
 * Bounds on what a visitor controls that enters a conversation's workflow state. Temporal refuses a payload over
 * 2 MB (the state carried by continue-as-new is one), so every visitor-controlled part has a cap far below it;
 * the API refuses larger input with 413 and the state machine keeps within the same caps whatever is merged in.
 * A real chat never comes near them.
 */
export const VISITOR_LIMITS = {
  /** Characters of one visitor message. */
  messageChars: 4000,
  /** Keys of a conversation's attributes (given at start, from lead fields, or merged from API answers). */
  attributeKeys: 50,
  /** UTF-8 bytes of a conversation's attributes as JSON. */
  attributesBytes: 16 * 1024,
  /** Extra fields of one lead form. */
  leadFields: 20,
  /** UTF-8 bytes of the transcript kept in state (older entries are dropped first; at most 500 entries too). */
  transcriptBytes: 256 * 1024,
} as const;

/** How deeply any JSON request body may nest; deeper bodies are refused before validation walks them. */
export const MAX_JSON_DEPTH = 32;

/** UTF-8 length of a string, counted without encoding it. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** UTF-8 bytes of a value as JSON (what a Temporal payload of it weighs). */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? '');
}

/**
 * Whether a parsed JSON value nests deeper than `limit` arrays or objects. Iterative, so it answers for any depth
 * without using the call stack (recursive validators overflow on a few thousand levels).
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Why visitor-given attributes are too large, or null when they fit. */
export function attributesProblem(attributes: JsonObject): string | null {
  const keys = Object.keys(attributes).length;
  if (keys > VISITOR_LIMITS.attributeKeys) {
    return `attributes: at most ${VISITOR_LIMITS.attributeKeys} keys (got ${keys})`;
  }
  const bytes = jsonBytes(attributes);
  if (bytes > VISITOR_LIMITS.attributesBytes) {
    return `attributes: at most ${VISITOR_LIMITS.attributesBytes / 1024} KB as JSON (got ${Math.ceil(bytes / 1024)} KB)`;
  }
  return null;
}

/**
 * Merges new attributes into a conversation's, within VISITOR_LIMITS: a key already there is updated, a new key
 * is added while there is room; a value that would take the attributes over the byte cap is left out. Deterministic.
 */
export function mergeAttributes(current: JsonObject, incoming: Record<string, Json>): JsonObject {
  const merged: JsonObject = { ...current };
  const entryBytes = (key: string, value: Json) => jsonBytes(key) + jsonBytes(value) + 2;
  let bytes = jsonBytes(merged);
  let keys = Object.keys(merged).length;
  for (const [key, value] of Object.entries(incoming)) {
    const existing = Object.hasOwn(merged, key);
    if (!existing && keys >= VISITOR_LIMITS.attributeKeys) continue;
    const after = bytes - (existing ? entryBytes(key, merged[key] as Json) : 0) + entryBytes(key, value);
    if (after > VISITOR_LIMITS.attributesBytes) continue;
    // Defined, not assigned: a key such as `__proto__` stays an ordinary key.
    Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
    bytes = after;
    if (!existing) keys += 1;
  }
  return merged;
}

/**
 * The transcript with its oldest entries dropped until it weighs at most VISITOR_LIMITS.transcriptBytes; entries
 * from `keepFromSeq` on (the turn being answered) are always kept, so a reply is never lost before it is read.
 */
export function boundedTranscript(transcript: TranscriptEntry[], keepFromSeq: number): TranscriptEntry[] {
  let bytes = 0;
  let first = transcript.length;
  while (first > 0) {
    const entry = transcript[first - 1] as TranscriptEntry;
    const size = jsonBytes(entry) + 1;
    if (entry.seq < keepFromSeq && bytes + size > VISITOR_LIMITS.transcriptBytes) break;
    bytes += size;
    first -= 1;
  }
  return first === 0 ? transcript : transcript.slice(first);
}
