import { describe, expect, it } from 'vitest';
import { createTurnAdmission } from '../../api/admission';

describe('fair turn admission', () => {
  it('lets a chatbot alone run up to its own cap, and refuses the next at once', () => {
    const admission = createTurnAdmission({ total: 8, perChatbot: 4 });
    const turns = [1, 2, 3, 4].map(() => admission.enter('a'));
    expect(turns.every(Boolean)).toBe(true);
    expect(admission.enter('a')).toBeNull();
    turns[0]!();
    turns[0]!();
    expect(admission.running('a')).toBe(3);
    expect(admission.enter('a')).not.toBeNull();
  });

  it('holds every chatbot to its fair share once the process is full, and always admits one under it', () => {
    const admission = createTurnAdmission({ total: 4, perChatbot: 4 });
    const flooded = [1, 2, 3, 4].map(() => admission.enter('a'));
    expect(flooded.every(Boolean)).toBe(true);
    // Full: b has no turn running, so it is under its share (4 / 2 chatbots) and gets in.
    const quiet = admission.enter('b');
    expect(quiet).not.toBeNull();
    expect(admission.enter('a')).toBeNull();
    flooded[0]!();
    flooded[1]!();
    // a is down to 2 = its share while b runs: still refused while the process is full (2 + 1 + … < 4 admits).
    expect(admission.running()).toBe(3);
    expect(admission.enter('a')).not.toBeNull();
    expect(admission.enter('a')).toBeNull();
    expect(admission.enter('b')).not.toBeNull();
  });

  it('shares the process among many flooded chatbots instead of giving each its whole cap', () => {
    const admission = createTurnAdmission({ total: 6, perChatbot: 6 });
    const turnsOfA: (() => void)[] = [];
    for (let turn = admission.enter('a'); turn; turn = admission.enter('a')) turnsOfA.push(turn);
    for (const chatbot of ['b', 'c']) while (admission.enter(chatbot));
    // Newcomers get in up to their share (6 / 2, then 6 / 3) while a, over its share, is refused.
    expect([admission.running('a'), admission.running('b'), admission.running('c')]).toEqual([6, 3, 2]);
    expect(admission.enter('a')).toBeNull();
    for (const leave of turnsOfA) leave();
    while (admission.enter('a'));
    expect(admission.running('a')).toBe(2);
  });
});
