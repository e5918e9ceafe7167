import type { TranscriptEntry } from '../messages';

/**
 * Live delivery, decided: which API processes watch a conversation (each a push endpoint with a lease), and what
 * each has not been sent yet. The bot's and agents' lines are pushed; the visitor's own are not.
 */

/** One API process watching: its lease end (epoch ms), the last sequence number it was sent, whether told closed. */
export type LiveWatcher = { until: number; sent: number; closed?: boolean };
/** The API processes watching a conversation, by push endpoint; carried across continue-as-new. */
export type LiveWatchers = Record<string, LiveWatcher>;
/** What to push to one API process. */
export type LiveDelivery = { endpoint: string; entries: TranscriptEntry[]; closed: boolean };

/** The conversation as live delivery reads it. */
type Said = { transcript: TranscriptEntry[]; nextSeq: number; status: 'open' | 'closed' };

/**
 * A watch request (a new stream, or a renewal): the endpoint is sent what follows `after` — the stream's
 * Last-Event-ID, or null for "from now on" — and never again what it was already sent, unless a stream asks for it.
 */
export function watch(
  watchers: LiveWatchers,
  request: { endpoint: string; until: number; after: number | null },
  said: Said,
): LiveWatchers {
  const known = watchers[request.endpoint];
  const from = request.after ?? said.nextSeq - 1;
  const sent = known && known.until > 0 ? Math.min(known.sent, from) : from;
  return { ...watchers, [request.endpoint]: { until: request.until, sent, closed: false } };
}

/** What each live watcher has not been sent: its new bot and agent lines, and that the conversation closed. */
export function liveDeliveries(watchers: LiveWatchers, said: Said, now: number): LiveDelivery[] {
  const deliveries: LiveDelivery[] = [];
  const last = said.nextSeq - 1;
  for (const [endpoint, watcher] of Object.entries(watchers)) {
    if (watcher.until <= now) continue;
    const closing = said.status === 'closed' && !watcher.closed;
    if (watcher.sent >= last && !closing) continue;
    const entries = said.transcript.filter((entry) => entry.seq > watcher.sent && entry.from !== 'visitor');
    if (entries.length === 0 && !closing) continue;
    deliveries.push({ endpoint, entries, closed: said.status === 'closed' });
  }
  return deliveries;
}

/** The watchers as the deliveries go out: each delivered one marked sent up to `last`, and told closed. */
export function markSent(watchers: LiveWatchers, deliveries: LiveDelivery[], last: number): LiveWatchers {
  const next = { ...watchers };
  for (const { endpoint, closed } of deliveries) {
    const watcher = next[endpoint];
    if (watcher) next[endpoint] = { until: watcher.until, sent: last, closed };
  }
  return next;
}

/** The watchers without those that no longer watch (or could not be reached) and those whose lease ended. */
export function forget(watchers: LiveWatchers, gone: string[], now: number): LiveWatchers {
  return Object.fromEntries(
    Object.entries(watchers).filter(([endpoint, watcher]) => watcher.until > now && !gone.includes(endpoint)),
  );
}

/** Whether anyone watches at all (the cheap check the workflow makes on every activation). */
export function anyWatcher(watchers: LiveWatchers): boolean {
  for (const _ in watchers) return true;
  return false;
}
