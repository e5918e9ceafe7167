import type { ActionDefinition } from './action';
import type { Condition, StepDefinition } from './step-schema';
import type { Json, JsonObject } from '../json';
import type { BotMessage } from '../messages';
import type { RequestMeta } from './request';
import { renderReply, type ReplyOptions } from './reply';
import { lookupPath, type TemplateContext } from './template';

/**
 * The action interpreter's decisions, as functions of data: which step runs next (honouring `when`,
 * `onError.then` = stop | continue | goto:<id>), which completed steps to compensate when the chain stops,
 * what the templates can read, and what the visitor is told. The workflow turns them into activity calls.
 */

/** What one step produced: extracted fields and the response conventions, or why it failed for good. */
export type StepOutcome =
  | { ok: true; status: number; fields: JsonObject; message: string | null; attributes: JsonObject | null }
  | { ok: false; failure: string; message: string; said?: string };

/** Where a run is: the cursor, each step's latest outcome, and — once the chain stopped — its compensation. */
export type RunProgress = {
  cursor: number;
  results: Record<string, StepOutcome>;
  skipped: string[];
  completed: string[];
  /** Steps whose call failed for good, in the order they failed. */
  failed: string[];
  executions: number;
  failure: { step: string; failure: string; reply: string | null } | null;
  compensations: string[];
  compensated: { step: string; ok: boolean }[];
};

/** How many step executions a run may make; a `goto` loop beyond this stops the chain. */
export const MAX_STEP_EXECUTIONS = 50;

/** A run before its first step. */
export function startRun(): RunProgress {
  return {
    cursor: 0,
    results: {},
    skipped: [],
    completed: [],
    failed: [],
    executions: 0,
    failure: null,
    compensations: [],
    compensated: [],
  };
}

export type RunDecision =
  | { kind: 'call'; step: StepDefinition }
  | { kind: 'skip'; step: StepDefinition }
  | { kind: 'compensate'; step: StepDefinition }
  | { kind: 'done' };

/** Decides what happens next: call a step, skip it (its `when` is false), compensate, or finish. */
export function decideNext(action: ActionDefinition, progress: RunProgress, context: TemplateContext): RunDecision {
  if (progress.failure) {
    const id = progress.compensations[0];
    const step = action.steps.find((candidate) => candidate.id === id);
    return step ? { kind: 'compensate', step } : { kind: 'done' };
  }
  const step = action.steps[progress.cursor];
  if (!step) return { kind: 'done' };
  if (step.when !== undefined && !conditionsHold(step.when, context)) return { kind: 'skip', step };
  return { kind: 'call', step };
}

/** Records a step whose `when` did not hold. */
export function recordSkip(progress: RunProgress, step: StepDefinition): RunProgress {
  return { ...progress, cursor: progress.cursor + 1, skipped: [...progress.skipped, step.id] };
}

/** Records a step's outcome and moves the cursor as its `onError.then` says when it failed. */
export function recordOutcome(
  action: ActionDefinition,
  progress: RunProgress,
  step: StepDefinition,
  outcome: StepOutcome,
): RunProgress {
  const next: RunProgress = {
    ...progress,
    results: { ...progress.results, [step.id]: outcome },
    executions: progress.executions + 1,
  };
  if (outcome.ok) {
    const completed = next.completed.includes(step.id) ? next.completed : [...next.completed, step.id];
    return { ...next, completed, cursor: progress.cursor + 1 };
  }
  next.failed = [...next.failed, step.id];
  const then = step.onError.then;
  if (then === 'continue') return { ...next, cursor: progress.cursor + 1 };
  if (then.startsWith('goto:') && next.executions < MAX_STEP_EXECUTIONS) {
    return { ...next, cursor: action.steps.findIndex((candidate) => candidate.id === then.slice(5)) };
  }
  return stop(action, next, step, then.startsWith('goto:') ? 'loop_limit' : outcome.failure, errorReply(step, outcome));
}

/**
 * What the visitor is told when a step fails for good: the API's own error `message` when the step opts in with
 * `onError.sayMessage` (never its raw body), else the step's error reply (null: the default apology).
 */
export function errorReply(step: StepDefinition, outcome: StepOutcome | undefined): string | null {
  const said = outcome && !outcome.ok ? outcome.said : undefined;
  if (step.onError.sayMessage && said) return said;
  return step.onError.reply ?? null;
}

function stop(
  action: ActionDefinition,
  progress: RunProgress,
  step: StepDefinition,
  failure: string,
  reply: string | null,
): RunProgress {
  const compensations = [...progress.completed]
    .reverse()
    .filter((id) => action.steps.some((candidate) => candidate.id === id && candidate.compensate));
  return { ...progress, failure: { step: step.id, failure, reply }, compensations };
}

/** Records that a completed step's compensation ran (or failed for good). */
export function recordCompensation(progress: RunProgress, step: StepDefinition, ok: boolean): RunProgress {
  return {
    ...progress,
    compensations: progress.compensations.filter((id) => id !== step.id),
    compensated: [...progress.compensated, { step: step.id, ok }],
  };
}

function asNumber(value: Json | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

function same(a: Json | undefined, b: Json | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return String(a) === String(b);
}

/** Whether a condition holds on the values known so far. */
export function conditionHolds(condition: Condition, context: TemplateContext): boolean {
  const value = lookupPath(context, condition.path);
  const present = value !== undefined && value !== null && value !== '';
  const target = condition.value;
  switch (condition.op) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'equals':
      return same(value, target);
    case 'not_equals':
      return !same(value, target);
    case 'in':
      return Array.isArray(target) && target.some((candidate) => same(value, candidate));
    case 'not_in':
      return Array.isArray(target) && !target.some((candidate) => same(value, candidate));
    case 'gt':
      return asNumber(value) > asNumber(target);
    case 'gte':
      return asNumber(value) >= asNumber(target);
    case 'lt':
      return asNumber(value) < asNumber(target);
    case 'lte':
      return asNumber(value) <= asNumber(target);
  }
}

/** Whether every condition of a `when` holds. */
export function conditionsHold(when: Condition | Condition[], context: TemplateContext): boolean {
  return (Array.isArray(when) ? when : [when]).every((condition) => conditionHolds(condition, context));
}

/** Who and where: the system variables a template can read. */
export type RunEnvironment = {
  chatbotId: string;
  conversationId: string;
  visitor: { id?: string; name?: string; email?: string; phone?: string; locale?: string };
  attributes: JsonObject;
  /** The message that fired the action (a button's label, a lead's summary; '' in older conversations). */
  userMessage: string;
  /**
   * The visitor's last message. Absent in conversations recorded before it existed: there `user_message` was the
   * message that fired the action.
   */
  lastMessage?: string;
  trigger: string;
  now: string;
};

/** What the run's completed steps extracted, by step id: what `steps.<id>.*` reads. */
export function stepFields(progress: RunProgress): JsonObject {
  const steps: JsonObject = {};
  for (const [id, result] of Object.entries(progress.results)) if (result.ok) steps[id] = result.fields;
  return steps;
}

/**
 * The context templates render against, from the run's values: system variables, parameters, attributes and the
 * completed steps' fields (never secrets: those are added inside the HTTP activity).
 */
export function runContext(
  action: Pick<ActionDefinition, 'name'>,
  values: Record<string, Json>,
  env: RunEnvironment,
  steps: JsonObject,
): TemplateContext {
  const email = env.visitor.email ?? env.attributes['email'];
  const name = env.visitor.name ?? env.attributes['name'];
  const last = env.lastMessage === undefined ? env.userMessage : env.lastMessage || env.userMessage;
  return {
    user_message: last,
    ...(env.lastMessage === undefined ? {} : { trigger_message: env.userMessage || last }),
    user_email: typeof email === 'string' ? email : null,
    user_name: typeof name === 'string' ? name : null,
    conversation_id: env.conversationId,
    chatbot_id: env.chatbotId,
    visitor_id: env.visitor.id ?? null,
    action_id: action.name,
    timestamp: env.now,
    ...values,
    attributes: env.attributes,
    steps,
  };
}

/** The context templates render against at a point of the run (never secrets). */
export function templateContext(
  action: Pick<ActionDefinition, 'name'>,
  values: Record<string, Json>,
  env: RunEnvironment,
  progress: RunProgress,
): TemplateContext {
  return runContext(action, values, env, stepFields(progress));
}

/** What the envelope and visitor-profile bodies say, from the run environment. */
export function requestMeta(action: Pick<ActionDefinition, 'name'>, env: RunEnvironment): RequestMeta {
  const context = runContext(action, {}, env, {});
  return {
    actionId: action.name,
    conversationId: env.conversationId,
    chatbotId: env.chatbotId,
    trigger: env.trigger,
    timestamp: env.now,
    visitor: {
      id: env.visitor.id ?? null,
      name: (context['user_name'] as string | null) ?? null,
      email: (context['user_email'] as string | null) ?? null,
      phone: env.visitor.phone ?? null,
      locale: env.visitor.locale ?? null,
      last_message: (env.lastMessage ?? env.userMessage) || null,
      attributes: env.attributes,
    },
  };
}

/** Default apology when the chain fails and the step says nothing. */
export const DEFAULT_ERROR_REPLY = "Sorry, I couldn't complete that right now. Please try again later.";

/** What the visitor is told once the run is over: the failing step's error reply, or the action's reply. */
export function composeReply(
  action: ActionDefinition,
  context: TemplateContext,
  progress: RunProgress,
  options: ReplyOptions = {},
): BotMessage[] {
  if (progress.failure) return [{ type: 'text', text: progress.failure.reply ?? DEFAULT_ERROR_REPLY }];
  // Every call failed (each moving on with `continue`): there is nothing to answer with but the error reply.
  const firstFailed = action.steps.find((step) => step.id === progress.failed[0]);
  if (progress.completed.length === 0 && firstFailed)
    return [{ type: 'text', text: errorReply(firstFailed, progress.results[firstFailed.id]) ?? DEFAULT_ERROR_REPLY }];
  const lastOk = [...progress.completed]
    .reverse()
    .map((id) => progress.results[id])
    .find((result) => result?.ok);
  return renderReply(
    action.reply,
    context,
    lastOk?.ok ? { message: lastOk.message, fields: lastOk.fields } : null,
    options,
  );
}

/**
 * The alert to send for a run, when the action has alert recipients: a call failed for good (`failed`), or — the run
 * having succeeded — an API answered with a response whose structure differs from the last one seen
 * (`structure_changed`: the reply may silently lack fields). `changedSteps` are the steps whose response structure
 * changed in this run (the HTTP step tells); a failure alert names them too.
 */
export function failureAlert(
  action: ActionDefinition,
  progress: RunProgress,
  env: RunEnvironment,
  changedSteps: readonly string[] = [],
): { alert: FailureAlert; settings: { emails: string[]; webhook: string | null } } | null {
  const { emails, webhook } = action.alerts;
  if (emails.length === 0 && !webhook) return null;
  const settings = { emails, webhook };
  const changed = [...new Set(changedSteps)];
  const step = progress.failed[0];
  const result = step === undefined ? undefined : progress.results[step];
  const where = { chatbotId: env.chatbotId, action: action.name, conversationId: env.conversationId, at: env.now };
  if (step !== undefined && result && !result.ok) {
    return {
      alert: {
        ...where,
        step,
        failure: result.failure,
        message: result.message,
        ...(changed.length > 0 ? { structureChanged: changed } : {}),
      },
      settings,
    };
  }
  const [first] = changed;
  if (first === undefined || step !== undefined) return null;
  const empty = changed.flatMap((id) => emptyFields(action, progress, id));
  const message =
    `The response of step ${changed.join(', step ')} has a different structure from the last one seen; the call ` +
    `succeeded, but the reply may be missing fields.` +
    (empty.length > 0 ? ` Fields that came back empty: ${empty.join(', ')}.` : '');
  return {
    alert: {
      ...where,
      kind: 'structure_changed',
      step: first,
      failure: 'structure_changed',
      message,
      structureChanged: changed,
      emptyFields: empty,
    },
    settings,
  };
}

/** A step's mapped fields that came back null (`eta (data.order.eta)`): what a changed structure may have dropped. */
function emptyFields(action: ActionDefinition, progress: RunProgress, stepId: string): string[] {
  const step = action.steps.find((candidate) => candidate.id === stepId);
  const result = progress.results[stepId];
  if (!step || !result?.ok) return [];
  return Object.entries(step.response.fields)
    .filter(([name]) => result.fields[name] === null || result.fields[name] === undefined)
    .map(([name, path]) => `${name} (${path})`);
}

/**
 * An action alert (messages are already redacted): a call that failed for good, or — `kind: structure_changed` — a
 * successful call whose response structure changed. Alerts recorded before kinds existed have none: failures.
 */
export type FailureAlert = {
  kind?: 'failed' | 'structure_changed';
  chatbotId: string;
  action: string;
  step: string;
  failure: string;
  message: string;
  conversationId: string;
  at: string;
  /** Steps whose response structure differed from the last one seen, in the run that alerts. */
  structureChanged?: string[];
  /** Mapped fields that came back empty from those steps (`name (path)`). */
  emptyFields?: string[];
};

/**
 * Attributes the run's successful steps asked to merge into the conversation, in the order they ran; none when
 * the chain stopped (its completed steps were compensated, so what they said no longer holds).
 */
export function mergedAttributes(progress: RunProgress): JsonObject {
  const merged: JsonObject = {};
  if (progress.failure) return merged;
  for (const id of progress.completed) {
    const result = progress.results[id];
    if (result?.ok && result.attributes) Object.assign(merged, result.attributes);
  }
  return merged;
}
