/**
 * Pairing a phone with the gateway: the pure, in-memory logic (the HTTP routes and pages sit on
 * top of it and issue the device token).
 *
 * 1. An admin starts a pairing (`start`): a short `code` (8 letters of `CODE_ALPHABET`, shown as
 *    `XXXX-XXXX`, RFC 8628 style) and a long `secret` (for the link `https://host/pair#<secret>`;
 *    after `#`, so it never reaches a server log). Only one pairing exists at a time: a new one
 *    voids the previous. The whole pairing (claim, confirmation and collection) must finish
 *    within `ttlMs` of the start; nothing extends it.
 * 2. The phone claims it (`claim`) with the code or the secret and a label for itself, and gets
 *    a `claimToken` (kept in the phone's memory, to poll with) and a 6-digit `confirmation`.
 *    Every wrong code or secret while the pairing is open counts against it; after
 *    `maxWrongTries` of them it is void for good.
 * 3. The admin sees the label and the same confirmation, compares, and confirms (`confirm`) or
 *    cancels (`cancel`).
 * 4. The phone polls `collect(claimToken)`: `waiting` until the admin confirms, then `confirmed`
 *    exactly once, then `gone`.
 *
 * Only the current pairing is kept, in memory; codes, secrets and claim tokens are compared
 * through their SHA-256 with `timingSafeEqual`. Every change of the current pairing's view
 * (including each wrong try and the expiry) is emitted as `change`.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';

/** The letters of a short code: no vowels (no words), no look-alikes such as 0/O or 1/I. */
export const CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** Letters in a short code (shown as two groups of four). */
export const CODE_LENGTH = 8;
/** The longest label, in code points, after trimming. */
export const MAX_LABEL_LENGTH = 64;

export type PairingState = 'open' | 'claimed' | 'confirmed' | 'collected' | 'expired' | 'void' | 'cancelled';

/** What the admin's screen shows of a pairing: nothing secret (no secret, no claim token). */
export interface PairingView {
  /** Random, not secret: names the pairing in admin URLs. */
  id: string;
  /** The short code as shown, `XXXX-XXXX`. */
  code: string;
  state: PairingState;
  /** When the whole pairing lapses (ms since the epoch). */
  expiresAt: number;
  wrongTries: number;
  /** The phone's name for itself, once claimed. */
  label?: string;
  /** The 6-digit code the phone shows too, once claimed. */
  confirmation?: string;
  /** Who started the pairing, as the activity log names callers. */
  startedBy: string;
}

export type ClaimResult =
  | { ok: true; claimToken: string; confirmation: string; pairingId: string }
  | {
      ok: false;
      reason: 'no-pairing' | 'expired' | 'void' | 'cancelled' | 'wrong' | 'already-claimed' | 'invalid-label';
      /** With `wrong`: wrong tries left before the pairing is void (0: it now is). */
      triesLeft?: number;
    };

export type ConfirmResult =
  | { ok: true; view: PairingView }
  | { ok: false; reason: 'no-pairing' | 'expired' | 'void' | 'not-claimed' | 'cancelled' | 'already-confirmed' };

export type CollectResult =
  | { state: 'waiting' }
  | { state: 'confirmed'; label: string; pairingId: string }
  /** `unknown`: no current pairing has this token (never claimed, or replaced by a new start). */
  | { state: 'gone'; reason: 'unknown' | 'expired' | 'cancelled' | 'collected' };

export interface PairingOptions {
  /** Lifetime of a pairing from its start, covering claim, confirmation and collection, in ms. Default 120000 (2 minutes). */
  ttlMs?: number;
  /** Wrong codes or secrets that void an open pairing. Default 5. */
  maxWrongTries?: number;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** A pairing's stored state; `expired` is computed from the clock (see `stateOf`). */
type StoredState = Exclude<PairingState, 'expired'>;

interface Pairing {
  id: string;
  /** Normalised (see `normaliseCode`), without the dash. */
  code: string;
  codeHash: Buffer;
  secretHash: Buffer;
  startedBy: string;
  expiresAt: number;
  wrongTries: number;
  stored: StoredState;
  label?: string;
  confirmation?: string;
  claimTokenHash?: Buffer;
  /** Whether `change` has announced the expiry already. */
  expiryAnnounced: boolean;
  timer?: NodeJS.Timeout;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const newSecret = () => randomBytes(32).toString('base64url');
/** Both are SHA-256 digests (equal lengths), so `timingSafeEqual` cannot throw. */
const sameHash = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);

/** Case-insensitive; spaces (any whitespace) and `-` ignored. */
export function normaliseCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '');
}

/** `XXXXXXXX` → `XXXX-XXXX`. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/**
 * Control characters (C0, C1), bidirectional overrides and isolates (which would let a label
 * display as something else), line/paragraph separators and lone surrogates.
 */
const FORBIDDEN_IN_LABEL = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202A-\u202E\u2066-\u2069]/u;

/** The trimmed label, or undefined when it is empty, longer than `MAX_LABEL_LENGTH` or holds forbidden characters. */
export function validLabel(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const label = input.trim();
  if (label.length === 0 || FORBIDDEN_IN_LABEL.test(label)) return undefined;
  if ([...label].length > MAX_LABEL_LENGTH) return undefined;
  return label;
}

export class Pairings extends EventEmitter<{ change: [PairingView] }> {
  private readonly ttlMs: number;
  private readonly maxWrongTries: number;
  private readonly now: () => number;
  private pairing: Pairing | undefined;

  constructor(options: PairingOptions = {}) {
    super();
    this.ttlMs = options.ttlMs ?? 120_000;
    this.maxWrongTries = options.maxWrongTries ?? 5;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts a pairing and voids any previous one. Returns the admin's view and the secret for the
   * link, which the caller shows once and then forgets (only its hash is kept).
   */
  start(startedBy: string): { view: PairingView; secret: string } {
    const previous = this.pairing;
    if (previous) {
      this.stopTimer(previous);
      const state = this.refresh(previous);
      if (state === 'open' || state === 'claimed' || state === 'confirmed') this.change(previous, 'void');
    }
    const code = newCode();
    const secret = newSecret();
    const pairing: Pairing = {
      id: randomBytes(12).toString('base64url'),
      code,
      codeHash: sha256(code),
      secretHash: sha256(secret),
      startedBy,
      expiresAt: this.now() + this.ttlMs,
      wrongTries: 0,
      stored: 'open',
      expiryAnnounced: false,
    };
    this.pairing = pairing;
    this.scheduleExpiry(pairing);
    this.emit('change', this.view(pairing));
    return { view: this.view(pairing), secret };
  }

  /** The latest pairing, whatever its state (computed now), or undefined before the first start. */
  current(): PairingView | undefined {
    const pairing = this.pairing;
    if (!pairing) return undefined;
    this.refresh(pairing);
    return this.view(pairing);
  }

  /**
   * The phone claims the current pairing with the secret (from the link) or, when no secret is
   * given, the short code (normalised: see `normaliseCode`). The label is checked first (and a
   * bad one costs no try); then the pairing's state; then the code or secret, where a wrong one
   * costs a try while the pairing is open.
   */
  claim(input: { code?: string; secret?: string; label: string }): ClaimResult {
    const label = validLabel(input.label);
    if (label === undefined) return { ok: false, reason: 'invalid-label' };
    const pairing = this.pairing;
    if (!pairing) return { ok: false, reason: 'no-pairing' };
    const state = this.refresh(pairing);
    if (state === 'expired' || state === 'void' || state === 'cancelled') return { ok: false, reason: state };

    const right =
      typeof input.secret === 'string' && input.secret !== ''
        ? sameHash(sha256(input.secret), pairing.secretHash)
        : sameHash(sha256(normaliseCode(typeof input.code === 'string' ? input.code : '')), pairing.codeHash);
    if (!right) {
      // Guesses at a pairing that someone has claimed already cannot win anything: not counted.
      if (state !== 'open') return { ok: false, reason: 'wrong' };
      pairing.wrongTries++;
      const triesLeft = Math.max(0, this.maxWrongTries - pairing.wrongTries);
      if (triesLeft === 0) {
        this.stopTimer(pairing);
        this.change(pairing, 'void');
      } else {
        this.emit('change', this.view(pairing));
      }
      return { ok: false, reason: 'wrong', triesLeft };
    }
    if (state !== 'open') return { ok: false, reason: 'already-claimed' };

    const claimToken = newSecret();
    pairing.label = label;
    pairing.confirmation = String(randomInt(1_000_000)).padStart(6, '0');
    pairing.claimTokenHash = sha256(claimToken);
    this.change(pairing, 'claimed');
    return { ok: true, claimToken, confirmation: pairing.confirmation, pairingId: pairing.id };
  }

  /** The admin confirms that the phone shows the same confirmation code. */
  confirm(pairingId: string): ConfirmResult {
    const pairing = this.find(pairingId);
    if (!pairing) return { ok: false, reason: 'no-pairing' };
    const state = this.refresh(pairing);
    switch (state) {
      case 'open':
        return { ok: false, reason: 'not-claimed' };
      case 'claimed':
        this.change(pairing, 'confirmed');
        return { ok: true, view: this.view(pairing) };
      case 'confirmed':
      case 'collected':
        return { ok: false, reason: 'already-confirmed' };
      default:
        return { ok: false, reason: state };
    }
  }

  /** The admin cancels the pairing (until the phone has collected it); false when there was nothing to cancel. */
  cancel(pairingId: string): boolean {
    const pairing = this.find(pairingId);
    if (!pairing) return false;
    const state = this.refresh(pairing);
    if (state !== 'open' && state !== 'claimed' && state !== 'confirmed') return false;
    this.stopTimer(pairing);
    this.change(pairing, 'cancelled');
    return true;
  }

  /**
   * The phone polls with its claim token: `waiting` until the admin confirms, then `confirmed`
   * exactly once (the caller then issues the device token), then `gone`.
   */
  collect(claimToken: string): CollectResult {
    const pairing = this.pairing;
    if (!pairing?.claimTokenHash || typeof claimToken !== 'string' || !sameHash(sha256(claimToken), pairing.claimTokenHash)) {
      return { state: 'gone', reason: 'unknown' };
    }
    const state = this.refresh(pairing);
    switch (state) {
      case 'claimed':
        return { state: 'waiting' };
      case 'confirmed':
        this.stopTimer(pairing);
        this.change(pairing, 'collected');
        return { state: 'confirmed', label: pairing.label!, pairingId: pairing.id };
      case 'expired':
      case 'cancelled':
      case 'collected':
        return { state: 'gone', reason: state };
      default:
        // `open` and `void` cannot carry a claim token; say gone rather than trust it.
        return { state: 'gone', reason: 'unknown' };
    }
  }

  private find(pairingId: string): Pairing | undefined {
    return this.pairing?.id === pairingId ? this.pairing : undefined;
  }

  private stateOf(pairing: Pairing): PairingState {
    const live = pairing.stored === 'open' || pairing.stored === 'claimed' || pairing.stored === 'confirmed';
    return live && this.now() >= pairing.expiresAt ? 'expired' : pairing.stored;
  }

  /** The state now; announces the expiry once, when first seen. */
  private refresh(pairing: Pairing): PairingState {
    const state = this.stateOf(pairing);
    if (state === 'expired' && !pairing.expiryAnnounced) {
      pairing.expiryAnnounced = true;
      this.stopTimer(pairing);
      if (pairing === this.pairing) this.emit('change', this.view(pairing));
    }
    return state;
  }

  private change(pairing: Pairing, stored: StoredState): void {
    pairing.stored = stored;
    this.emit('change', this.view(pairing));
  }

  private view(pairing: Pairing): PairingView {
    const view: PairingView = {
      id: pairing.id,
      code: formatCode(pairing.code),
      state: this.stateOf(pairing),
      expiresAt: pairing.expiresAt,
      wrongTries: pairing.wrongTries,
      startedBy: pairing.startedBy,
    };
    if (pairing.label !== undefined) view.label = pairing.label;
    if (pairing.confirmation !== undefined) view.confirmation = pairing.confirmation;
    return view;
  }

  /** Announces the expiry when it comes, with a timer that does not keep the process alive. */
  private scheduleExpiry(pairing: Pairing): void {
    this.stopTimer(pairing);
    // Re-check against the clock when the timer fires (it may disagree with real time); 1 s at least.
    const delay = Math.max(1000, pairing.expiresAt - this.now() + 50);
    pairing.timer = setTimeout(() => {
      pairing.timer = undefined;
      if (pairing !== this.pairing) return;
      const state = this.refresh(pairing);
      if (state === 'open' || state === 'claimed' || state === 'confirmed') this.scheduleExpiry(pairing);
    }, delay);
    pairing.timer.unref();
  }

  private stopTimer(pairing: Pairing): void {
    if (pairing.timer) clearTimeout(pairing.timer);
    pairing.timer = undefined;
  }
}
