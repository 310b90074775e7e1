import { describe, expect, it } from 'vitest';
import type { ToolInfo } from '../upstream/types.js';
import { buildCatalog, groupPicks, groupUses, targetOf, toolDefinition, type ToolSource } from './catalog.js';

const tool = (name: string, extra: Partial<ToolInfo> = {}): ToolInfo => ({ name, inputSchema: { type: 'object' }, ...extra });
const group = { name: 'coding', tools: ['fs/*', 'git/status', '*/read_*'] };
const source: ToolSource = {
  servedTools: () => [
    { server: 'fs', tools: [tool('write_file'), tool('read_file')] },
    { server: 'git', tools: [tool('status'), tool('commit')] },
    { server: 'memory', tools: [tool('read_graph'), tool('delete_entities')] },
  ],
  hasServer: (name) => ['fs', 'git', 'memory'].includes(name),
  group: (name) => (name === 'coding' ? group : undefined),
};

describe('an endpoint catalog', () => {
  it('finds the endpoint of a name: a server, a group, or none', () => {
    expect(targetOf(undefined, source)).toEqual({ kind: 'all' });
    expect(targetOf('git', source)).toEqual({ kind: 'server', server: 'git' });
    expect(targetOf('coding', source)).toEqual({ kind: 'group', group });
    expect(targetOf('nobody', source)).toBeUndefined();
  });

  it('picks a group by its patterns, `*` in either part', () => {
    const picks = groupPicks(group);
    expect(picks({ server: 'fs', tool: 'anything' })).toBe(true);
    expect(picks({ server: 'git', tool: 'status' })).toBe(true);
    expect(picks({ server: 'git', tool: 'commit' })).toBe(false);
    expect(picks({ server: 'memory', tool: 'read_graph' })).toBe(true);
    expect(picks({ server: 'memory', tool: 'delete_entities' })).toBe(false);
    expect(groupUses(group, 'memory')).toBe(true);
    expect(groupUses({ name: 'g', tools: ['fs/*'] }, 'git')).toBe(false);
    const names = buildCatalog({ kind: 'group', group }, source).tools.map((entry) => entry.name);
    expect(names).toEqual(['fs__write_file', 'fs__read_file', 'git__status', 'memory__read_graph']);
  });

  it('passes a definition through as listed, and on aggregate endpoints renames it and says where it comes from', () => {
    const listed = {
      name: 'read_file',
      title: 'Read',
      inputSchema: { type: 'object' },
      icons: [{ src: 'https://x/i.png' }],
      _meta: { a: 1 },
    };
    const entry = { name: 'fs__read_file', server: 'fs', tool: 'read_file', info: tool('read_file', { definition: listed }) };
    expect(toolDefinition({ ...entry, name: 'read_file' }, false)).toEqual(listed);
    expect(toolDefinition(entry, true)).toEqual({
      ...listed,
      name: 'fs__read_file',
      _meta: { a: 1, 'mcp-gateway/origin': { server: 'fs', tool: 'read_file' } },
    });
  });
});
