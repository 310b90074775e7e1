import { describe, expect, it } from 'vitest';
import { RunningCall } from '../calls/running-call.js';
import { ParkedCalls } from './parked-calls.js';

const call = (id: string) => new RunningCall(id, 'req', 'fx', 'echo', 'mcp', 'stream', 'key:1');
const echo = { server: 'fx', target: 'tools/call echo' };

describe('parked calls', () => {
  it('are taken once, by the identity that parked them', () => {
    const parked = new ParkedCalls(() => 60_000);
    const waiting = call('c1');
    parked.put(waiting, 'key:1', echo, { a: 1 });
    expect(parked.take('c1', 'key:2', echo, { a: 1 })).toBeUndefined();
    expect(parked.take('c1', 'key:1', echo, { a: 1 })).toMatchObject({ call: waiting, target: echo, args: { a: 1 } });
    expect(parked.take('c1', 'key:1', echo, { a: 1 })).toBeUndefined();
  });

  it('are refused (-32602) for another server, tool or arguments, and stay parked for their own', () => {
    const parked = new ParkedCalls(() => 60_000);
    const waiting = call('c3');
    parked.put(waiting, 'key:1', echo, { a: 1, b: 2 });
    for (const [target, args] of [
      [
        { ...echo, target: 'tools/call other' },
        { a: 1, b: 2 },
      ],
      [
        { ...echo, server: 'other' },
        { a: 1, b: 2 },
      ],
      [echo, { a: 1, b: 3 }],
    ] as const)
      expect(() => parked.take('c3', 'key:1', target, args)).toThrow(expect.objectContaining({ code: -32602 }));
    // The same arguments in another key order.
    expect(parked.take('c3', 'key:1', echo, { b: 2, a: 1 })?.call).toBe(waiting);
  });

  it('are dropped after their time, and one still waiting is cancelled (nobody will come for it)', () => {
    let now = 0;
    const parked = new ParkedCalls(
      () => 1000,
      () => now,
    );
    const waiting = call('c2');
    parked.put(waiting, 'key:1', echo, {});
    now = 1001;
    expect(parked.take('c2', 'key:1', echo, {})).toBeUndefined();
    expect(waiting.signal.aborted).toBe(true);
  });
});
