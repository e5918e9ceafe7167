import { isJsonObject, type Json } from '../json';
import { IDENTIFIER } from './vocabulary';

/**
 * Field discovery: every JSON path of a response with a sample value and a suggested field name, in the forms the
 * extractor reads (`data.order.status`, `data.order.items[0].sku`, and `data.order.items[*].sku` for every element),
 * ready to paste into a step's `response.fields`. Bounded: at most `maxPaths` paths and short samples.
 */

/** One path of a response. */
export type DiscoveredPath = {
  /** The path as `response.fields` takes it; under an array, of the first element that has it. */
  path: string;
  /** A field name for it: the last key, with its parents' keys before it where names would clash. */
  field: string;
  type: 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';
  /** The value at the path: strings cut, an object or array summarised (`{3 keys}`, `[2 items]`). */
  sample: Json;
  /** Under an array: the path that reads it from every element (`items[*].sku`). */
  every?: string;
};

/** A response's paths and the `response.fields` mapping that reads every leaf of them. */
export type FieldDiscovery = {
  paths: DiscoveredPath[];
  /** `{ field: path }` for every value that is not an object or array: paste what you need. */
  fields: Record<string, string>;
  /** How many paths the response has (counted up to a bound); more than listed when `truncated`. */
  total: number;
  truncated: boolean;
  /** Why the body has no paths to list (a top-level array, a scalar), or null. */
  note: string | null;
};

export type DiscoveryLimits = {
  maxPaths: number;
  maxSampleChars: number;
  /** Elements of each array looked at for keys the first ones lack. */
  maxElements: number;
  maxDepth: number;
};

const DEFAULT_LIMITS: DiscoveryLimits = { maxPaths: 200, maxSampleChars: 80, maxElements: 20, maxDepth: 16 };
/** A key a response path can name (see shared/actions/extract.ts). */
const ADDRESSABLE_KEY = /^[A-Za-z0-9_$-]+$/;
/** Paths counted beyond those listed, so `total` stays cheap on huge bodies. */
const MAX_COUNTED = 10_000;

type Found = DiscoveredPath & { keys: string[] };

function typeOf(value: Json): DiscoveredPath['type'] {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : (typeof value as 'string' | 'number' | 'boolean');
}

function sampleOf(value: Json, maxChars: number): Json {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? '' : 's'}]`;
  if (isJsonObject(value)) {
    const count = Object.keys(value).length;
    return `{${count} key${count === 1 ? '' : 's'}}`;
  }
  if (typeof value === 'string' && value.length > maxChars) return `${value.slice(0, maxChars)}…`;
  return value;
}

/** A field name from a key: the key when it is one, else its letters and digits joined by `_`. */
function fieldWord(key: string): string {
  if (IDENTIFIER.test(key)) return key;
  const word = key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (word === '') return 'value';
  return /^[A-Za-z]/.test(word) ? word.slice(0, 64) : `f_${word}`.slice(0, 64);
}

/** Lists a JSON body's paths (see the module comment). */
export function discoverFields(body: Json, limits: Partial<DiscoveryLimits> = {}): FieldDiscovery {
  const bounds = { ...DEFAULT_LIMITS, ...limits };
  if (!isJsonObject(body)) {
    const note = Array.isArray(body)
      ? 'the body is an array: leave response.fields empty and templates read it as steps.<id>.body'
      : 'the body is a single value: leave response.fields empty and templates read it as steps.<id>.body';
    return { paths: [], fields: {}, total: 0, truncated: false, note };
  }
  const found: Found[] = [];
  const listed = new Set<string>();
  let total = 0;

  const add = (path: string, every: string | null, keys: string[], value: Json) => {
    if (listed.has(path) || (every !== null && listed.has(every))) return;
    total += 1;
    if (every !== null) listed.add(every);
    listed.add(path);
    if (found.length >= bounds.maxPaths) return;
    found.push({
      path,
      field: '',
      type: typeOf(value),
      sample: sampleOf(value, bounds.maxSampleChars),
      ...(every !== null ? { every } : {}),
      keys,
    });
  };

  // Depth first, in the body's key order; under an array, each element's keys (first element first).
  const walk = (value: Json, path: string, every: string | null, keys: string[], depth: number) => {
    if (total >= MAX_COUNTED || depth > bounds.maxDepth) return;
    if (Array.isArray(value)) {
      value.slice(0, bounds.maxElements).forEach((element, index) => {
        if (!isJsonObject(element) && !Array.isArray(element)) return;
        walk(element, `${path}[${index}]`, `${every ?? path}[*]`, keys, depth + 1);
      });
      return;
    }
    if (!isJsonObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      // Keys the extractor cannot address (spaces, dots) are left out.
      if (!ADDRESSABLE_KEY.test(key)) continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      const childEvery = every === null ? null : `${every}.${key}`;
      add(childPath, childEvery, [...keys, key], child);
      walk(child, childPath, childEvery, [...keys, key], depth + 1);
    }
  };
  walk(body, '', null, [], 0);

  nameFields(found);
  const paths = found.map(({ keys: _keys, ...path }) => path);
  const fields: Record<string, string> = {};
  for (const path of paths) if (path.type !== 'object' && path.type !== 'array') fields[path.field] = path.path;
  return { paths, fields, total, truncated: total > paths.length, note: null };
}

/**
 * Names each path by its last key; where several share a name, each takes its parent keys before it
 * (`order_id`, `items_id`) until the names differ, and a number after it when its keys run out.
 */
function nameFields(found: Found[]): void {
  const depth = new Map<Found, number>(found.map((entry) => [entry, 1]));
  const nameAt = (entry: Found) => {
    const words = entry.keys.slice(-(depth.get(entry) ?? 1)).map(fieldWord);
    return fieldWord(words.join('_')).slice(0, 64);
  };
  for (let round = 0; round < 8; round += 1) {
    const byName = new Map<string, Found[]>();
    for (const entry of found) {
      const name = nameAt(entry);
      byName.set(name, [...(byName.get(name) ?? []), entry]);
    }
    let clashes = false;
    for (const group of byName.values()) {
      if (group.length < 2) continue;
      for (const entry of group) {
        if ((depth.get(entry) ?? 1) < entry.keys.length) {
          depth.set(entry, (depth.get(entry) ?? 1) + 1);
          clashes = true;
        }
      }
    }
    if (!clashes) break;
  }
  const used = new Set<string>();
  for (const entry of found) {
    let name = nameAt(entry);
    for (let n = 2; used.has(name); n += 1) name = `${nameAt(entry).slice(0, 60)}_${n}`;
    used.add(name);
    entry.field = name;
  }
}
