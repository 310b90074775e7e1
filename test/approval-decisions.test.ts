// Deciding an approval, as every surface does it (server/approvals/decisions.ts): who may read and
// decide, who the audit names, and each reason a decision is refused, straight from the approval
// book over a real SQLite file (the surfaces' words for them are in approvals*.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalBook, type Approval } from '../server/approvals/book.js';
import { toolDefinitionHash } from '../server/approvals/binding.js';
import { MAX_DECISION_REASON, applyDecision, deciderOf, mayDecide, mayRead } from '../server/approvals/decisions.js';
import { createLogger } from '../server/logging/logger.js';
import { openDatabase, type Db } from '../server/state/db.js';
import type { ToolInfo } from '../server/upstream/types.js';
import { tempDir } from './helpers/temp.js';

const ECHO: ToolInfo = {
  name: 'echo',
  description: 'Echoes.',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
};
const PERSON = deciderOf({ id: 'key:1', label: 'Phone' }, 'api');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A book on a fresh state folder (or `stateDir`), whose tool `fx/echo` has the definition `tool()` says. */
function bookOn(stateDir = tempDir(), tool: () => ToolInfo = () => ECHO): { book: ApprovalBook; db: Db; stateDir: string } {
  const db = openDatabase(stateDir);
  const book = new ApprovalBook(
    db,
    createLogger('silent'),
    (server, name) => (server === 'fx' && name === 'echo' ? toolDefinitionHash(tool()) : undefined),
    {
      bindingKey: Buffer.alloc(32, 7),
      settings: () => ({ maxPending: 100, maxPendingPerCaller: 100 }),
    },
  );
  cleanups.push(() => {
    book.close();
    db.close();
  });
  return { book, db, stateDir };
}

/** Holds a call of `fx/echo`: its approval (created at once) and `settled`, which resolves once it is decided. */
function hold(book: ApprovalBook, message = 'hi'): { approval: Approval; settled: Promise<Approval> } {
  let created: Approval | undefined;
  const settled = book.wait(
    {
      callId: `call-${message}`,
      server: 'fx',
      tool: ECHO,
      args: { message },
      caller: 'key:2',
      callerLabel: 'Agent',
      rule: 'default',
      ruleReason: 'asks',
      timeoutMs: 60_000,
      signal: new AbortController().signal,
    },
    (approval) => (created = approval),
  );
  return { approval: created!, settled };
}

describe('who may decide and read', () => {
  it('names a decider by their label, with the trusted Tailscale login, and the channel', () => {
    expect(deciderOf({ id: 'ui', label: 'UI (start-up key)' }, 'ui')).toEqual({ id: 'ui', label: 'UI (start-up key)', via: 'ui' });
    expect(deciderOf({ id: 'device:9', label: 'Pixel 8' }, 'api', 'ana@example.com')).toEqual({
      id: 'device:9',
      label: 'Pixel 8 (ana@example.com)',
      via: 'api',
    });
  });

  it('lets approvals:decide (and admin) decide and read all; a caller reads only the approval of its own call', async () => {
    const { book } = bookOn();
    const { approval } = hold(book);
    expect(mayDecide({ scopes: ['approvals:decide'] })).toBe(true);
    expect(mayDecide({ scopes: ['admin'] })).toBe(true);
    expect(mayDecide({ scopes: ['tools:call', 'tools:read'] })).toBe(false);
    expect(mayRead({ id: 'key:5', scopes: ['approvals:decide'] }, approval)).toBe(true);
    expect(mayRead({ id: 'key:2', scopes: ['tools:call'] }, approval)).toBe(true);
    expect(mayRead({ id: 'key:3', scopes: ['tools:call'] }, approval)).toBe(false);
  });
});

describe('applyDecision', () => {
  it('applies the first decision and refuses a later one, naming the winner', async () => {
    const { book } = bookOn();
    const { approval, settled } = hold(book);
    const first = applyDecision(book, approval.id, true, PERSON, { reason: '  fine  ', binding: approval.binding });
    expect(first).toMatchObject({ ok: true, approval: { state: 'approved', decidedByLabel: 'Phone', decidedVia: 'api', reason: 'fine' } });
    expect((await settled).state).toBe('approved');
    const late = applyDecision(book, approval.id, false, deciderOf({ id: 'ui', label: 'UI' }, 'ui'));
    expect(late).toMatchObject({ ok: false, why: 'already-decided', approval: { state: 'approved', decidedByLabel: 'Phone' } });
  });

  it('refuses an unknown id, a reason over the limit (before anything else), and a binding the decider did not see', async () => {
    const { book } = bookOn();
    expect(applyDecision(book, 'apr_nope', true, PERSON)).toEqual({ ok: false, why: 'not-found' });
    const { approval } = hold(book);
    const long = 'x'.repeat(MAX_DECISION_REASON + 1);
    expect(applyDecision(book, 'apr_nope', false, PERSON, { reason: long })).toEqual({ ok: false, why: 'reason-too-long', limit: 500 });
    expect(applyDecision(book, approval.id, false, PERSON, { reason: long })).toEqual({ ok: false, why: 'reason-too-long', limit: 500 });
    // Exactly the limit, once trimmed, is taken.
    const mismatch = applyDecision(book, approval.id, true, PERSON, {
      reason: ` ${'x'.repeat(MAX_DECISION_REASON)} `,
      binding: 'b'.repeat(64),
    });
    expect(mismatch).toMatchObject({ ok: false, why: 'binding-mismatch', approval: { id: approval.id, state: 'pending' } });
    expect(book.get(approval.id)!.state).toBe('pending');
  });

  it('voids an approval whose tool changed since the call asked, instead of approving it', async () => {
    let tool = ECHO;
    const { book } = bookOn(undefined, () => tool);
    const { approval, settled } = hold(book);
    tool = { ...ECHO, description: 'Now does something else.' };
    expect(applyDecision(book, approval.id, true, PERSON)).toMatchObject({
      ok: false,
      why: 'void',
      approval: { state: 'void', decidedVia: 'gateway' },
    });
    expect((await settled).state).toBe('void');
  });

  it('says "not waiting" for an approval pending in the database that no call of this book waits for', async () => {
    const first = bookOn();
    const { approval } = hold(first.book);
    // Another book on the same state (another gateway process) sees the row, but holds no call.
    const second = bookOn(first.stateDir);
    expect(applyDecision(second.book, approval.id, true, PERSON)).toMatchObject({
      ok: false,
      why: 'not-waiting',
      approval: { id: approval.id, state: 'pending' },
    });
    expect(first.book.get(approval.id)!.state).toBe('pending');
  });
});
