import { defineQuery, defineSignal, defineUpdate, type Sinks } from '@temporalio/workflow';
import type { ConversationLimits } from '../shared/conversation/budgets';
import type { InboundEmailRef } from '../shared/conversation/email';
import type {
  ConversationStart,
  ConversationState,
  Lead,
  RoutedText,
  StateSummary,
} from '../shared/conversation/state';
import type { LiveWatchers } from '../shared/conversation/live';
import type { BotMessage, TranscriptEntry } from '../shared/messages';

/** What starts a conversation workflow; `carried` is the state handed over by continue-as-new. */
export type ConversationInput = ConversationStart & {
  carried?: { state: ConversationState; watchers?: LiveWatchers };
};

/**
 * What the API adds to each visitor event: the chatbot's current catalogue revision, so a conversation learns of
 * catalogue changes with the event itself and an unchanged catalogue costs no read.
 */
export type EventContext = {
  catalogRevision?: string;
  /** How the chatbot's router at that revision routes the message, read by the API as it admitted it. */
  routed?: RoutedText;
  /**
   * The budgets the conversation keeps itself: its visitor's messages (its update validator refuses what is over)
   * and its actions' API calls a minute.
   */
  limits?: ConversationLimits;
  /** The chatbot's call settings as the API read them (fresh: its cache forgets a chatbot on every admin write). */
  chatbot?: { callsPerMinute: number; egressAllowlist: string[] };
  /** The email that carried the message, in an email conversation: the reply threads under it. */
  inboundEmail?: InboundEmailRef;
};

/** A visitor turn that answers with the bot's messages for it (the synchronous path for frontends). */
export const sendMessageUpdate = defineUpdate<
  { messages: BotMessage[] },
  [{ messageId: string; text: string } & EventContext]
>('sendMessage');
/**
 * The turn deadline passed while the turn for `messageId` is still running: answers with what the turn has said
 * so far and that the bot is still working (the note joins the transcript); the turn runs on. Answers the turn's
 * replies when it has finished meanwhile.
 */
export const answerAtDeadlineUpdate = defineUpdate<{ messages: BotMessage[] }, [{ messageId: string }]>(
  'answerAtDeadline',
);
/**
 * Sent with the start (update-with-start): answers the messages the conversation opened with, so the API answers a
 * start with what the workflow said rather than predicting it.
 */
export const openingUpdate = defineUpdate<{ messages: BotMessage[] }, []>('opening');
/** The same turn, fire-and-forget. */
export const visitorMessageSignal =
  defineSignal<[{ messageId: string; text: string } & EventContext]>('visitorMessage');
/** A button or quick reply was pressed. */
export const buttonClickedSignal =
  defineSignal<[{ messageId: string; payload: string } & EventContext]>('buttonClicked');
/** A lead form was submitted. */
export const leadCapturedSignal = defineSignal<[Lead & { messageId?: string } & EventContext]>('leadCaptured');
/** A person's message in a handed-off conversation (the admin API); answers once it is in the transcript. */
export const agentMessageUpdate = defineUpdate<{ mode: 'bot' | 'human' }, [{ messageId: string; text: string }]>(
  'agentMessage',
);
/** The person hands the conversation back to the bot, optionally saying something first. */
export const handBackUpdate = defineUpdate<{ mode: 'bot' | 'human' }, [{ messageId: string; text?: string }]>(
  'handBack',
);
/** End the conversation. */
export const closeSignal = defineSignal<[{ reason: string }]>('close');
/**
 * An API process has a visitor watching the conversation live (GET /v1/conversations/:id/events): push the bot's
 * messages after `after` (null: from now on) to `endpoint` until `until` (epoch ms). Sent again to renew.
 */
export const watchSignal = defineSignal<[{ endpoint: string; until: number; after: number | null }]>('watch');
/** Transcript entries after a sequence number. */
export const transcriptQuery = defineQuery<TranscriptEntry[], [{ after?: number }?]>('transcript');
/** A summary of where the conversation is. */
export const stateQuery = defineQuery<StateSummary>('state');

/**
 * What conversations tell the worker's process without a trace in history: the worker (worker/worker.ts) records
 * it in its metrics, and Temporal does not call a sink again when a conversation is replayed.
 */
export interface ParleySinks extends Sinks {
  metrics: {
    /** An action's run ended. */
    actionRun(chatbotId: string, action: string, outcome: 'ok' | 'failed'): void;
  };
}
