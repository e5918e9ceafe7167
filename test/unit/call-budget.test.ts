import { describe, expect, it } from 'vitest';
import { worstCaseCallMs } from '../../shared/actions/call-budget';

describe('worstCaseCallMs', () => {
  it('adds every attempt timing out and every backoff waited', () => {
    const retry = { maxAttempts: 2, initialIntervalMs: 500, backoffCoefficient: 2, maxIntervalMs: 10_000 };
    expect(worstCaseCallMs(3_000, retry)).toBe(6_500);
    expect(worstCaseCallMs(1_000, { ...retry, maxAttempts: 4 })).toBe(4_000 + 500 + 1_000 + 2_000);
  });

  it('caps each backoff at the policy maximum and has none for a single attempt', () => {
    const retry = { maxAttempts: 3, initialIntervalMs: 800, backoffCoefficient: 10, maxIntervalMs: 1_000 };
    expect(worstCaseCallMs(100, retry)).toBe(300 + 800 + 1_000);
    expect(worstCaseCallMs(5_000, { ...retry, maxAttempts: 1 })).toBe(5_000);
  });
});
