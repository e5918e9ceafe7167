import { boundedTranscript } from '../security/visitor-limits';
import type { BotMessage, TranscriptEntry } from '../messages';

/**
 * A conversation's transcript and delivery record: appending lines, the replies to a message id (idempotent
 * delivery), and reading what the visitor said. Pure; works on any state that carries a transcript.
 */

/** How much transcript the conversation keeps (and carries across continue-as-new). */
export const TRANSCRIPT_LIMIT = 500;
/** How many handled message ids are remembered for idempotent delivery. */
export const HANDLED_LIMIT = 500;

/** The part of a conversation's state the transcript functions read and write. */
export type TranscriptHolder = {
  transcript: TranscriptEntry[];
  nextSeq: number;
  handled: { messageId: string; from: number; to: number }[];
};

/** Appends lines from someone to the transcript (the oldest beyond the limit go). */
export function append<S extends TranscriptHolder>(
  state: S,
  from: TranscriptEntry['from'],
  messages: BotMessage[],
  now: string,
): S {
  if (messages.length === 0) return state;
  const entries = messages.map((message, index) => ({ seq: state.nextSeq + index, from, at: now, message }));
  return {
    ...state,
    transcript: [...state.transcript, ...entries].slice(-TRANSCRIPT_LIMIT),
    nextSeq: state.nextSeq + messages.length,
  };
}

/** Appends bot messages to the transcript. */
export function say<S extends TranscriptHolder>(state: S, messages: BotMessage[], now: string): S {
  return append(state, 'bot', messages, now);
}

/** The bot messages that answered a message id, or undefined when that id has not been handled. */
export function repliesTo(state: TranscriptHolder, messageId: string): BotMessage[] | undefined {
  const handled = state.handled.find((entry) => entry.messageId === messageId);
  if (!handled) return undefined;
  return state.transcript
    .filter((entry) => entry.from === 'bot' && entry.seq >= handled.from && entry.seq < handled.to)
    .map((entry) => entry.message);
}

/**
 * Records that a message id's turn is over; its replies are the bot messages since `fromSeq`. Older transcript
 * entries beyond the size bound are dropped here, once the turn's own are recorded.
 */
export function markHandled<S extends TranscriptHolder>(state: S, messageId: string, fromSeq: number): S {
  const handled = [...state.handled, { messageId, from: fromSeq, to: state.nextSeq }].slice(-HANDLED_LIMIT);
  return { ...state, handled, transcript: boundedTranscript(state.transcript, fromSeq) };
}

/** Transcript entries after a sequence number. */
export function transcriptAfter(state: TranscriptHolder, after = 0): TranscriptEntry[] {
  return state.transcript.filter((entry) => entry.seq > after);
}

/** The bot messages a conversation opened with, before the visitor's first event. */
export function openedWith(state: TranscriptHolder): BotMessage[] {
  const firstVisitor = state.transcript.findIndex((entry) => entry.from !== 'bot');
  const opening = firstVisitor < 0 ? state.transcript : state.transcript.slice(0, firstVisitor);
  return opening.map((entry) => entry.message);
}

/** The label of the button or quick reply with this payload, as the visitor saw it (else the payload). */
export function buttonLabel(state: TranscriptHolder, payload: string): string {
  for (let i = state.transcript.length - 1; i >= 0; i -= 1) {
    const message = state.transcript[i]?.message;
    const buttons =
      message?.type === 'buttons' ? message.buttons : message?.type === 'quick_replies' ? message.replies : [];
    const found = buttons.find((button) => button.payload === payload);
    if (found) return found.label;
  }
  return payload;
}

/** The visitor's earlier messages (the current one, already in the transcript, left out). */
export function earlierMessages(state: TranscriptHolder): string[] {
  const said = state.transcript.filter((entry) => entry.from === 'visitor' && entry.message.type === 'text');
  return said.slice(0, -1).map((entry) => ('text' in entry.message ? (entry.message.text ?? '') : ''));
}

/** The visitor's last message, or '' when they have said nothing yet. */
export function lastVisitorMessage(state: TranscriptHolder): string {
  for (let i = state.transcript.length - 1; i >= 0; i -= 1) {
    const entry = state.transcript[i];
    if (entry?.from === 'visitor' && entry.message.type === 'text') return entry.message.text;
  }
  return '';
}

/** The last lines of the conversation as text, for the LLM router's context (agents' lines count as the bot's). */
export function recentLines(state: TranscriptHolder, count: number): { from: 'visitor' | 'bot'; text: string }[] {
  return state.transcript
    .filter((entry) => entry.message.type === 'text' || entry.message.type === 'buttons')
    .slice(-count)
    .map((entry) => ({
      from: entry.from === 'visitor' ? ('visitor' as const) : ('bot' as const),
      text: 'text' in entry.message ? (entry.message.text ?? '') : '',
    }));
}
