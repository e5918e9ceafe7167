import type { ActionDefinition } from '../actions/action';
import type { Json, JsonObject } from '../json';
import { text, type BotMessage, type Button, type TranscriptEntry } from '../messages';
import type { RouterModel } from '../understanding/model';
import type { RouteResult } from '../understanding/routing';
import type { PackedVector } from '../understanding/semantic';
import type { EmailThread } from './email';
import type { ConversationMode, HandoffEvent, HandoffSettings } from './handoff';
import type { SmallTalkSettings } from './smalltalk';
import { say } from './transcript';

/**
 * A conversation's state and what a turn works with: settings, the pending action, events and decisions; opening
 * and closing a conversation. Pure: the workflow wires it to Temporal; nothing here does I/O.
 */

/** How many times an invalid answer is re-asked before the bot gives up on the action. */
export const MAX_ANSWER_ATTEMPTS = 3;

/** Where a conversation takes place, and where an action is offered (its `channels`). */
export type Channel = ActionDefinition['channels'][number];

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
  /**
   * Where the conversation takes place: only actions offered in this channel are routed, fired or named (absent:
   * chat, as in every conversation started before the email channel).
   */
  channel?: Channel;
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

export const NO_HINTS: LlmHints = { route: null, extracted: null };

/** What routing a text may use besides the catalogue: its embedding, or how the worker already routed it. */
export type RouteHints = Pick<LlmHints, 'embedding' | 'routed'>;

/**
 * An action catalogue as the conversation sees it: each definition with its version, and the router trained on the
 * chat actions when they were saved (absent in catalogues recorded by older Parleys, which route by word overlap).
 */
export type ActionCatalog = {
  revision: string;
  actions: { version: number; definition: ActionDefinition }[];
  router?: RouterModel;
  /**
   * The router trained on the actions offered by email, when any is: email conversations route with it, so an action
   * offered only in chat never wins an email's words (and vice versa). Absent: no action is offered by email.
   */
  emailRouter?: RouterModel;
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
  /** When the conversation's actions called an API in the last minute (ms): its call budget (shared/conversation/budgets). */
  callTimes?: number[];
  /** The email thread an email conversation answers, and what of the transcript it has sent (absent: a chat). */
  email?: EmailThread;
};

export const natural = (state: ConversationState) => state.features?.context === true;

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
  /** The thread of a conversation started by an email (settings.channel `email`); absent for chats. */
  email?: EmailThread;
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
    ...(init.email ? { email: init.email } : {}),
  };
  return say(state, openingMessages(init.settings, init.buttons), now);
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
