import type { BotMessage } from '../messages';
import { text } from '../messages';
import { say, type TranscriptHolder } from './transcript';

/**
 * The turn deadline: a visitor waits at most this long for the answer to a message. When an action is still
 * running then, the turn answers with what it has said so far and that it is still working; the result joins the
 * transcript when it arrives, the action running on durably. Pure.
 */

/** Seconds a turn may take before it answers with what it has, unless the chatbot says otherwise. */
export const DEFAULT_TURN_DEADLINE_SECONDS = 8;
/** Bounds of a chatbot's turn deadline. */
export const TURN_DEADLINE_SECONDS = { min: 1, max: 60 } as const;

/** What the visitor is told when the answer is not ready by the deadline. */
export const STILL_WORKING = "I'm still working on that. I'll post the answer here as soon as it's ready.";

/**
 * The answer at the deadline: the bot messages the turn has said so far (from `fromSeq`; none when the turn has
 * not started) and the still-working note, which also joins the transcript.
 */
export function answerAtDeadline<S extends TranscriptHolder>(
  state: S,
  fromSeq: number | null,
  now: string,
): { state: S; messages: BotMessage[] } {
  const soFar =
    fromSeq === null
      ? []
      : state.transcript.filter((entry) => entry.from === 'bot' && entry.seq >= fromSeq).map((entry) => entry.message);
  const note = text(STILL_WORKING);
  return { state: say(state, [note], now), messages: [...soFar, note] };
}
