import type { ActionDefinition } from '../actions/action';
import { startRun, templateContext } from '../actions/interpreter';
import { renderText } from '../actions/template';
import { actionTitle } from '../actions/title';
import type { Json } from '../json';
import { text, type BotMessage } from '../messages';
import { extractParameter, isCancellation, nextMissing, promptFor, withDefaults } from '../understanding/parameters';
import { CONFIRM_NO, CONFIRM_YES, otherAction, TOPIC_SWITCH_SCORE } from './catalog';
import {
  contextValues,
  filledConfirmation,
  knowsSystemValue,
  remember,
  systemParameters,
  valueInMessage,
} from './context-values';
import { pendingEnvironment } from './run';
import {
  MAX_ANSWER_ATTEMPTS,
  natural,
  NO_HINTS,
  type ActionCatalog,
  type ActionRun,
  type ConversationState,
  type LlmHints,
  type PendingAction,
  type TurnDecision,
} from './state';
import { earlierMessages, say } from './transcript';

/**
 * Collecting what an action needs: starting it, reading answers (from the message, the context and the LLM's
 * hints), asking for what is missing, confirming, and handing a complete action over to run. Pure.
 */

/** Values an LLM suggested, kept only when they pass the same validation as a visitor's answer. */
function validated(action: ActionDefinition, suggested: Record<string, Json>, now: string): Record<string, Json> {
  const values: Record<string, Json> = {};
  for (const param of action.parameters) {
    const value = suggested[param.name];
    if (value === undefined || value === null) continue;
    const checked = extractParameter(param, Array.isArray(value) ? value.join(', ') : String(value), true, now);
    if (checked?.ok) values[param.name] = checked.value;
  }
  return values;
}

function knownValues(
  state: ConversationState,
  action: ActionDefinition,
  message: string,
  now: string,
): { values: Record<string, Json>; confirmation: string | null } {
  if (natural(state)) {
    const context = {
      visitor: state.visitor,
      attributes: state.attributes,
      remembered: state.remembered ?? {},
      earlierMessages: earlierMessages(state),
    };
    const { values, sources } = contextValues(action.parameters, message, context, now);
    return { values, confirmation: filledConfirmation(action.parameters, values, sources) };
  }
  const values: Record<string, Json> = {};
  for (const param of action.parameters) {
    const known =
      param.type === 'email'
        ? state.visitor.email
        : param.type === 'phone'
          ? state.visitor.phone
          : state.attributes[param.name];
    if (known !== undefined && known !== null) {
      const checked = extractParameter(param, String(known), true, now);
      if (checked?.ok) values[param.name] = checked.value;
    }
    if (message) {
      const found = extractParameter(param, message, false, now);
      if (found?.ok) values[param.name] = found.value;
    }
  }
  return { values, confirmation: null };
}

export function startAction(
  state: ConversationState,
  entry: ActionCatalog['actions'][number],
  trigger: PendingAction['trigger'],
  message: string,
  now: string,
  suggested: Record<string, Json> = {},
): TurnDecision {
  const action = entry.definition;
  const max = action.limits.maxPerConversation;
  if (max !== null && (state.runs[action.name] ?? 0) >= max) {
    return { state: say(state, [text("I've already done that in this conversation.")], now), run: null };
  }
  const known = knownValues(state, action, message, now);
  const pending: PendingAction = {
    action,
    version: entry.version,
    trigger,
    userMessage: message,
    values: { ...validated(action, suggested, now), ...known.values },
    asking: null,
    attempts: 0,
    awaitingConfirmation: false,
  };
  return advance(known.confirmation ? say(state, [text(known.confirmation)], now) : state, pending, now);
}

/**
 * The question asked before an action runs, or null: the action's own prompt, or — unless `confirm` is
 * `false` — a default one for actions that DELETE something.
 */
export function confirmationPrompt(action: ActionDefinition): string | null {
  if (action.confirm === false) return null;
  if (action.confirm) return action.confirm.prompt;
  const destructive = action.steps.some((step) => step.request.method === 'DELETE');
  return destructive ? `Please confirm: ${actionTitle(action)}?` : null;
}

/** Asks for the next missing parameter, asks for confirmation, or hands the action over to run. */
function advance(state: ConversationState, pending: PendingAction, now: string): TurnDecision {
  const missing = nextMissing(pending.action.parameters, pending.values) ?? missingSystemValue(state, pending);
  if (missing) {
    const asking = {
      ...pending,
      asking: missing.name,
      attempts: pending.asking === missing.name ? pending.attempts : 0,
    };
    const question = promptFor(missing, { natural: natural(state) });
    return { state: say({ ...state, pending: asking }, [text(question)], now), run: null };
  }
  const values = withDefaults(pending.action.parameters, pending.values);
  const context = () => templateContext(pending.action, values, pendingEnvironment(state, pending, now), startRun());
  const confirmPrompt = confirmationPrompt(pending.action);
  if (confirmPrompt !== null && !pending.awaitingConfirmation) {
    const prompt = renderText(confirmPrompt, context());
    const question: BotMessage = {
      type: 'buttons',
      text: prompt,
      buttons: [
        { label: 'Yes', payload: CONFIRM_YES },
        { label: 'No', payload: CONFIRM_NO },
      ],
    };
    return {
      state: say(
        { ...state, pending: { ...pending, values, asking: null, awaitingConfirmation: true } },
        [question],
        now,
      ),
      run: null,
    };
  }
  const run: ActionRun = {
    action: pending.action,
    version: pending.version,
    trigger: pending.trigger,
    userMessage: pending.userMessage,
    values,
    turn: state.turn,
  };
  // Natural conversations count completed runs (in completeRun): a failed first try does not use up the limit.
  const runs = natural(state)
    ? state.runs
    : { ...state.runs, [run.action.name]: (state.runs[run.action.name] ?? 0) + 1 };
  const intro = run.action.triggeredResponse ? [text(renderText(run.action.triggeredResponse, context()))] : [];
  const learned = natural(state) ? learnFrom(state, pending.action.parameters, values) : state;
  return { state: say({ ...learned, pending: null, runs }, intro, now), run };
}

/**
 * A system value (`user_email`, `user_name`) the action's requests use and the conversation does not know yet:
 * asked for like a parameter (only in natural collection; older conversations sent the call without it).
 */
function missingSystemValue(state: ConversationState, pending: PendingAction) {
  if (!natural(state)) return undefined;
  return systemParameters(pending.action).find(
    (param) => !(param.name in pending.values) && !knowsSystemValue(param.name, state.visitor, state.attributes),
  );
}

/** The parameter (or asked-for system value) a pending action is asking about. */
function askedParameter(state: ConversationState, pending: PendingAction) {
  const params = natural(state)
    ? [...pending.action.parameters, ...systemParameters(pending.action)]
    : pending.action.parameters;
  return params.find((candidate) => candidate.name === pending.asking);
}

/** What a collection taught the conversation: values to reuse, and the visitor's email and name when asked for. */
function learnFrom(
  state: ConversationState,
  params: ActionDefinition['parameters'],
  values: Record<string, Json>,
): ConversationState {
  const visitor = { ...state.visitor };
  if (typeof values['user_email'] === 'string' && !visitor.email) visitor.email = values['user_email'];
  if (typeof values['user_name'] === 'string' && !visitor.name) visitor.name = values['user_name'];
  return { ...state, visitor, remembered: remember(state.remembered ?? {}, params, values) };
}

export function continuePending(
  state: ConversationState,
  message: string,
  catalog: ActionCatalog | null,
  now: string,
  hints: LlmHints = NO_HINTS,
): TurnDecision {
  const pending = state.pending as PendingAction;
  if (isCancellation(message)) {
    return { state: say({ ...state, pending: null }, [text("OK, I've cancelled that.")], now), run: null };
  }
  // A message that clearly asks for another action switches to it, unless it is a valid structured answer. With
  // semantic routing (an embedding), a message that is no answer to a structured question needs only to route.
  const asked = pending.action.parameters.find((candidate) => candidate.name === pending.asking);
  const structured = asked !== undefined && (asked.type !== 'text' || asked.pattern !== undefined);
  const validAnswer = structured && extractParameter(asked, message, true, now)?.ok === true;
  if (!validAnswer) {
    const semantic = hints.routed?.text === message ? hints.routed.semantic : Boolean(hints.embedding);
    const bar = structured && semantic ? 0 : TOPIC_SWITCH_SCORE;
    const other = otherAction(message, catalog, pending, hints, bar);
    if (other) return startAction({ ...state, pending: null }, other, 'intent', message, now);
  }
  if (pending.awaitingConfirmation) {
    const answer = extractParameter(
      { name: 'confirm', type: 'boolean', description: '', required: true, array: false },
      message,
      true,
    );
    if (answer?.ok && answer.value === true) return advance(state, pending, now);
    if (answer?.ok && answer.value === false) {
      return { state: say({ ...state, pending: null }, [text("OK, I won't do that.")], now), run: null };
    }
    return { state: say(state, [text('Please answer yes or no.')], now), run: null };
  }
  const param = askedParameter(state, pending);
  if (!param) return advance(state, pending, now);
  let answer = extractParameter(param, message, true, now, { natural: natural(state) });
  // What the LLM extractor read counts when the deterministic extractor found nothing valid.
  const suggested = hints.extracted ? validated(pending.action, hints.extracted, now) : {};
  if (answer && !answer.ok && suggested[param.name] !== undefined)
    answer = { ok: true, value: suggested[param.name] as Json };
  if (answer && !answer.ok) {
    const attempts = pending.attempts + 1;
    if (attempts >= MAX_ANSWER_ATTEMPTS) {
      const giveUp = text(`${answer.reason} Let's leave it there for now — ask me again whenever you like.`);
      return { state: say({ ...state, pending: null }, [giveUp], now), run: null };
    }
    return {
      state: say(
        { ...state, pending: { ...pending, attempts } },
        [text(`${answer.reason} ${promptFor(param, { natural: natural(state) })}`)],
        now,
      ),
      run: null,
    };
  }
  const values = { ...suggested, ...pending.values };
  if (answer?.ok) values[param.name] = answer.value;
  for (const other of pending.action.parameters) {
    if (other.name in values) continue;
    if (natural(state)) {
      const found = valueInMessage(other, message, now);
      if (found !== undefined) values[other.name] = found;
      continue;
    }
    const found = extractParameter(other, message, false, now);
    if (found?.ok) values[other.name] = found.value;
  }
  return advance(state, { ...pending, values }, now);
}

/** The parameters still missing while a question is pending: what the LLM extractor is asked for. */
export function missingParameters(state: ConversationState) {
  const pending = state.pending;
  if (!pending || pending.awaitingConfirmation) return [];
  return pending.action.parameters.filter((param) => !(param.name in pending.values));
}
