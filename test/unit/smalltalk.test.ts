import { describe, expect, it } from 'vitest';
import { asksForHuman } from '../../shared/conversation/handoff';
import { smallTalkKinds, smallTalkReply } from '../../shared/conversation/smalltalk';

describe('small talk', () => {
  it.each([
    ['hi', ['greeting']],
    ['Hello there!', ['greeting']],
    ['good morning :)', ['greeting']],
    ['thanks!', ['thanks']],
    ['ok thanks a lot', ['thanks']],
    ['Thank you so much 🙏', ['thanks']],
    ['bye', ['goodbye']],
    ["that's all", ['goodbye']],
    ['what can you do?', ['help']],
    ['help', ['help']],
    ['thanks, bye!', ['thanks', 'goodbye']],
  ])('"%s" is %o', (message, kinds) => {
    expect(smallTalkKinds(message)).toEqual(kinds);
  });

  it.each([
    'hi, where is my order?',
    'thanks for nothing, my parcel is lost',
    'hello again',
    'help me track order 12345',
  ])('"%s" says something else', (message) => {
    expect(smallTalkKinds(message)).toEqual([]);
  });

  it("answers with the chatbot's own wording, Parley's default, or not at all", () => {
    expect(smallTalkReply(['greeting'], {}, [])).toBe('Hi! How can I help you today?');
    expect(smallTalkReply(['greeting'], { greeting: 'Ahoy!' }, [])).toBe('Ahoy!');
    expect(smallTalkReply(['greeting'], { greeting: null }, [])).toBeNull();
    expect(smallTalkReply(['help'], {}, ['Track an order', 'Check stock'])).toBe(
      'I can help with:\n- Track an order\n- Check stock',
    );
    expect(smallTalkReply(['thanks', 'goodbye'], {}, [])).toBe('Goodbye! Come back any time.');
  });
});

describe('asking for a person', () => {
  it.each([
    'I want to talk to a human',
    'can I speak with a real person please',
    'agent please',
    'connect me to customer service',
    'Human!',
  ])('"%s" asks for a person', (message) => {
    expect(asksForHuman(message)).toBe(true);
  });

  it.each(['where is my order', 'is the mug made by humans', 'hi'])('"%s" does not', (message) => {
    expect(asksForHuman(message)).toBe(false);
  });
});
