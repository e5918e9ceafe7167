import type { RetryPolicy } from './step-schema';

/** The longest a call can take with every attempt timing out and every backoff waited, in milliseconds. */
export function worstCaseCallMs(timeoutMs: number, retry: RetryPolicy): number {
  let total = 0;
  let backoff = retry.initialIntervalMs;
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt += 1) {
    total += timeoutMs;
    if (attempt < retry.maxAttempts) {
      total += Math.min(backoff, retry.maxIntervalMs ?? Number.POSITIVE_INFINITY);
      backoff *= retry.backoffCoefficient;
    }
  }
  return total;
}
