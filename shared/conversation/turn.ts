import { actionTitle } from '../actions/title';
import { text, type BotMessage } from '../messages';
import { mergeAttributes } from '../security/visitor-limits';
import {
  abilities,
  channelOf,
  CHOOSE_PREFIX,
  CONFIRM_NO,
  CONFIRM_YES,
  fallbackMessage,
  offeredIn,
  routeInCatalog,
  TOPIC_SWITCH_SCORE,
} from './catalog';
import { continuePending, startAction } from './collection';
import { asksForHuman, NO_HANDOFF_REPLY, type HandoffEvent } from './handoff';
import { smallTalkKinds, smallTalkReply } from './smalltalk';
import {
  natural,
  NO_HINTS,
  type ActionCatalog,
  type ConversationState,
  type Lead,
  type LlmHints,
  type TurnDecision,
  type TurnEvent,
  type Visitor,
} from './state';
import { append, buttonLabel, say } from './transcript';

/**
 * The conversation state machine: a turn is a pure function from state and visitor event to new state, bot
 * messages and, at most, one action to run. The workflow wires it to Temporal; nothing here does I/O.
 */

/**
 * Plans a turn: records the visitor's event, then answers a pending question, routes a new message,
 * fires a button's action or a lead-captured action. The catalogue also lets a pending question give way to a
 * message that clearly asks for something else. Only the actions offered in the conversation's channel exist for it.
 */
export function planTurn(
  state: ConversationState,
  event: TurnEvent,
  catalog: ActionCatalog | null,
  now: string,
  hints: LlmHints = NO_HINTS,
): TurnDecision {
  const channel = channelOf(state.settings);
  catalog = catalog && {
    ...catalog,
    actions: catalog.actions.filter((entry) => offeredIn(entry.definition, channel)),
  };
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
  return { state: say(state, fallbackMessage(catalog, natural(state), channelOf(state.settings)), now), run: null };
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
