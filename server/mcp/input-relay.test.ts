import { describe, expect, it } from 'vitest';
import type { Identity } from '../auth/identity.js';
import { checkRelayState, inputRelayOf, relayState } from './input-relay.js';

const alice: Identity = { kind: 'key', id: 'key:alice', label: 'alice', scopes: ['tools:call'] } as Identity;
const bob: Identity = { ...alice, id: 'key:bob' };
const target = (definition = 'def-1') => ({ server: 'm', target: 'tools/call ask', definition: () => definition });

describe('the sealed state of a relayed input_required round', () => {
  it('carries an approval for its call only within its time and for the tool’s definition of then', () => {
    const sealed = relayState('up', alice, target(), { b: 1, a: 2 }, true, 1000, 5000);
    expect(sealed).toMatchObject({ state: 'up', owner: 'key:alice', server: 'm', target: 'tools/call ask', approvedUntil: 6000 });
    // The arguments in another key order are the same arguments.
    expect(checkRelayState(sealed, alice, target(), { a: 2, b: 1 }, 5999)).toBe(true);
    expect(checkRelayState(sealed, alice, target(), { a: 2, b: 1 }, 6000)).toBe(false);
    expect(checkRelayState(sealed, alice, target('def-2'), { a: 2, b: 1 }, 5999)).toBe(false);
    expect(checkRelayState(relayState(undefined, alice, target(), {}, false, 1000, 5000), alice, target(), {}, 5001)).toBe(false);
  });

  it('is refused (-32602) for another caller, server, tool or arguments', () => {
    const sealed = relayState('up', alice, target(), { a: 1 }, false, 1000);
    for (const [who, where, args] of [
      [bob, target(), { a: 1 }],
      [alice, { ...target(), server: 'n' }, { a: 1 }],
      [alice, { ...target(), target: 'prompts/get ask' }, { a: 1 }],
      [alice, target(), { a: 2 }],
    ] as const)
      expect(() => checkRelayState(sealed, who, where, args)).toThrow(expect.objectContaining({ code: -32602 }));
  });
});

describe('what a 2026-07-28 client relays', () => {
  it('is nothing without a declared elicitation, sampling or roots; else those, its responses and the server’s state', () => {
    expect(inputRelayOf(undefined, undefined, undefined)).toBeUndefined();
    expect(inputRelayOf({}, { k: {} }, undefined)).toBeUndefined();
    const resumed = relayState('server-state', alice, target(), {}, false, 0);
    expect(inputRelayOf({ sampling: {}, elicitation: { form: {} } }, { k: { action: 'accept' } }, resumed)).toEqual({
      capabilities: { sampling: {}, elicitation: { form: {} } },
      inputResponses: { k: { action: 'accept' } },
      requestState: 'server-state',
    });
  });
});
