import { describe, expect, it } from 'vitest';
import { schemaTree, type SchemaNode } from './schema-tree.js';

function count(node: SchemaNode): number {
  return 1 + node.children.reduce((sum, child) => sum + count(child), 0);
}

describe('schemaTree', () => {
  it('shows properties, items and branches with their types, required marks and constraints', () => {
    const tree = schemaTree(
      JSON.parse(`{
      "type": "object", "required": ["name", 3], "additionalProperties": false,
      "properties": {
        "name": { "type": "string", "minLength": 1, "description": "Who" },
        "tags": { "type": ["array", "null"], "items": { "enum": ["a", "b"], "title": "Tag" } },
        "mode": { "oneOf": [{ "const": 1 }, { "type": "string" }] },
        "__proto__": { "type": 5, "default": {"x": 1} }
      }
    }`),
    );
    expect(tree).toMatchObject({ name: '', type: 'object', required: true, constraints: ['no other properties'] });
    expect(tree.children.map((child) => [child.name, child.type, child.required])).toEqual([
      ['name', 'string', true],
      ['tags', 'array | null', false],
      ['mode', 'one of 2 shapes', false],
      ['__proto__', 'any', false],
    ]);
    expect(tree.children[0]).toMatchObject({ description: 'Who', constraints: ['minLength: 1'] });
    expect(tree.children[1]!.children[0]).toMatchObject({
      name: '[item]',
      type: 'enum',
      description: 'Tag',
      constraints: ['one of: "a", "b"'],
    });
    expect(tree.children[2]!.children.map((child) => child.name)).toEqual(['(shape 1)', '(shape 2)']);
    expect(tree.children[3]!.constraints).toEqual(['default: {"x":1}']);
  });

  it('stops at 500 nodes and 8 levels', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 600; i++) properties[`p${i}`] = { type: 'string' };
    const wide = schemaTree({ type: 'object', properties });
    expect(count(wide)).toBe(500);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 12; i++) deep = { type: 'object', properties: { next: deep } };
    let node = schemaTree(deep);
    let depth = 0;
    while (node.children.length > 0) {
      node = node.children[0]!;
      depth++;
    }
    expect(depth).toBe(8);
    expect(node.constraints).toContain('… (nested deeper than shown)');
  });

  it('reads anything that is not a schema as a node of any type', () => {
    expect(schemaTree(null)).toEqual({ name: '', type: 'any', required: true, description: '', constraints: [], children: [] });
    expect(schemaTree([{ type: 'string' }]).type).toBe('any');
  });
});
