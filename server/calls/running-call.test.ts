// A call keeps the questions its server asked for its activity entry, but not without end.
import { describe, expect, it } from 'vitest';
import type { Question } from '../questions/book.js';
import { MAX_RECORDED_QUESTIONS, RunningCall, type CallResult } from './running-call.js';

describe('RunningCall', () => {
  it(`keeps the first ${MAX_RECORDED_QUESTIONS} ended questions of a server that asks on and on`, () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'api', 'stream', 'api-key');
    for (let i = 0; i < MAX_RECORDED_QUESTIONS + 25; i++) {
      call.reportQuestion({ id: `q${i}`, state: 'cancelled' } as Question);
    }
    expect(call.endedQuestions).toHaveLength(MAX_RECORDED_QUESTIONS);
    expect(call.endedQuestions![0]!.id).toBe('q0');
  });
});

describe('RunningCall.onCancel', () => {
  it('calls each listener once on cancel, not one removed before it ran, not after the end', () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'mcpo', 'sync', 'api-key');
    const calls: string[] = [];
    const removeA = call.onCancel(() => {
      calls.push('a');
      removeA(); // removes itself while the listeners run
      removeC(); // and one that has not run yet
    });
    call.onCancel(() => calls.push('b'));
    const removeC = call.onCancel(() => calls.push('c'));
    const removeD = call.onCancel(() => calls.push('d'));
    removeD();
    call.cancel();
    call.cancel();
    expect(calls).toEqual(['a', 'b']);
    expect(call.isCancelled).toBe(true);

    const ended = new RunningCall('call-2', 'request-2', 'server', 'tool', 'mcpo', 'sync', 'api-key');
    ended.onCancel(() => calls.push('late'));
    ended.finish({ outcome: 'ok' });
    ended.cancel();
    expect(calls).toEqual(['a', 'b']);
  });
});

describe('RunningCall.keepOneCopy', () => {
  // A getter in an object literal makes V8 put an accessor pair in the old generation that holds the
  // getter's closure, and through it the result (as for the call's options: call-options.test.ts).
  it('keeps a result that holds no getter of its own: `json` is the prototype’s, serialized when read', () => {
    const call = new RunningCall('call-1', 'request-1', 'server', 'tool', 'api', 'async', 'api-key');
    const result = { content: [{ type: 'text', text: 'kept' }], isError: false };
    const json = JSON.stringify(result);
    call.finish({ outcome: 'ok', result: { result, durationMs: 7, json, bytes: Buffer.byteLength(json) } });
    call.keepOneCopy();
    const kept = call.end!.result! satisfies CallResult;
    const own = Object.getOwnPropertyDescriptors(kept);
    expect(Object.entries(own).filter(([, descriptor]) => descriptor.get || descriptor.set)).toEqual([]);
    expect(own.json).toBeUndefined();
    expect(kept.json).toBe(json);
    expect(kept).toMatchObject({ result, durationMs: 7, bytes: Buffer.byteLength(json) });
    expect(call.end!.outcome).toBe('ok');
  });
});
