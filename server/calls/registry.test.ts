import { describe, expect, it } from 'vitest';
import { CallRegistry } from './registry.js';
import { ProblemError } from '../errors.js';
import { RunningCall, type CallResult } from './running-call.js';

const settings = { finishedCallTtlMs: 60_000, asyncCalls: { maxFinished: 10, maxFinishedBytes: 1_000_000, maxPerCaller: 10 } };
const admin = { caller: 'api-key', seesAll: true };

function finishedAsyncCall(registry: CallRegistry, id: string, text: string): RunningCall {
  const call = new RunningCall(id, 'req', 's', 't', 'api', 'async', 'key:a');
  registry.add(call);
  registry.admit(call);
  call.accept();
  const result = { content: [{ type: 'text', text }], isError: false };
  const json = JSON.stringify(result);
  const produced: CallResult = { result, durationMs: 1, json, bytes: Buffer.byteLength(json) };
  call.finish({ outcome: 'ok', result: produced });
  if (registry.finished(call)) call.keepOneCopy();
  return call;
}

describe('a kept async call', () => {
  it('holds its result once: the JSON is rebuilt when read, not stored', () => {
    const registry = new CallRegistry(() => settings);
    const call = finishedAsyncCall(registry, 'c1', 'x'.repeat(1000));
    const success = registry.get('c1', admin)!.end!.result!;
    for (const copy of ['json'] as const) {
      // A getter on the kept result's prototype (RunningCall.keepOneCopy), not a stored value.
      expect(Object.hasOwn(success, copy), copy).toBe(false);
      const property = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(success) as object, copy)!;
      expect(property.get, copy).toBeTypeOf('function');
      expect('value' in property, copy).toBe(false);
    }
    expect(JSON.parse(success.json)).toEqual({ content: [{ type: 'text', text: 'x'.repeat(1000) }], isError: false });
    expect(success.json).toBe(JSON.stringify(success.result));
    expect(call.end!.result).toBe(success);
  });
});

describe("a caller's share of async calls", () => {
  it("holds with maxPerCaller 1: the new call forgets the caller's kept one, and a second is refused while it runs", () => {
    const registry = new CallRegistry(() => ({ ...settings, asyncCalls: { ...settings.asyncCalls, maxPerCaller: 1 } }));
    finishedAsyncCall(registry, 'c1', 'first');
    const start = (id: string) => {
      const call = new RunningCall(id, 'req', 's', 't', 'api', 'async', 'key:a');
      registry.add(call);
      registry.admit(call);
      call.accept();
      return call;
    };
    // c1 is kept: the next call makes room by forgetting it, and runs.
    const second = start('c2');
    expect(registry.get('c1', admin)).toBeUndefined();
    // While c2 runs, the caller's share is full, again and again.
    for (let i = 0; i < 3; i++) expect(() => start(`c3-${i}`)).toThrow(expect.objectContaining({ type: 'too-many-calls' }));
    // Another caller has a share of its own.
    const other = new RunningCall('b1', 'req', 's', 't', 'api', 'async', 'key:b');
    registry.add(other);
    expect(() => registry.admit(other)).not.toThrow();
    // Once c2 has ended (and is kept), one call may run again, and only one.
    second.finish({ outcome: 'cancelled', error: new ProblemError('cancelled') });
    registry.finished(second);
    start('c4');
    expect(registry.get('c2', admin)).toBeUndefined();
    expect(() => start('c5')).toThrow(expect.objectContaining({ type: 'too-many-calls' }));
  });
});
