import { describe, expect, it } from 'vitest';
import { extractFields, extractPath, isResponsePath } from '../../shared/actions/extract';
import type { Json } from '../../shared/json';

const body: Json = {
  data: {
    order: { status: 'shipped', eta: '2025-01-03', total: 42.5, gift: false },
    items: [
      { name: 'Mug', sku: 'MUG-1' },
      { name: 'Tea', sku: 'TEA-7' },
    ],
  },
  items: [{ sku: 'A' }, { sku: 'B' }, { name: 'no sku' }],
};

describe('extractPath', () => {
  it('reads a nested field by a dot path', () => {
    expect(extractPath(body, 'data.order.status')).toBe('shipped');
    expect(extractPath(body, 'data.order.total')).toBe(42.5);
    expect(extractPath(body, 'data.order.gift')).toBe(false);
  });

  it('reads an array element by index', () => {
    expect(extractPath(body, 'data.items[0].name')).toBe('Mug');
    expect(extractPath(body, 'data.items[1].sku')).toBe('TEA-7');
  });

  it('collects a field from every element with a [*] wildcard, skipping elements that lack it', () => {
    expect(extractPath(body, 'items[*].sku')).toEqual(['A', 'B']);
    expect(extractPath(body, 'data.items[*].name')).toEqual(['Mug', 'Tea']);
  });

  it('gives undefined for paths that are not in the body', () => {
    expect(extractPath(body, 'data.order.missing')).toBeUndefined();
    expect(extractPath(body, 'data.items[9].name')).toBeUndefined();
    expect(extractPath(body, 'data.order[0]')).toBeUndefined();
    expect(extractPath('plain text', 'data')).toBeUndefined();
  });
});

describe('extractFields', () => {
  it('extracts every mapped field by name', () => {
    expect(
      extractFields(body, { status: 'data.order.status', first_item: 'data.items[0].name', skus: 'items[*].sku' }),
    ).toEqual({ status: 'shipped', first_item: 'Mug', skus: ['A', 'B'] });
  });

  it('gives null for fields that are absent, so templates see them as empty', () => {
    expect(extractFields(body, { status: 'data.order.status', tracking: 'data.order.tracking_url' })).toEqual({
      status: 'shipped',
      tracking: null,
    });
  });

  it('returns the whole body when the mapping is empty', () => {
    expect(extractFields(body, {})).toEqual(body);
  });

  it('wraps a body that is not an object as { body } when the mapping is empty', () => {
    expect(extractFields('OK', {})).toEqual({ body: 'OK' });
    expect(extractFields([1, 2], {})).toEqual({ body: [1, 2] });
    expect(extractFields(null, {})).toEqual({ body: null });
  });
});

describe('isResponsePath', () => {
  it.each(['data.order.status', 'data.items[0].name', 'items[*].sku', 'status', 'a[0][1].b', 'x-y.$id'])(
    'accepts %s',
    (path) => {
      expect(isResponsePath(path)).toBe(true);
    },
  );

  it.each(['', '.data', 'data.', 'data..status', 'items[]', 'items[x]', '[0].name', 'data order', 'data/order'])(
    'rejects "%s"',
    (path) => {
      expect(isResponsePath(path)).toBe(false);
    },
  );
});
