import { describe, expect, it } from 'vitest';
import { declaredTypes, hasType, intersectTypes, jsonType, typeNames, typeValue, unionOfTypes } from './types.js';

describe('JSON Schema types', () => {
  it('reads the names a schema declares in `type`', () => {
    expect(typeNames({ type: 'string' })).toEqual(['string']);
    expect(typeNames({ type: ['string', 5, 'null'] })).toEqual(['string', 'null']);
    expect(typeNames({ type: 5 })).toEqual([]);
    expect(typeNames({})).toEqual([]);
    expect(typeNames(JSON.parse('{"properties":{}}') as Record<string, unknown>)).toEqual([]);
    expect(declaredTypes({ type: ['string', 'null'] })).toEqual(['string', 'null']);
    expect(declaredTypes({ type: ['string', 5] })).toBeUndefined();
    expect(declaredTypes({ type: [] })).toBeUndefined();
    expect(declaredTypes({})).toBeUndefined();
  });

  it('tells the type of a JSON value and whether it fits a type', () => {
    expect([null, [], 1, 1.5, {}, 'a', true].map(jsonType)).toEqual(['null', 'array', 'integer', 'number', 'object', 'string', 'boolean']);
    expect(hasType(1, 'number')).toBe(true);
    expect(hasType(1.5, 'integer')).toBe(false);
    expect(hasType(new Date(), 'object')).toBe(false);
    expect(hasType([], 'object')).toBe(false);
    expect(hasType('x', 'no-such-type')).toBe(true);
  });

  it('combines type lists, "integer" being a part of "number"', () => {
    expect(unionOfTypes(['integer', 'string', 'integer'])).toEqual(['integer', 'string']);
    expect(unionOfTypes(['integer', 'number'])).toEqual(['number']);
    expect(intersectTypes(['integer', 'string'], ['number'])).toEqual(['integer']);
    expect(intersectTypes(['string'], ['number'])).toEqual([]);
    expect(typeValue(['string'])).toBe('string');
    expect(typeValue(['string', 'null'])).toEqual(['string', 'null']);
  });
});
