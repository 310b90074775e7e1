import { describe, expect, it } from 'vitest';
import { DEFAULT_APPROVAL_SETTINGS } from '../config/load.js';
import type { ApprovalAction, ApprovalRule, ApprovalSettings, ArgumentCondition, ServerApproval } from '../config/types.js';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import { decide, deniesAlways, timeoutFor, type PolicyTool } from './policy.js';

type RuleSpec = Partial<Omit<ApprovalRule, 'source'>> & { action: ApprovalAction };

function settings(rules: RuleSpec[] = [], extra: Partial<ApprovalSettings> = {}): ApprovalSettings {
  return {
    ...DEFAULT_APPROVAL_SETTINGS,
    default: 'ask',
    timeoutMs: 120_000,
    notify: [],
    ...extra,
    rules: rules.map((r, i) => ({ server: '*', tool: '*', when: [], ...r, source: `$.approval.rules[${i}]` })),
  };
}

function serverOf(name: string, rules: RuleSpec[] = [], extra: Omit<ServerApproval, 'rules'> = {}) {
  return {
    name,
    approval: {
      ...extra,
      rules: rules.map((r, i) => ({ server: name, tool: '*', when: [], ...r, source: `$.mcpServers.${name}.approval.rules[${i}]` })),
    },
  };
}

const tool = (name: string, annotations?: PolicyTool['annotations']): PolicyTool => ({ name, ...(annotations && { annotations }) });

/** The decision for tool `t` of server `s` with the given top-level rules and no server rules. */
const decideTop = (rules: RuleSpec[], t = 'write_file', s = 'fs', args: Record<string, unknown> = {}) =>
  decide(settings(rules), serverOf(s), tool(t), args);

describe('precedence', () => {
  it.each<[ApprovalAction[], ApprovalAction, number]>([
    [['allow', 'ask', 'deny'], 'deny', 2],
    [['deny', 'ask', 'allow'], 'deny', 0],
    [['ask', 'allow'], 'ask', 0],
    [['allow', 'ask'], 'ask', 1],
    [['allow', 'allow'], 'allow', 0],
    [['ask', 'deny', 'deny'], 'deny', 1],
  ])('%j → %s (rule %i)', (actions, action, index) => {
    const decision = decideTop(actions.map((a) => ({ action: a })));
    expect(decision).toEqual({ action, rule: `$.approval.rules[${index}]`, reason: `rule $.approval.rules[${index}] says ${action}` });
  });

  it('weighs top-level and server rules together', () => {
    const top = settings([{ action: 'allow' }]);
    expect(decide(top, serverOf('fs', [{ action: 'deny' }]), tool('t'), {}).rule).toBe('$.mcpServers.fs.approval.rules[0]');
    expect(decide(settings([{ action: 'deny' }]), serverOf('fs', [{ action: 'allow' }]), tool('t'), {}).rule).toBe('$.approval.rules[0]');
    expect(decide(settings([{ action: 'ask' }]), serverOf('fs', [{ action: 'ask' }]), tool('t'), {}).rule).toBe('$.approval.rules[0]');
    expect(decide(settings([{ action: 'allow' }]), serverOf('fs', [{ action: 'ask', tool: 'other' }]), tool('t'), {})).toMatchObject({
      action: 'allow',
      rule: '$.approval.rules[0]',
    });
  });

  it('applies a server rule only to its own server, and a top-level rule by its server glob', () => {
    const fs = serverOf('fs', [{ action: 'deny' }]);
    expect(decide(settings(), fs, tool('t'), {}).action).toBe('deny');
    // The server's rules hold its name, but decide never checks them against another server: they live in it.
    expect(decide(settings([{ action: 'deny', server: 'git' }]), serverOf('fs'), tool('t'), {}).rule).toBe('default');
    expect(decide(settings([{ action: 'deny', server: 'git' }]), serverOf('git'), tool('t'), {}).action).toBe('deny');
  });
});

describe('globs', () => {
  const matches = (pattern: string, name: string) => decideTop([{ action: 'deny', tool: pattern }], name).action === 'deny';
  const serverMatches = (pattern: string, name: string) => decideTop([{ action: 'deny', server: pattern }], 't', name).action === 'deny';

  it.each<[string, string, boolean]>([
    ['*', 'anything', true],
    ['*', '', true],
    ['write_*', 'write_file', true],
    ['write_*', 'write_', true],
    ['write_*', 'rewrite_file', false],
    ['*_file', 'read_file', true],
    ['*_file', 'read_file_now', false],
    ['read?file', 'read_file', true],
    ['read?file', 'readfile', false],
    ['read?file', 'read__file', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxcyyb', false],
    ['fs.read', 'fs.read', true],
    ['fs.read', 'fsXread', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['(x)|[y]', '(x)|[y]', true],
    ['^x$', '^x$', true],
    ['read', 'read_file', false],
    ['read', 'xread', false],
    ['Read', 'read', false],
    ['?', 'é', true],
    ['?', '😀', true],
    ['a*', 'a\nb', true],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(matches(pattern, name)).toBe(expected);
  });

  it('applies the same globs to server names', () => {
    expect(serverMatches('fs*', 'fs-home')).toBe(true);
    expect(serverMatches('fs*', 'my-fs')).toBe(false);
    expect(serverMatches('fs-?', 'fs-1')).toBe(true);
    expect(serverMatches('fs', 'FS')).toBe(false);
  });
});

describe('conditions', () => {
  const when =
    (...conditions: ArgumentCondition[]) =>
    (args: Record<string, unknown>) =>
      decideTop([{ action: 'deny', when: conditions }], 't', 'fs', args).action === 'deny';

  it('equals compares JSON values deeply, objects regardless of key order', () => {
    expect(when({ pointer: '/path', equals: '/etc' })({ path: '/etc' })).toBe(true);
    expect(when({ pointer: '/path', equals: '/etc' })({ path: '/etc/' })).toBe(false);
    expect(when({ pointer: '/n', equals: 1 })({ n: 1 })).toBe(true);
    expect(when({ pointer: '/n', equals: 1 })({ n: '1' })).toBe(false);
    expect(when({ pointer: '/n', equals: null })({ n: null })).toBe(true);
    expect(when({ pointer: '/n', equals: null })({})).toBe(false);
    expect(when({ pointer: '/flag', equals: false })({ flag: false })).toBe(true);
    expect(when({ pointer: '/o', equals: { a: 1, b: [1, { c: 2 }] } })({ o: { b: [1, { c: 2 }], a: 1 } })).toBe(true);
    expect(when({ pointer: '/o', equals: { a: 1 } })({ o: { a: 1, b: 2 } })).toBe(false);
    expect(when({ pointer: '/o', equals: { a: 1, b: 2 } })({ o: { a: 1 } })).toBe(false);
    expect(when({ pointer: '/o', equals: [1, 2] })({ o: [2, 1] })).toBe(false);
    expect(when({ pointer: '/o', equals: [1, 2] })({ o: { 0: 1, 1: 2 } })).toBe(false);
    expect(when({ pointer: '/o', equals: {} })({ o: [] })).toBe(false);
  });

  it('in holds when the target equals one of the values', () => {
    const test = when({ pointer: '/mode', in: ['w', 'a', { x: [1] }] });
    expect(test({ mode: 'w' })).toBe(true);
    expect(test({ mode: 'a' })).toBe(true);
    expect(test({ mode: { x: [1] } })).toBe(true);
    expect(test({ mode: 'r' })).toBe(false);
    expect(test({})).toBe(false);
    expect(when({ pointer: '/mode', in: [] })({ mode: 'w' })).toBe(false);
  });

  it('matches searches strings only, unanchored unless the expression says so', () => {
    expect(when({ pointer: '/path', matches: /^\/etc\// })({ path: '/etc/passwd' })).toBe(true);
    expect(when({ pointer: '/path', matches: /^\/etc\// })({ path: '/home/etc/x' })).toBe(false);
    expect(when({ pointer: '/path', matches: /etc/ })({ path: '/home/etc/x' })).toBe(true);
    expect(when({ pointer: '/n', matches: /1/ })({ n: 1 })).toBe(false);
    expect(when({ pointer: '/n', matches: /1/ })({ n: ['1'] })).toBe(false);
    expect(when({ pointer: '/n', matches: /null/ })({ n: null })).toBe(false);
  });

  it('needs every condition to hold', () => {
    const test = when({ pointer: '/a', equals: 1 }, { pointer: '/b', equals: 2 });
    expect(test({ a: 1, b: 2 })).toBe(true);
    expect(test({ a: 1, b: 3 })).toBe(false);
    expect(test({ b: 2 })).toBe(false);
  });

  it('"" is the whole arguments object', () => {
    expect(when({ pointer: '', equals: { a: 1 } })({ a: 1 })).toBe(true);
    expect(when({ pointer: '', equals: {} })({ a: 1 })).toBe(false);
  });

  it('follows RFC 6901: nested keys, array indices, ~1 and ~0 escapes, the empty key', () => {
    const args = {
      a: { b: [10, { c: 'deep' }] },
      'x/y': 'slash',
      'm~n': 'tilde',
      '~1': 'literal tilde-one',
      '': { '': 'empty keys' },
      list: ['zero', 'one'],
    };
    expect(when({ pointer: '/a/b/0', equals: 10 })(args)).toBe(true);
    expect(when({ pointer: '/a/b/1/c', equals: 'deep' })(args)).toBe(true);
    expect(when({ pointer: '/x~1y', equals: 'slash' })(args)).toBe(true);
    expect(when({ pointer: '/m~0n', equals: 'tilde' })(args)).toBe(true);
    // "~01" is "~1" (the ~0 is decoded last), not "/".
    expect(when({ pointer: '/~01', equals: 'literal tilde-one' })(args)).toBe(true);
    expect(when({ pointer: '/', equals: { '': 'empty keys' } })(args)).toBe(true);
    expect(when({ pointer: '//', equals: 'empty keys' })(args)).toBe(true);
    expect(when({ pointer: '/list/1', equals: 'one' })(args)).toBe(true);
  });

  it('makes a condition false when its target is missing', () => {
    const args = { a: { b: [10] }, s: 'text', n: null, proto: {} };
    for (const pointer of [
      '/missing',
      '/a/c',
      '/a/b/1',
      '/a/b/-',
      '/a/b/01',
      '/a/b/x',
      '/a/b/0/deeper',
      '/s/length',
      '/s/0',
      '/n/x',
      '/proto/toString',
      '/proto/__proto__',
      '/a/constructor',
    ]) {
      for (const condition of [
        { pointer, equals: null },
        { pointer, in: [null, undefined] },
        { pointer, matches: /.*/ },
      ]) {
        expect(when(condition)(args), `${pointer} ${JSON.stringify(condition)}`).toBe(false);
      }
    }
  });

  it('reports the rule whose conditions hold, not an earlier one whose do not', () => {
    const rules: RuleSpec[] = [
      { action: 'deny', when: [{ pointer: '/path', matches: /^\/etc\// }] },
      { action: 'deny', tool: 'write_*' },
    ];
    expect(decideTop(rules, 'write_file', 'fs', { path: '/tmp/x' }).rule).toBe('$.approval.rules[1]');
    expect(decideTop(rules, 'write_file', 'fs', { path: '/etc/x' }).rule).toBe('$.approval.rules[0]');
  });
});

describe('conditions on the forwarded user', () => {
  const ALICE = { id: 'u-alice', name: 'alice', email: 'Alice@Example.com', role: 'user' };
  const BOB = { id: 'u-bob', name: 'Bob', email: 'bob@example.com', role: 'admin' };
  const decideFor = (rules: RuleSpec[], user?: ForwardedUser) => decide(settings(rules), serverOf('fs'), tool('write_file'), {}, user);
  const forAlice: RuleSpec = { action: 'allow', when: [{ user: ['u-alice'] }] };

  it('matches the user by id or by email in any case, never by the display name', () => {
    expect(decideFor([forAlice], ALICE).action).toBe('allow');
    expect(decideFor([{ action: 'allow', when: [{ user: ['alice@example.COM'] }] }], ALICE).action).toBe('allow');
    expect(decideFor([{ action: 'allow', when: [{ user: ['alice'] }] }], ALICE).action).toBe('ask');
    expect(decideFor([{ action: 'allow', when: [{ user: ['someone', 'u-alice'] }] }], ALICE).action).toBe('allow');
  });

  it('does not apply a rule for alice to bob, nor to a call that forwards no user', () => {
    expect(decideFor([forAlice], BOB)).toMatchObject({ action: 'ask', rule: 'default' });
    expect(decideFor([forAlice])).toMatchObject({ action: 'ask', rule: 'default' });
    expect(decideFor([forAlice], { name: 'u-alice' }).action).toBe('ask');
  });

  it('matches the role, and combines with conditions on the arguments', () => {
    const rules: RuleSpec[] = [{ action: 'deny', when: [{ role: ['admin'] }, { pointer: '/path', matches: /^\/etc\// }] }];
    const decideOn = (args: Record<string, unknown>, user?: ForwardedUser) =>
      decide(settings(rules), serverOf('fs'), tool('write_file'), args, user).action;
    expect(decideOn({ path: '/etc/passwd' }, BOB)).toBe('deny');
    expect(decideOn({ path: '/tmp/x' }, BOB)).toBe('ask');
    expect(decideOn({ path: '/etc/passwd' }, ALICE)).toBe('ask');
    expect(decideOn({ path: '/etc/passwd' }, { id: 'x' })).toBe('ask');
    expect(decideOn({ path: '/etc/passwd' })).toBe('ask');
  });

  it("applies a server's own user rules, and deny still beats a user's allow", () => {
    const server = serverOf('fs', [{ action: 'allow', when: [{ user: ['u-alice'] }] }]);
    expect(decide(settings(), server, tool('write_file'), {}, ALICE).action).toBe('allow');
    expect(decide(settings([{ action: 'deny', tool: 'write_file' }]), server, tool('write_file'), {}, ALICE).action).toBe('deny');
  });
});

describe('defaults and annotations', () => {
  it('applies the top-level default when no rule matches', () => {
    for (const action of ['allow', 'ask', 'deny'] as const) {
      expect(decide(settings([], { default: action }), serverOf('fs'), tool('t'), {})).toEqual({
        action,
        rule: 'default',
        reason: `no rule matched; the default is ${action}`,
      });
    }
  });

  it("lets the server's default win over the top-level one", () => {
    expect(decide(settings([], { default: 'deny' }), serverOf('fs', [], { default: 'allow' }), tool('t'), {})).toEqual({
      action: 'allow',
      rule: 'default',
      reason: 'no rule matched; the default of server fs is allow',
    });
    expect(decide(settings([], { default: 'allow' }), serverOf('fs', [], { default: 'ask' }), tool('t'), {}).action).toBe('ask');
    expect(decide(settings([], { default: 'allow' }), serverOf('fs', [], { default: 'deny' }), tool('t'), {}).action).toBe('deny');
  });

  it('allows a readOnlyHint tool under an "ask" default', () => {
    expect(decide(settings(), serverOf('fs'), tool('read', { readOnlyHint: true }), {})).toEqual({
      action: 'allow',
      rule: 'default (readOnlyHint)',
      reason: 'no rule matched; the tool is annotated readOnlyHint, so the "ask" default allows it',
    });
    expect(
      decide(settings([], { default: 'deny' }), serverOf('fs', [], { default: 'ask' }), tool('read', { readOnlyHint: true }), {}),
    ).toMatchObject({
      action: 'allow',
      rule: 'default (readOnlyHint)',
    });
  });

  it.each<[string, PolicyTool['annotations']]>([
    ['no annotations', undefined],
    ['readOnlyHint false', { readOnlyHint: false }],
    ['readOnlyHint truthy but not true', { readOnlyHint: 'yes' as unknown as boolean }],
    ['readOnlyHint and destructiveHint', { readOnlyHint: true, destructiveHint: true }],
    ['destructiveHint only', { destructiveHint: true }],
  ])('keeps asking with %s', (_label, annotations) => {
    expect(decide(settings(), serverOf('fs'), tool('t', annotations), {})).toMatchObject({ action: 'ask', rule: 'default' });
  });

  it('allows a readOnlyHint tool whose destructiveHint is false', () => {
    expect(decide(settings(), serverOf('fs'), tool('t', { readOnlyHint: true, destructiveHint: false }), {}).action).toBe('allow');
  });

  it('never lets annotations relax a deny default or a matching rule', () => {
    const readOnly = tool('read_file', { readOnlyHint: true });
    expect(decide(settings([], { default: 'deny' }), serverOf('fs'), readOnly, {})).toMatchObject({ action: 'deny', rule: 'default' });
    expect(decide(settings([], { default: 'allow' }), serverOf('fs', [], { default: 'deny' }), readOnly, {}).action).toBe('deny');
    expect(decide(settings([{ action: 'ask', tool: 'read_*' }]), serverOf('fs'), readOnly, {})).toMatchObject({
      action: 'ask',
      rule: '$.approval.rules[0]',
    });
    expect(decide(settings(), serverOf('fs', [{ action: 'ask' }]), readOnly, {})).toMatchObject({
      action: 'ask',
      rule: '$.mcpServers.fs.approval.rules[0]',
    });
    expect(decide(settings([{ action: 'deny' }]), serverOf('fs'), readOnly, {}).action).toBe('deny');
  });

  it('does not make a destructive tool ask under an "allow" default', () => {
    expect(decide(settings([], { default: 'allow' }), serverOf('fs'), tool('rm', { destructiveHint: true }), {}).action).toBe('allow');
  });
});

describe('deniesAlways', () => {
  const always = (rules: RuleSpec[], extra: Partial<ApprovalSettings> = {}, serverRules: RuleSpec[] = []) =>
    deniesAlways(settings(rules, extra), serverOf('fs', serverRules), tool('sampling/createMessage'));

  it('is true for a deny rule without conditions, or a deny default no conditional rule can change', () => {
    expect(always([{ tool: 'sampling/*', action: 'deny' }])).toBe(true);
    expect(always([{ action: 'allow', when: [{ pointer: '/x', equals: 1 }] }, { action: 'deny' }])).toBe(true);
    expect(always([], {}, [{ tool: 'sampling/createMessage', action: 'deny' }])).toBe(true);
    expect(always([], { default: 'deny' })).toBe(true);
    expect(always([{ tool: 'other', action: 'allow' }], { default: 'deny' })).toBe(true);
  });

  it('is false when some call may pass: no deny, a rule of another server, or a rule with conditions', () => {
    expect(always([])).toBe(false);
    expect(always([{ server: 'other', action: 'deny' }])).toBe(false);
    expect(always([{ action: 'allow', when: [{ pointer: '/x', equals: 1 }] }], { default: 'deny' })).toBe(false);
    expect(always([{ action: 'deny', when: [{ pointer: '/x', equals: 1 }] }])).toBe(false);
  });
});

describe('timeoutFor', () => {
  it("is the server's timeoutMs, else the top-level one", () => {
    expect(timeoutFor(settings([], { timeoutMs: 5000 }), serverOf('fs'))).toBe(5000);
    expect(timeoutFor(settings([], { timeoutMs: 5000 }), serverOf('fs', [], { timeoutMs: 250 }))).toBe(250);
  });
});
