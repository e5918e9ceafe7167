import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema } from '../../shared/actions/action';
import { ParameterSchema } from '../../shared/actions/parameter-schema';
import {
  contextValues,
  filledConfirmation,
  remember,
  systemParameters,
  valueInSentence,
} from '../../shared/conversation/context-values';

const param = (input: Record<string, unknown>) => ParameterSchema.parse(input);
const now = '2026-11-24T10:00:00.000Z';
const orderNumber = param({ name: 'order_number', description: 'Order number', pattern: '^[0-9]{5,10}$' });
const empty = { visitor: {}, attributes: {}, remembered: {}, earlierMessages: [] };

describe('collection from context', () => {
  it('takes an order number the visitor gave two turns earlier, and says so', () => {
    const context = { ...empty, earlierMessages: ['my order 34567 is late', 'thanks'] };
    const found = contextValues([orderNumber], 'where is it?', context, now);
    expect(found).toEqual({ values: { order_number: '34567' }, sources: { order_number: 'earlier' } });
    expect(filledConfirmation([orderNumber], found.values, found.sources)).toBe("I'll use 34567 as your order number.");
  });

  it('prefers the current message, then earlier turns, then remembered values, then the profile', () => {
    const email = param({ name: 'email', type: 'email' });
    const context = {
      ...empty,
      visitor: { email: 'profile@example.com' },
      earlierMessages: ['write to me at earlier@example.com'],
    };
    expect(contextValues([email], 'use now@example.com', context, now).values).toEqual({ email: 'now@example.com' });
    expect(contextValues([email], 'hello', context, now).values).toEqual({ email: 'earlier@example.com' });
    expect(contextValues([email], 'hello', { ...context, earlierMessages: [] }, now)).toEqual({
      values: { email: 'profile@example.com' },
      sources: { email: 'profile' },
    });
    const city = param({ name: 'city' });
    expect(contextValues([city], 'hello', { ...empty, remembered: { city: 'Paris' } }, now).values).toEqual({
      city: 'Paris',
    });
  });

  it("fills the visitor's name from the profile and confirms nothing said in the message itself", () => {
    const name = param({ name: 'name', description: 'Your name' });
    const found = contextValues([name, orderNumber], 'track 12345', { ...empty, visitor: { name: 'Ada' } }, now);
    expect(found.values).toEqual({ name: 'Ada', order_number: '12345' });
    expect(filledConfirmation([name, orderNumber], found.values, found.sources)).toBe("I'll use Ada as your name.");
  });

  it.each([
    ['my city is Paris, please', { name: 'city' }, 'Paris'],
    [
      'the delivery note: leave it at the door.',
      { name: 'note', description: 'Delivery note' },
      'leave it at the door',
    ],
    ["hi, I'm Ada Lovelace and I need help", { name: 'full_name' }, 'Ada Lovelace'],
    ['where is my parcel', { name: 'city' }, null],
  ])('finds free text in "%s"', (message, input, expected) => {
    expect(valueInSentence(param(input), message)).toBe(expected);
  });

  it('remembers values that identify something (patterns, emails, names), newest last, within bounds', () => {
    const params = Array.from({ length: 40 }, (_, i) => param({ name: `k${i}`, pattern: '^[0-9]+$' }));
    const values = Object.fromEntries(params.map((p, i) => [p.name, String(i)]));
    const note = param({ name: 'note' });
    const long = param({ name: 'code', pattern: '^x+$' });
    const kept = remember({ a: 1 }, [...params, note, long], { ...values, note: 'free text', code: 'x'.repeat(500) });
    expect(Object.keys(kept)).toHaveLength(30);
    expect(kept).not.toHaveProperty('note');
    expect(kept).not.toHaveProperty('code');
    expect(kept['k39']).toBe('39');
  });

  it('asks for the system values the requests use', () => {
    const action = ActionDefinitionSchema.parse({
      name: 'subscribe',
      description: 'Subscribe to the newsletter',
      steps: [
        { id: 's', request: { method: 'POST', url: 'https://api.example.com/s', body: { to: '{{user_email}}' } } },
      ],
      reply: { template: 'Done, {{user_name}}' },
    });
    expect(systemParameters(action).map((p) => p.name)).toEqual(['user_email']);
  });
});
