import { ImportRefusal } from './draft';

/**
 * `$ref` resolution within one OpenAPI document: local JSON pointers (`#/components/schemas/Pet`) only. References
 * to other files or URLs are refused with a message saying so — an import never fetches anything — and so are
 * pointers that lead nowhere and chains of references that loop.
 */

const MAX_HOPS = 32;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value a local JSON pointer (`#/a/b~1c`) points at in the document, or undefined. */
function pointAt(document: unknown, pointer: string): unknown {
  let fragment: string;
  try {
    fragment = decodeURIComponent(pointer.slice(1));
  } catch {
    return undefined;
  }
  if (fragment === '') return document;
  if (!fragment.startsWith('/')) return undefined;
  let node: unknown = document;
  for (const raw of fragment.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(token)) node = node[Number(token)];
    else if (isRecord(node) && Object.hasOwn(node, token)) node = node[token];
    else return undefined;
  }
  return node;
}

/** Resolves `$ref`s of one document; `where` names the field a problem is reported at. */
export function createRefResolver(document: unknown) {
  /**
   * The node itself, or what its `$ref` chain leads to. Keys beside a `$ref` (OpenAPI 3.1 lets a reference carry its
   * own `description` and `summary`) override the target's.
   */
  function resolve(node: unknown, where: string): unknown {
    let current = node;
    const siblings: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (let hop = 0; isRecord(current) && typeof current['$ref'] === 'string'; hop += 1) {
      const ref = current['$ref'];
      const { $ref: _ref, ...rest } = current;
      for (const [key, value] of Object.entries(rest)) if (!(key in siblings)) siblings[key] = value;
      if (!ref.startsWith('#'))
        throw new ImportRefusal(
          `${where}.$ref`,
          `"${ref}" points outside the document, and an import fetches nothing: bundle the document into one file first`,
        );
      if (seen.has(ref) || hop >= MAX_HOPS)
        throw new ImportRefusal(`${where}.$ref`, `"${ref}" is part of a loop of references`);
      seen.add(ref);
      const target = pointAt(document, ref);
      if (target === undefined) throw new ImportRefusal(`${where}.$ref`, `"${ref}" points at nothing in the document`);
      current = target;
    }
    if (Object.keys(siblings).length === 0 || !isRecord(current)) return current;
    return { ...current, ...siblings };
  }

  return {
    resolve,
    /** The node resolved, as an object (an empty one when it is not an object). */
    object(node: unknown, where: string): Record<string, unknown> {
      const value = resolve(node, where);
      return isRecord(value) ? value : {};
    },
  };
}

/** Resolves `$ref`s within one document. */
export type RefResolver = ReturnType<typeof createRefResolver>;

export { isRecord };
