import { describe, expect, it } from 'vitest';
import { ParameterSchema, type ParameterDefinition } from '../../shared/actions/parameter-schema';
import {
  extractDate,
  extractParameter,
  invalidReason,
  isCancellation,
  nextMissing,
  promptFor,
  withDefaults,
} from '../../shared/understanding/parameters';

function param(input: Record<string, unknown>): ParameterDefinition {
  return ParameterSchema.parse(input);
}

const orderNumber = param({
  name: 'order_number',
  description: 'Order or tracking number',
  pattern: '^[0-9]{5,10}$',
  prompt: 'What is your order number?',
});

describe('extractParameter', () => {
  describe('text with a pattern', () => {
    it.each([
      ['12345', '12345'],
      ['order #12345', '12345'],
      ["it's 12345.", '12345'],
      ['track order 12345 please', '12345'],
      ['(1234567)', '1234567'],
      ['my order is ABC-9876543!', '9876543'],
    ])('finds the order number in "%s"', (message, expected) => {
      expect(extractParameter(orderNumber, message, false)).toEqual({ ok: true, value: expected });
    });

    it('finds nothing in a message without a matching value, when not answering', () => {
      expect(extractParameter(orderNumber, 'where is my order?', false)).toBeNull();
      expect(extractParameter(orderNumber, 'order 123', false)).toBeNull();
    });

    it('gives the reason when an answer does not match the pattern', () => {
      expect(extractParameter(orderNumber, 'I do not know', true)).toEqual({
        ok: false,
        reason: 'That does not look like a valid order or tracking number.',
      });
    });
  });

  describe('text without a pattern', () => {
    const note = param({ name: 'note', description: 'A note for the courier' });

    it('does not take free text that is not an answer', () => {
      expect(extractParameter(note, 'leave it at the door', false)).toBeNull();
    });

    it('takes the whole (trimmed) message when it answers the question', () => {
      expect(extractParameter(note, '  leave it at the door  ', true)).toEqual({
        ok: true,
        value: 'leave it at the door',
      });
    });

    it('refuses an empty answer', () => {
      expect(extractParameter(note, '   ', true)).toMatchObject({ ok: false });
    });
  });

  describe('email', () => {
    const email = param({ name: 'email', type: 'email' });

    it('finds an email address inside a sentence', () => {
      expect(extractParameter(email, 'sure, it is ada.lovelace+shop@example.co.uk.', false)).toEqual({
        ok: true,
        value: 'ada.lovelace+shop@example.co.uk',
      });
    });

    it('refuses an answer without an email address', () => {
      expect(extractParameter(email, 'ada at example dot com', true)).toEqual({
        ok: false,
        reason: 'That does not look like an email address.',
      });
      expect(extractParameter(email, 'ada at example dot com', false)).toBeNull();
    });
  });

  describe('number', () => {
    const quantity = param({ name: 'quantity', type: 'number' });

    it.each([
      ['12,5', 12.5],
      ['12.5', 12.5],
      ['1,000', 1000],
      ['about 2,500.75 euros', 2500.75],
      ['I want 3 mugs', 3],
      ['-4', -4],
    ])('reads "%s" as %s', (message, expected) => {
      expect(extractParameter(quantity, message, false)).toEqual({ ok: true, value: expected });
    });

    it('asks for a number when the answer has none', () => {
      expect(extractParameter(quantity, 'a few', true)).toEqual({ ok: false, reason: 'Please answer with a number.' });
    });
  });

  describe('phone', () => {
    const phone = param({ name: 'phone', type: 'phone' });

    it('finds a phone number and strips its punctuation and spaces', () => {
      expect(extractParameter(phone, 'call me at +1 (555) 123-4567 after 5', false)).toEqual({
        ok: true,
        value: '+15551234567',
      });
    });

    it('refuses an answer without a phone number', () => {
      expect(extractParameter(phone, 'call me maybe', true)).toEqual({
        ok: false,
        reason: 'That does not look like a phone number.',
      });
    });
  });

  describe('date', () => {
    const date = param({ name: 'delivery_date', type: 'date' });

    it('finds an ISO date in a sentence', () => {
      expect(extractParameter(date, 'deliver on 2025-03-14 please', false)).toEqual({ ok: true, value: '2025-03-14' });
    });

    it('asks for a date when the answer has none', () => {
      expect(extractParameter(date, 'whenever suits you', true, '2026-11-20T12:00:00.000Z')).toEqual({
        ok: false,
        reason: 'Please give a date, like 2026-12-24 or "next Friday".',
      });
    });

    it('cannot resolve a relative date without knowing the current time', () => {
      expect(extractParameter(date, 'next tuesday', true)).toEqual({ ok: false, reason: expect.any(String) });
    });
  });

  describe('boolean', () => {
    const gift = param({ name: 'gift', type: 'boolean' });

    it.each(['yes', 'Yes please', 'y', 'yeah', 'yep', 'sure', 'OK', 'okay', 'correct', 'true', 'confirm'])(
      'reads "%s" as yes',
      (message) => {
        expect(extractParameter(gift, message, true)).toEqual({ ok: true, value: true });
      },
    );

    it.each(['no', 'No thanks', 'n', 'nope', 'nah', 'false'])('reads "%s" as no', (message) => {
      expect(extractParameter(gift, message, true)).toEqual({ ok: true, value: false });
    });

    it.each(['maybe', 'yesterday', 'nothing'])('does not read "%s" as yes or no', (message) => {
      expect(extractParameter(gift, message, true)).toEqual({ ok: false, reason: 'Please answer yes or no.' });
    });
  });

  describe('enum', () => {
    const speed = param({ name: 'shipping', type: 'enum', values: ['Standard', 'Express', 'Next day'] });

    it('finds one of the values in a sentence, ignoring case, and gives it as written', () => {
      expect(extractParameter(speed, 'I would like EXPRESS shipping', false)).toEqual({ ok: true, value: 'Express' });
      expect(extractParameter(speed, 'next day please', false)).toEqual({ ok: true, value: 'Next day' });
    });

    it('does not match a value inside another word', () => {
      expect(extractParameter(speed, 'expressway', false)).toBeNull();
    });

    it('lists the values when the answer is none of them', () => {
      expect(extractParameter(speed, 'whatever is cheapest', true)).toEqual({
        ok: false,
        reason: 'Please choose one of: Standard, Express, Next day.',
      });
    });
  });

  it('checks a typed value against the pattern too', () => {
    const code = param({ name: 'zip', type: 'number', pattern: '^[0-9]{5}$' });
    expect(extractParameter(code, 'zip 12345', true)).toEqual({ ok: true, value: 12345 });
    expect(extractParameter(code, 'zip 123', true)).toMatchObject({ ok: false });
    expect(extractParameter(code, 'zip 123', false)).toBeNull();
  });
});

describe('promptFor', () => {
  it("uses the parameter's prompt when it has one", () => {
    expect(promptFor(orderNumber)).toBe('What is your order number?');
  });

  it('asks with the description when there is no prompt', () => {
    expect(promptFor(param({ name: 'order_number', description: 'Order or tracking number.' }))).toBe(
      'What is your order or tracking number?',
    );
  });

  it('asks with the name in words when there is neither prompt nor description', () => {
    expect(promptFor(param({ name: 'shipping_address' }))).toBe('What is your shipping address?');
  });
});

describe('invalidReason', () => {
  it('names the parameter for free text', () => {
    expect(invalidReason(param({ name: 'coupon_code' }))).toBe('That does not look like a valid coupon code.');
  });
});

describe('isCancellation', () => {
  it.each(['cancel', 'Cancel that', 'stop', 'never mind', 'nevermind', 'Forget it', 'quit', 'abort'])(
    'treats "%s" as abandoning the action',
    (message) => {
      expect(isCancellation(message)).toBe(true);
    },
  );

  it.each(['12345', 'I want to cancel my order 12345', 'stopwatch', 'yes'])(
    'does not treat "%s" as abandoning',
    (message) => {
      expect(isCancellation(message)).toBe(false);
    },
  );
});

describe('nextMissing', () => {
  const params = [
    param({ name: 'order_number' }),
    param({ name: 'note', required: false }),
    param({ name: 'email', type: 'email' }),
  ];

  it('gives the first required parameter without a value', () => {
    expect(nextMissing(params, {})?.name).toBe('order_number');
    expect(nextMissing(params, { order_number: '12345' })?.name).toBe('email');
  });

  it('ignores optional parameters and gives nothing when every required one has a value', () => {
    expect(nextMissing(params, { order_number: '12345', email: 'a@b.co' })).toBeUndefined();
  });
});

describe('withDefaults', () => {
  it('fills defaults for parameters that have no value, and keeps given values', () => {
    const params = [
      param({ name: 'quantity', type: 'number', required: false, default: 1 }),
      param({ name: 'gift', type: 'boolean', required: false, default: false }),
      param({ name: 'note', required: false }),
    ];
    expect(withDefaults(params, { gift: true })).toEqual({ quantity: 1, gift: true });
  });

  it('does not change the values it was given', () => {
    const values = {};
    withDefaults([param({ name: 'quantity', type: 'number', required: false, default: 1 })], values);
    expect(values).toEqual({});
  });
});

describe('list parameters', () => {
  const skus = ParameterSchema.parse({ name: 'skus', type: 'text', pattern: '^[A-Z]{3}-[0-9]{2}$', array: true });
  const toppings = ParameterSchema.parse({
    name: 'toppings',
    type: 'enum',
    values: ['cheese', 'ham', 'olives'],
    array: true,
  });

  it('reads "A, B and C" as a list of values', () => {
    expect(extractParameter(skus, 'MUG-01, TEE-02 and CAP-03', true)).toEqual({
      ok: true,
      value: ['MUG-01', 'TEE-02', 'CAP-03'],
    });
    expect(extractParameter(toppings, 'cheese & olives', true)).toEqual({ ok: true, value: ['cheese', 'olives'] });
  });

  it('refuses an answer with a part that is not valid, saying why', () => {
    expect(extractParameter(skus, 'MUG-01 and a banana', true)).toEqual({
      ok: false,
      reason: expect.stringContaining('valid'),
    });
  });

  it('finds nothing in a sentence without any valid part when not answering', () => {
    expect(extractParameter(skus, 'hello there', false)).toBeNull();
  });
});

describe('dates resolved against the conversation time', () => {
  const when = ParameterSchema.parse({ name: 'when', type: 'date' });
  const friday = '2026-11-20T12:00:00.000Z';

  it.each([
    ['tomorrow', '2026-11-21'],
    ['next Friday', '2026-11-27'],
    ['can you come next friday please', '2026-11-27'],
    ['Dec 24', '2026-12-24'],
    ['in 2 weeks', '2026-12-04'],
    ['on the 3rd', '2026-12-03'],
    ['the 25th', '2026-11-25'],
    ['2027-01-15', '2027-01-15'],
  ])('reads "%s" on Friday 2026-11-20 as %s', (message, expected) => {
    expect(extractParameter(when, message, true, friday)).toEqual({ ok: true, value: expected });
  });

  it('gives the same date whatever the time zone of the process (UTC reference)', () => {
    expect(extractDate('tomorrow', '2026-11-20T23:30:00.000Z')).toBe('2026-11-21');
  });
});

describe('enum synonyms and ordinals', () => {
  const size = ParameterSchema.parse({
    name: 'size',
    type: 'enum',
    values: ['small', 'large'],
    synonyms: { large: ['big', 'XL'] },
  });
  const count = ParameterSchema.parse({ name: 'count', type: 'number' });

  it('maps a synonym to its value', () => {
    expect(extractParameter(size, 'a big one please', true)).toEqual({ ok: true, value: 'large' });
    expect(extractParameter(size, 'XL', true)).toEqual({ ok: true, value: 'large' });
  });

  it('refuses synonyms for values the enum does not have', () => {
    expect(
      ParameterSchema.safeParse({ name: 'size', type: 'enum', values: ['small'], synonyms: { huge: ['xxl'] } }).success,
    ).toBe(false);
  });

  it('reads "the 3rd" as the number 3', () => {
    expect(extractParameter(count, 'the 3rd', true)).toEqual({ ok: true, value: 3 });
  });
});

describe('dates that point back', () => {
  const now = '2026-11-24T10:00:00.000Z'; // a Tuesday
  const day = (extra: Record<string, unknown> = {}) => param({ name: 'day', type: 'date', ...extra });

  it('resolves "last Monday" and "yesterday" to the past in natural collection, other phrases forward', () => {
    expect(extractParameter(day(), 'last Monday', true, now, { natural: true })).toEqual({
      ok: true,
      value: '2026-11-23',
    });
    expect(extractParameter(day(), 'yesterday', true, now, { natural: true })).toEqual({
      ok: true,
      value: '2026-11-23',
    });
    expect(extractParameter(day(), 'Monday', true, now, { natural: true })).toEqual({ ok: true, value: '2026-11-30' });
    // How older conversations read it (their histories must replay as recorded).
    expect(extractParameter(day(), 'last Monday', true, now)).toEqual({ ok: true, value: '2026-11-30' });
  });

  it('resolves undirected days to the past for `dates: "past"` and refuses dates on the wrong side', () => {
    expect(extractParameter(day({ dates: 'past' }), 'Monday', true, now)).toEqual({ ok: true, value: '2026-11-23' });
    expect(extractParameter(day({ dates: 'past' }), '2026-12-24', true, now)).toEqual({
      ok: false,
      reason: 'Please give a date that is not in the future.',
    });
    expect(extractParameter(day({ dates: 'future' }), 'last Monday', true, now)).toEqual({
      ok: false,
      reason: 'Please give a date that is not in the past.',
    });
    expect(extractParameter(day({ dates: 'future' }), 'Monday', true, now)).toEqual({ ok: true, value: '2026-11-30' });
  });

  it('refuses `dates` on a parameter that is not a date', () => {
    expect(ParameterSchema.safeParse({ name: 'x', type: 'text', dates: 'past' }).success).toBe(false);
  });
});
