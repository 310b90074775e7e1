import { describe, expect, it } from 'vitest';
import type { ApprovalAction, ApprovalRule, ApprovalSettings } from '../config/types.js';
import { decide } from '../approvals/policy.js';
import { policyMark } from './policy-marks.js';

function policy(action: ApprovalAction, rules: Omit<ApprovalRule, 'source'>[]): ApprovalSettings {
  return {
    default: action,
    timeoutMs: 120_000,
    rules: rules.map((rule, i) => ({ ...rule, source: `$.approval.rules[${i}]` })),
    notify: [],
    maxPending: 200,
    maxPendingPerCaller: 20,
    notifyIntervalMs: 30_000,
  };
}

const tmpOnly = { pointer: '/path', matches: /^\/tmp\// };
const server = { name: 'fs', approval: { rules: [] } };
const read = { name: 'read' };

describe('policyMark', () => {
  const rows: [string, ApprovalSettings, string | null][] = [
    [
      'deny default, conditional allow',
      policy('deny', [{ server: 'fs', tool: 'read', action: 'allow', when: [tmpOnly] }]),
      'may-be-refused',
    ],
    ['deny default, conditional ask', policy('deny', [{ server: 'fs', tool: 'read', action: 'ask', when: [tmpOnly] }]), 'may-be-refused'],
    ['deny default, conditional deny', policy('deny', [{ server: 'fs', tool: 'read', action: 'deny', when: [tmpOnly] }]), 'refused'],
    [
      'deny default, conditional allow of another tool',
      policy('deny', [{ server: 'fs', tool: 'write', action: 'allow', when: [tmpOnly] }]),
      'refused',
    ],
    ['ask default, conditional allow', policy('ask', [{ server: '*', tool: 'read', action: 'allow', when: [tmpOnly] }]), 'may-ask'],
    ['ask default, conditional deny', policy('ask', [{ server: 'fs', tool: '*', action: 'deny', when: [tmpOnly] }]), 'may-ask'],
    ['ask default, conditional ask', policy('ask', [{ server: 'fs', tool: 'read', action: 'ask', when: [tmpOnly] }]), 'asks'],
    [
      'deny rule, conditional allow (deny beats allow)',
      policy('allow', [
        { server: 'fs', tool: 'read', action: 'deny', when: [] },
        { server: 'fs', tool: 'read', action: 'allow', when: [tmpOnly] },
      ]),
      'refused',
    ],
    [
      'ask rule, conditional allow (ask beats allow)',
      policy('allow', [
        { server: 'fs', tool: 'read', action: 'ask', when: [] },
        { server: 'fs', tool: 'read', action: 'allow', when: [tmpOnly] },
      ]),
      'asks',
    ],
    ['allow default, conditional ask', policy('allow', [{ server: 'fs', tool: 'read', action: 'ask', when: [tmpOnly] }]), 'may-ask'],
    [
      'allow default, conditional deny',
      policy('allow', [{ server: 'fs', tool: 'read', action: 'deny', when: [tmpOnly] }]),
      'may-be-refused',
    ],
    ['allow default, conditional allow', policy('allow', [{ server: 'fs', tool: 'read', action: 'allow', when: [tmpOnly] }]), null],
  ];

  it.each(rows)('%s → %s', (_name, settings, kind) => {
    expect(policyMark(settings, server, read)?.kind ?? null).toBe(kind);
  });

  it('agrees with decide(): a tool marked refused or asks decides so for any path, a "may" mark differs between paths', () => {
    for (const [name, settings, kind] of rows) {
      const actions = new Set(['/tmp/x', '/etc/passwd'].map((path) => decide(settings, server, read, { path }).action));
      const expected =
        actions.size > 1
          ? actions.has('deny')
            ? 'may-be-refused'
            : 'may-ask'
          : ({ deny: 'refused', ask: 'asks', allow: null } as const)[[...actions][0]!];
      // "ask default, conditional deny" asks or refuses: marked by what most calls do.
      if (name === 'ask default, conditional deny') expect(actions).toEqual(new Set(['ask', 'deny']));
      else expect(kind, name).toBe(expected);
    }
  });

  it("reads a server's own default and rules as well", () => {
    const own = {
      name: 'fs',
      approval: {
        default: 'deny' as const,
        rules: [{ server: 'fs', tool: 'read', action: 'allow' as const, when: [tmpOnly], source: '$.mcpServers.fs.approval.rules[0]' }],
      },
    };
    expect(policyMark(policy('allow', []), own, read)?.kind).toBe('may-be-refused');
    expect(policyMark(policy('allow', []), { ...own, approval: { ...own.approval, default: 'ask' as const } }, read)?.kind).toBe('may-ask');
  });

  it('says why: the default, and the rule that decides otherwise when its conditions hold', () => {
    expect(policyMark(rows[0]![1], server, read)).toEqual({
      kind: 'may-be-refused',
      text: 'may be refused',
      reason: 'no rule matched; the default is deny, but rule $.approval.rules[0] allows when its conditions on the arguments hold',
    });
  });

  it('says when the conditions are on the forwarded user', () => {
    const forAlice = {
      server: '*',
      tool: '*',
      action: 'allow' as const,
      when: [{ user: ['alice@example.com'] }],
      source: '$.approval.rules[0]',
    };
    const both = { ...forAlice, when: [...forAlice.when, tmpOnly] };
    expect(policyMark(policy('deny', [forAlice]), server, read)?.reason).toBe(
      'no rule matched; the default is deny, but rule $.approval.rules[0] allows when its conditions on the forwarded user hold',
    );
    expect(policyMark(policy('deny', [both]), server, read)?.reason).toBe(
      'no rule matched; the default is deny, but rule $.approval.rules[0] allows when its conditions on the arguments and the forwarded user hold',
    );
  });
});
