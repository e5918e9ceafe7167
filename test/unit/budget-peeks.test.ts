import { describe, expect, it } from 'vitest';
import { createBudgetPeeks } from '../../api/budget-peeks';

/** A limiter whose answer per limit the test sets, counting the peeks that reached it. */
function fakeLimiter(waitFor: (limit: number) => number) {
  const peeks: number[] = [];
  return {
    peeks,
    retryAfterMs: async (_key: string, limit: number) => {
      peeks.push(limit);
      return waitFor(limit);
    },
  };
}

describe('budget peeks', () => {
  it('asks again only after a second once a budget has more than a quarter left', async () => {
    let now = 0;
    const limiter = fakeLimiter(() => 0);
    const budgets = createBudgetPeeks(limiter, { clock: () => now });
    expect(await budgets.retryAfterMs('calls:c1', 100)).toBe(0);
    expect(limiter.peeks).toEqual([75]);
    now = 999;
    expect(await budgets.retryAfterMs('calls:c1', 100)).toBe(0);
    expect(limiter.peeks).toEqual([75]);
    now = 1000;
    expect(await budgets.retryAfterMs('calls:c1', 100)).toBe(0);
    expect(limiter.peeks).toEqual([75, 75]);
  });

  it('peeks every time at a budget nearly spent, or too small to keep a reserve, as the limiter answers', async () => {
    const nearlySpent = fakeLimiter((limit) => (limit < 100 ? 500 : 0));
    const near = createBudgetPeeks(nearlySpent, { clock: () => 0 });
    expect(await near.retryAfterMs('k', 100)).toBe(0);
    expect(await near.retryAfterMs('k', 100)).toBe(0);
    expect(nearlySpent.peeks).toEqual([75, 100, 75, 100]);

    const small = fakeLimiter(() => 0);
    const budgets = createBudgetPeeks(small, { clock: () => 0 });
    for (let turn = 0; turn < 3; turn++) expect(await budgets.retryAfterMs('k', 3)).toBe(0);
    expect(small.peeks).toEqual([3, 3, 3]);
  });

  it('refuses a spent budget from memory until its earliest call leaves the window', async () => {
    let now = 0;
    const limiter = fakeLimiter(() => 20_000);
    const budgets = createBudgetPeeks(limiter, { clock: () => now });
    expect(await budgets.retryAfterMs('k', 2)).toBe(20_000);
    now = 5_000;
    expect(await budgets.retryAfterMs('k', 2)).toBe(15_000);
    expect(limiter.peeks).toEqual([2]);
    now = 20_000;
    await budgets.retryAfterMs('k', 2);
    expect(limiter.peeks).toEqual([2, 2]);
  });

  it('keeps what it learnt per limit, so a chatbot whose limit changed is peeked at under the new one', async () => {
    const limiter = fakeLimiter((limit) => (limit <= 3 ? 1_000 : 0));
    const budgets = createBudgetPeeks(limiter, { clock: () => 0 });
    expect(await budgets.retryAfterMs('bot', 600)).toBe(0);
    expect(await budgets.retryAfterMs('bot', 3)).toBe(1_000);
  });
});
