import { describe, expect, it } from 'vitest';
import { TOOL_NAME_PATTERN, aggregateNames, shortName } from './names.js';

describe('aggregate tool names', () => {
  it('are {server}__{tool} when that is a legal, unique name', () => {
    expect(
      aggregateNames([
        { server: 'fs', tool: 'read_file' },
        { server: 'memory', tool: 'read_graph' },
      ]),
    ).toEqual(['fs__read_file', 'memory__read_graph']);
  });

  it('are shortened with a stable hash when too long, when they hold other characters, or when two would be the same', () => {
    const long = { server: 'a-server-with-a-rather-long-name', tool: 'and_a_tool_whose_name_goes_on_and_on_and_on' };
    const dotted = { server: 'github', tool: 'repos.list' };
    const clashA = { server: 'a__b', tool: 'c' };
    const clashB = { server: 'a', tool: 'b__c' };
    const names = aggregateNames([long, dotted, clashA, clashB]);
    for (const name of names) expect(name).toMatch(TOOL_NAME_PATTERN);
    expect(new Set(names).size).toBe(4);
    expect(names[0]).toBe(shortName(long));
    expect(names[0]!.startsWith('a-server-with-a-rather-long-name__and_a_tool')).toBe(true);
    expect(names[1]).toMatch(/^github__repos_list_[0-9a-f]{8}$/);
    expect(names[2]).not.toBe('a__b__c');
    // The same tool gets the same name in every listing, whatever else is listed with it.
    expect(aggregateNames([dotted])).toEqual([names[1]]);
  });
});
