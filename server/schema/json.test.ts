import { describe, expect, it } from 'vitest';
import {
  assignOwn,
  copyJson,
  countOf,
  finiteOf,
  fromEntries,
  isJsonPrimitive,
  isPlainObject,
  isStringList,
  jsonText,
  own,
  setOwn,
  valueText,
} from './json.js';

describe('JSON values from untrusted input', () => {
  it('takes objects made by JSON, {} and Object.create(null) as plain, nothing else', () => {
    expect(isPlainObject(JSON.parse('{"a":1}'))).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const value of [null, [], 'x', 3, new Date(), new Map(), new (class Thing {})()]) expect(isPlainObject(value)).toBe(false);
  });

  it('reads own properties only', () => {
    const object = JSON.parse('{"type":"string","__proto__":{"x":1}}') as Record<string, unknown>;
    expect(own(object, 'type')).toBe('string');
    expect(own(object, 'constructor')).toBeUndefined();
    expect(own(object, 'toString')).toBeUndefined();
    expect(own(object, '__proto__')).toEqual({ x: 1 });
  });

  it('sets __proto__ as an ordinary key, without touching a prototype', () => {
    const object: Record<string, unknown> = {};
    setOwn(object, '__proto__', { polluted: true });
    expect(Object.keys(object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const built = fromEntries([
      ['__proto__', 1],
      ['a', 2],
    ]);
    expect(Object.keys(built)).toEqual(['__proto__', 'a']);
    expect(
      Object.keys(
        assignOwn(
          fromEntries([
            ['a', 0],
            ['b', 0],
          ]),
          fromEntries([
            ['__proto__', 3],
            ['a', 1],
          ]),
        ),
      ),
    ).toEqual(['a', 'b', '__proto__']);
  });

  it('copies plain JSON and refuses anything else, or nesting deeper than 64 levels', () => {
    const source = JSON.parse('{"a":[1,"x",null,true,{"__proto__":2}]}') as unknown;
    const copy = copyJson(source);
    expect(copy).toEqual(source);
    expect(copy).not.toBe(source);
    expect(Object.keys((copy as { a: Record<string, unknown>[] }).a[4]!)).toEqual(['__proto__']);
    for (const bad of [undefined, Number.NaN, Infinity, () => 1, new Date(), { a: [undefined] }]) expect(copyJson(bad)).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 64; i++) deep = [deep];
    expect(copyJson(deep)).toEqual(deep);
    expect(copyJson([deep])).toBeUndefined();
  });

  it('writes values as JSON text, or says it cannot', () => {
    expect(jsonText({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonText(cyclic)).toBeUndefined();
    expect(jsonText(undefined)).toBeUndefined();
    expect(jsonText(10n)).toBeUndefined();
    expect(valueText('a')).toBe('"a"');
    expect(valueText(undefined)).toBe('undefined');
    expect(valueText(cyclic)).toBe('[object Object]');
  });

  it('checks the shapes keyword values must have', () => {
    expect(isStringList(['a', 'b'])).toBe(true);
    expect(isStringList([])).toBe(true);
    expect(isStringList(['a', 1])).toBe(false);
    expect(isStringList('a')).toBe(false);
    expect([null, 'a', false, 0, -1.5].every(isJsonPrimitive)).toBe(true);
    expect([undefined, Number.NaN, Infinity, {}, []].some(isJsonPrimitive)).toBe(false);
    expect([finiteOf(2.5), finiteOf(Infinity), finiteOf('2')]).toEqual([2.5, undefined, undefined]);
    expect([countOf(0), countOf(3), countOf(-1), countOf(1.5), countOf('3')]).toEqual([0, 3, undefined, undefined, undefined]);
  });
});
