import type { ActionDefinition } from '../actions/action';
import type { ParameterDefinition } from '../actions/parameter-schema';
import type { RequestDefinition } from '../actions/step-schema';
import type { Json, JsonObject } from '../json';
import { extractParameter } from '../understanding/parameters';
import { parameterLabel } from './questions';
import { jsonTemplateReferences, templateReferences, valueAsText } from '../actions/template';

/**
 * Collection from context: values an action needs that the conversation already holds — given in an earlier
 * turn, collected by an earlier action, known from the visitor's profile, or said inside a sentence — and the
 * system values (`user_email`, `user_name`) an action's requests use, which become questions when unknown.
 * Pure; the conversation state machine decides when to use them.
 */

/** Where a value found before it was asked for came from. */
export type ContextSource = 'message' | 'earlier' | 'profile';

/** What the conversation knows that may fill an action's parameters. */
export type ConversationContext = {
  visitor: { name?: string; email?: string; phone?: string };
  attributes: JsonObject;
  /** Values actions collected earlier in the conversation, by parameter name. */
  remembered: Record<string, Json>;
  /** Earlier visitor messages, oldest first (the current one not included). */
  earlierMessages: string[];
};

/** How many earlier visitor messages are searched for values. */
export const EARLIER_MESSAGES = 10;
/** How many remembered values a conversation keeps, and how long each may be. */
export const REMEMBERED_LIMIT = { keys: 30, chars: 200 } as const;

const NAME_PARAM = /^(?:(?:full|first|customer|visitor|contact|your|user)_?)?name$/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function nameWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * A free-text value said inside a sentence, for text parameters without a pattern: "my city is Paris",
 * "order note: leave it at the door", "I'm Ada Lovelace" (for a name). Null when the sentence does not name it.
 */
export function valueInSentence(param: ParameterDefinition, message: string): string | null {
  if (param.type !== 'text' || param.pattern !== undefined || param.array) return null;
  const names = [...new Set([nameWords(param.name), parameterLabel(param).label.toLowerCase()])].filter(
    (name) => name.length >= 3 && name.length <= 60,
  );
  for (const name of names) {
    const cue = new RegExp(
      `\\b${escapeRegExp(name)}\\s*(?:is|was|:|=|would be|will be|should be)\\s*["“']?([^"”.!?;,\\n]{1,200})`,
      'i',
    );
    const found = cue
      .exec(message)?.[1]
      ?.trim()
      .replace(/["”']+$/, '');
    if (found) return found;
  }
  if (NAME_PARAM.test(param.name)) {
    const intro =
      /\b(?:[Ii] am|[Ii]'m|[Tt]his is|[Cc]all me|[Mm]y name is)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,3})/u.exec(
        message,
      );
    if (intro?.[1]) return intro[1];
  }
  return null;
}

/** A parameter's value in a message that was not an answer to its question: typed extraction, then a sentence. */
export function valueInMessage(param: ParameterDefinition, message: string, now: string): Json | undefined {
  const found = extractParameter(param, message, false, now, { natural: true });
  if (found?.ok) return found.value;
  const said = valueInSentence(param, message);
  if (said === null) return undefined;
  const checked = extractParameter(param, said, true, now, { natural: true });
  return checked?.ok ? checked.value : undefined;
}

function profileValue(param: ParameterDefinition, context: ConversationContext): Json | undefined {
  const { visitor, attributes } = context;
  const known =
    attributes[param.name] ??
    (param.type === 'email'
      ? (visitor.email ?? attributes['email'])
      : param.type === 'phone'
        ? (visitor.phone ?? attributes['phone'])
        : NAME_PARAM.test(param.name)
          ? (visitor.name ?? attributes['name'])
          : undefined);
  return known === undefined || known === null ? undefined : known;
}

/**
 * Values for an action's parameters from the conversation, with where each came from. The current message wins;
 * then what the visitor said in earlier turns (values a pattern, an email or a phone format recognises), values
 * earlier actions collected under the same name, and the visitor's profile and attributes. Every value passes
 * the same validation as an answer.
 */
export function contextValues(
  params: ParameterDefinition[],
  message: string,
  context: ConversationContext,
  now: string,
): { values: Record<string, Json>; sources: Record<string, ContextSource> } {
  const values: Record<string, Json> = {};
  const sources: Record<string, ContextSource> = {};
  const accept = (param: ParameterDefinition, value: Json | undefined, source: ContextSource) => {
    if (value === undefined || param.name in values) return;
    const text = Array.isArray(value) ? value.map(valueAsText).join(', ') : valueAsText(value);
    const checked = source === 'message' ? { ok: true as const, value } : extractParameter(param, text, true, now);
    if (!checked?.ok) return;
    values[param.name] = checked.value;
    sources[param.name] = source;
  };
  for (const param of params) {
    if (message) accept(param, valueInMessage(param, message, now), 'message');
    const recognisable = param.pattern !== undefined || param.type === 'email' || param.type === 'phone';
    if (recognisable) {
      for (const earlier of context.earlierMessages.slice(-EARLIER_MESSAGES).reverse()) {
        const found = extractParameter(param, earlier, false, now, { natural: true });
        if (found?.ok) {
          accept(param, found.value, 'earlier');
          break;
        }
      }
    }
    accept(param, context.remembered[param.name], 'earlier');
    accept(param, profileValue(param, context), 'profile');
  }
  return { values, sources };
}

/**
 * Whether a parameter's value identifies something the visitor may mean again (an order number, an email, their
 * name): worth reusing in later actions. Free text, numbers and dates answer one request and are not reused.
 */
function reusable(param: ParameterDefinition): boolean {
  return param.pattern !== undefined || param.type === 'email' || param.type === 'phone' || NAME_PARAM.test(param.name);
}

/** The conversation's remembered values with a finished collection's reusable ones added, the newest kept. */
export function remember(
  remembered: Record<string, Json>,
  params: ParameterDefinition[],
  values: Record<string, Json>,
): Record<string, Json> {
  const next = { ...remembered };
  for (const param of params.filter(reusable)) {
    const value = values[param.name];
    if (value === undefined || value === null || typeof value === 'object') continue;
    if (String(value).length > REMEMBERED_LIMIT.chars) continue;
    delete next[param.name];
    next[param.name] = value;
  }
  const keys = Object.keys(next);
  for (const key of keys.slice(0, Math.max(0, keys.length - REMEMBERED_LIMIT.keys))) delete next[key];
  return next;
}

/** The sentence that tells the visitor which values were taken from what they said before, or null. */
export function filledConfirmation(
  params: ParameterDefinition[],
  values: Record<string, Json>,
  sources: Record<string, ContextSource>,
): string | null {
  const used = params.filter((param) => sources[param.name] === 'earlier' || sources[param.name] === 'profile');
  if (used.length === 0) return null;
  const parts = used.map((param) => {
    const { label, personal } = parameterLabel(param);
    const value = values[param.name];
    const shown = Array.isArray(value) ? value.map(valueAsText).join(', ') : valueAsText(value ?? '');
    return `${shown} as ${personal ? 'your' : 'the'} ${label}`;
  });
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `I'll use ${list ?? ''}.`;
}

/** System values a template can read that the visitor can be asked for when unknown. */
const ASKABLE_SYSTEM_VALUES: Record<string, ParameterDefinition> = {
  user_email: {
    name: 'user_email',
    type: 'email',
    description: 'Your email address',
    required: true,
    array: false,
    prompt: 'What is your email address?',
  },
  user_name: {
    name: 'user_name',
    type: 'text',
    description: 'Your name',
    required: true,
    array: false,
    prompt: 'What is your name?',
  },
};

function requestReferences(request: RequestDefinition): string[] {
  const all = (template: string) => templateReferences(template, { nested: true });
  return [
    ...all(request.url),
    ...Object.values(request.query).flatMap(all),
    ...Object.values(request.headers).flatMap(all),
    ...(request.auth.type === 'basic' ? all(request.auth.username) : []),
    ...(request.body === null ? [] : jsonTemplateReferences(request.body, { nested: true })),
  ];
}

/**
 * The system values (`user_email`, `user_name`) an action's requests use, as parameters to ask for: a call
 * that needs the visitor's email is not sent without one.
 */
export function systemParameters(action: ActionDefinition): ParameterDefinition[] {
  const refs = new Set(action.steps.flatMap((step) => requestReferences(step.request)));
  return Object.values(ASKABLE_SYSTEM_VALUES).filter((param) => refs.has(param.name));
}

/** Whether the conversation already knows a system value. */
export function knowsSystemValue(
  name: string,
  visitor: ConversationContext['visitor'],
  attributes: JsonObject,
): boolean {
  const known = name === 'user_email' ? (visitor.email ?? attributes['email']) : (visitor.name ?? attributes['name']);
  return typeof known === 'string' && known !== '';
}
