import { describe, expect, it } from 'vitest';
import type { Json } from '../../shared/json';
import { jsonShape } from '../../shared/actions/json-shape';

const order: Json = {
  data: {
    order: { id: 12345, status: 'shipped', eta: '2025-01-03', gift: false, note: null },
    items: [
      { name: 'Mug', qty: 1 },
      { name: 'Tea', qty: 3 },
    ],
  },
};

describe('jsonShape', () => {
  it('names the type of strings, numbers, booleans and null', () => {
    expect(jsonShape('hello')).toBe('string');
    expect(jsonShape(42.5)).toBe('number');
    expect(jsonShape(false)).toBe('boolean');
    expect(jsonShape(null)).toBe('null');
  });

  it('describes an object by its sorted keys and their shapes', () => {
    expect(jsonShape({ b: 'x', a: 1, c: { z: true, y: null } })).toBe('{a:number,b:string,c:{y:null,z:boolean}}');
    expect(jsonShape({})).toBe('{}');
  });

  it('gives two bodies with the same keys and types but different values the same shape', () => {
    const other: Json = {
      data: {
        items: [{ qty: 7, name: 'Plate' }],
        order: { note: null, gift: true, eta: 'tomorrow', status: 'pending', id: 1 },
      },
    };
    expect(jsonShape(other)).toBe(jsonShape(order));
  });

  it('changes when a key is added, removed or renamed', () => {
    const shape = jsonShape({ id: 1, status: 'shipped' });
    expect(jsonShape({ id: 1, status: 'shipped', eta: 'Monday' })).not.toBe(shape);
    expect(jsonShape({ id: 1 })).not.toBe(shape);
    expect(jsonShape({ id: 1, state: 'shipped' })).not.toBe(shape);
  });

  it('changes when a value changes type, however deep', () => {
    const shape = jsonShape(order);
    expect(jsonShape({ data: { ...(order as { data: object }).data, items: 'none' } })).not.toBe(shape);
    expect(jsonShape({ data: { order: { id: '12345' } } })).not.toBe(jsonShape({ data: { order: { id: 12345 } } }));
    expect(jsonShape({ list: [{ qty: '1' }] })).not.toBe(jsonShape({ list: [{ qty: 1 }] }));
  });

  it('merges the elements of an array into one shape, whatever their number or order', () => {
    expect(jsonShape([1, 2, 3])).toBe('[number]');
    expect(jsonShape(['a', 1, null, 'b', 2])).toBe('[null|number|string]');
    expect(jsonShape([null, 'b'])).toBe(jsonShape(['a', null]));
    expect(jsonShape([{ a: 1 }, { b: 'x' }, { a: 2 }])).toBe('[{a:number}|{b:string}]');
    expect(jsonShape([[1], [], ['x']])).toBe('[[]|[number]|[string]]');
  });

  it('describes an empty array as []', () => {
    expect(jsonShape([])).toBe('[]');
    expect(jsonShape({ items: [] })).toBe('{items:[]}');
  });

  it('stays short for a big array of like elements', () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({
      id: i,
      name: `item ${i}`,
      tags: ['a', 'b'],
      price: i / 3,
    }));
    const shape = jsonShape({ items });
    expect(shape).toBe('{items:[{id:number,name:string,price:number,tags:[string]}]}');
  });

  it('quotes keys that are not plain words, so that no key reads as structure', () => {
    expect(jsonShape({ 'content-type': 'x', 'a b': 1, '': null })).toBe('{"":null,"a b":number,content-type:string}');
    expect(jsonShape({ 'a:number,b': 1 })).not.toBe(jsonShape({ a: 1, b: 1 }));
    expect(jsonShape({ 'a|b': 1 })).toBe('{"a|b":number}');
  });

  it('is deterministic whatever the order keys were inserted in', () => {
    const forward: Record<string, Json> = {};
    const backward: Record<string, Json> = {};
    const keys = ['zeta', 'alpha', 'Mid', '_x', '10', '9'];
    for (const key of keys) forward[key] = 1;
    for (const key of [...keys].reverse()) backward[key] = 1;
    expect(jsonShape(forward)).toBe(jsonShape(backward));
  });
});
