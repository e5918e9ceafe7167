import { isJsonObject } from '../json';
import { ActionDefinitionSchema, type ActionDefinition } from './action';

/**
 * A stored or recorded definition brought to the current schema, or null when it no longer validates. Parameter
 * patterns that today's save check refuses (saved before it existed) do not drop the action: they are kept as
 * written and match nothing at run time, so recorded catalogues keep every action they had.
 */
export function upgradeAction(definition: unknown): ActionDefinition | null {
  const parsed = ActionDefinitionSchema.safeParse(definition);
  if (parsed.success) return parsed.data;
  const refused = parsed.error.issues.filter((issue) => isPatternPath(issue.path));
  if (refused.length === 0 || refused.length !== parsed.error.issues.length || !isJsonObject(definition)) return null;
  const parameters = Array.isArray(definition['parameters']) ? definition['parameters'] : [];
  const patterns = new Map(refused.map((issue) => [Number(issue.path[1]), parameters[Number(issue.path[1])]]));
  const withoutPatterns = parameters.map((param: unknown, index) => {
    if (!patterns.has(index) || !isJsonObject(param)) return param;
    const { pattern: _refused, ...rest } = param;
    return rest;
  });
  const retried = ActionDefinitionSchema.safeParse({ ...definition, parameters: withoutPatterns });
  if (!retried.success) return null;
  const restored = retried.data.parameters.map((param, index) => {
    const original = patterns.get(index);
    return isJsonObject(original) && typeof original['pattern'] === 'string'
      ? { ...param, pattern: original['pattern'] }
      : param;
  });
  return { ...retried.data, parameters: restored };
}

function isPatternPath(path: PropertyKey[]): boolean {
  return path.length === 3 && path[0] === 'parameters' && typeof path[1] === 'number' && path[2] === 'pattern';
}

/** A catalogue with every definition upgraded to the current schema (ones that no longer validate are left out). */
export function upgradeCatalog<C extends { actions: { version: number; definition: ActionDefinition }[] }>(
  catalog: C,
): C {
  const actions = catalog.actions.flatMap((entry) => {
    const definition = upgradeAction(entry.definition);
    return definition ? [{ version: entry.version, definition }] : [];
  });
  return { ...catalog, actions };
}

/** State carried by an older run, with its pending action upgraded (or dropped when it no longer validates). */
export function upgradeState<S extends { pending: { action: ActionDefinition } | null }>(state: S): S {
  if (!state.pending) return state;
  const action = upgradeAction(state.pending.action);
  return { ...state, pending: action ? { ...state.pending, action } : null };
}
