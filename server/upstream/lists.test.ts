import { describe, expect, it } from 'vitest';
import { ServerLists } from './lists.js';
import type { ToolInfo } from './types.js';

const tool = (name: string): ToolInfo => ({ name, inputSchema: { type: 'object' } });

describe('ServerLists', () => {
  it('stores a listing and finds its tools by name', () => {
    const lists = new ServerLists();
    expect(lists.store('tools', lists.begin(), [tool('a'), tool('b')])).toBe(true);
    expect(lists.tools.map((t) => t.name)).toEqual(['a', 'b']);
    expect(lists.tool('b')?.name).toBe('b');
    expect(lists.tool('c')).toBeUndefined();
  });

  it('keeps the listing that began later when two overlap, per kind', () => {
    const lists = new ServerLists();
    const first = lists.begin();
    const second = lists.begin();
    expect(lists.store('tools', second, [tool('new')])).toBe(true);
    expect(lists.store('tools', first, [tool('old')])).toBe(false);
    expect(lists.tools.map((t) => t.name)).toEqual(['new']);
    expect(lists.tool('old')).toBeUndefined();
    expect(lists.store('prompts', first, [{ name: 'p' }])).toBe(true);
    expect(lists.prompts).toEqual([{ name: 'p' }]);
  });

  it('empties every list', () => {
    const lists = new ServerLists();
    lists.store('tools', lists.begin(), [tool('a')]);
    lists.store('resources', lists.begin(), [{ uri: 'file:///a', name: 'a' }]);
    lists.clear();
    expect([lists.tools, lists.resources, lists.prompts]).toEqual([[], [], []]);
    expect(lists.tool('a')).toBeUndefined();
  });
});
