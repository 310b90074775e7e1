import { describe, expect, it } from 'vitest';
import { UpstreamCallOptions } from './call-tool.js';
import { RunningCall } from './running-call.js';

describe('the options a tool call goes upstream with', () => {
  // A getter in an object literal makes V8 put an accessor pair in the old generation that holds the
  // getter's closure, and through it the whole call: every call's objects then outlived the next
  // scavenge and were promoted (README, "Performance", tenth round; the figures are `npm run bench`'s).
  it('hold no getter of their own: `signal` is the prototype’s, made only when read', () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'mcpo', 'async', 'api-key');
    const options = new UpstreamCallOptions(call, 1000, 5000, undefined);
    const own = Object.getOwnPropertyDescriptors(options);
    expect(Object.entries(own).filter(([, descriptor]) => descriptor.get || descriptor.set)).toEqual([]);
    expect(own.signal).toBeUndefined();
    expect(options.signal).toBe(call.signal);
    expect(options.preferTask).toBe(true);
    expect(options.cancellation).toBe(call);
  });
});
