import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConversationStart, ConversationState, Lead, StateSummary } from '../shared/conversation';
import type { BotMessage, TranscriptEntry } from '../shared/messages';

/** What starts a conversation workflow; `carried` is the state handed over by continue-as-new. */
export type ConversationInput = ConversationStart & { carried?: { state: ConversationState } };

/** A visitor turn that answers with the bot's messages for it (the synchronous path for frontends). */
export const sendMessageUpdate = defineUpdate<{ messages: BotMessage[] }, [{ messageId: string; text: string }]>(
  'sendMessage',
);
/** The same turn, fire-and-forget. */
export const visitorMessageSignal = defineSignal<[{ messageId: string; text: string }]>('visitorMessage');
/** A button or quick reply was pressed. */
export const buttonClickedSignal = defineSignal<[{ messageId: string; payload: string }]>('buttonClicked');
/** A lead form was submitted. */
export const leadCapturedSignal = defineSignal<[Lead & { messageId?: string }]>('leadCaptured');
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
/** Transcript entries after a sequence number. */
export const transcriptQuery = defineQuery<TranscriptEntry[], [{ after?: number }?]>('transcript');
/** A summary of where the conversation is. */
export const stateQuery = defineQuery<StateSummary>('state');
