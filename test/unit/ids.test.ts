import { describe, expect, it } from 'vitest';
import { conversationWorkflowId, ID_PATTERN, idempotencyKey } from '../../shared/ids';

describe('conversationWorkflowId', () => {
  it('derives the workflow id from the chatbot and conversation ids', () => {
    expect(conversationWorkflowId('acme', 'c_123')).toBe('conversation:acme:c_123');
  });

  it('gives different conversations of different chatbots different ids', () => {
    expect(conversationWorkflowId('acme', 'c1')).not.toBe(conversationWorkflowId('globex', 'c1'));
  });
});

describe('idempotencyKey', () => {
  it('stays the same across retries of one step in one turn', () => {
    expect(idempotencyKey('c1', 3, 'create')).toBe(idempotencyKey('c1', 3, 'create'));
    expect(idempotencyKey('c1', 3, 'create')).toBe('parley-c1-3-create');
  });

  it('differs across turns, steps and conversations', () => {
    const keys = new Set([
      idempotencyKey('c1', 3, 'create'),
      idempotencyKey('c1', 4, 'create'),
      idempotencyKey('c1', 3, 'notify'),
      idempotencyKey('c2', 3, 'create'),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe('ID_PATTERN', () => {
  it.each(['acme', 'c_123', '9-lives', 'A'.repeat(64)])('accepts the id %s', (id) => {
    expect(ID_PATTERN.test(id)).toBe(true);
  });

  it.each(['', '-leading', '_leading', 'has space', 'has:colon', 'ada@example.com', 'A'.repeat(65)])(
    'refuses the id "%s"',
    (id) => {
      expect(ID_PATTERN.test(id)).toBe(false);
    },
  );
});
