import type { ActionDefinition } from './actions/action';
import { actionTitle } from './actions/title';
import {
  composeReply,
  mergedAttributes,
  startRun,
  templateContext,
  type RunEnvironment,
  type RunProgress,
} from './actions/interpreter';
import type { Json, JsonObject } from './json';
import { mergeAttributes } from './security/visitor-limits';
import { text, type BotMessage, type Button, type TranscriptEntry } from './messages';
import {
  contextValues,
  filledConfirmation,
  knowsSystemValue,
  remember,
  systemParameters,
  valueInMessage,
} from './context-values';
import {
  asksForHuman,
  NO_HANDOFF_REPLY,
  type ConversationMode,
  type HandoffEvent,
  type HandoffSettings,
} from './handoff';
import { extractParameter, isCancellation, nextMissing, promptFor, withDefaults } from './understanding/parameters';
import { smallTalkKinds, smallTalkReply, type SmallTalkSettings } from './smalltalk';
import { append, buttonLabel, earlierMessages, lastVisitorMessage, say } from './transcript';

export {
  HANDLED_LIMIT,
  markHandled,
  recentLines,
  repliesTo,
  say,
  transcriptAfter,
  TRANSCRIPT_LIMIT,
} from './transcript';
import type { RouterModel } from './understanding/model';
import { routeWithModel, type RouteResult } from './understanding/routing';
import type { PackedVector } from './understanding/semantic';
import { routeMessage } from './understanding/legacy-word-overlap';
import { renderText } from './actions/template';

/**
 * The conversation state machine: a turn is a pure function from state and visitor event to new state,
 * bot messages and, at most, one action to run. The workflow wires it to Temporal; nothing here does I/O.
 */

/** How many times an invalid answer is re-asked before the bot gives up on the action. */
export const MAX_ANSWER_ATTEMPTS = 3;
export type Visitor = { id?: string; name?: string; email?: string; phone?: string; locale?: string };

/** Per-chatbot behaviour a conversation starts with. */
export type ConversationSettings = {
  idleTimeoutMs: number;
  greeting: string | null;
  /** The optional LLM router, extractor and composer are configured (absent in older conversations). */
  llm?: boolean;
  /** The chatbot's own small-talk replies (absent: Parley's defaults). */
  smallTalk?: SmallTalkSettings;
  /** What happens when a visitor asks for a person (absent or null: no one is available). */
  handoff?: HandoffSettings | null;
  /** How long a visitor waits before the turn answers with what it has (absent in older conversations: no limit). */
  turnDeadlineMs?: number;
};

/**
 * What activities added to a visitor message before the turn is planned: the optional LLM's route or extracted
 * values, and the message's sentence embedding for semantic routing. Null or absent fields were not asked for
 * or did not answer; the turn then decides without them.
 */
export type LlmHints = {
  route: { action: string | null; arguments: Record<string, Json> } | null;
  extracted: Record<string, Json> | null;
  embedding?: PackedVector | null;
  /** How the worker's trained router routed the event's text (turns that keep the router out of the workflow). */
  routed?: RoutedText | null;
};

/**
 * A text routed by the worker with the catalogue's trained router, so the workflow neither holds the model nor
 * runs it: recorded in history, it replays exactly. `semantic` says the message's sentence embedding was used.
 */
export type RoutedText = { text: string; result: RouteResult; semantic: boolean };

const NO_HINTS: LlmHints = { route: null, extracted: null };

/** What routing a text may use besides the catalogue: its embedding, or how the worker already routed it. */
type RouteHints = Pick<LlmHints, 'embedding' | 'routed'>;

/**
 * An action catalogue as the conversation sees it: each definition with its version, and the router trained
 * on them when they were saved (absent in catalogues recorded by older Parleys, which route by word overlap).
 */
export type ActionCatalog = {
  revision: string;
  actions: { version: number; definition: ActionDefinition }[];
  router?: RouterModel;
};

/** An action that fired and is collecting parameters or waiting for confirmation; pinned to its version. */
export type PendingAction = {
  action: ActionDefinition;
  version: number;
  trigger: 'intent' | 'button' | 'lead_captured' | 'handoff';
  userMessage: string;
  values: Record<string, Json>;
  asking: string | null;
  attempts: number;
  awaitingConfirmation: boolean;
};

/** An action ready to call its API: everything the interpreter needs, JSON-safe. */
export type ActionRun = Omit<PendingAction, 'asking' | 'attempts' | 'awaitingConfirmation'> & { turn: number };

/**
 * Behaviours added after conversations were already running; the workflow turns each on with `patched()`, so a
 * recorded history replays with what it was recorded with. Absent: all off.
 */
export type TurnFeatures = {
  /** Collection from context, natural questions, system values asked for, `user_message`/`trigger_message`. */
  context: boolean;
  /** Greetings, thanks, goodbyes and help answered; a visitor asking for a person handed off. */
  smallTalk?: boolean;
  /** Replies without a template render the data readably (and follow the action's `reply.say`). */
  readable?: boolean;
};

/** Everything a conversation knows; JSON-safe, carried whole across continue-as-new. */
export type ConversationState = {
  chatbotId: string;
  conversationId: string;
  visitor: Visitor;
  attributes: JsonObject;
  settings: ConversationSettings;
  status: 'open' | 'closed';
  closedReason: string | null;
  pending: PendingAction | null;
  turn: number;
  runs: Record<string, number>;
  transcript: TranscriptEntry[];
  nextSeq: number;
  handled: { messageId: string; from: number; to: number }[];
  /** Which newer behaviours this turn uses (set by the workflow before each turn). */
  features?: TurnFeatures;
  /** Values earlier actions collected, by parameter name, for later actions to reuse. */
  remembered?: Record<string, Json>;
  /** Who answers: the bot, or a person after a handoff (absent: the bot). */
  mode?: ConversationMode;
  /** Actions waiting to fire once the current one is done (further lead_captured actions), in order. */
  queued?: { action: string; trigger: PendingAction['trigger']; message: string }[];
};

const natural = (state: ConversationState) => state.features?.context === true;

/** A visitor event that makes a turn. */
export type TurnEvent =
  | { kind: 'message'; messageId: string; text: string }
  | { kind: 'button'; messageId: string; payload: string }
  | { kind: 'lead'; messageId: string; lead: Lead }
  /** A person's message, posted through the admin API; takes the conversation over from the bot. */
  | { kind: 'agent'; messageId: string; text: string }
  /** The person hands the conversation back to the bot. */
  | { kind: 'handback'; messageId: string; text?: string };

export type Lead = { name?: string; email?: string; phone?: string; fields?: Record<string, string> };

/**
 * What a turn decided: the new state and, when an action is ready, the run to execute; `handoff` when the visitor
 * was just handed to a person (the event for the chatbot's webhook).
 */
export type TurnDecision = { state: ConversationState; run: ActionRun | null; handoff?: HandoffEvent };

/** Payload of a button that fires an action. */
export function actionButtonPayload(actionName: string): string {
  return `action:${actionName}`;
}

const CONFIRM_YES = 'confirm:yes';
const CONFIRM_NO = 'confirm:no';

/** Whether an action is offered in chat conversations (its channels include `chat`). */
function inChat(action: ActionDefinition): boolean {
  return action.channels.includes('chat');
}

/** The buttons a conversation offers up front: one per button-triggered action. */
export function actionButtons(actions: ActionDefinition[]): Button[] {
  return actions
    .filter(inChat)
    .flatMap((action) =>
      action.triggers.flatMap((trigger) =>
        trigger.type === 'button' ? [{ label: trigger.label, payload: actionButtonPayload(action.name) }] : [],
      ),
    );
}

/** The messages a new conversation opens with. */
export function openingMessages(settings: ConversationSettings, buttons: Button[]): BotMessage[] {
  const messages: BotMessage[] = [];
  if (settings.greeting) messages.push(text(settings.greeting));
  if (buttons.length) messages.push({ type: 'buttons', buttons });
  return messages;
}

/** What a conversation starts from: who, for which chatbot, with what settings and opening buttons. */
export type ConversationStart = {
  chatbotId: string;
  conversationId: string;
  visitor: Visitor;
  attributes: JsonObject;
  settings: ConversationSettings;
  buttons: Button[];
};

/** A new conversation's state, with its opening messages in the transcript. */
export function openConversation(init: ConversationStart, now: string): ConversationState {
  const state: ConversationState = {
    chatbotId: init.chatbotId,
    conversationId: init.conversationId,
    visitor: init.visitor,
    attributes: init.attributes,
    settings: init.settings,
    status: 'open',
    closedReason: null,
    pending: null,
    turn: 0,
    runs: {},
    transcript: [],
    nextSeq: 1,
    handled: [],
  };
  return say(state, openingMessages(init.settings, init.buttons), now);
}

/**
 * Plans a turn: records the visitor's event, then answers a pending question, routes a new message,
 * fires a button's action or a lead-captured action. The catalogue also lets a pending question give way to a
 * message that clearly asks for something else.
 */
export function planTurn(
  state: ConversationState,
  event: TurnEvent,
  catalog: ActionCatalog | null,
  now: string,
  hints: LlmHints = NO_HINTS,
): TurnDecision {
  catalog = catalog && { ...catalog, actions: catalog.actions.filter((entry) => inChat(entry.definition)) };
  if (event.kind === 'agent') {
    const takenOver: ConversationState = { ...state, mode: 'human', pending: null };
    return { state: append(takenOver, 'agent', [text(event.text)], now), run: null };
  }
  if (event.kind === 'handback') {
    const back = event.text ?? state.settings.handoff?.handBackReply ?? 'How can I help?';
    return { state: say({ ...state, mode: 'bot' }, [text(back)], now), run: null };
  }
  let next: ConversationState = { ...state, turn: state.turn + 1 };
  switch (event.kind) {
    case 'message': {
      next = append(next, 'visitor', [text(event.text)], now);
      // With a person answering, the bot stays silent (but still finishes a question the handoff action asked).
      if (next.mode === 'human' && !next.pending) return { state: next, run: null };
      if (next.pending) return continuePending(next, event.text, catalog, now, hints);
      return (
        (next.features?.smallTalk ? conversational(next, event.text, catalog, now, hints) : null) ??
        routeText(next, event.text, catalog, now, hints)
      );
    }
    case 'button': {
      next = append(next, 'visitor', [text(buttonLabel(state, event.payload))], now);
      if (event.payload === CONFIRM_YES || event.payload === CONFIRM_NO) {
        if (next.pending?.awaitingConfirmation)
          return continuePending(next, event.payload === CONFIRM_YES ? 'yes' : 'no', catalog, now);
        return { state: say(next, [text('There is nothing waiting for confirmation.')], now), run: null };
      }
      // `action:<name>` fires a button-triggered action; `choose:<name>` answers "which of these do you mean?".
      const [kind, name] = event.payload.startsWith('action:')
        ? ['button', event.payload.slice('action:'.length)]
        : event.payload.startsWith(CHOOSE_PREFIX)
          ? ['intent', event.payload.slice(CHOOSE_PREFIX.length)]
          : [null, null];
      // Any other payload (a quick reply, a custom button) is what the visitor said: an answer, or a message.
      if (kind === null && natural(next)) {
        const said = event.payload;
        const routedOnly = { ...NO_HINTS, routed: hints.routed ?? null };
        if (next.pending) return continuePending(next, said, catalog, now, routedOnly);
        if (next.mode === 'human') return { state: next, run: null };
        return routeText(next, said, catalog, now, routedOnly);
      }
      // Action buttons (reply.actionButton) may point at any action of the chatbot, whatever its triggers.
      const entry = catalog?.actions.find(
        (candidate) =>
          candidate.definition.name === name &&
          ((kind === 'button' && natural(next)) ||
            candidate.definition.triggers.some((trigger) => trigger.type === kind)),
      );
      if (!entry) return { state: say(next, [text('Sorry, that option is no longer available.')], now), run: null };
      const pressed = natural(next) ? buttonLabel(state, event.payload) : '';
      return startAction({ ...next, pending: null }, entry, 'button', pressed, now);
    }
    case 'lead': {
      next = absorbLead(next, event.lead);
      const firing = (catalog?.actions ?? []).filter((candidate) =>
        candidate.definition.triggers.some((trigger) => trigger.type === 'lead_captured'),
      );
      const entry = firing[0];
      if (!entry) return { state: next, run: null };
      // Every lead_captured action fires, in catalogue order: the others wait their turn (see nextQueued).
      if (natural(next) && firing.length > 1) {
        const queued = firing.slice(1).map((candidate) => ({
          action: candidate.definition.name,
          trigger: 'lead_captured' as const,
          message: leadLine(event.lead),
        }));
        next = { ...next, queued: [...(next.queued ?? []), ...queued] };
      }
      return startAction(
        { ...next, pending: null },
        entry,
        'lead_captured',
        natural(next) ? leadLine(event.lead) : '',
        now,
      );
    }
  }
}

/** What a lead "says", as the message that fired a `lead_captured` action. */
function leadLine(lead: Lead): string {
  return `Lead form: ${[lead.name, lead.email, lead.phone].filter(Boolean).join(', ')}`;
}

function absorbLead(state: ConversationState, lead: Lead): ConversationState {
  const visitor: Visitor = { ...state.visitor };
  if (lead.name) visitor.name = lead.name;
  if (lead.email) visitor.email = lead.email;
  if (lead.phone) visitor.phone = lead.phone;
  return { ...state, visitor, attributes: mergeAttributes(state.attributes, lead.fields ?? {}) };
}

/** The titles of what the bot can do when asked: its intent-triggered actions. */
function abilities(catalog: ActionCatalog | null): string[] {
  return (catalog?.actions ?? [])
    .filter((entry) => entry.definition.triggers.some((trigger) => trigger.type === 'intent'))
    .map((entry) => actionTitle(entry.definition));
}

/**
 * Small talk and requests for a person, decided beside routing: a message that is only a greeting, thanks, a
 * goodbye or a request for help is answered (the chatbot's wording, else Parley's), and one asking for a person is
 * handed off — unless an action routes confidently (or the LLM router picked one), which wins. Null: route as usual.
 */
function conversational(
  state: ConversationState,
  message: string,
  catalog: ActionCatalog | null,
  now: string,
  hints: LlmHints,
): TurnDecision | null {
  const human = asksForHuman(message);
  const kinds = human ? [] : smallTalkKinds(message);
  if ((!human && kinds.length === 0) || hints.route?.action) return null;
  const route = routeInCatalog(message, catalog, hints);
  if (route.kind === 'action' && route.score >= TOPIC_SWITCH_SCORE) return null;
  if (human) return handOff(state, message, catalog, now);
  const reply = smallTalkReply(kinds, state.settings.smallTalk, abilities(catalog));
  return reply === null ? null : { state: say(state, [text(reply)], now), run: null };
}

/**
 * Hands the conversation to a person as the chatbot's handoff setting says: its reply, `human` mode, the event for
 * its webhook, and its action (which may still ask what it needs). Without a handoff, no one is available.
 */
function handOff(state: ConversationState, message: string, catalog: ActionCatalog | null, now: string): TurnDecision {
  const handoff = state.settings.handoff;
  if (!handoff) {
    const can = abilities(catalog);
    const reply = can.length
      ? `${NO_HANDOFF_REPLY}\n${can.map((a) => `- ${a}`).join('\n')}`
      : NO_HANDOFF_REPLY.replace(/ I can help with:$/, '');
    return { state: say(state, [text(reply)], now), run: null };
  }
  const event: HandoffEvent = {
    type: 'handoff.requested',
    chatbotId: state.chatbotId,
    conversationId: state.conversationId,
    at: now,
  };
  const handed: ConversationState = { ...state, mode: 'human' };
  const next = say(handed, [text(handoff.reply)], now);
  // The action the setting names, else the first with a handoff trigger.
  const entry =
    catalog?.actions.find((candidate) => candidate.definition.name === handoff.action) ??
    catalog?.actions.find((candidate) => candidate.definition.triggers.some((trigger) => trigger.type === 'handoff'));
  if (!entry) return { state: next, run: null, handoff: event };
  return { ...startAction(next, entry, 'handoff', message, now), handoff: event };
}

/** The fallback; with `offerButtons`, it carries the buttons of button-triggered actions again. */
function fallbackMessage(catalog: ActionCatalog | null, offerButtons = false): BotMessage[] {
  const can = abilities(catalog);
  const said = can.length
    ? `Sorry, I didn't understand that. I can help with:\n${can.map((a) => `- ${a}`).join('\n')}`
    : "Sorry, I didn't understand that.";
  const buttons = offerButtons ? actionButtons((catalog?.actions ?? []).map((entry) => entry.definition)) : [];
  return [buttons.length ? { type: 'buttons', text: said, buttons } : text(said)];
}

type CatalogEntry = ActionCatalog['actions'][number];
type CatalogRoute =
  | { kind: 'action'; entry: CatalogEntry; score: number }
  | { kind: 'ambiguous'; entries: CatalogEntry[] }
  | { kind: 'none' };

/**
 * Routes a message among the catalogue's intent-triggered actions: as the worker routed it when it did, else with
 * the catalogue's trained router when it has one, else by word overlap (catalogues of older Parleys).
 */
function routeInCatalog(message: string, catalog: ActionCatalog | null, hints: RouteHints = {}): CatalogRoute {
  const actions = catalog?.actions ?? [];
  const byName = (name: string) => actions.find((entry) => entry.definition.name === name);
  const routed = hints.routed?.text === message ? hints.routed.result : null;
  if (routed || catalog?.router) {
    const result =
      routed ?? routeWithModel(catalog?.router as RouterModel, message, { embedding: hints.embedding ?? null });
    if (result.kind === 'action') {
      const entry = byName(result.action);
      return entry ? { kind: 'action', entry, score: result.score } : { kind: 'none' };
    }
    if (result.kind === 'ambiguous') {
      const entries = result.candidates.flatMap((candidate) => byName(candidate.action) ?? []);
      return entries.length > 1 ? { kind: 'ambiguous', entries } : { kind: 'none' };
    }
    return { kind: 'none' };
  }
  const decision = routeMessage(
    message,
    actions.map((entry) => entry.definition),
  );
  const entry = decision.kind === 'action' ? byName(decision.action) : undefined;
  return entry && decision.kind === 'action' ? { kind: 'action', entry, score: decision.score } : { kind: 'none' };
}

/** How sure routing must be before a message abandons the action being collected for another one. */
export const TOPIC_SWITCH_SCORE = 0.7;

/** Another action the message routes to with at least `bar` as its score, or null. */
function otherAction(
  message: string,
  catalog: ActionCatalog | null,
  pending: PendingAction,
  hints: RouteHints,
  bar: number,
): CatalogEntry | null {
  const route = routeInCatalog(message, catalog, hints);
  if (route.kind !== 'action' || route.entry.definition.name === pending.action.name) return null;
  return route.score >= bar ? route.entry : null;
}

const CHOOSE_PREFIX = 'choose:';

/**
 * The text a turn event may have to route: a message's text, or the payload of a quick reply or custom button
 * (what the visitor said); null for the payloads of Parley's own buttons (`action:`, `choose:`, `confirm:`).
 */
export function routableText(event: TurnEvent): string | null {
  if (event.kind === 'message') return event.text;
  if (event.kind !== 'button') return null;
  const { payload } = event;
  const own = payload === CONFIRM_YES || payload === CONFIRM_NO || payload.startsWith('action:');
  return own || payload.startsWith(CHOOSE_PREFIX) ? null : payload;
}

function routeText(
  state: ConversationState,
  message: string,
  catalog: ActionCatalog | null,
  now: string,
  hints: LlmHints,
): TurnDecision {
  // An action the LLM router picked (with the arguments it read) goes first; otherwise the deterministic router.
  const picked = catalog?.actions.find((entry) => entry.definition.name === hints.route?.action);
  if (picked && hints.route) return startAction(state, picked, 'intent', message, now, hints.route.arguments);
  const route = routeInCatalog(message, catalog, hints);
  if (route.kind === 'action') return startAction(state, route.entry, 'intent', message, now);
  if (route.kind === 'ambiguous') {
    const question: BotMessage = {
      type: 'buttons',
      text: 'Which of these do you mean?',
      buttons: route.entries.map((entry) => ({
        label: actionTitle(entry.definition),
        payload: `${CHOOSE_PREFIX}${entry.definition.name}`,
      })),
    };
    return { state: say(state, [question], now), run: null };
  }
  return { state: say(state, fallbackMessage(catalog, natural(state)), now), run: null };
}

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

function startAction(
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

function continuePending(
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

/**
 * The next queued action (a further lead_captured action), once nothing is pending: started like any action, so it
 * may ask for what it needs. Null when nothing waits or the conversation is busy, closed or handed off.
 */
export function nextQueued(state: ConversationState, catalog: ActionCatalog | null, now: string): TurnDecision | null {
  const [first, ...rest] = state.queued ?? [];
  if (!first || state.pending || state.status !== 'open' || state.mode === 'human') return null;
  const next = { ...state, queued: rest };
  const entry = catalog?.actions.find((candidate) => candidate.definition.name === first.action);
  if (!entry) return nextQueued(next, catalog, now) ?? { state: next, run: null };
  return startAction(next, entry, first.trigger, first.message, now);
}

/** The environment a run's templates see. */
export function runEnvironment(state: ConversationState, run: ActionRun, now: string): RunEnvironment {
  return pendingEnvironment(state, run, now);
}

function pendingEnvironment(
  state: ConversationState,
  run: Pick<ActionRun, 'userMessage' | 'trigger'>,
  now: string,
): RunEnvironment {
  return {
    chatbotId: state.chatbotId,
    conversationId: state.conversationId,
    visitor: state.visitor,
    attributes: state.attributes,
    userMessage: run.userMessage,
    ...(natural(state) ? { lastMessage: lastVisitorMessage(state) } : {}),
    trigger: run.trigger,
    now,
  };
}

/** Finishes a run: merges attributes, says the reply, and closes the conversation when the action says so. */
export function completeRun(
  state: ConversationState,
  run: ActionRun,
  progress: RunProgress,
  now: string,
  composed: string | null = null,
): ConversationState {
  const attributes = mergeAttributes(state.attributes, mergedAttributes(progress));
  const counted = natural(state) && !progress.failure && progress.completed.length > 0;
  const runs = counted ? { ...state.runs, [run.action.name]: (state.runs[run.action.name] ?? 0) + 1 } : state.runs;
  const withAttributes = { ...state, attributes, runs };
  const context = templateContext(run.action, run.values, runEnvironment(withAttributes, run, now), progress);
  const reply = composeReply(run.action, context, progress, { readable: state.features?.readable === true });
  let next = say(withAttributes, withComposedText(reply, composed), now);
  if (run.action.closeConversation && !progress.failure) {
    next = say(next, [text(renderText(run.action.closeConversation.farewell, context))], now);
    next = { ...next, status: 'closed', closedReason: 'action' };
  }
  return next;
}

/** The actions the LLM router may offer: intent-triggered ones available in chat. */
export function routableActions(catalog: ActionCatalog | null): ActionDefinition[] {
  return (catalog?.actions ?? [])
    .map((entry) => entry.definition)
    .filter((action) => inChat(action) && action.triggers.some((trigger) => trigger.type === 'intent'));
}

/** The parameters still missing while a question is pending: what the LLM extractor is asked for. */
export function missingParameters(state: ConversationState) {
  const pending = state.pending;
  if (!pending || pending.awaitingConfirmation) return [];
  return pending.action.parameters.filter((param) => !(param.name in pending.values));
}

/**
 * What the LLM composer gets for a run whose reply has instructions: the deterministic reply as a draft and the
 * fields of the steps as data — for a failed run (readable replies) the error reply and why it failed. Null when
 * there is nothing to compose.
 */
export function composerInput(
  state: ConversationState,
  run: ActionRun,
  progress: RunProgress,
  now: string,
): { instructions: string; draft: string; data: Json } | null {
  const instructions = run.action.reply.instructions;
  const readable = state.features?.readable === true;
  if (!instructions || (progress.failure && !readable)) return null;
  const context = templateContext(run.action, run.values, runEnvironment(state, run, now), progress);
  const draft = composeReply(run.action, context, progress, { readable })
    .map((message) => ('text' in message && message.text ? message.text : ''))
    .filter(Boolean)
    .join('\n');
  const data = progress.failure
    ? { failed: true, reason: progress.failure.failure, steps: context['steps'] ?? {} }
    : (context['steps'] ?? {});
  return { instructions, draft, data: data as Json };
}

/** The reply with its first text replaced by the LLM composer's wording, when there is one. */
function withComposedText(messages: BotMessage[], composed: string | null): BotMessage[] {
  if (composed === null) return messages;
  const index = messages.findIndex((message) => message.type === 'text');
  if (index < 0) return [{ type: 'text', text: composed }, ...messages];
  return messages.map((message, i) => (i === index ? { type: 'text', text: composed } : message));
}

/** Closes the conversation, e.g. on the visitor's request or after the idle timeout. */
export function closeConversation(state: ConversationState, reason: string): ConversationState {
  return state.status === 'closed' ? state : { ...state, status: 'closed', closedReason: reason, pending: null };
}

/** A read-only summary for the `state` query and operators. */
export function stateSummary(state: ConversationState) {
  return {
    chatbotId: state.chatbotId,
    conversationId: state.conversationId,
    status: state.status,
    mode: state.mode ?? 'bot',
    closedReason: state.closedReason,
    turn: state.turn,
    attributes: state.attributes,
    pending: state.pending
      ? {
          action: state.pending.action.name,
          version: state.pending.version,
          asking: state.pending.asking,
          awaitingConfirmation: state.pending.awaitingConfirmation,
          collected: Object.keys(state.pending.values),
        }
      : null,
    runs: state.runs,
    lastSeq: state.nextSeq - 1,
  };
}
export type StateSummary = ReturnType<typeof stateSummary>;
