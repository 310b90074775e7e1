/**
 * What the activity log keeps of a call's arguments: JSON with the values of secret-looking keys
 * replaced by "[redacted]", cut to a size limit. Pure and cheap: it runs on every tool call.
 */

/** What a secret value is replaced with. */
export const REDACTED = '[redacted]';
/** What a value nested deeper than {@link MAX_DEPTH} levels is replaced with. */
export const TOO_DEEP = '[too deep]';
/** Deepest nesting kept: the top-level value is depth 0, values below depth 64 become "[too deep]". */
export const MAX_DEPTH = 64;
/** Default limit of the stored arguments, in UTF-8 bytes (16 KiB). */
export const MAX_ARGUMENT_BYTES = 16_384;

/*
 * The rule of isSecretKey. A key is split into lower-case words at `-`, `_`, `.`, spaces, digits
 * and camelCase humps (`refreshToken` → refresh, token; `APIKey` → api, key). It is secret when
 *  1. one of its words is a secret word: password, passwd, pass, passphrase, secret(s),
 *     token, authorization, auth, cookie(s), credential(s), session, signature, private
 *     (so `access_token`, `x-auth`, `sessionId`, `privateKey` are secret; `author`, `passport`,
 *     `max_tokens` are not: `tokens`, a count or a list of text pieces, is not the word `token`);
 *  2. or its last word is `key`/`keys`: `key`, `apiKey`, `api_key`, `secret-key` are secret, while
 *     `keyword`, `monkey` and `keyName` are not (`key` is not a whole last word there);
 *  3. or, for keys written in one lower-case run without separators, the whole key ends with a
 *     long secret word or a known compound: `dbpassword`, `accesstoken`, `clientsecret`,
 *     `apikey`, `privatekey`, `secretkey`, `accesskey`.
 * Case and `-`/`_` do not matter for 3, since they are dropped before comparing.
 */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pass',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'authorization',
  'auth',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'session',
  'signature',
  'private',
]);
const KEY_WORDS = new Set(['key', 'keys']);
const SECRET_SUFFIXES = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'signature',
  'apikey',
  'privatekey',
  'secretkey',
  'accesskey',
];
/** Cheap first test: a key matching none of these stems cannot be secret. */
const CANDIDATE = /pass|secret|token|key|auth|cookie|credential|session|signature|private/i;
/** The words of a key: upper-case runs before a hump, capitalised or lower-case words, digits. */
const WORD = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g;
const SEPARATORS = /[-_]/g;

/** Keys repeat from call to call; remember the answers for a bounded number of them. */
const verdicts = new Map<string, boolean>();
const MAX_REMEMBERED = 1024;

/** Whether a value under `key` should be kept out of the activity log; see the rule above. */
export function isSecretKey(key: string): boolean {
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const secret = judgeKey(key);
  if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
  verdicts.set(key, secret);
  return secret;
}

function judgeKey(key: string): boolean {
  if (!CANDIDATE.test(key)) return false;
  const words = key.match(WORD);
  if (words) {
    for (const word of words) if (SECRET_WORDS.has(word.toLowerCase())) return true;
    if (words.length > 0 && KEY_WORDS.has(words[words.length - 1]!.toLowerCase())) return true;
  }
  const joined = key.replace(SEPARATORS, '').toLowerCase();
  return SECRET_SUFFIXES.some((suffix) => joined.endsWith(suffix));
}

/**
 * The longest prefix of `text` that is at most `maxBytes` UTF-8 bytes, never splitting a
 * character (nor a surrogate pair); `truncated` tells whether anything was cut.
 */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no measuring.
  if (text.length * 3 <= maxBytes) return { text, truncated: false };
  const limit = Math.max(0, Math.floor(maxBytes));
  // encodeInto writes whole characters only and reports how many code units it consumed.
  const { read } = encoder.encodeInto(text, new Uint8Array(limit));
  if (read >= text.length) return { text, truncated: false };
  return { text: text.slice(0, read), truncated: true };
}

const encoder = new TextEncoder();

/**
 * The JSON text of `args` with every secret-looking key's value (at any depth, in arrays too)
 * replaced by "[redacted]", cut to `maxBytes` UTF-8 bytes (default 16 KiB) on a character
 * boundary; `truncated` tells whether it was cut. Values nested deeper than 64 levels become
 * "[too deep]". Never throws: what cannot be serialised becomes `null`.
 */
export function redactArguments(args: unknown, maxBytes = MAX_ARGUMENT_BYTES): { text: string; truncated: boolean } {
  let text: string | undefined;
  try {
    text = JSON.stringify(redactValue(args, 0));
  } catch {
    // Not reachable for JSON.parse output; a BigInt or a throwing toJSON could get here.
    text = undefined;
  }
  return truncateUtf8(text ?? 'null', maxBytes);
}

function redactValue(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = redactValue(value[i], depth + 1);
    return copy;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value; // e.g. a Date
  // A null-prototype copy, so that an own `__proto__` key (JSON.parse makes those) stays a key.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    copy[key] = isSecretKey(key) ? REDACTED : redactValue(inner, depth + 1);
  }
  return copy;
}
