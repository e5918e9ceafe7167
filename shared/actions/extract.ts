import { isJsonObject, type Json, type JsonObject } from '../json';

/**
 * Response extraction: named fields read from a JSON body by dot paths such as `data.order.status`,
 * `data.items[0].name` or `items[*].sku` (a wildcard collects every element into an array).
 */

type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

const PATH_SYNTAX = /^[A-Za-z0-9_$-]+(\[(\d+|\*)\])*(\.[A-Za-z0-9_$-]+(\[(\d+|\*)\])*)*$/;

/** True when the string is a valid response path. */
export function isResponsePath(path: string): boolean {
  return PATH_SYNTAX.test(path);
}

function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of path.split('.')) {
    const key = part.replace(/\[.*$/, '');
    segments.push({ kind: 'key', key });
    for (const match of part.matchAll(/\[(\d+|\*)\]/g)) {
      segments.push(match[1] === '*' ? { kind: 'all' } : { kind: 'index', index: Number(match[1]) });
    }
  }
  return segments;
}

function walk(value: Json | undefined, segments: Segment[]): Json | undefined {
  const [first, ...rest] = segments;
  if (!first) return value;
  if (value === undefined) return undefined;
  switch (first.kind) {
    case 'key':
      return isJsonObject(value) && Object.hasOwn(value, first.key) ? walk(value[first.key], rest) : undefined;
    case 'index':
      return Array.isArray(value) ? walk(value[first.index], rest) : undefined;
    case 'all':
      return Array.isArray(value)
        ? value.map((item) => walk(item, rest)).filter((item): item is Json => item !== undefined)
        : undefined;
  }
}

/** Reads one path from a body; undefined when it is not there. */
export function extractPath(body: Json, path: string): Json | undefined {
  return walk(body, parsePath(path));
}

/**
 * Extracts every mapped field from a body. An empty mapping yields the whole body (as `body` when it is
 * not an object). Fields that are absent come back as null so templates see them as empty.
 */
export function extractFields(body: Json, mapping: Record<string, string>): JsonObject {
  if (Object.keys(mapping).length === 0) return isJsonObject(body) ? body : { body };
  const fields: JsonObject = {};
  for (const [name, path] of Object.entries(mapping)) fields[name] = extractPath(body, path) ?? null;
  return fields;
}
