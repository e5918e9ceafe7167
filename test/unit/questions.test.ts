import { describe, expect, it } from 'vitest';
import { ParameterSchema } from '../../shared/actions/parameter-schema';
import { naturalQuestion } from '../../shared/conversation/questions';
import { promptFor } from '../../shared/understanding/parameters';

const param = (input: Record<string, unknown>) => ParameterSchema.parse(input);

describe('questions for parameters without a prompt', () => {
  it.each([
    [
      { name: 'order_number', description: "The visitor's order number or tracking number" },
      'What is your order number or tracking number?',
    ],
    [{ name: 'name', description: 'Your name' }, 'What is your name?'],
    [{ name: 'full_name' }, 'What is your full name?'],
    [{ name: 'sku', description: 'SKU of the product' }, 'What is the SKU of the product?'],
    [{ name: 'city', description: 'The city to check the weather in.' }, 'What is the city to check the weather in?'],
    [{ name: 'email', type: 'email', description: 'Contact' }, 'What is your email address?'],
    [{ name: 'email', type: 'email', description: 'The customer’s email address' }, 'What is your email address?'],
    [{ name: 'phone', type: 'phone' }, 'What is your phone number?'],
    [{ name: 'guests', type: 'number', description: 'Number of guests' }, 'How many guests?'],
    [{ name: 'day', type: 'date', description: 'Delivery date' }, 'What is the delivery date?'],
    [{ name: 'gift', type: 'boolean', description: 'Gift wrap' }, 'Gift wrap? (yes or no)'],
    [{ name: 'size', type: 'enum', values: ['S', 'M', 'L'], description: 'Size' }, 'Which size: S, M or L?'],
    [{ name: 'reason', description: 'What went wrong?' }, 'What went wrong?'],
    [
      { name: 'issue', description: 'Use this when the visitor describes in their own words a problem they have had' },
      'What is the issue?',
    ],
  ])('%o asks %s', (input, question) => {
    expect(naturalQuestion(param(input))).toBe(question);
  });

  it('keeps an operator prompt, and the old wording for conversations that started before natural questions', () => {
    expect(promptFor(param({ name: 'x', prompt: 'Which X?' }), { natural: true })).toBe('Which X?');
    expect(promptFor(param({ name: 'name', description: 'Your name' }))).toBe('What is your your name?');
  });
});
