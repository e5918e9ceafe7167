import type { Json } from '../json';

/** Keys written without quotes; any other key is JSON-quoted so that no key can be mistaken for structure. */
const BARE_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * A compact, deterministic description of a JSON value's structure (keys and types, not values), so that a
 * change in an API's response structure can be noticed without storing its data. Objects list their keys
 * sorted, `{id:number,tags:[string]}`; an array is the merged shape of its elements: `[]` when empty, else the
 * distinct element shapes sorted and joined by `|` (`[null|string]`), however many elements there are.
 */
export function jsonShape(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const shapes = [...new Set(value.map(jsonShape))].sort();
    return `[${shapes.join('|')}]`;
  }
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default: {
      const entries = Object.keys(value)
        .sort()
        .map((key) => `${BARE_KEY.test(key) ? key : JSON.stringify(key)}:${jsonShape(value[key] ?? null)}`);
      return `{${entries.join(',')}}`;
    }
  }
}
