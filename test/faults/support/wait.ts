import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits until `probe` returns something other than false/null/undefined (a thrown error counts as "not yet"),
 * checking every `intervalMs`, and answers it; fails after `timeoutMs` naming what it waited for and the last
 * error. The fault tests wait for conditions this way, never for a fixed time.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== false && value !== null && value !== undefined)
        return value as Exclude<T, false | null | undefined>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${why}`);
    }
    await delay(options.intervalMs ?? 100);
  }
}
