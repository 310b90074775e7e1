import { describe, expect, it } from 'vitest';
import { McpSessions, type SessionRecord } from './sessions.js';

function record(id: string, closed: string[], lastSeen = 0): SessionRecord {
  return { id, owner: 'key:1', endpoint: '', busy: 0, lastSeen, close: async () => void closed.push(id) };
}

describe('the MCP session table', () => {
  it('finds a session only for the identity and endpoint that opened it', () => {
    const sessions = new McpSessions({ maxSessions: () => 10, idleMs: () => 60_000 });
    sessions.add(record('s1', []));
    expect(sessions.find('s1', 'key:1', '')).toBeDefined();
    expect(sessions.find('s1', 'key:2', '')).toBeUndefined();
    expect(sessions.find('s1', 'key:1', 'fs')).toBeUndefined();
    sessions.forget('s1');
  });

  it('ends the session idle the longest to make room, never a busy one, and refuses when all are busy', async () => {
    let now = 1000;
    const closed: string[] = [];
    const sessions = new McpSessions({ maxSessions: () => 2, idleMs: () => 60_000 }, () => now);
    const a = record('a', closed, 10);
    const b = record('b', closed, 5);
    sessions.add(a);
    sessions.add(b);
    const leave = sessions.enter(b); // b is busy, though idle longer
    expect(sessions.makeRoom()).toBe(true);
    await Promise.resolve();
    expect(closed).toEqual(['a']);
    sessions.add(record('c', closed, now));
    const leaveC = sessions.enter(sessions.find('c', 'key:1', '')!);
    expect(sessions.makeRoom()).toBe(false);
    leave();
    leaveC();
    now += 61_000;
    sessions.sweep();
    await Promise.resolve();
    expect(closed.sort()).toEqual(['a', 'b', 'c']);
    expect(sessions.size).toBe(0);
  });
});
