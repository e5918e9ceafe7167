import { describe, expect, it } from 'vitest';
import { ReplySchema } from '../../shared/actions/reply-schema';
import { fieldLabel, renderData } from '../../shared/actions/render-data';
import { renderReply } from '../../shared/actions/reply';

describe('readable data', () => {
  it('labels fields from their names', () => {
    expect(fieldLabel('tracking_number')).toBe('Tracking number');
    expect(fieldLabel('trackingNumber')).toBe('Tracking number');
    expect(fieldLabel('order_id')).toBe('Order ID');
    expect(fieldLabel('eta')).toBe('ETA');
  });

  it('renders nested objects indented, short lists inline and long ones as bullets, leaving out empty values', () => {
    const data = {
      order: { status: 'shipped', tracking_number: 'ZX-1', carrier: { name: 'DHL', phone: null } },
      tags: ['gift', 'fragile'],
      notes: ['a', 'b', 'c', 'd', 'e', 'f'],
      success: true,
    };
    expect(renderData(data)).toEqual([
      {
        type: 'text',
        text: [
          'Order:',
          '  Status: shipped',
          '  Tracking number: ZX-1',
          '  Carrier:',
          '    Name: DHL',
          'Tags: gift, fragile',
          'Notes:',
          '- a',
          '- b',
          '- c',
          '- d',
          '- e',
          '- f',
        ].join('\n'),
      },
    ]);
  });

  it('renders through a lone `data` field, and a string as it is', () => {
    expect(renderData({ data: { eta: 'Monday' } })).toEqual([{ type: 'text', text: 'ETA: Monday' }]);
    expect(renderData({ data: 'Ships Monday' })).toEqual([{ type: 'text', text: 'Ships Monday' }]);
    expect(renderData({ data: {} })).toEqual([]);
  });

  it('shows an array of titled objects as a gallery, with images, links and a few fields', () => {
    const products = Array.from({ length: 12 }, (_, i) => ({
      id: i,
      name: `Mug ${i}`,
      price: '9.90 EUR',
      image_url: `https://cdn.example.com/${i}.png`,
      url: `https://shop.example.com/${i}`,
      stock: 3,
    }));
    const [gallery, more] = renderData({ products });
    expect(gallery).toMatchObject({ type: 'gallery' });
    const cards = gallery?.type === 'gallery' ? gallery.cards : [];
    expect(cards).toHaveLength(10);
    expect(cards[0]).toEqual({
      title: 'Mug 0',
      subtitle: '9.90 EUR',
      imageUrl: 'https://cdn.example.com/0.png',
      url: 'https://shop.example.com/0',
      fields: [{ label: 'Stock', value: '3' }],
    });
    expect(more).toEqual({ type: 'text', text: 'Showing 10 of 12.' });
  });

  it('lists objects without a title on one line each', () => {
    expect(
      renderData({
        lines: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 2 },
        ],
      }),
    ).toEqual([{ type: 'text', text: 'Lines:\n- SKU: A, Qty: 1\n- SKU: B, Qty: 2' }]);
  });
});

describe('replies without a template', () => {
  const reply = (input: Record<string, unknown> = {}) => ReplySchema.parse(input);

  it('never says "Done." when something came back', () => {
    const last = { message: null, fields: { names: ['Mug', 'Tee'] } };
    expect(renderReply(reply(), {}, last, { readable: true })).toEqual([{ type: 'text', text: 'Names: Mug, Tee' }]);
    expect(renderReply(reply(), {}, { message: null, fields: {} }, { readable: true })).toEqual([
      { type: 'text', text: 'Done.' },
    ]);
  });

  it('follows the message convention by default and the data convention when the action says so', () => {
    const last = { message: 'Order found', fields: { message: 'Order found', data: 'It ships on Monday.' } };
    expect(renderReply(reply(), {}, last, { readable: true })).toEqual([{ type: 'text', text: 'Order found' }]);
    expect(renderReply(reply({ say: 'data' }), {}, last, { readable: true })).toEqual([
      { type: 'text', text: 'It ships on Monday.' },
    ]);
    const structured = { message: 'lookup ok', fields: { message: 'lookup ok', data: { status: 'shipped' } } };
    expect(renderReply(reply({ say: 'data' }), {}, structured, { readable: true })).toEqual([
      { type: 'text', text: 'Status: shipped' },
    ]);
  });
});
