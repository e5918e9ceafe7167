import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Node arguments that load the memory probe into a process and its threads (see memory-probe.ts). CommonJS
 * preloads: worker threads inherit and run them, while an `--import`ed TypeScript file fails there.
 */
export const MEMORY_PROBE_ARGS = [
  '--expose-gc',
  '--require',
  'tsx/cjs',
  '--require',
  join(__dirname, 'memory-probe.ts'),
];

/** What one probed thread wrote: the process's RSS and its own heap, after a full collection. */
type ThreadMemory = { request: number; threadId: number; rss: number; heapUsed: number };

/** A process's memory after garbage collection in every thread: RSS and the heaps of all its threads. */
export type ProcessMemory = { rss: number; heapUsed: number; threads: number };

let requests = 0;

/**
 * Asks every thread of the probed process writing to `dir` for its memory and waits (up to 10 s) until each
 * thread that has ever answered answers this request (after 5 s, the main thread's and whichever have).
 */
export async function measureMemory(dir: string): Promise<ProcessMemory> {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const request = ++requests;
  writeFileSync(join(dir, 'request'), String(request));
  const deadline = Date.now() + 10_000;
  for (;;) {
    await sleep(150);
    const threads = readdirSync(dir)
      .filter((name) => /^thread-\d+\.json$/.test(name))
      .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as ThreadMemory);
    const answered = threads.filter((thread) => thread.request === request);
    const late = Date.now() > deadline - 5000 && answered.some((thread) => thread.threadId === 0);
    if (answered.length > 0 && (answered.length === threads.length || late)) {
      return {
        rss: (answered.find((thread) => thread.threadId === 0) ?? answered[0]!).rss,
        heapUsed: answered.reduce((sum, thread) => sum + thread.heapUsed, 0),
        threads: answered.length,
      };
    }
    if (Date.now() > deadline) throw new Error(`the memory probe in ${dir} did not answer`);
  }
}
