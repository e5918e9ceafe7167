import { describe, expect, it } from 'vitest';
import { BotMessageSchema, ButtonSchema } from '../../shared/message-schema';
import { text } from '../../shared/messages';

describe('bot messages', () => {
  it('builds a plain text message', () => {
    expect(text('Hello')).toEqual({ type: 'text', text: 'Hello' });
  });

  it.each([
    { type: 'text', text: 'Hi' },
    { type: 'card', title: 'Order 12345', fields: [{ label: 'Status', value: 'shipped' }] },
    { type: 'link', url: 'https://acme.test/track', text: 'Track' },
    { type: 'image', url: 'https://acme.test/mug.png', alt: 'A mug' },
    { type: 'gallery', cards: [{ title: 'Mug' }, { title: 'Tea' }] },
    { type: 'buttons', text: 'Pick one', buttons: [{ label: 'Yes', payload: 'confirm:yes' }] },
    { type: 'buttons', buttons: [{ label: 'Track my parcel', url: 'https://acme.test/track/12345' }] },
    { type: 'quick_replies', replies: [{ label: 'Track my order', payload: 'action:check_order_status' }] },
  ])('accepts a $type message a frontend can render', (message) => {
    expect(BotMessageSchema.safeParse(message).success).toBe(true);
  });

  it('refuses a message of an unknown type or missing its content', () => {
    expect(BotMessageSchema.safeParse({ type: 'video', url: 'x' }).success).toBe(false);
    expect(BotMessageSchema.safeParse({ type: 'text' }).success).toBe(false);
    expect(BotMessageSchema.safeParse({ type: 'link' }).success).toBe(false);
  });

  it('refuses a button without a label or payload, or with a label too long to show', () => {
    expect(ButtonSchema.safeParse({ label: '', payload: 'x' }).success).toBe(false);
    expect(ButtonSchema.safeParse({ label: 'Yes', payload: '' }).success).toBe(false);
    expect(ButtonSchema.safeParse({ label: 'x'.repeat(81), payload: 'x' }).success).toBe(false);
  });
});
