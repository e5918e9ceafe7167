import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Preloaded (`--expose-gc --require tsx/cjs --require`) into a benchmarked worker process, and so into each of
 * its threads — the Temporal SDK runs workflows in a worker thread whose heap the main thread cannot see. When the
 * benchmark writes a new request number to `<dir>/request`, each thread collects garbage and writes
 * `{ request, threadId, rss, heapUsed }` to `<dir>/thread-<id>.json`. Does nothing unless
 * PARLEY_BENCH_MEMORY_DIR names the folder (only the benchmark sets it).
 */
const dir = process.env.PARLEY_BENCH_MEMORY_DIR;

if (dir) {
  const file = join(dir, `thread-${threadId}.json`);
  let answered = -1;
  const answer = (request: number) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    writeFileSync(`${file}.tmp`, JSON.stringify({ request, threadId, rss, heapUsed }));
    renameSync(`${file}.tmp`, file);
    answered = request;
  };
  answer(0);
  // A thread that ends (a pool thread replaced) must not leave a file the benchmark waits on.
  process.on('exit', () => rmSync(file, { force: true }));
  setInterval(() => {
    let request = answered;
    try {
      request = Number(readFileSync(join(dir, 'request'), 'utf8'));
    } catch {
      return;
    }
    if (Number.isInteger(request) && request > answered) answer(request);
  }, 100).unref();
}
