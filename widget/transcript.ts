import type { BotMessage, TranscriptEntry } from '../client/index';

/**
 * What the web chat shows, as data: the conversation's lines in the order they arrived, merged from three sources
 * that overlap — the answers of `POST …/messages` (no `seq`), the live event stream and the transcript (with `seq`).
 * A line is shown once whichever source brings it first; the others only give it its `seq`. Pure (no DOM), so the
 * merge rules are tested without a browser.
 */

/** Who said a line. */
export type Speaker = TranscriptEntry['from'];

/** One line of the chat as shown. */
export type Line = {
  /** Stable for the line's life (its DOM node's key). */
  key: number;
  /** The transcript's sequence number, once a sequenced source has brought the line; null until then. */
  seq: number | null;
  from: Speaker;
  message: BotMessage;
  /**
   * For a bot line: a turn's answer has accounted for it — it came in that answer, or the answer found it already
   * here (from the stream). A streamed line no answer claimed may still be claimed by the answer of a turn running.
   */
  claimed: boolean;
};

/** What a merge changed: lines to add to the view, and lines that only received their `seq`. */
export type Change = { added: Line[]; sequenced: Line[] };

/** The same message, whatever order its fields were serialised in. */
function sameMessage(a: BotMessage, b: BotMessage): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A chat's lines and the merge rules that keep them free of duplicates. */
export function createTranscript() {
  let lines: Line[] = [];
  let seen = new Set<number>();
  let lastSeq = 0;
  let nextKey = 1;

  const line = (seq: number | null, from: Speaker, message: BotMessage, claimed: boolean): Line => {
    const made = { key: nextKey, seq, from, message, claimed };
    nextKey += 1;
    lines.push(made);
    return made;
  };

  return {
    /** The lines, oldest first. */
    get lines(): readonly Line[] {
      return lines;
    },
    /** The highest `seq` any source has brought: where the event stream and the transcript resume. */
    get lastSeq(): number {
      return lastSeq;
    },

    /**
     * Shows what the visitor said at once (its `seq` comes with the transcript). Answers the line and the mark a
     * turn's answer is merged from: only bot lines that arrive after it can be that answer.
     */
    addVisitor(text: string): { line: Line; mark: number } {
      const mark = lines.length;
      return { line: line(null, 'visitor', { type: 'text', text }, true), mark };
    },

    /**
     * Merges the bot messages a request answered (a turn, or the opening), in order: a message the stream already
     * brought since `mark` is claimed, not shown again; the others are shown, waiting for their `seq`.
     */
    addReply(messages: BotMessage[], mark: number): Change {
      const added: Line[] = [];
      for (const message of messages) {
        const streamed = lines.find(
          (candidate, index) =>
            index >= mark &&
            candidate.from === 'bot' &&
            candidate.seq !== null &&
            !candidate.claimed &&
            sameMessage(candidate.message, message),
        );
        if (streamed) streamed.claimed = true;
        else added.push(line(null, 'bot', message, true));
      }
      return { added, sequenced: [] };
    },

    /**
     * Merges a transcript entry (from the event stream or the transcript): nothing when its `seq` is known; else
     * it gives its `seq` to the first line shown without one that says the same, or is shown as a new line.
     */
    addEntry(entry: TranscriptEntry): Change {
      if (seen.has(entry.seq)) return { added: [], sequenced: [] };
      seen.add(entry.seq);
      lastSeq = Math.max(lastSeq, entry.seq);
      const waiting = lines.find(
        (candidate) =>
          candidate.seq === null &&
          (candidate.from === 'visitor') === (entry.from === 'visitor') &&
          sameMessage(candidate.message, entry.message),
      );
      if (waiting) {
        waiting.seq = entry.seq;
        waiting.from = entry.from;
        return { added: [], sequenced: [waiting] };
      }
      return { added: [line(entry.seq, entry.from, entry.message, entry.from !== 'bot')], sequenced: [] };
    },

    /** Forgets every line (a new conversation starts). */
    clear(): void {
      lines = [];
      seen = new Set();
      lastSeq = 0;
    },
  };
}

/** A chat's transcript model. */
export type Transcript = ReturnType<typeof createTranscript>;
