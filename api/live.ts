import type { WorkflowHandle } from '@temporalio/client';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { LiveBatch } from '../infrastructure/live-events';
import type { TranscriptEntry } from '../shared/messages';
import { transcriptQuery, watchSignal } from '../workflows/messages';
import { WorkflowNotFoundError } from '@temporalio/client';

/**
 * Live delivery in one API process: the visitors' open event streams (Server-Sent Events), by conversation. A
 * conversation this process watches pushes its new messages here (`deliver`, from POST /internal/live); nothing
 * polls. An open stream is a socket and a few hundred bytes; while any is open, one timer renews the process's
 * watch of each conversation before its lease ends and one writes a keep-alive comment to every stream.
 */

/** How long one watch request holds; renewed at half of it while a stream is open. */
export const WATCH_LEASE_MS = 10 * 60_000;
/** How often idle streams get a comment, so that proxies do not close them. */
const KEEP_ALIVE_MS = 25_000;
/** How often leases are checked for renewal. */
const RENEW_CHECK_MS = 60_000;
/** What a browser's EventSource waits before reconnecting after the stream ends or breaks. */
const RECONNECT_MS = 3_000;

type Stream = {
  res: Response;
  /** The last sequence number this stream was sent (its Last-Event-ID); -1 when it started from "now". */
  lastSeq: number;
  /** Lines pushed before the stream's headers went out (while its watch request was on its way). */
  buffered: string[] | null;
  /** The conversation closed: the stream ends once what it was sent is out. */
  ending: boolean;
};

type Watched = { handle: WorkflowHandle; streams: Set<Stream>; leaseUntil: number };

/** One SSE event for a transcript entry: its sequence number is the event id. */
function messageEvent(entry: TranscriptEntry): string {
  return `id: ${entry.seq}\nevent: message\ndata: ${JSON.stringify(entry)}\n\n`;
}
const CLOSED_EVENT = 'event: closed\ndata: {}\n\n';

export type LiveHubDeps = {
  /** Where workers push to reach this process (POST), or null when live delivery is off. */
  endpoint: () => string;
  logger: Logger;
  clock?: () => number;
};

/** The open event streams of this API process, and the watches that feed them. */
export function createLiveHub(deps: LiveHubDeps) {
  const clock = deps.clock ?? Date.now;
  const watched = new Map<string, Watched>();
  let timers: NodeJS.Timeout[] = [];

  function write(stream: Stream, text: string): void {
    if (stream.buffered) stream.buffered.push(text);
    else stream.res.write(text);
  }

  function send(stream: Stream, entries: TranscriptEntry[]): void {
    for (const entry of entries) {
      if (entry.seq <= stream.lastSeq || entry.from === 'visitor') continue;
      write(stream, messageEvent(entry));
      stream.lastSeq = entry.seq;
    }
  }

  function detach(conversationId: string, stream: Stream): void {
    const conversation = watched.get(conversationId);
    if (!conversation) return;
    conversation.streams.delete(stream);
    // No signal to stop watching: the conversation's next push is answered "not watching", and it forgets us.
    if (conversation.streams.size === 0) watched.delete(conversationId);
    if (watched.size === 0) stopTimers();
  }

  function startTimers(): void {
    if (timers.length > 0) return;
    const keepAlive = setInterval(() => {
      for (const conversation of watched.values()) for (const stream of conversation.streams) write(stream, ':\n\n');
    }, KEEP_ALIVE_MS);
    const renew = setInterval(() => void renewLeases(), RENEW_CHECK_MS);
    timers = [keepAlive, renew];
    for (const timer of timers) timer.unref();
  }

  function stopTimers(): void {
    for (const timer of timers) clearInterval(timer);
    timers = [];
  }

  async function requestWatch(conversation: Watched, after: number | null): Promise<void> {
    const until = clock() + WATCH_LEASE_MS;
    await conversation.handle.signal(watchSignal, { endpoint: deps.endpoint(), until, after });
    conversation.leaseUntil = Math.max(conversation.leaseUntil, until);
  }

  /** Renews the watch of every conversation whose lease ends within half a lease, from its least-advanced stream. */
  async function renewLeases(): Promise<void> {
    const due = [...watched.values()].filter((conversation) => conversation.leaseUntil - clock() < WATCH_LEASE_MS / 2);
    for (const conversation of due) {
      const seqs = [...conversation.streams].map((stream) => stream.lastSeq);
      const after = seqs.some((seq) => seq < 0) ? null : Math.min(...seqs);
      await requestWatch(conversation, after).catch((error: unknown) =>
        deps.logger.warn({ error: (error as Error).message }, 'live watch not renewed; retrying in a minute'),
      );
    }
  }

  /** Sends what a closed conversation said after `after`, then ends the stream. */
  async function replayClosed(handle: WorkflowHandle, res: Response, after: number | null): Promise<void> {
    const entries = after === null ? [] : await handle.query(transcriptQuery, { after });
    openStream(res);
    const stream: Stream = { res, lastSeq: after ?? -1, buffered: null, ending: true };
    send(stream, entries);
    res.end(CLOSED_EVENT);
  }

  function openStream(res: Response): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RECONNECT_MS}\n\n`);
  }

  return {
    /**
     * Opens a visitor's stream of a conversation's messages after `after` (the Last-Event-ID; null: from now on).
     * The stream joins before the watch request goes out, so no push between the two is lost; if the request
     * fails the stream never opens and the error answers (503 while Temporal is down). A closed conversation
     * answers what it said after `after`, then `closed`.
     */
    async open(
      conversationId: string,
      handle: WorkflowHandle,
      req: Request,
      res: Response,
      after: number | null,
    ): Promise<void> {
      const stream: Stream = { res, lastSeq: after ?? -1, buffered: [], ending: false };
      const conversation = watched.get(conversationId) ?? { handle, streams: new Set(), leaseUntil: 0 };
      watched.set(conversationId, conversation);
      conversation.streams.add(stream);
      // From here on a client that goes away (even while the watch request is on its way) leaves no stream behind.
      req.on('close', () => detach(conversationId, stream));
      try {
        await requestWatch(conversation, after);
      } catch (error) {
        detach(conversationId, stream);
        // A conversation that has ended cannot be signalled, but its transcript can still be read.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        return replayClosed(handle, res, after);
      }
      if (res.destroyed) return;
      openStream(res);
      for (const text of stream.buffered ?? []) res.write(text);
      stream.buffered = null;
      if (stream.ending) {
        res.end();
        return;
      }
      startTimers();
    },

    /** A conversation's push: sent to each of its streams (what a stream already has is skipped). */
    deliver(batch: LiveBatch): { watching: boolean } {
      const conversation = watched.get(batch.conversationId);
      if (!conversation) return { watching: false };
      for (const stream of [...conversation.streams]) {
        send(stream, batch.entries);
        if (batch.closed) {
          stream.ending = true;
          if (stream.buffered) stream.buffered.push(CLOSED_EVENT);
          else stream.res.end(CLOSED_EVENT);
          detach(batch.conversationId, stream);
        }
      }
      return { watching: !batch.closed };
    },

    /** How many streams are open, over how many conversations. */
    size(): { streams: number; conversations: number } {
      let streams = 0;
      for (const conversation of watched.values()) streams += conversation.streams.size;
      return { streams, conversations: watched.size };
    },

    /** Ends every stream (the server is stopping); browsers reconnect to another process. */
    close(): void {
      for (const conversation of watched.values()) for (const stream of conversation.streams) stream.res.end();
      watched.clear();
      stopTimers();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
