import { describe, expect, it } from 'vitest';
import { extractFields, extractPath } from '../../shared/actions/extract';
import { discoverFields } from '../../shared/actions/field-discovery';
import type { Json } from '../../shared/json';
import { ResponseSchema } from '../../shared/actions/step-schema';

const order: Json = {
  data: {
    order: {
      id: '12345',
      status: 'shipped',
      eta: null,
      total: 42.5,
      gift: false,
      items: [
        { sku: 'MUG-01', name: 'Acme mug', quantity: 2 },
        { sku: 'TEE-02', name: 'Acme T-shirt', quantity: 1, discount: 'WINTER' },
      ],
    },
    customer: { id: 'c-100', name: 'Ada Lovelace' },
  },
};

describe('field discovery', () => {
  it('lists every path with its type, a sample and a field name, arrays in the forms the extractor reads', () => {
    const { paths, total, truncated, note } = discoverFields(order);
    expect(paths).toEqual([
      { path: 'data', field: 'data', type: 'object', sample: '{2 keys}' },
      { path: 'data.order', field: 'order', type: 'object', sample: '{6 keys}' },
      { path: 'data.order.id', field: 'order_id', type: 'string', sample: '12345' },
      { path: 'data.order.status', field: 'status', type: 'string', sample: 'shipped' },
      { path: 'data.order.eta', field: 'eta', type: 'null', sample: null },
      { path: 'data.order.total', field: 'total', type: 'number', sample: 42.5 },
      { path: 'data.order.gift', field: 'gift', type: 'boolean', sample: false },
      { path: 'data.order.items', field: 'items', type: 'array', sample: '[2 items]' },
      {
        path: 'data.order.items[0].sku',
        field: 'sku',
        type: 'string',
        sample: 'MUG-01',
        every: 'data.order.items[*].sku',
      },
      {
        path: 'data.order.items[0].name',
        field: 'items_name',
        type: 'string',
        sample: 'Acme mug',
        every: 'data.order.items[*].name',
      },
      {
        path: 'data.order.items[0].quantity',
        field: 'quantity',
        type: 'number',
        sample: 2,
        every: 'data.order.items[*].quantity',
      },
      {
        path: 'data.order.items[1].discount',
        field: 'discount',
        type: 'string',
        sample: 'WINTER',
        every: 'data.order.items[*].discount',
      },
      { path: 'data.customer', field: 'customer', type: 'object', sample: '{2 keys}' },
      { path: 'data.customer.id', field: 'customer_id', type: 'string', sample: 'c-100' },
      { path: 'data.customer.name', field: 'customer_name', type: 'string', sample: 'Ada Lovelace' },
    ]);
    expect({ total, truncated, note }).toEqual({ total: 15, truncated: false, note: null });
  });

  it('suggests a response.fields mapping that saves and that the extractor reads back', () => {
    const { fields, paths } = discoverFields(order);
    expect(ResponseSchema.safeParse({ fields }).success).toBe(true);
    expect(extractFields(order, fields)).toMatchObject({
      status: 'shipped',
      sku: 'MUG-01',
      customer_name: 'Ada Lovelace',
    });
    for (const path of paths) {
      expect(extractPath(order, path.path)).toBeDefined();
      if (path.every) expect(Array.isArray(extractPath(order, path.every))).toBe(true);
    }
    expect(extractPath(order, 'data.order.items[*].sku')).toEqual(['MUG-01', 'TEE-02']);
  });

  it('is bounded: at most the given number of paths, long strings cut, the total still counted', () => {
    const wide: Json = {
      rows: Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`row${index}`, index])),
      note: 'x'.repeat(500),
    };
    const { paths, total, truncated } = discoverFields(wide, { maxPaths: 50 });
    expect(paths).toHaveLength(50);
    expect(total).toBe(302);
    expect(truncated).toBe(true);
    const long = discoverFields({ note: 'x'.repeat(500) }).paths[0];
    expect(long?.sample).toBe(`${'x'.repeat(80)}…`);
  });

  it('names paths whose keys are not field names, and leaves out keys no path can address', () => {
    const { paths, fields } = discoverFields({ 'order-id': 7, '2fa': true, 'first name': 'Ada', 'a.b': 1 });
    expect(paths.map((path) => [path.path, path.field])).toEqual([
      ['order-id', 'order_id'],
      ['2fa', 'f_2fa'],
    ]);
    expect(fields).toEqual({ order_id: 'order-id', f_2fa: '2fa' });
  });

  it('says how to read a body that is an array or a single value', () => {
    expect(discoverFields([{ id: 1 }])).toMatchObject({ paths: [], note: expect.stringContaining('is an array') });
    expect(discoverFields('ok').note).toMatch(/single value/);
  });
});
