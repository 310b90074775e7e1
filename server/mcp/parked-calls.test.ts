import { describe, expect, it } from 'vitest';
import { RunningCall } from '../calls/running-call.js';
import { ParkedCalls } from './parked-calls.js';

const call = (id: string) => new RunningCall(id, 'req', 'fx', 'echo', 'mcp', 'stream', 'key:1');

describe('parked calls', () => {
  it('are taken once, by the identity that parked them', () => {
    const parked = new ParkedCalls(() => 60_000);
    const waiting = call('c1');
    parked.put(waiting, 'key:1');
    expect(parked.take('c1', 'key:2')).toBeUndefined();
    expect(parked.take('c1', 'key:1')).toBe(waiting);
    expect(parked.take('c1', 'key:1')).toBeUndefined();
  });

  it('are dropped after their time, and one still waiting is cancelled (nobody will come for it)', () => {
    let now = 0;
    const parked = new ParkedCalls(
      () => 1000,
      () => now,
    );
    const waiting = call('c2');
    parked.put(waiting, 'key:1');
    now = 1001;
    expect(parked.take('c2', 'key:1')).toBeUndefined();
    expect(waiting.signal.aborted).toBe(true);
  });
});
