import { describe, expect, it } from 'vitest';
import { openConversation, type ConversationState } from '../../shared/conversation/state';
import { markHandled, repliesTo } from '../../shared/conversation/transcript';
import { planTurn } from '../../shared/conversation/turn';
import type { JsonObject } from '../../shared/json';
import {
  attributesProblem,
  boundedTranscript,
  jsonBytes,
  mergeAttributes,
  nestsDeeperThan,
  utf8Bytes,
  VISITOR_LIMITS,
} from '../../shared/security/visitor-limits';
import type { TranscriptEntry } from '../../shared/messages';

const NOW = '2025-01-01T12:00:00.000Z';

/** Attributes that fill the byte cap with `count` keys. */
function fullAttributes(count: number): JsonObject {
  const value = 'v'.repeat(Math.floor(VISITOR_LIMITS.attributesBytes / count) - 20);
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${String(i).padStart(2, '0')}`, value]));
}

describe('visitor limits', () => {
  it('counts UTF-8 bytes as Temporal payloads weigh them', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀b€', '\ud800x']) {
      expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
    expect(jsonBytes({ a: '€' })).toBe(Buffer.byteLength('{"a":"€"}'));
  });

  it('tells how deep JSON nests without recursing, at any depth', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(nestsDeeperThan(deep, 32)).toBe(true);
    expect(nestsDeeperThan({ a: [{ b: [1, 2, { c: null }] }] }, 5)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: [1, 2, { c: {} }] }] }, 5)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
  });

  it('names attributes with too many keys or too many bytes', () => {
    expect(attributesProblem(fullAttributes(10))).toBeNull();
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    expect(attributesProblem(many)).toMatch(/at most 50 keys/);
    expect(attributesProblem({ big: 'x'.repeat(VISITOR_LIMITS.attributesBytes) })).toMatch(/at most 16 KB/);
  });

  it('merges attributes within the caps: updates always fit, new keys only while there is room', () => {
    const full = fullAttributes(VISITOR_LIMITS.attributeKeys);
    const merged = mergeAttributes(full, { k00: 'short', extra: 'new key', huge: 'x'.repeat(20_000) });
    expect(merged['k00']).toBe('short');
    expect(merged).not.toHaveProperty('extra');
    expect(merged).not.toHaveProperty('huge');
    let attributes: JsonObject = {};
    for (let round = 0; round < 20; round += 1) {
      const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`r${round}f${i}`, 'x'.repeat(2000)]));
      attributes = mergeAttributes(attributes, fields);
    }
    expect(jsonBytes(attributes)).toBeLessThanOrEqual(VISITOR_LIMITS.attributesBytes);
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(VISITOR_LIMITS.attributeKeys);
    const polluted = mergeAttributes({}, JSON.parse('{"__proto__": {"admin": true}}') as JsonObject);
    expect(Object.keys(polluted)).toEqual(['__proto__']);
    expect((polluted as { admin?: unknown }).admin).toBeUndefined();
  });

  it("drops the oldest transcript entries beyond the byte cap, never the current turn's", () => {
    const entry = (seq: number, size: number): TranscriptEntry => ({
      seq,
      from: 'visitor',
      at: NOW,
      message: { type: 'text', text: 'x'.repeat(size) },
    });
    const transcript = Array.from({ length: 40 }, (_, i) => entry(i + 1, 10_000));
    const bounded = boundedTranscript(transcript, 40);
    expect(jsonBytes(bounded)).toBeLessThanOrEqual(VISITOR_LIMITS.transcriptBytes);
    expect(bounded.at(-1)?.seq).toBe(40);
    expect(bounded[0]?.seq).toBeGreaterThan(1);
    const oneHugeTurn = [entry(1, 10), entry(2, 300_000)];
    expect(boundedTranscript(oneHugeTurn, 2).map((e) => e.seq)).toEqual([2]);
  });

  it('keeps the whole conversation state far below 2 MB whatever a visitor sends, and still answers repeats', () => {
    let state: ConversationState = openConversation(
      {
        chatbotId: 'bot',
        conversationId: 'c1',
        visitor: { id: 'v'.repeat(128), name: 'n'.repeat(200), email: `${'e'.repeat(300)}@x.io` },
        attributes: fullAttributes(VISITOR_LIMITS.attributeKeys),
        settings: { idleTimeoutMs: 60_000, greeting: 'Hi' },
        buttons: [],
      },
      NOW,
    );
    const hostile = '€'.repeat(VISITOR_LIMITS.messageChars);
    for (let turn = 0; turn < 600; turn += 1) {
      const messageId = `m${turn}-${'i'.repeat(120)}`;
      const fromSeq = state.nextSeq;
      const lead = { email: 'a@b.co', fields: { [`f${turn}`]: 'y'.repeat(2000) } };
      const event =
        turn % 10 === 0
          ? ({ kind: 'lead', messageId, lead } as const)
          : ({ kind: 'message', messageId, text: hostile } as const);
      state = markHandled(planTurn(state, event, null, NOW).state, messageId, fromSeq);
      expect(repliesTo(state, messageId)).toBeDefined();
    }
    expect(jsonBytes(state)).toBeLessThan(512 * 1024);
    expect(jsonBytes(state.transcript)).toBeLessThanOrEqual(VISITOR_LIMITS.transcriptBytes);
    expect(jsonBytes(state.attributes)).toBeLessThanOrEqual(VISITOR_LIMITS.attributesBytes);
  });
});
