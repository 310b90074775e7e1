// The one mapping of an upstream request's failure to the catalog's problem (REST and UI alike).
import { describe, expect, it } from 'vitest';
import { ProblemError, UPSTREAM_ANSWERED_TITLE } from '../errors.js';
import { limitedJson, upstreamProblem } from './feature-requests.js';
import { UpstreamCallError, type CallFailureKind } from './types.js';

const request = { server: 's', what: 'reading x://y', timeoutMs: 1000 };

describe('upstreamProblem', () => {
  it('answers each failure kind with one problem type and status', () => {
    const expected: Record<CallFailureKind, [string, number]> = {
      'not-ready': ['server-unavailable', 503],
      'needs-sign-in': ['needs-sign-in', 503],
      'connect-first': ['connect-first', 403],
      timeout: ['timeout', 504],
      cancelled: ['cancelled', 499],
      'invalid-params': ['upstream-error', 502],
      'server-error': ['upstream-error', 502],
      disconnected: ['upstream-error', 502],
      protocol: ['upstream-error', 502],
      'too-large': ['result-too-large', 502],
      'missing-capability': ['missing-client-capability', 502],
    };
    for (const [kind, [type, status]] of Object.entries(expected)) {
      const problem = upstreamProblem(new UpstreamCallError(kind as CallFailureKind, 'why'), request);
      expect([problem.type, problem.status], kind).toEqual([type, status]);
    }
    expect(upstreamProblem(new UpstreamCallError('not-ready', 'starting'), request).extra).toEqual({ retryAfter: 2 });
    expect(upstreamProblem(new UpstreamCallError('timeout', 'x'), request).detail).toBe(
      'reading x://y on server "s" took longer than 1000 ms; it was cancelled',
    );
    expect(upstreamProblem(new Error('boom'), request).type).toBe('upstream-error');
  });

  it("makes a server's error answer the request's own not-found when it has one, else an upstream-error saying it answered", () => {
    for (const kind of ['invalid-params', 'server-error'] as const) {
      const failure = new UpstreamCallError(kind, 'no such thing');
      expect(upstreamProblem(failure, { ...request, refused: 'resource-not-found' }).body()).toMatchObject({
        type: 'resource-not-found',
        status: 404,
        detail: 'server "s" answered reading x://y: no such thing',
      });
      expect(upstreamProblem(failure, request).body()).toMatchObject({ type: 'upstream-error', title: UPSTREAM_ANSWERED_TITLE });
    }
  });

  it('holds an answer to maxBytes as JSON', () => {
    expect(limitedJson({ a: 'b' }, 100, 'x')).toBe('{"a":"b"}');
    const refused = (() => {
      try {
        limitedJson({ a: 'x'.repeat(200) }, 100, 'reading x://y');
      } catch (error) {
        return error as ProblemError;
      }
    })();
    expect(refused?.body()).toMatchObject({ type: 'result-too-large', status: 502, size: 208, limit: 100 });
  });
});
