import type { ParameterDefinition } from '../shared/actions/parameter-schema';
import type { Json } from '../shared/json';

/**
 * `--param name=value` pairs as the test button's parameters, typed as the action declares them: numbers and
 * booleans as such, list parameters split on commas, everything else as text.
 */
export function testParameters(
  declared: readonly Pick<ParameterDefinition, 'name' | 'type' | 'array'>[],
  pairs: readonly string[],
): { parameters: Record<string, Json> } | { problem: string } {
  const parameters: Record<string, Json> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) return { problem: `--param ${pair}: write it as name=value` };
    const name = pair.slice(0, equals);
    const text = pair.slice(equals + 1);
    const parameter = declared.find((candidate) => candidate.name === name);
    if (!parameter)
      return {
        problem: `--param ${name}: the action has no such parameter (it has ${declared.map((p) => p.name).join(', ') || 'none'})`,
      };
    const one = (value: string): Json | undefined => {
      if (parameter.type === 'number')
        return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
      if (parameter.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : undefined;
      return value;
    };
    const values = parameter.array ? text.split(',').map((item) => item.trim()) : [text];
    const typed = values.map(one);
    if (typed.some((value) => value === undefined))
      return { problem: `--param ${name}: "${text}" is not a ${parameter.type}` };
    parameters[name] = parameter.array ? (typed as Json[]) : (typed[0] as Json);
  }
  return { parameters };
}
