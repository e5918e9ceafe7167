import { request } from 'undici';

/** One Server-Sent Event as a client receives it. */
export type SseEvent = { id: string | null; event: string; data: string };

/**
 * A Server-Sent Events client for tests: opens the stream (the HTTP status and headers answer at once), parses
 * events as they arrive, and waits for the ones a test expects, with a deadline — never a sleep.
 */
export async function openEvents(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await request(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  let taken = 0;

  if (response.statusCode === 200) {
    void (async () => {
      let buffer = '';
      try {
        for await (const chunk of response.body) {
          buffer += (chunk as Buffer).toString('utf8');
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: SseEvent = { id: null, event: 'message', data: '' };
            let named = false;
            for (const line of block.split('\n')) {
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              if (field === 'id') event.id = value;
              else if (field === 'event') event.event = value;
              else if (field === 'data') event.data = event.data ? `${event.data}\n${value}` : value;
              if (field === 'data' || field === 'event') named = true;
            }
            if (named) events.push(event);
            for (const wake of waiters) wake();
          }
        }
      } catch {
        // Aborted by close().
      }
      ended = true;
      for (const wake of waiters) wake();
    })();
  }

  return {
    status: response.statusCode,
    headers: response.headers,
    /** The error body of a stream that did not open. */
    async errorBody(): Promise<unknown> {
      return response.body.json();
    },
    /** Every event received so far. */
    events,
    /** Whether the server ended the stream. */
    get ended() {
      return ended;
    },
    /** The next `count` events not taken yet, waiting for them up to `timeoutMs`. */
    async take(count = 1, timeoutMs = 15_000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (events.length < taken + count) {
        if (ended) throw new Error(`the stream ended after ${events.length} events; wanted ${taken + count}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`got ${events.length - taken} of ${count} events in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
        });
      }
      const next = events.slice(taken, taken + count);
      taken += count;
      return next;
    },
    /** Waits until the server ends the stream. */
    async untilEnded(timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!ended) {
        if (Date.now() > deadline) throw new Error('the stream did not end');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          waiters.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close(): void {
      controller.abort();
    },
  };
}
export type EventStream = Awaited<ReturnType<typeof openEvents>>;
