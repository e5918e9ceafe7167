import { describe, expect, it } from 'vitest';
import { ReplySchema, type ReplyDefinition } from '../../shared/actions/reply-schema';
import type { JsonObject } from '../../shared/json';
import { BotMessageSchema } from '../../shared/message-schema';
import { renderReply } from '../../shared/actions/reply';
import type { TemplateContext } from '../../shared/actions/template';

/** A reply as an operator writes it, with the schema's defaults applied. */
function replyOf(input: Parameters<typeof ReplySchema.parse>[0]): ReplyDefinition {
  return ReplySchema.parse(input);
}

const context: TemplateContext = {
  user_name: 'Ada',
  order_number: '12345',
  steps: {
    lookup: {
      status: 'shipped',
      eta: 'Friday',
      url: 'https://acme.test/t/12345',
      photo: 'https://cdn.acme.test/12345.png',
    },
    search: {
      products: [
        { name: 'Mug', price: 12, url: 'https://acme.test/p/mug' },
        { name: 'Teapot', price: 30, url: 'https://acme.test/p/teapot' },
        { name: 'Cup', price: 8, url: 'https://acme.test/p/cup' },
      ],
      empty: [],
    },
  },
};

function last(fields: JsonObject, message: string | null = null) {
  return { message, fields };
}

describe('text replies', () => {
  it('renders the template', () => {
    const reply = replyOf({ template: 'Order {{order_number}} is {{steps.lookup.status}}.' });
    expect(renderReply(reply, context, last({ status: 'shipped' }, 'ignored'))).toEqual([
      { type: 'text', text: 'Order 12345 is shipped.' },
    ]);
  });

  it("says the API's message verbatim when there is no template", () => {
    const message = 'Your order {{secrets.x}} is <b>shipped</b> & on its way.';
    expect(renderReply(replyOf({}), context, last({ status: 'shipped' }, message))).toEqual([
      { type: 'text', text: message },
    ]);
  });

  it('lists the scalar fields as readable lines when there is neither template nor message', () => {
    expect(renderReply(replyOf({}), context, last({ order_status: 'shipped', total: 42.5, items: ['a'] }))).toEqual([
      { type: 'text', text: 'order status: shipped\ntotal: 42.5' },
    ]);
  });

  it("says 'Done.' when there is nothing to say", () => {
    expect(renderReply(replyOf({}), context, last({}))).toEqual([{ type: 'text', text: 'Done.' }]);
    expect(renderReply(replyOf({}), context, null)).toEqual([{ type: 'text', text: 'Done.' }]);
  });

  it('renders a list of results with a section, and a fallback with an inverted section', () => {
    const reply = replyOf({
      template:
        '{{#steps.search.products}}- {{name}} ({{price}} EUR)\n{{/steps.search.products}}{{^steps.search.products}}Nothing found.{{/steps.search.products}}',
    });
    expect(renderReply(reply, context, null)).toEqual([
      { type: 'text', text: '- Mug (12 EUR)\n- Teapot (30 EUR)\n- Cup (8 EUR)\n' },
    ]);
    expect(renderReply(reply, { steps: { search: { products: [] } } }, null)).toEqual([
      { type: 'text', text: 'Nothing found.' },
    ]);
  });
});

describe('card replies', () => {
  const card = {
    title: 'Order {{order_number}}',
    subtitle: 'Arrives {{steps.lookup.eta}}',
    imageUrl: '{{steps.lookup.photo}}',
    url: '{{steps.lookup.url}}',
    fields: [{ label: 'Status', value: '{{steps.lookup.status}}' }],
  };

  it('sends the rendered card, after the template text when there is one', () => {
    const rendered: unknown = {
      type: 'card',
      title: 'Order 12345',
      subtitle: 'Arrives Friday',
      imageUrl: 'https://cdn.acme.test/12345.png',
      url: 'https://acme.test/t/12345',
      fields: [{ label: 'Status', value: 'shipped' }],
    };
    expect(renderReply(replyOf({ format: 'card', card }), context, last({}, 'API says hi'))).toEqual([rendered]);
    expect(renderReply(replyOf({ format: 'card', template: 'Here it is:', card }), context, null)).toEqual([
      { type: 'text', text: 'Here it is:' },
      rendered,
    ]);
  });

  it('leaves out the parts of a card that render empty', () => {
    const sparse = { title: 'Order {{order_number}}', subtitle: '{{steps.lookup.missing}}', url: '{{nothing}}' };
    expect(renderReply(replyOf({ format: 'card', card: sparse }), context, null)).toEqual([
      { type: 'card', title: 'Order 12345' },
    ]);
  });
});

describe('link and image replies', () => {
  it('sends a link with its text', () => {
    const reply = replyOf({
      format: 'link',
      link: { url: '{{steps.lookup.url}}', text: 'Track order {{order_number}}' },
    });
    expect(renderReply(reply, context, null)).toEqual([
      { type: 'link', url: 'https://acme.test/t/12345', text: 'Track order 12345' },
    ]);
  });

  it('sends a link without text when none is given', () => {
    const reply = replyOf({ format: 'link', template: 'Track it here:', link: { url: '{{steps.lookup.url}}' } });
    expect(renderReply(reply, context, null)).toEqual([
      { type: 'text', text: 'Track it here:' },
      { type: 'link', url: 'https://acme.test/t/12345' },
    ]);
  });

  it('sends an image with its alt text', () => {
    const reply = replyOf({
      format: 'image',
      image: { url: '{{steps.lookup.photo}}', alt: 'Parcel {{order_number}}' },
    });
    expect(renderReply(reply, context, null)).toEqual([
      { type: 'image', url: 'https://cdn.acme.test/12345.png', alt: 'Parcel 12345' },
    ]);
  });
});

describe('gallery replies', () => {
  const gallery = {
    items: 'steps.search.products',
    card: {
      title: '{{item.name}}',
      subtitle: '{{item.price}} EUR for {{user_name}}',
      url: '{{item.url}}',
      fields: [{ label: 'Order', value: '{{order_number}}' }],
    },
  };

  it('sends one card per element, each reading its element as item and the rest of the context', () => {
    expect(renderReply(replyOf({ format: 'gallery', gallery }), context, null)).toEqual([
      {
        type: 'gallery',
        cards: [
          {
            title: 'Mug',
            subtitle: '12 EUR for Ada',
            url: 'https://acme.test/p/mug',
            fields: [{ label: 'Order', value: '12345' }],
          },
          {
            title: 'Teapot',
            subtitle: '30 EUR for Ada',
            url: 'https://acme.test/p/teapot',
            fields: [{ label: 'Order', value: '12345' }],
          },
          {
            title: 'Cup',
            subtitle: '8 EUR for Ada',
            url: 'https://acme.test/p/cup',
            fields: [{ label: 'Order', value: '12345' }],
          },
        ],
      },
    ]);
  });

  it('shows at most `max` cards, the first ones', () => {
    const messages = renderReply(replyOf({ format: 'gallery', gallery: { ...gallery, max: 2 } }), context, null);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.type === 'gallery' && message.cards.map((card) => card.title)).toEqual(['Mug', 'Teapot']);
  });

  it("says 'No results.' when the list is empty, missing or not a list", () => {
    for (const items of ['steps.search.empty', 'steps.search.missing', 'order_number']) {
      expect(renderReply(replyOf({ format: 'gallery', gallery: { ...gallery, items } }), context, null)).toEqual([
        { type: 'text', text: 'No results.' },
      ]);
    }
  });

  it("says the template instead of 'No results.' when there is one, and before the cards otherwise", () => {
    const empty = replyOf({
      format: 'gallery',
      template: 'Nothing matched.',
      gallery: { ...gallery, items: 'steps.search.empty' },
    });
    expect(renderReply(empty, context, null)).toEqual([{ type: 'text', text: 'Nothing matched.' }]);
    const full = replyOf({ format: 'gallery', template: 'Found these:', gallery: { ...gallery, max: 1 } });
    const messages = renderReply(full, context, null);
    expect(messages[0]).toEqual({ type: 'text', text: 'Found these:' });
    expect(messages[1]?.type).toBe('gallery');
  });
});

describe('buttons and quick replies', () => {
  const buttons = [
    { label: 'Track {{order_number}}', payload: 'action:check_order_status' },
    { label: 'Open', url: '{{steps.lookup.url}}' },
  ];

  it('sends buttons with their payloads and links, under the template text', () => {
    const reply = replyOf({ format: 'buttons', template: 'Order {{order_number}}: what next?', buttons });
    expect(renderReply(reply, context, null)).toEqual([
      {
        type: 'buttons',
        text: 'Order 12345: what next?',
        buttons: [
          { label: 'Track 12345', payload: 'action:check_order_status' },
          { label: 'Open', url: 'https://acme.test/t/12345' },
        ],
      },
    ]);
  });

  it("uses the API's message as the text of buttons when there is no template, and no text when there is none", () => {
    const reply = replyOf({ format: 'buttons', buttons });
    const withMessage = renderReply(reply, context, last({}, 'Done! Anything else?'));
    expect(withMessage[0]).toMatchObject({ type: 'buttons', text: 'Done! Anything else?' });
    const silent = renderReply(reply, context, null);
    expect(silent[0]).not.toHaveProperty('text');
  });

  it('sends quick replies', () => {
    const reply = replyOf({
      format: 'quick_replies',
      template: 'Anything else?',
      buttons: [
        { label: 'Yes', payload: 'yes' },
        { label: 'No', payload: 'no' },
      ],
    });
    expect(renderReply(reply, context, null)).toEqual([
      {
        type: 'quick_replies',
        text: 'Anything else?',
        replies: [
          { label: 'Yes', payload: 'yes' },
          { label: 'No', payload: 'no' },
        ],
      },
    ]);
  });
});

describe('action buttons', () => {
  it('adds a link button after the reply', () => {
    const reply = replyOf({
      template: 'Order {{order_number}} is {{steps.lookup.status}}.',
      actionButton: { label: 'Track {{order_number}}', url: '{{steps.lookup.url}}' },
    });
    expect(renderReply(reply, context, null)).toEqual([
      { type: 'text', text: 'Order 12345 is shipped.' },
      { type: 'buttons', buttons: [{ label: 'Track 12345', url: 'https://acme.test/t/12345' }] },
    ]);
  });

  it('adds a button that fires an action again with the payload action:<name>', () => {
    const reply = replyOf({
      format: 'card',
      card: { title: 'Done' },
      actionButton: { label: 'Check another', action: 'check_order_status' },
    });
    expect(renderReply(reply, context, null)).toEqual([
      { type: 'card', title: 'Done' },
      { type: 'buttons', buttons: [{ label: 'Check another', payload: 'action:check_order_status' }] },
    ]);
  });
});

describe('every reply format', () => {
  it.each([
    { format: 'text', template: 'Hi' },
    { format: 'card', card: { title: 'x' } },
    { format: 'link', link: { url: 'https://acme.test' } },
    { format: 'image', image: { url: 'https://acme.test/x.png' } },
    { format: 'gallery', gallery: { items: 'steps.search.products', card: { title: '{{item.name}}' } } },
    { format: 'buttons', buttons: [{ label: 'Go', payload: 'go' }] },
    { format: 'quick_replies', buttons: [{ label: 'Go', url: 'https://acme.test' }] },
  ] as const)('renders $format messages a frontend can read', (input) => {
    const messages = renderReply(
      replyOf({ ...input, actionButton: { label: 'Again', action: 'again' } }),
      context,
      null,
    );
    for (const message of messages) expect(BotMessageSchema.safeParse(message).success).toBe(true);
  });
});
