import { describe, expect, it } from 'vitest';
import { budgetRefusal, messageBudgetWait, windowWait, withinWindow } from '../../shared/conversation/budgets';
import type { TranscriptEntry } from '../../shared/messages';

const at = (ms: number) => new Date(ms).toISOString();
const state = (lines: [TranscriptEntry['from'], number][]) => ({
  transcript: lines.map(([from, ms], index) => ({
    seq: index + 1,
    from,
    at: at(ms),
    message: { type: 'text' as const, text: 'x' },
  })),
  nextSeq: lines.length + 1,
  handled: [],
});

describe('messageBudgetWait', () => {
  const now = 1_000_000;

  it('lets a message through while the visitor has said fewer than the limit in the last minute', () => {
    const held = state([
      ['visitor', now - 50_000],
      ['bot', now - 49_000],
      ['visitor', now - 10_000],
    ]);
    expect(messageBudgetWait(held, 3, now)).toBe(0);
  });

  it('counts only the last minute, and only what the visitor said', () => {
    const held = state([
      ['visitor', now - 70_000],
      ['visitor', now - 65_000],
      ['bot', now - 5_000],
      ['visitor', now - 1_000],
    ]);
    expect(messageBudgetWait(held, 2, now)).toBe(0);
  });

  it('says how long until the oldest line in the window leaves it', () => {
    const held = state([
      ['visitor', now - 40_000],
      ['bot', now - 39_000],
      ['visitor', now - 30_000],
      ['visitor', now - 5_000],
    ]);
    expect(messageBudgetWait(held, 3, now)).toBe(20_000);
  });

  it('counts events waiting to be processed', () => {
    const held = state([['visitor', now - 30_000]]);
    expect(messageBudgetWait(held, 2, now, 0)).toBe(0);
    expect(messageBudgetWait(held, 2, now, 1)).toBe(30_000);
  });
});

describe('windowWait', () => {
  const now = 1_000_000;

  it('counts the calls of the last minute against the limit', () => {
    expect(windowWait([now - 70_000, now - 30_000], 2, now)).toBe(0);
    expect(windowWait([now - 50_000, now - 30_000], 2, now)).toBe(10_000);
    expect(withinWindow([now - 70_000, now - 30_000], now)).toEqual([now - 30_000]);
  });
});

describe('budgetRefusal', () => {
  const now = 1_000_000;

  it('refuses a message over the message budget first, then one while the call budget is spent', () => {
    const held = { ...state([['visitor', now - 20_000]]), callTimes: [now - 50_000, now - 10_000] };
    expect(budgetRefusal(held, { messagesPerMinute: 1, callsPerMinute: 2 }, now)).toEqual({
      message: 'at most 1 messages a minute; please wait a moment',
      retryAfterMs: 40_000,
    });
    expect(budgetRefusal(held, { messagesPerMinute: 5, callsPerMinute: 2 }, now)).toEqual({
      message: 'this conversation has made its 2 API calls for this minute; please wait a moment',
      retryAfterMs: 10_000,
    });
    expect(budgetRefusal(held, { messagesPerMinute: 5, callsPerMinute: 3 }, now)).toBeNull();
    expect(budgetRefusal(held, { messagesPerMinute: 5 }, now)).toBeNull();
  });
});
