import { describe, expect, it } from 'vitest';
import type { Identity } from '../auth/identity.js';
import { MAX_USED_NONCES, UsedNonces, checkRelayState, inputRelayOf, relayState } from './input-relay.js';

const alice: Identity = { kind: 'key', id: 'key:alice', label: 'alice', scopes: ['tools:call'] } as Identity;
const bob: Identity = { ...alice, id: 'key:bob' };
const target = (definition = 'def-1') => ({ server: 'm', target: 'tools/call ask', definition: () => definition });
const approval = { id: 'appr-1', until: 6000 };
const asks = { name: { method: 'elicitation/create' } };

describe('the sealed state of a relayed input_required round', () => {
  it('carries an approval for its call only within its time and for the tool’s definition of then', () => {
    const sealed = relayState('up', alice, target(), { b: 1, a: 2 }, approval, asks);
    expect(sealed).toMatchObject({
      state: 'up',
      owner: 'key:alice',
      server: 'm',
      target: 'tools/call ask',
      approvedUntil: 6000,
      approval: 'appr-1',
      requests: { name: 'elicitation/create' },
    });
    // The arguments in another key order are the same arguments.
    expect(checkRelayState(sealed, alice, target(), { a: 2, b: 1 }, 5999)).toBe(true);
    expect(checkRelayState(sealed, alice, target(), { a: 2, b: 1 }, 6000)).toBe(false);
    expect(checkRelayState(sealed, alice, target('def-2'), { a: 2, b: 1 }, 5999)).toBe(false);
    expect(checkRelayState(relayState(undefined, alice, target(), {}, undefined, asks), alice, target(), {}, 5001)).toBe(false);
  });

  it('has a nonce of its own each time it is sealed', () => {
    const one = relayState('up', alice, target(), {}, approval, asks);
    const two = relayState('up', alice, target(), {}, approval, asks);
    expect(one.nonce).toEqual(expect.any(String));
    expect(one.nonce).not.toBe(two.nonce);
  });

  it('is refused (-32602) for another caller, server, tool or arguments', () => {
    const sealed = relayState('up', alice, target(), { a: 1 }, undefined, asks);
    for (const [who, where, args] of [
      [bob, target(), { a: 1 }],
      [alice, { ...target(), server: 'n' }, { a: 1 }],
      [alice, { ...target(), target: 'prompts/get ask' }, { a: 1 }],
      [alice, target(), { a: 2 }],
    ] as const)
      expect(() => checkRelayState(sealed, who, where, args)).toThrow(expect.objectContaining({ code: -32602 }));
  });
});

describe('the used nonces of sealed approvals', () => {
  it('count once each, until their deadline; past the cap none counts until some expire', () => {
    let now = 0;
    const used = new UsedNonces(() => now);
    expect(used.use('n1', 100)).toBe(true);
    expect(used.use('n1', 100)).toBe(false);
    for (let index = 1; index < MAX_USED_NONCES; index++) used.use(`x${index}`, 50);
    expect(used.size).toBe(MAX_USED_NONCES);
    expect(used.use('n2', 100)).toBe(false);
    now = 60;
    expect(used.use('n2', 100)).toBe(true);
    expect(used.size).toBe(2);
    expect(used.use('n1', 100)).toBe(false);
  });
});

describe('what a 2026-07-28 client relays', () => {
  it('is nothing without a declared elicitation, sampling or roots; else those, its responses and the server’s state', () => {
    expect(inputRelayOf(undefined, undefined, undefined)).toBeUndefined();
    expect(inputRelayOf({}, { k: {} }, undefined)).toBeUndefined();
    const resumed = relayState('server-state', alice, target(), {}, undefined, { k: { method: 'elicitation/create' } });
    expect(inputRelayOf({ sampling: {}, elicitation: { form: {} } }, { k: { action: 'accept' } }, resumed)).toEqual({
      capabilities: { sampling: {}, elicitation: { form: {} } },
      inputResponses: { k: { action: 'accept' } },
      requestState: 'server-state',
    });
  });

  it('forwards only the responses to the sealed round’s keys, and none without a seal', () => {
    const resumed = relayState(undefined, alice, target(), {}, undefined, { k: { method: 'elicitation/create' } });
    const responses = { k: { action: 'accept' }, roots: { roots: [{ uri: 'file:///etc' }] } };
    expect(inputRelayOf({ elicitation: {}, roots: {} }, responses, resumed)?.inputResponses).toEqual({ k: { action: 'accept' } });
    expect(inputRelayOf({ elicitation: {}, roots: {} }, responses, undefined)).toEqual({ capabilities: { elicitation: {}, roots: {} } });
  });
});
