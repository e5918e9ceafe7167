import type { z } from 'zod';
import { isJsonObject, type Json } from '../shared/json';
import { formatPath } from './problems';

/** Comparing configuration values: what changed between two, and which parts of one are only defaults. */

/** One field whose value differs: its path and both values (`undefined`: absent). */
export type ValueChange = { path: string; before: unknown; after: unknown };

/** True when two JSON-like values are equal (object key order aside; a key holding undefined counts as absent). */
export function sameValue(a: unknown, b: unknown): boolean {
  return valueChanges(a, b).length === 0;
}

/**
 * The fields in which `after` differs from `before`, as deep as both are objects (or arrays, index by index), so
 * a changed URL shows as `steps[0].request.url` rather than the whole step.
 */
export function valueChanges(before: unknown, after: unknown, path: readonly PropertyKey[] = []): ValueChange[] {
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => valueChanges(before[key], after[key], [...path, key]));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, index) => valueChanges(before[index], after[index], [...path, index])).flat();
  }
  if (Object.is(before, after) || (before === undefined && after === undefined)) return [];
  return [{ path: formatPath(path), before, after }];
}

/**
 * `value` without the fields whose absence the schema fills with the same value — what an operator would not
 * write — so exported files stay short. Reading the result with the schema gives exactly what `value` gives.
 */
export function withoutDefaults(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) return value;
  const target = parsed.data;
  const readsTheSame = (candidate: unknown) => {
    const reread = schema.safeParse(candidate);
    return reread.success && sameValue(reread.data, target);
  };
  const root = structuredClone(value);
  // Each field, outermost first: dropped whole when it is a default, otherwise looked into.
  const visit = (node: unknown) => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isJsonObject(node)) return;
    for (const key of Object.keys(node)) {
      const kept = node[key] as Json;
      delete node[key];
      if (readsTheSame(root)) continue;
      node[key] = kept;
      visit(kept);
    }
  };
  visit(root);
  return restoreOrder(value, root);
}

/** `trimmed` with its keys in the order `original` had them (deleting and restoring a key moves it last). */
function restoreOrder(original: unknown, trimmed: unknown): unknown {
  if (Array.isArray(original) && Array.isArray(trimmed))
    return trimmed.map((item, index) => restoreOrder(original[index], item));
  if (!isJsonObject(original) || !isJsonObject(trimmed)) return trimmed;
  return Object.fromEntries(
    Object.keys(original)
      .filter((key) => key in trimmed)
      .map((key) => [key, restoreOrder(original[key], trimmed[key])]),
  );
}
