import type { z } from 'zod';
import type { Json } from '../../json';
import { ActionDefinitionSchema, type ActionDefinitionInput } from '../action';

/**
 * What an import answers: action drafts (valid definitions, not saved: the operator reviews and saves them), the
 * secrets they use — never a credential's value, only where it came from — and what the operator should know.
 */

/** A secret a draft uses: its name, the hosts it is bound to, and where in the source its value is. */
export type ImportedSecret = { name: string; hosts: string[]; from: string };

/** Drafts, the secrets they use, warnings, and sample parameter values (for the test button) by action. */
export type ImportResult = {
  actions: ActionDefinitionInput[];
  secrets: ImportedSecret[];
  warnings: string[];
  samples: Record<string, Record<string, Json>>;
};

/** A source that cannot be imported: the field at fault (`curl`, `openapi.paths./pets.get`) and why. */
export type ImportProblem = { path: string; message: string };

/** An import's outcome. */
export type ImportOutcome = ({ ok: true } & ImportResult) | ({ ok: false } & ImportProblem);

/** Thrown inside an importer to stop at the first problem; importers return it as an `ImportOutcome`. */
export class ImportRefusal extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Runs an importer, turning a refusal into a failed outcome (any other error is a bug and propagates). */
export function refusalsAsOutcome(run: () => ImportResult): ImportOutcome {
  try {
    return { ok: true, ...run() };
  } catch (error) {
    if (error instanceof ImportRefusal) return { ok: false, path: error.path, message: error.reason };
    throw error;
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

/** Checks a draft against the action schema; refuses, naming the source and the field, when it would not save. */
export function checkedDraft(draft: ActionDefinitionInput, source: string): ActionDefinitionInput {
  const parsed = ActionDefinitionSchema.safeParse(draft);
  if (parsed.success) return draft;
  const issue: z.core.$ZodIssue | undefined = parsed.error.issues[0];
  throw new ImportRefusal(
    source,
    `the draft of action ${draft.name} would not save (${issue ? `${issuePath(issue.path)}: ${issue.message}` : 'invalid'})`,
  );
}
