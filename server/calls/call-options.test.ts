import { describe, expect, it } from 'vitest';
import { upstreamCallOptions } from './call-tool.js';
import { RunningCall } from './running-call.js';

describe('the options a tool call goes upstream with', () => {
  // A getter in an object literal makes V8 put an accessor pair in the old generation that holds the
  // getter's closure, and through it the whole call; options made by a class's `new` were still
  // promoted with the call (~250 bytes a call at concurrency 1, an object literal ~35): every call's
  // objects then outlived the next scavenge (README, "Performance", tenth and eleventh rounds).
  it('hold no getter of their own: `signal` is the prototype’s, made only when read', () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'mcpo', 'async', 'api-key');
    const options = upstreamCallOptions(call, 1000, 5000, undefined);
    const own = Object.getOwnPropertyDescriptors(options);
    expect(Object.entries(own).filter(([, descriptor]) => descriptor.get || descriptor.set)).toEqual([]);
    expect(own.signal).toBeUndefined();
    expect(options.signal).toBe(call.signal);
    expect(options.preferTask).toBe(true);
    expect(options.cancellation).toBe(call);
    expect(options.timeoutMs).toBe(1000);
    expect(options.maxTotalTimeoutMs).toBe(5000);
  });

  it('are an object literal, not an instance of a class (whose `new` promoted them with the call)', () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'mcpo', 'sync', 'api-key');
    const options = upstreamCallOptions(call, 1000, 5000, undefined);
    const prototype = Object.getPrototypeOf(options) as object;
    expect(Object.getPrototypeOf(prototype)).toBe(Object.prototype);
    expect(Object.hasOwn(prototype, 'constructor')).toBe(false);
    expect(options.preferTask).toBe(false);
  });
});
