import { describe, expect, it } from 'vitest';
import { callCapabilities, callerWouldSupply, checkRound, declaringToo, relayable, relayCapabilities } from './input-relay.js';

const round = (...requests: { method: string; params?: Record<string, unknown> }[]) => ({
  inputRequests: Object.fromEntries(requests.map((request, index) => [`k${index}`, request])),
});
const elicitForm = { method: 'elicitation/create', params: { message: 'name?' } };
const elicitUrl = { method: 'elicitation/create', params: { mode: 'url', message: 'open', url: 'https://example.test' } };
const sample = { method: 'sampling/createMessage', params: {} };
const roots = { method: 'roots/list' };
const gateway = { sampling: {}, elicitation: { form: {}, url: {} } };

describe('which input_required rounds a caller relays', () => {
  it('those whose every input request it declared, by elicitation mode', () => {
    const formOnly = { capabilities: { elicitation: {} } };
    expect(relayable(round(elicitForm), formOnly, gateway)).toBe(true);
    expect(relayable(round(elicitUrl), formOnly, gateway)).toBe(false);
    expect(relayable(round(elicitUrl), { capabilities: { elicitation: { url: {} } } }, gateway)).toBe(true);
    // A URL that is not http(s) is the gateway's to decline.
    const script = { ...elicitUrl, params: { ...elicitUrl.params, url: 'javascript:alert(1)' } };
    expect(relayable(round(script), { capabilities: { elicitation: { url: {} } } }, gateway)).toBe(false);
    expect(relayable(round(elicitForm, sample), formOnly, gateway)).toBe(false);
    expect(relayable(round(elicitForm, sample), { capabilities: { elicitation: {}, sampling: {} } }, gateway)).toBe(true);
    expect(relayable(round({ method: 'ping' }), { capabilities: { elicitation: {}, sampling: {}, roots: {} } }, gateway)).toBe(false);
    // A round of the server's state alone has nothing to answer.
    expect(relayable({ inputRequests: {}, requestState: 's' }, formOnly, gateway)).toBe(true);
  });

  it('roots only while the gateway answers none for the server, and declares the caller’s then', () => {
    const caller = { capabilities: { roots: { listChanged: true, forged: 'x' } } };
    expect(relayable(round(roots), caller, gateway)).toBe(true);
    // Bare: nothing of the caller's declaration goes upstream.
    expect(relayCapabilities(gateway, caller)).toEqual({ ...gateway, roots: {} });
    const configured = { ...gateway, roots: { listChanged: true } };
    expect(relayable(round(roots), caller, configured)).toBe(false);
    expect(relayCapabilities(configured, caller)).toBe(configured);
  });
});

describe('the rounds the gateway refuses, relayed or not', () => {
  it('an elicitation of a server it declares none for, and a sampling request the policy denies', () => {
    const noElicitation = { sampling: {} };
    expect(() => checkRound(round(elicitForm), noElicitation, undefined)).toThrow(/does not declare/);
    expect(() => checkRound(round(elicitForm, sample), gateway, undefined)).not.toThrow();
    const denies = (request: unknown) => (request === sample.params ? 'the gateway refuses sampling for server m: denied' : undefined);
    expect(() => checkRound(round(sample), gateway, denies)).toThrow(/refuses sampling/);
    expect(() => checkRound(round(elicitForm, roots), gateway, denies)).not.toThrow();
  });
});

describe('what one call declares upstream (callCapabilities)', () => {
  const declared = { ...gateway, roots: { listChanged: true }, extensions: { x: {} } };

  it('sampling only when the gateway’s endpoint or the caller samples for it; the rest as the gateway declares it', () => {
    const { sampling: _, ...rest } = declared;
    expect(callCapabilities(declared, 'relay')).toEqual(rest);
    expect(callCapabilities(declared, 'gateway')).toEqual(declared);
    // A relaying caller that declared sampling answers it itself.
    expect(callCapabilities(declared, 'relay', { capabilities: { sampling: {} } })).toEqual(declared);
    expect(callCapabilities(declared, 'relay', { capabilities: { elicitation: {} } })).toEqual(rest);
    // The policy denies all of the server's sampling: nobody answers it, whoever would.
    expect(callCapabilities(declared, 'none', { capabilities: { sampling: {} } })).toEqual(rest);
    // Nothing the gateway does not declare (a server's elicitation: false stays so).
    expect(callCapabilities({ sampling: {} }, 'gateway', { capabilities: { elicitation: {}, sampling: {} } })).toEqual({ sampling: {} });
  });

  it('a bare roots for a relaying caller that declared roots, when the gateway declares none', () => {
    expect(callCapabilities(gateway, 'relay', { capabilities: { roots: { listChanged: true } } })).toEqual({
      elicitation: gateway.elicitation,
      roots: {},
    });
  });
});

describe('whether a caller’s declaring them meets a -32021 (callerWouldSupply)', () => {
  const declared = { ...gateway, extensions: { x: {} } };
  const { sampling: _, ...withoutSampling } = declared;
  const would = (required: Record<string, unknown>, now = withoutSampling) =>
    callerWouldSupply(required, now, callCapabilities(declared, 'relay', { capabilities: declaringToo({}, required) }));

  it('yes for sampling the call did not declare and would have with the caller’s', () => {
    expect(would({ sampling: {} })).toBe(true);
    expect(would({ sampling: {}, elicitation: {} })).toBe(true);
  });

  it('no for what the gateway does not declare, a setting it lacks, or what the call declared already', () => {
    expect(would({ sampling: { tools: {} } })).toBe(false);
    expect(would({ tasks: {} })).toBe(false);
    expect(would({ extensions: { x: {} } })).toBe(false);
    expect(would({ sampling: {}, tasks: {} })).toBe(false);
    expect(would({ elicitation: {} })).toBe(false);
    expect(would({ sampling: {} }, declared)).toBe(false);
    expect(would({})).toBe(false);
    // No elicitation declared for the server (its elicitation: false): declaring it does not add it.
    expect(
      callerWouldSupply({ elicitation: {} }, {}, callCapabilities({ sampling: {} }, 'relay', { capabilities: { elicitation: {} } })),
    ).toBe(false);
  });
});
