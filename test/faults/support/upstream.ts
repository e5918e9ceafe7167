import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the upstream received: its Idempotency-Key and when it came. */
export type ReceivedPost = { key: string | null; path: string; at: number };

/**
 * An operator's API as the README asks operators to write one, on a real local HTTP server: a POST does a job that
 * takes `holdMs` (a slow side effect, such as opening a ticket) and answers `{ message }`. It honours
 * `Idempotency-Key`: the job runs once per key, and a POST repeating a key — while the job is still running, or
 * after — is answered with that job's answer. A job goes on when its caller disconnects (a killed worker), as a
 * real server's would. It counts every POST and every job per key, so a test can tell "sent twice, done once"
 * from "done twice".
 */
export async function startUpstream(options: { holdMs: number }) {
  const posts: ReceivedPost[] = [];
  /** Jobs done (or running) per Idempotency-Key, with their answer. */
  const jobs = new Map<string, Promise<{ message: string }>>();
  /** How many times each key's job actually ran: the side effects. */
  const effects = new Map<string, number>();
  let tickets = 0;
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  const job = (): Promise<{ message: string }> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        tickets += 1;
        resolve({ message: `Ticket T-${tickets} is open.` });
      }, upstream.holdMs);
      timers.add(timer);
    });

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST') return answer(200, { ok: true });
      const header = req.headers['idempotency-key'];
      const key = typeof header === 'string' ? header : null;
      posts.push({ key, path: req.url ?? '/', at: Date.now() });
      for (const wake of [...waiters]) wake();
      if (key === null) return answer(400, { message: 'Idempotency-Key is required' });
      let running = jobs.get(key);
      if (!running) {
        running = job();
        jobs.set(key, running);
        effects.set(key, (effects.get(key) ?? 0) + 1);
      }
      void running.then((body) => answer(200, body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const upstream = {
    url: `http://127.0.0.1:${port}`,
    /** How long a job takes; a test may change it. */
    holdMs: options.holdMs,
    posts,
    effects,
    /** The POSTs of one conversation (Parley's keys name the conversation: parley-<conversation>-<turn>-<step>). */
    postsOf: (conversationId: string) => posts.filter((post) => post.key?.includes(`-${conversationId}-`)),
    /** The side effects of one conversation: how many times each of its keys' jobs ran. */
    effectsOf: (conversationId: string) =>
      Object.fromEntries([...effects].filter(([key]) => key.includes(`-${conversationId}-`))),
    /** Resolves once `count` POSTs of the conversation have arrived; rejects after `timeoutMs`. */
    receivedPosts(conversationId: string, count: number, timeoutMs = 30_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (upstream.postsOf(conversationId).length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the upstream did not receive POST ${count} of ${conversationId} in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}
export type Upstream = Awaited<ReturnType<typeof startUpstream>>;
