import { ActionDefinitionSchema, type ActionDefinition } from '../shared/actions/action';
import { ChatbotInputSchema, SecretInputSchema } from '../shared/chatbot';
import type { JsonObject } from '../shared/json';
import type { DesiredChatbot } from './desired-state';
import type { ConfigProblem } from './problems';
import { sameValue, valueChanges, type ValueChange } from './values';

/**
 * What `apply` would change, as a pure function of what the files say and what the API holds: chatbots created or
 * updated field by field, secrets set from the environment, actions created, updated (with the changed fields) or
 * deleted (`prune`). Secret values are never shown: the API keeps them write-only.
 */

/** One chatbot as the API holds it (null: it does not exist). */
export type CurrentChatbot = {
  /** The chatbot as `GET /v1/chatbots/:botId` answers. */
  chatbot: JsonObject;
  actions: { name: string; version: number; definition: unknown }[];
  secrets: { name: string; hosts: string[] }[];
};

/** Why a secret is written. */
export type SecretReason = 'new' | 'hosts changed' | 'asked to (--set-secrets)';

/** One change, in the order it is applied. */
export type Change =
  | {
      kind: 'create-chatbot';
      chatbot: string;
      file: string;
      body: JsonObject;
    }
  /** `patch`: the fields saved before the actions (all that changed but a deferred handoff); may be empty. */
  | { kind: 'update-chatbot'; chatbot: string; file: string; changes: ValueChange[]; patch: JsonObject }
  /**
   * A chatbot's new handoff, saved once the action it fires exists (saving it first would warn of a missing
   * action); part of creating or updating the chatbot, not a change of its own.
   */
  | { kind: 'set-handoff'; chatbot: string; file: string; patch: JsonObject }
  | {
      kind: 'set-secret';
      chatbot: string;
      file: string;
      name: string;
      env: string;
      hosts: string[];
      /** Never printed. */
      value: string;
      reason: SecretReason;
    }
  | { kind: 'create-action'; chatbot: string; file: string; name: string; definition: ActionDefinition }
  | {
      kind: 'update-action';
      chatbot: string;
      file: string;
      name: string;
      changes: ValueChange[];
      definition: ActionDefinition;
    }
  | { kind: 'delete-action'; chatbot: string; name: string; version: number };

/** What `apply` would do; `kept`: actions the API has that no file defines, left alone without `prune`. */
export type Plan = { changes: Change[]; kept: { chatbot: string; name: string }[]; problems: ConfigProblem[] };

export type PlanOptions = {
  /** Delete the actions of the files' chatbots that no file defines. */
  prune: boolean;
  /** Write every secret's value from the environment, not only new secrets and changed hosts. */
  setSecrets: boolean;
  /** Where secret values come from (the process environment). */
  environment: Readonly<Record<string, string | undefined>>;
};

/** A chatbot as the API holds it, read like a chatbot file: its input fields (without the id), defaults applied. */
export function currentSettings(chatbot: JsonObject): JsonObject {
  const known = Object.keys(ChatbotInputSchema.shape).filter((key) => key !== 'id' && key in chatbot);
  const fields: JsonObject = Object.fromEntries(known.map((key) => [key, chatbot[key] ?? null]));
  const parsed = ChatbotInputSchema.safeParse(fields);
  if (!parsed.success) return fields;
  const { id: _id, ...settings } = parsed.data;
  return settings as JsonObject;
}

/** A stored definition read with today's schema (as written when it no longer validates). */
export function currentDefinition(definition: unknown): unknown {
  const parsed = ActionDefinitionSchema.safeParse(definition);
  return parsed.success ? parsed.data : definition;
}

/** The plan that makes the API hold what the files say. */
export function planApply(
  desired: readonly DesiredChatbot[],
  current: ReadonlyMap<string, CurrentChatbot | null>,
  options: PlanOptions,
): Plan {
  const plan: Plan = { changes: [], kept: [], problems: [] };
  for (const chatbot of desired) planChatbot(chatbot, current.get(chatbot.id) ?? null, options, plan);
  return plan;
}

function planChatbot(desired: DesiredChatbot, current: CurrentChatbot | null, options: PlanOptions, plan: Plan) {
  const { id, file } = desired;
  const settings = desired.settings as JsonObject;
  // A handoff that fires an action this plan creates is saved once that action exists: saving it first would warn
  // of a missing action. Every other setting is saved before the actions, whose save checks read it (egress).
  const handoff = desired.settings.handoff;
  const created = (name: string) => !current?.actions.some((action) => action.name === name);
  const deferHandoff =
    handoff?.action != null && created(handoff.action) && desired.actions.some((a) => a.name === handoff.action);
  let handoffLater: JsonObject | null = null;
  if (!current) {
    if (deferHandoff) handoffLater = { handoff: settings['handoff'] ?? null };
    plan.changes.push({
      kind: 'create-chatbot',
      chatbot: id,
      file,
      body: { id, ...settings, ...(deferHandoff ? { handoff: null } : {}) },
    });
  } else {
    const now = currentSettings(current.chatbot);
    // Fields a file leaves out that have no default (the publishable key) keep their value.
    const changed = Object.keys(settings).filter((key) => !sameValue(now[key], settings[key]));
    if (changed.length > 0) {
      const later = deferHandoff && changed.includes('handoff');
      if (later) handoffLater = { handoff: settings['handoff'] ?? null };
      plan.changes.push({
        kind: 'update-chatbot',
        chatbot: id,
        file,
        changes: changed.flatMap((key) => valueChanges(now[key], settings[key], [key])),
        patch: Object.fromEntries(
          changed.filter((key) => !later || key !== 'handoff').map((key) => [key, settings[key] ?? null]),
        ),
      });
    }
  }

  for (const secret of desired.secrets) {
    const existing = current?.secrets.find((candidate) => candidate.name === secret.name);
    const reason: SecretReason | null = !existing
      ? 'new'
      : !sameValue([...existing.hosts].sort(), [...secret.hosts].sort())
        ? 'hosts changed'
        : options.setSecrets
          ? 'asked to (--set-secrets)'
          : null;
    if (!reason) continue;
    const value = options.environment[secret.env];
    const path = `secrets.${secret.name}.env`;
    if (value === undefined || value === '') {
      plan.problems.push({
        file,
        path,
        message: `${secret.env} is not set in the environment (the secret's value is needed: ${reason})`,
      });
      continue;
    }
    const checked = SecretInputSchema.shape.value.safeParse(value);
    if (!checked.success) {
      plan.problems.push({ file, path, message: `${secret.env} ${checked.error.issues[0]?.message ?? 'is refused'}` });
      continue;
    }
    plan.changes.push({
      kind: 'set-secret',
      chatbot: id,
      file,
      name: secret.name,
      env: secret.env,
      hosts: secret.hosts,
      value,
      reason,
    });
  }

  const actionChanges: Change[] = [];
  for (const action of desired.actions) {
    const existing = current?.actions.find((candidate) => candidate.name === action.name);
    if (!existing) {
      actionChanges.push({
        kind: 'create-action',
        chatbot: id,
        file: action.file,
        name: action.name,
        definition: action.definition,
      });
      continue;
    }
    const changes = valueChanges(currentDefinition(existing.definition), action.definition);
    if (changes.length > 0)
      actionChanges.push({
        kind: 'update-action',
        chatbot: id,
        file: action.file,
        name: action.name,
        changes,
        definition: action.definition,
      });
  }
  plan.changes.push(...inSavingOrder(actionChanges));
  if (handoffLater) plan.changes.push({ kind: 'set-handoff', chatbot: id, file, patch: handoffLater });

  const named = new Set(desired.actions.map((action) => action.name));
  for (const action of current?.actions ?? []) {
    if (named.has(action.name)) continue;
    if (options.prune)
      plan.changes.push({ kind: 'delete-action', chatbot: id, name: action.name, version: action.version });
    else plan.kept.push({ chatbot: id, name: action.name });
  }
}

/** Actions whose reply button opens another action of the plan saved after it (the API checks the target exists). */
function inSavingOrder(changes: Change[]): Change[] {
  const byName = new Map(changes.flatMap((change) => ('definition' in change ? [[change.name, change] as const] : [])));
  const ordered: Change[] = [];
  const placed = new Set<Change>();
  const place = (change: Change, seen: Set<Change>) => {
    if (placed.has(change) || seen.has(change)) return;
    seen.add(change);
    const target = 'definition' in change ? change.definition.reply.actionButton?.action : undefined;
    const first = target === undefined ? undefined : byName.get(target);
    if (first && first !== change) place(first, seen);
    placed.add(change);
    ordered.push(change);
  };
  for (const change of changes) place(change, new Set());
  return ordered;
}

/** The changes an operator is shown and counted (a new chatbot's handoff is part of creating it). */
export function visibleChanges(plan: Plan): Exclude<Change, { kind: 'set-handoff' }>[] {
  return plan.changes.filter(
    (change): change is Exclude<Change, { kind: 'set-handoff' }> => change.kind !== 'set-handoff',
  );
}
