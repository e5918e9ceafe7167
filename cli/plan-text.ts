import { visibleChanges, type Change, type Plan } from './plan';
import type { ValueChange } from './values';

/** The plan as `apply` prints it: one line per change (`+` create, `~` update, `-` delete), changed fields below. */

const VALUE_CHARS = 100;

/** A value as a diff line shows it: compact JSON, cut when long; `(absent)` for a field that is not there. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

function fieldLines(changes: readonly ValueChange[]): string[] {
  return changes.map((change) => `    ${change.path}: ${showValue(change.before)} → ${showValue(change.after)}`);
}

/** The headline of one change. */
export function describeChange(change: Exclude<Change, { kind: 'set-handoff' }>): string {
  switch (change.kind) {
    case 'create-chatbot':
      return `+ chatbot ${change.chatbot} (${change.file})`;
    case 'update-chatbot':
      return `~ chatbot ${change.chatbot} (${change.file})`;
    case 'set-secret':
      return `${change.reason === 'new' ? '+' : '~'} secret ${change.chatbot}/${change.name} from $${change.env} (${change.reason})`;
    case 'create-action':
      return `+ action ${change.chatbot}/${change.name} (${change.file})`;
    case 'update-action':
      return `~ action ${change.chatbot}/${change.name} (${change.file})`;
    case 'delete-action':
      return `- action ${change.chatbot}/${change.name} (no file defines it)`;
  }
}

/** The plan's lines; `no changes` when there is nothing to do. */
export function planText(plan: Plan): string[] {
  const changes = visibleChanges(plan);
  const lines = changes.flatMap((change) => [
    describeChange(change),
    ...(change.kind === 'update-chatbot' || change.kind === 'update-action' ? fieldLines(change.changes) : []),
  ]);
  for (const kept of plan.kept)
    lines.push(`  kept: action ${kept.chatbot}/${kept.name} is not in the files (--prune deletes it)`);
  if (changes.length === 0) return ['no changes', ...lines];
  const count = (prefix: string) => changes.filter((change) => describeChange(change).startsWith(prefix)).length;
  lines.push(`${count('+')} to create, ${count('~')} to update, ${count('-')} to delete`);
  return lines;
}
