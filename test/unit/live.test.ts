import { describe, expect, it } from 'vitest';
import { createLiveSigning } from '../../infrastructure/live-events';
import { parseKeyRing } from '../../infrastructure/secret-box';
import { forget, liveDeliveries, markSent, watch, type LiveWatchers } from '../../shared/conversation/live';
import type { TranscriptEntry } from '../../shared/messages';

const line = (seq: number, from: TranscriptEntry['from'] = 'bot'): TranscriptEntry => ({
  seq,
  from,
  at: '2026-11-29T08:00:00.000Z',
  message: { type: 'text', text: `line ${seq}` },
});

describe('live delivery decisions', () => {
  const said = (nextSeq: number, status: 'open' | 'closed' = 'open') => ({
    transcript: Array.from({ length: nextSeq }, (_, seq) => line(seq, seq % 2 === 0 ? 'bot' : 'visitor')),
    nextSeq,
    status,
  });
  const A = 'http://api-a/internal/live';
  const B = 'http://api-b/internal/live';

  it('sends a new watcher what follows its Last-Event-ID, or only what comes next when it has none', () => {
    let watchers: LiveWatchers = {};
    watchers = watch(watchers, { endpoint: A, until: 1000, after: 1 }, said(5));
    watchers = watch(watchers, { endpoint: B, until: 1000, after: null }, said(5));
    expect(liveDeliveries(watchers, said(5), 0)).toEqual([{ endpoint: A, entries: [line(2), line(4)], closed: false }]);
    // The visitor's own lines are never pushed.
    expect(liveDeliveries(watchers, said(6), 0)).toHaveLength(1);
    expect(liveDeliveries(watchers, said(7), 0).map((delivery) => delivery.entries)).toEqual([
      [line(2), line(4), line(6)],
      [line(6)],
    ]);
  });

  it('does not send again what a watcher was sent, unless a stream of it asks from further back', () => {
    let watchers = watch({}, { endpoint: A, until: 1000, after: 0 }, said(5));
    const deliveries = liveDeliveries(watchers, said(5), 0);
    watchers = markSent(watchers, deliveries, 4);
    expect(liveDeliveries(watchers, said(5), 0)).toEqual([]);
    watchers = watch(watchers, { endpoint: A, until: 2000, after: null }, said(5));
    expect(liveDeliveries(watchers, said(5), 0)).toEqual([]);
    watchers = watch(watchers, { endpoint: A, until: 2000, after: 1 }, said(5));
    expect(liveDeliveries(watchers, said(5), 0)[0]?.entries).toEqual([line(2), line(4)]);
  });

  it('tells each watcher once that the conversation closed', () => {
    let watchers = watch({}, { endpoint: A, until: 1000, after: null }, said(5));
    const closing = liveDeliveries(watchers, said(5, 'closed'), 0);
    expect(closing).toEqual([{ endpoint: A, entries: [], closed: true }]);
    watchers = markSent(watchers, closing, 4);
    expect(liveDeliveries(watchers, said(5, 'closed'), 0)).toEqual([]);
  });

  it('forgets watchers whose lease ended or who no longer watch', () => {
    let watchers = watch({}, { endpoint: A, until: 1000, after: 0 }, said(3));
    watchers = watch(watchers, { endpoint: B, until: 5000, after: 0 }, said(3));
    expect(liveDeliveries(watchers, said(3), 1000).map((delivery) => delivery.endpoint)).toEqual([B]);
    expect(Object.keys(forget(watchers, [], 1000))).toEqual([B]);
    expect(forget(watchers, [B], 0)).toEqual({ [A]: watchers[A] });
  });
});

describe('live delivery signing', () => {
  const ring = parseKeyRing(`k1:${Buffer.alloc(32, 1).toString('base64')}`);
  let now = 1_800_000_000_000;
  const signing = createLiveSigning(ring, () => now);

  it('accepts a push it signed, and nothing altered, forged or stale', () => {
    const body = JSON.stringify({ conversationId: 'c1', entries: [], closed: false });
    const signature = signing.signPush(body);
    expect(signing.verifyPush(body, signature)).toBe(true);
    expect(signing.verifyPush(body.replace('c1', 'c2'), signature)).toBe(false);
    expect(signing.verifyPush(body, undefined)).toBe(false);
    const other = createLiveSigning(parseKeyRing(`k1:${Buffer.alloc(32, 2).toString('base64')}`), () => now);
    expect(signing.verifyPush(body, other.signPush(body))).toBe(false);
    now += 61_000;
    expect(signing.verifyPush(body, signature)).toBe(false);
  });

  it('makes stream tokens that open one conversation for a minute', () => {
    const { token, expiresAt } = signing.streamToken('conv-1');
    expect(new Date(expiresAt).getTime() - now).toBeLessThanOrEqual(60_000);
    expect(signing.verifyStreamToken('conv-1', token)).toBe(true);
    expect(signing.verifyStreamToken('conv-2', token)).toBe(false);
    expect(signing.verifyStreamToken('conv-1', `${token}x`)).toBe(false);
    now += 61_000;
    expect(signing.verifyStreamToken('conv-1', token)).toBe(false);
  });

  it('keeps tokens made with an older key valid after the ring rotates', () => {
    const { token } = signing.streamToken('conv-9');
    const rotated = parseKeyRing(
      `k2:${Buffer.alloc(32, 3).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`,
    );
    expect(createLiveSigning(rotated, () => now).verifyStreamToken('conv-9', token)).toBe(true);
  });
});
