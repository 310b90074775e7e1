/**
 * The ids made on every tool call: the call's id and the id of the HTTP request that made it.
 *
 * Call ids are UUIDv7, so they sort by start time. Activity rows then go in at the end of the id
 * index instead of at random places, which makes each insert about three times cheaper than
 * with random (v4) ids. Request ids (`X-Request-Id` when the client sends none) are random UUIDv4.
 *
 * Both are written as text into a buffer of their own and read out as one string: the `uuid`
 * package's `v7` and Node's `randomUUID` made a byte array or Buffer per id and joined 20 strings,
 * about 1.6 KB of garbage per call for the two, where this makes their two strings (README,
 * "Performance"). The random bits come from a pool filled 4 KiB at a time (asking the system for
 * 16 bytes per id costs more than the rest of making it); a call id's time digits are written once
 * per millisecond.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** The next random byte. */
function randomByte(): number {
  if (used === POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++]!;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where the 32 hex digits of a UUID's text are (the others are its four dashes). */
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
/** The version digit (the 13th) and the variant digit (the 17th, binary 10xx). */
const VERSION_DIGIT = 12;
const VARIANT_DIGIT = 16;

/** Writes random hex digits at the digit positions `from`…`to - 1`, the variant digit as 8, 9, a or b. */
function writeRandomDigits(text: Buffer, from: number, to: number): void {
  let byte = 0;
  for (let digit = from; digit < to; digit++) {
    const nibble = (digit - from) % 2 === 1 ? byte & 15 : (byte = randomByte()) >> 4;
    text[DIGITS[digit]!] = HEX[digit === VARIANT_DIGIT ? 8 | (nibble & 3) : nibble]!;
  }
}

const callIdText = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
/** The millisecond whose time digits `callIdText` holds. */
let callIdMs = -1;

/** A new call id: a UUIDv7 of the current millisecond (its first 48 bits), its other 74 bits random. */
export function newCallId(): string {
  const now = Date.now();
  if (now !== callIdMs) {
    callIdMs = now;
    let time = now;
    for (let digit = VERSION_DIGIT - 1; digit >= 0; digit--) {
      callIdText[DIGITS[digit]!] = HEX[time % 16]!;
      time = Math.floor(time / 16);
    }
  }
  writeRandomDigits(callIdText, VERSION_DIGIT + 1, 32);
  return callIdText.toString('latin1', 0, 36);
}

const requestIdText = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');

/** A new request id: a random UUIDv4 (122 random bits), as `crypto.randomUUID` makes. */
export function newRequestId(): string {
  writeRandomDigits(requestIdText, 0, VERSION_DIGIT);
  writeRandomDigits(requestIdText, VERSION_DIGIT + 1, 32);
  return requestIdText.toString('latin1', 0, 36);
}
