import { afterEach, describe, expect, it, vi } from 'vitest';
import { CODE_ALPHABET, Pairings, normaliseCode, validLabel, type PairingState, type PairingView } from './pairing.js';

/** A pairing store on a clock that moves only when told. */
function setup(options: { ttlMs?: number; maxWrongTries?: number } = {}) {
  let clock = 1_000_000;
  const pairings = new Pairings({ ...options, now: () => clock });
  const changes: PairingView[] = [];
  pairings.on('change', (view) => changes.push(view));
  return {
    pairings,
    changes,
    states: () => changes.map((view) => view.state),
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

/** The code as someone might type it: lower case, odd spacing, no dash. */
const sloppy = (code: string) =>
  ` ${code.slice(0, 2).toLowerCase()} ${code.slice(2, 4)}${code.slice(5, 7).toLowerCase()} -${code.slice(7)} `;

/** A code that is certainly not `code`: its first letter changed. */
function otherCode(code: string): string {
  const first = code[0] === 'B' ? 'C' : 'B';
  return first + code.slice(1);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Pairings', () => {
  it('starts a pairing with a short code, a long secret and a 2-minute expiry', () => {
    const { pairings, now } = setup();
    expect(pairings.current()).toBeUndefined();
    const { view, secret } = pairings.start('admin');
    expect(view.code).toMatch(new RegExp(`^[${CODE_ALPHABET}]{4}-[${CODE_ALPHABET}]{4}$`));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(view.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(view).toEqual({ id: view.id, code: view.code, state: 'open', expiresAt: now() + 120_000, wrongTries: 0, startedBy: 'admin' });
    expect(JSON.stringify(view)).not.toContain(secret);
    expect(pairings.current()).toEqual(view);
  });

  it('happy path: claim by code in odd formatting, confirm, collect once', () => {
    const { pairings, states, changes } = setup();
    const { view } = pairings.start('admin');
    const claim = pairings.claim({ code: sloppy(view.code), label: '  Ada’s phone 📱 ' });
    if (!claim.ok) throw new Error(`claim failed: ${claim.reason}`);
    expect(claim.pairingId).toBe(view.id);
    expect(claim.confirmation).toMatch(/^\d{6}$/);
    expect(claim.claimToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pairings.current()).toMatchObject({ state: 'claimed', label: 'Ada’s phone 📱', confirmation: claim.confirmation });

    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'waiting' });
    const confirmed = pairings.confirm(view.id);
    expect(confirmed).toEqual({ ok: true, view: expect.objectContaining({ state: 'confirmed', label: 'Ada’s phone 📱' }) });
    expect(pairings.confirm(view.id)).toEqual({ ok: false, reason: 'already-confirmed' });

    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'confirmed', label: 'Ada’s phone 📱', pairingId: view.id });
    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'gone', reason: 'collected' });
    expect(pairings.current()?.state).toBe('collected');
    expect(pairings.cancel(view.id)).toBe(false);
    expect(states()).toEqual(['open', 'claimed', 'confirmed', 'collected']);
    expect(changes.every((change) => change.id === view.id)).toBe(true);
  });

  it('claims by secret', () => {
    const { pairings } = setup();
    const { view, secret } = pairings.start('admin');
    const claim = pairings.claim({ secret, label: 'phone' });
    expect(claim).toMatchObject({ ok: true, pairingId: view.id });
    expect(pairings.current()?.wrongTries).toBe(0);
  });

  it('refuses a wrong secret (a try) and uses the secret over the code when both come', () => {
    const { pairings } = setup();
    const { view, secret } = pairings.start('admin');
    expect(pairings.claim({ secret: secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'), code: view.code, label: 'p' })).toEqual({
      ok: false,
      reason: 'wrong',
      triesLeft: 4,
    });
    expect(pairings.claim({ label: 'p' })).toEqual({ ok: false, reason: 'wrong', triesLeft: 3 });
    expect(pairings.claim({ secret: '', code: view.code, label: 'p' })).toMatchObject({ ok: true });
  });

  it('fails a claim with no pairing', () => {
    const { pairings } = setup();
    expect(pairings.claim({ code: 'BCDF-GHJK', label: 'phone' })).toEqual({ ok: false, reason: 'no-pairing' });
    expect(pairings.confirm('nope')).toEqual({ ok: false, reason: 'no-pairing' });
    expect(pairings.cancel('nope')).toBe(false);
    expect(pairings.collect('nope')).toEqual({ state: 'gone', reason: 'unknown' });
  });

  it('expires before the claim', () => {
    const { pairings, advance, states } = setup();
    const { view, secret } = pairings.start('admin');
    advance(119_999);
    expect(pairings.current()?.state).toBe('open');
    advance(1);
    expect(pairings.claim({ code: view.code, label: 'phone' })).toEqual({ ok: false, reason: 'expired' });
    expect(pairings.claim({ secret, label: 'phone' })).toEqual({ ok: false, reason: 'expired' });
    expect(pairings.current()).toMatchObject({ state: 'expired', wrongTries: 0 });
    expect(pairings.confirm(view.id)).toEqual({ ok: false, reason: 'expired' });
    expect(pairings.cancel(view.id)).toBe(false);
    expect(states()).toEqual(['open', 'expired']); // announced once
  });

  it('expires between claim and confirmation (the claim does not extend it)', () => {
    const { pairings, advance, states } = setup();
    const { view, secret } = pairings.start('admin');
    advance(100_000);
    const claim = pairings.claim({ secret, label: 'phone' });
    if (!claim.ok) throw new Error(claim.reason);
    advance(20_000);
    expect(pairings.confirm(view.id)).toEqual({ ok: false, reason: 'expired' });
    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'gone', reason: 'expired' });
    expect(states()).toEqual(['open', 'claimed', 'expired']);
  });

  it('expires between confirmation and collection', () => {
    const { pairings, advance } = setup();
    const { view, secret } = pairings.start('admin');
    const claim = pairings.claim({ secret, label: 'phone' });
    if (!claim.ok) throw new Error(claim.reason);
    expect(pairings.confirm(view.id).ok).toBe(true);
    advance(120_000);
    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'gone', reason: 'expired' });
  });

  it('voids the pairing after 5 wrong tries, even for the right code afterwards', () => {
    const { pairings, states } = setup();
    const { view, secret } = pairings.start('admin');
    const wrong = otherCode(normaliseCode(view.code));
    for (const left of [4, 3, 2, 1]) {
      expect(pairings.claim({ code: wrong, label: 'phone' })).toEqual({ ok: false, reason: 'wrong', triesLeft: left });
    }
    expect(pairings.current()).toMatchObject({ state: 'open', wrongTries: 4 });
    expect(pairings.claim({ code: 'nonsense', label: 'phone' })).toEqual({ ok: false, reason: 'wrong', triesLeft: 0 });
    expect(pairings.current()).toMatchObject({ state: 'void', wrongTries: 5 });
    expect(pairings.claim({ code: view.code, label: 'phone' })).toEqual({ ok: false, reason: 'void' });
    expect(pairings.claim({ secret, label: 'phone' })).toEqual({ ok: false, reason: 'void' });
    expect(pairings.confirm(view.id)).toEqual({ ok: false, reason: 'void' });
    expect(states()).toEqual(['open', 'open', 'open', 'open', 'open', 'void']);
  });

  it('honours maxWrongTries', () => {
    const { pairings } = setup({ maxWrongTries: 1 });
    const { view } = pairings.start('admin');
    expect(pairings.claim({ code: otherCode(normaliseCode(view.code)), label: 'p' })).toEqual({ ok: false, reason: 'wrong', triesLeft: 0 });
    expect(pairings.claim({ code: view.code, label: 'p' })).toEqual({ ok: false, reason: 'void' });
  });

  it('refuses a second claim without disturbing the first claimant', () => {
    const { pairings } = setup();
    const { view, secret } = pairings.start('admin');
    const first = pairings.claim({ code: view.code, label: 'first' });
    if (!first.ok) throw new Error(first.reason);
    expect(pairings.claim({ code: view.code, label: 'second' })).toEqual({ ok: false, reason: 'already-claimed' });
    expect(pairings.claim({ secret, label: 'second' })).toEqual({ ok: false, reason: 'already-claimed' });
    // Wrong guesses at a claimed pairing are refused but do not count (they could void it).
    for (let i = 0; i < 6; i++)
      expect(pairings.claim({ code: otherCode(normaliseCode(view.code)), label: 'x' })).toEqual({ ok: false, reason: 'wrong' });
    expect(pairings.current()).toMatchObject({ state: 'claimed', label: 'first', confirmation: first.confirmation, wrongTries: 0 });
    expect(pairings.confirm(view.id).ok).toBe(true);
    expect(pairings.collect(first.claimToken)).toEqual({ state: 'confirmed', label: 'first', pairingId: view.id });
  });

  it('never confirms without the admin: waiting, then gone after the expiry', () => {
    const { pairings, advance } = setup();
    const { secret } = pairings.start('admin');
    const claim = pairings.claim({ secret, label: 'phone' });
    if (!claim.ok) throw new Error(claim.reason);
    for (let t = 0; t < 119; t++) {
      expect(pairings.collect(claim.claimToken)).toEqual({ state: 'waiting' });
      advance(1000);
    }
    advance(1000);
    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'gone', reason: 'expired' });
    expect(pairings.collect('some other token')).toEqual({ state: 'gone', reason: 'unknown' });
  });

  it('voids the previous pairing on a new start', () => {
    const { pairings, changes } = setup();
    const old = pairings.start('admin');
    const claim = pairings.claim({ secret: old.secret, label: 'phone' });
    if (!claim.ok) throw new Error(claim.reason);
    const fresh = pairings.start('other admin');
    expect(fresh.view.id).not.toBe(old.view.id);
    expect(fresh.secret).not.toBe(old.secret);
    expect(changes.slice(-2).map((view) => [view.id, view.state])).toEqual([
      [old.view.id, 'void'],
      [fresh.view.id, 'open'],
    ]);
    expect(pairings.current()).toMatchObject({ id: fresh.view.id, state: 'open', startedBy: 'other admin' });
    expect(pairings.collect(claim.claimToken)).toEqual({ state: 'gone', reason: 'unknown' });
    expect(pairings.confirm(old.view.id)).toEqual({ ok: false, reason: 'no-pairing' });
    expect(pairings.cancel(old.view.id)).toBe(false);
    // The old secret does not open the new pairing (and counts as a wrong try against it).
    expect(pairings.claim({ secret: old.secret, label: 'phone' })).toEqual({ ok: false, reason: 'wrong', triesLeft: 4 });
    expect(pairings.claim({ secret: fresh.secret, label: 'phone' }).ok).toBe(true);
  });

  it('cancels an open, claimed or confirmed pairing', () => {
    for (const stage of ['open', 'claimed', 'confirmed'] as const) {
      const { pairings, states } = setup();
      const { view, secret } = pairings.start('admin');
      let token: string | undefined;
      if (stage !== 'open') {
        const claim = pairings.claim({ secret, label: 'phone' });
        if (!claim.ok) throw new Error(claim.reason);
        token = claim.claimToken;
      }
      if (stage === 'confirmed') pairings.confirm(view.id);
      expect(pairings.cancel(view.id)).toBe(true);
      expect(pairings.cancel(view.id)).toBe(false);
      expect(pairings.current()?.state).toBe('cancelled');
      expect(states().at(-1)).toBe<PairingState>('cancelled');
      expect(pairings.claim({ secret, label: 'phone' })).toEqual({ ok: false, reason: 'cancelled' });
      expect(pairings.confirm(view.id)).toEqual({ ok: false, reason: 'cancelled' });
      if (token) expect(pairings.collect(token)).toEqual({ state: 'gone', reason: 'cancelled' });
    }
  });

  it('refuses to confirm an unclaimed pairing', () => {
    const { pairings } = setup();
    const { view } = pairings.start('admin');
    expect(pairings.confirm(view.id)).toEqual({ ok: false, reason: 'not-claimed' });
    expect(pairings.current()?.state).toBe('open');
  });

  it('refuses invalid labels, without costing a try', () => {
    const { pairings } = setup();
    const { view } = pairings.start('admin');
    const bad = [
      '',
      '   ',
      'x'.repeat(65),
      'tab\there',
      'new\nline',
      'nul\u0000',
      'del\u007f',
      'c1\u0085',
      'rtl\u202Eenohp',
      'lone \uD800',
      'line\u2028sep',
    ];
    for (const label of bad) expect(pairings.claim({ code: view.code, label })).toEqual({ ok: false, reason: 'invalid-label' });
    expect(pairings.claim({ code: view.code, label: 42 as unknown as string })).toEqual({ ok: false, reason: 'invalid-label' });
    expect(pairings.current()).toMatchObject({ state: 'open', wrongTries: 0 });
    expect(validLabel(` ${'é'.repeat(64)} `)).toBe('é'.repeat(64));
    expect(validLabel('👩‍💻'.repeat(10))).toBe('👩‍💻'.repeat(10)); // ZWJ sequences are fine
    expect(pairings.claim({ code: view.code, label: 'x'.repeat(64) }).ok).toBe(true);
  });

  it('normalises codes', () => {
    expect(normaliseCode(' bcdf - ghjk ')).toBe('BCDFGHJK');
    expect(normaliseCode('BcDf\tGhJk')).toBe('BCDFGHJK');
  });

  it('makes codes from the whole alphabet and confirmations of six digits', () => {
    const { pairings } = setup();
    const letters = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { view, secret } = pairings.start('admin');
      for (const letter of normaliseCode(view.code)) letters.add(letter);
      const claim = pairings.claim({ secret, label: 'p' });
      if (!claim.ok) throw new Error(claim.reason);
      expect(claim.confirmation).toMatch(/^\d{6}$/);
    }
    expect([...letters].sort().join('')).toBe(CODE_ALPHABET);
  });

  it('announces the expiry with a timer, which does not keep the process alive', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pairings, advance, states } = setup();
    const { view } = pairings.start('admin');
    advance(120_000);
    vi.advanceTimersByTime(120_100);
    expect(states()).toEqual(['open', 'expired']);
    expect(pairings.current()).toMatchObject({ id: view.id, state: 'expired' });
    expect(states()).toEqual(['open', 'expired']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('re-arms the timer when the clock has not reached the expiry yet, and stops it when done', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pairings, advance, states } = setup();
    const { view } = pairings.start('admin');
    vi.advanceTimersByTime(120_100); // the injected clock stands still
    expect(states()).toEqual(['open']);
    expect(vi.getTimerCount()).toBe(1);
    advance(120_000);
    vi.advanceTimersByTime(120_100);
    expect(states()).toEqual(['open', 'expired']);
    expect(vi.getTimerCount()).toBe(0);

    pairings.start('admin');
    expect(vi.getTimerCount()).toBe(1);
    expect(pairings.cancel(pairings.current()!.id)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(view.id).not.toBe(pairings.current()!.id);
  });
});
