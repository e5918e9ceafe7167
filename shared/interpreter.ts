import type { ActionDefinition, StepDefinition } from './action';
import type { Json, JsonObject } from './json';
import { text, type BotMessage } from './messages';
import { renderText, valueAsText, type TemplateContext } from './template';

/**
 * The action interpreter's decisions, as functions of data: which step runs next, what the templates
 * can read, and what the visitor is told at the end. The workflow turns them into activity calls.
 */

/** What one step produced: extracted fields and the response conventions, or why it failed for good. */
export type StepOutcome =
  | { ok: true; status: number; fields: JsonObject; message: string | null; attributes: JsonObject | null }
  | { ok: false; failure: string; message: string };

/** The results of the steps that ran so far, by step id. */
export type RunProgress = { results: Record<string, StepOutcome> };

export type NextStep =
  | { kind: 'call'; step: StepDefinition }
  | { kind: 'finished' }
  | { kind: 'failed'; step: StepDefinition; failure: string };

/** Decides what happens after the steps that already ran: call the next step, or finish. */
export function nextStep(action: ActionDefinition, progress: RunProgress): NextStep {
  for (const step of action.steps) {
    const result = progress.results[step.id];
    if (result === undefined) return { kind: 'call', step };
    if (!result.ok) return { kind: 'failed', step, failure: result.failure };
  }
  return { kind: 'finished' };
}

/** Who and where: the system variables a template can read. */
export type RunEnvironment = {
  chatbotId: string;
  conversationId: string;
  visitor: { id?: string; name?: string; email?: string; phone?: string };
  attributes: JsonObject;
  userMessage: string;
  now: string;
};

/** The context templates render against (never secrets: those are added inside the HTTP activity). */
export function templateContext(
  action: ActionDefinition,
  values: Record<string, Json>,
  env: RunEnvironment,
  progress: RunProgress,
): TemplateContext {
  const steps: JsonObject = {};
  for (const [id, result] of Object.entries(progress.results)) if (result.ok) steps[id] = result.fields;
  const email = env.visitor.email ?? env.attributes['email'];
  const name = env.visitor.name ?? env.attributes['name'];
  return {
    user_message: env.userMessage,
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

/** Default apology when a step fails and the action says nothing. */
export const DEFAULT_ERROR_REPLY = "Sorry, I couldn't complete that right now. Please try again later.";

/** What the visitor is told once the run is over: the reply template, the API's message, or the fields. */
export function composeReply(action: ActionDefinition, context: TemplateContext, progress: RunProgress): BotMessage[] {
  const outcome = nextStep(action, progress);
  if (outcome.kind === 'failed') return [text(outcome.step.onError.reply ?? DEFAULT_ERROR_REPLY)];
  if (action.reply.template) return [text(renderText(action.reply.template, context))];
  const lastStep = action.steps[action.steps.length - 1];
  const last = lastStep ? progress.results[lastStep.id] : undefined;
  if (last?.ok && last.message) return [text(last.message)];
  if (last?.ok) {
    const lines = Object.entries(last.fields)
      .filter(([, value]) => value !== null && typeof value !== 'object')
      .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${valueAsText(value)}`);
    if (lines.length) return [text(lines.join('\n'))];
  }
  return [text('Done.')];
}

/** Attributes the run's successful steps asked to merge into the conversation, in step order. */
export function mergedAttributes(action: ActionDefinition, progress: RunProgress): JsonObject {
  const merged: JsonObject = {};
  for (const step of action.steps) {
    const result = progress.results[step.id];
    if (result?.ok && result.attributes) Object.assign(merged, result.attributes);
  }
  return merged;
}
