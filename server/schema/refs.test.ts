import { describe, expect, it } from 'vitest';
import { SchemaReferences } from './refs.js';

describe('SchemaReferences', () => {
  const root = JSON.parse(`{
    "$id": "https://example.com/tool.json",
    "$defs": { "a/b": { "type": "string" }, "list": [{ "type": "integer" }, { "type": "boolean" }], "named": { "$anchor": "here", "type": "number" } },
    "definitions": { "old": { "$id": "#legacy", "type": "null" }, "%": { "const": 1 } },
    "properties": { "p": { "items": { "$dynamicAnchor": "dyn", "minimum": 0 } } }
  }`) as Record<string, unknown>;
  const refs = SchemaReferences.of(root);

  it('resolves the root, JSON pointers, anchors and the root $id', () => {
    expect(refs.resolve('#')?.value).toBe(root);
    expect(refs.resolve('')?.value).toBe(root);
    expect(refs.resolve('#/$defs/a~1b')?.value).toEqual({ type: 'string' });
    expect(refs.resolve('#/$defs/list/1')?.value).toEqual({ type: 'boolean' });
    expect(refs.resolve('#/definitions/%25')?.value).toEqual({ const: 1 });
    expect(refs.resolve('#/properties/p/items')?.value).toEqual({ $dynamicAnchor: 'dyn', minimum: 0 });
    expect(refs.resolve('#here')?.value).toEqual({ $anchor: 'here', type: 'number' });
    expect(refs.resolve('#legacy')?.value).toEqual({ $id: '#legacy', type: 'null' });
    expect(refs.resolve('#dyn')?.value).toEqual({ $dynamicAnchor: 'dyn', minimum: 0 });
    expect(refs.resolve('https://example.com/tool.json#/$defs/a~1b')?.value).toEqual({ type: 'string' });
  });

  it('finds nothing outside the document, behind prototypes or past the end of a list', () => {
    for (const ref of [
      'other.json#/$defs/x',
      '#/$defs/missing',
      '#/$defs/list/2',
      '#/$defs/list/01',
      '#/constructor',
      '#/$defs/toString',
      '#nowhere',
      '#%E0%A4%A',
    ]) {
      expect(refs.resolve(ref)).toBeUndefined();
    }
  });

  it('is one resolver per root object, and resolves against a non-object root too', () => {
    expect(SchemaReferences.of(root)).toBe(refs);
    expect(SchemaReferences.of(true).resolve('#')?.value).toBe(true);
    expect(SchemaReferences.of(true).resolve('#/a')).toBeUndefined();
  });
});
