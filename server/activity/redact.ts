/**
 * What the activity log and approvals keep of a call's arguments: JSON with the values of
 * secret-looking keys (and the credentials in URLs) replaced by "[redacted]", cut to a size limit.
 * Pure and cheap: it runs on every tool call.
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
 * and camelCase humps (`refreshToken` → refresh, token; `APIKey` → api, key; `DATABASE_URL` →
 * database, url); case never matters. It is secret when
 *  1. one of its words is a secret word: password(s), passwd, pwd, pass, passphrase, passcode,
 *     secret(s), token, jwt, bearer, authorization, auth, cookie(s), credential(s), cred(s),
 *     session, sessid, signature, private, pin, otp, totp, hotp, mnemonic, dsn
 *     (so `access_token`, `x-auth`, `sessionId`, `privateKey`, `pinCode`, `totp_code` are secret;
 *     `author`, `passport`, `pinned`, `shipping`, `credit`, `max_tokens` are not: a word must be
 *     whole, and `tokens`, a count or a list of text pieces, is not the word `token`);
 *  2. or its words hold a secret phrase, in a row: mfa code, 2 fa code, two factor code, one time
 *     code, recovery code(s), backup code(s), verification code, seed phrase, database url/uri,
 *     db url/uri, mongo(db) url/uri, jdbc url, connection string(s), conn string(s), conn str,
 *     access key (`mfa_code`, `2fa_code`, `twoFactorCode`, `recoveryCode`, `seedPhrase`,
 *     `PRIMARY_DATABASE_URL`, `ConnectionStrings`, `AWS_ACCESS_KEY_ID`), or the words of a name
 *     from `gateway.redact.keys` (`ssn` → `ssn`, `SSN`, `customer_ssn`; `member_number` →
 *     `memberNumber`, `member-number-2`; not `lessn`);
 *  3. or it ends in a word that is secret only last: `key`/`keys`, `mfa`, `2fa`, `pat` (a personal
 *     access token), `sig`: `key`, `apiKey`, `api_key`, `secret-key`, `GITHUB_PAT`, `user_2fa` are
 *     secret, while `keyword`, `monkey`, `keyName`, `mfa_enabled` and `pat_expires` are not;
 *  4. or the key without `-`, `_`, `.` and spaces ends with a long secret word or a known compound,
 *     for keys written in one run: `dbpassword`, `accesstoken`, `clientsecret`, `apikey`,
 *     `privatekey`, `privkey`, `sessionid`, `phpsessid`, `seedphrase`, `databaseurl`, `connstr`,
 *     `connectionstring`, `mongouri`, `jdbcurl`, `recoverycode`, … (short words such as `pin` are
 *     not used here: `spin` is no secret); or it is, so written, a name from `gateway.redact.keys`
 *     so written (`membernumber`; this also covers names without ASCII words).
 *
 * Values are looked at too, whatever their key: in a string, a URL's user information
 * (`postgres://user:pass@db/x`, `https://token@host/`) becomes "[redacted]" (scheme, host and path
 * stay, so the call can still be told apart), and so do the values of its query and fragment
 * parameters whose names are secret by the rule above (`?access_token=…`, `&X-Amz-Signature=…`,
 * `&sig=…`). The user information runs to the last `@` before the first `/`: a `?` or `#` before
 * it is taken for part of a password that was not percent-encoded (`postgres://u:pa#ss@h/db`).
 */
const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'token',
  'jwt',
  'bearer',
  'authorization',
  'auth',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'cred',
  'creds',
  'session',
  'sessid',
  'signature',
  'private',
  'pin',
  'otp',
  'totp',
  'hotp',
  'mnemonic',
  'dsn',
]);
const SECRET_PHRASES: readonly (readonly string[])[] = [
  ['mfa', 'code'],
  ['2', 'fa', 'code'],
  ['two', 'factor', 'code'],
  ['one', 'time', 'code'],
  ['recovery', 'code'],
  ['recovery', 'codes'],
  ['backup', 'code'],
  ['backup', 'codes'],
  ['verification', 'code'],
  ['seed', 'phrase'],
  ['database', 'url'],
  ['database', 'uri'],
  ['db', 'url'],
  ['db', 'uri'],
  ['mongo', 'url'],
  ['mongo', 'uri'],
  ['mongodb', 'url'],
  ['mongodb', 'uri'],
  ['jdbc', 'url'],
  ['connection', 'string'],
  ['connection', 'strings'],
  ['conn', 'string'],
  ['conn', 'strings'],
  ['conn', 'str'],
  ['access', 'key'],
];
/** Words secret only as the last word(s) of a key: `GITHUB_PAT`, not `pat_expires`; `mfa`, not `mfa_enabled`. */
const LAST_WORDS: readonly (readonly string[])[] = [['key'], ['keys'], ['mfa'], ['2', 'fa'], ['pat'], ['sig']];
const SECRET_SUFFIXES = [
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'authorization',
  'cookie',
  'cookies',
  'credential',
  'credentials',
  'signature',
  'mnemonic',
  'apikey',
  'privatekey',
  'privkey',
  'secretkey',
  'accesskey',
  'accesskeyid',
  'sessionid',
  'sessid',
  'seedphrase',
  'mfacode',
  '2facode',
  'twofactorcode',
  'onetimecode',
  'recoverycode',
  'recoverycodes',
  'backupcodes',
  'verificationcode',
  'databaseurl',
  'databaseuri',
  'mongouri',
  'mongourl',
  'mongodburi',
  'mongodburl',
  'jdbcurl',
  'connectionstring',
  'connectionstrings',
  'connstring',
  'connstrings',
  'connstr',
];
/** Cheap first test for the built-in rule: a key matching none of these stems cannot be secret. */
const CANDIDATE =
  /pass|pwd|secret|token|jwt|bearer|key|auth|cookie|cred|sess|sig|private|pin|otp|mnemonic|dsn|mfa|2fa|code|seed|database|db|mongo|conn|pat/i;
/** The words of a key: upper-case runs before a hump, capitalised or lower-case words, digits. */
const WORD = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g;
const SEPARATORS = /[-_.\s]/g;

/** The lower-case words of a key or a configured name (rule above). */
function wordsOf(name: string): string[] {
  return (name.match(WORD) ?? []).map((word) => word.toLowerCase());
}

/** A key or name without separators, in lower case (rule 4). */
function joinedOf(name: string): string {
  return name.replace(SEPARATORS, '').toLowerCase();
}

/** Whether `words` holds `phrase` as consecutive words. */
function holdsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  for (let start = 0; start + phrase.length <= words.length; start++) {
    let i = 0;
    while (i < phrase.length && words[start + i] === phrase[i]) i++;
    if (i === phrase.length) return true;
  }
  return false;
}

/** Whether `words` ends with the words of `phrase`. */
function endsWith(words: readonly string[], phrase: readonly string[]): boolean {
  if (words.length < phrase.length) return false;
  const start = words.length - phrase.length;
  return phrase.every((word, i) => words[start + i] === word);
}

/** Keys repeat from call to call: each rule remembers its answers for a bounded number of them. */
const MAX_REMEMBERED = 1024;

/** The rule above, with the built-in words and, optionally, the names of `gateway.redact.keys`. */
class SecretKeyRule {
  private readonly phrases: readonly (readonly string[])[];
  private readonly joinedNames: ReadonlySet<string>;
  /** The stems prefilter holds for the built-in words only. */
  private readonly candidate: RegExp | undefined;
  private readonly verdicts = new Map<string, boolean>();

  constructor(names: readonly string[]) {
    const extra = names.map(wordsOf).filter((words) => words.length > 0);
    this.phrases = [...SECRET_PHRASES, ...extra];
    this.joinedNames = new Set(names.map(joinedOf).filter((joined) => joined !== ''));
    this.candidate = names.length === 0 ? CANDIDATE : undefined;
  }

  isSecret(key: string): boolean {
    const known = this.verdicts.get(key);
    if (known !== undefined) return known;
    const secret = this.judge(key);
    if (this.verdicts.size >= MAX_REMEMBERED) this.verdicts.clear();
    this.verdicts.set(key, secret);
    return secret;
  }

  private judge(key: string): boolean {
    if (this.candidate && !this.candidate.test(key)) return false;
    const words = wordsOf(key);
    for (const word of words) if (SECRET_WORDS.has(word)) return true;
    for (const last of LAST_WORDS) if (endsWith(words, last)) return true;
    for (const phrase of this.phrases) if (holdsPhrase(words, phrase)) return true;
    const joined = joinedOf(key);
    return SECRET_SUFFIXES.some((suffix) => joined.endsWith(suffix)) || this.joinedNames.has(joined);
  }
}

const BUILT_IN = new SecretKeyRule([]);
/** One rule per `gateway.redact.keys` list in force: a config reload brings a new list, and the old rule goes with the old list. */
const rules = new WeakMap<readonly string[], SecretKeyRule>();

function ruleFor(extraKeys: readonly string[]): SecretKeyRule {
  if (extraKeys.length === 0) return BUILT_IN;
  let rule = rules.get(extraKeys);
  if (!rule) rules.set(extraKeys, (rule = new SecretKeyRule(extraKeys)));
  return rule;
}

/**
 * Whether a value under `key` should be kept out of the activity log and approvals; see the rule
 * above. `extraKeys` are the names of `gateway.redact.keys` (default none).
 */
export function isSecretKey(key: string, extraKeys: readonly string[] = []): boolean {
  return ruleFor(extraKeys).isSecret(key);
}

/** A URL in text: scheme, `://`, then anything up to white space, a quote or an angle bracket. */
const URL_IN_TEXT = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>`]*/g;
/** A query or fragment parameter: its name and value. */
const PARAMETER = /([^&;=?#]*)=([^&;#]*)/g;

/**
 * `text` with the credentials of every URL in it replaced by "[redacted]": the user information
 * (user and password both: a token may stand where the user goes) and the values of query and
 * fragment parameters whose names are secret. Scheme, host, port and path stay.
 */
export function redactUrlCredentials(text: string, extraKeys: readonly string[] = []): string {
  return redactUrls(text, ruleFor(extraKeys));
}

function redactUrls(text: string, rule: SecretKeyRule): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (url) => {
    const start = url.indexOf('://') + 3;
    // To the first `/` only: a `?` or `#` before an `@` is taken for part of a password (see the rule above).
    let end = start;
    while (end < url.length && url[end] !== '/') end++;
    const at = url.lastIndexOf('@', end - 1);
    let out = at >= start ? `${url.slice(0, start)}${REDACTED}${url.slice(at)}` : url;
    const query = out.search(/[?#]/);
    if (query >= 0) {
      out =
        out.slice(0, query) +
        out.slice(query).replace(PARAMETER, (pair, name: string) => (rule.isSecret(decodeName(name)) ? `${name}=${REDACTED}` : pair));
    }
    return out;
  });
}

/** A parameter name as its sender meant it (`X%2DAmz%2DSignature`), or as it is when it does not decode. */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
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
 * replaced by "[redacted]", and the credentials of URLs in string values too (see the rule
 * above), cut to `maxBytes` UTF-8 bytes (default 16 KiB) on a character boundary; `truncated`
 * tells whether it was cut. `extraKeys` are the names of `gateway.redact.keys` (default none).
 * Values nested deeper than 64 levels become "[too deep]". Never throws: what cannot be
 * serialised becomes `null`.
 */
export function redactArguments(
  args: unknown,
  maxBytes = MAX_ARGUMENT_BYTES,
  extraKeys: readonly string[] = [],
): { text: string; truncated: boolean } {
  let text: string | undefined;
  try {
    const rule = ruleFor(extraKeys);
    // Most arguments hold nothing to redact: they are written as they are, without the copy.
    text = JSON.stringify(changesOnRedaction(args, 0, rule) ? redactValue(args, 0, rule) : args);
  } catch {
    // Not reachable for JSON.parse output; a BigInt or a throwing toJSON could get here.
    text = undefined;
  }
  return truncateUtf8(text ?? 'null', maxBytes);
}

/**
 * Whether `redactValue` would change anything in `value` (a secret key, a string that may hold a
 * URL, nesting too deep), found without copying; true when it might.
 */
function changesOnRedaction(value: unknown, depth: number, rule: SecretKeyRule): boolean {
  if (depth > MAX_DEPTH) return true;
  if (typeof value === 'string') return value.includes('://');
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (changesOnRedaction(value[i], depth + 1, rule)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const key of Object.keys(value)) {
    if (rule.isSecret(key) || changesOnRedaction((value as Record<string, unknown>)[key], depth + 1, rule)) return true;
  }
  return false;
}

function redactValue(value: unknown, depth: number, rule: SecretKeyRule): unknown {
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (typeof value === 'string') return redactUrls(value, rule);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = redactValue(value[i], depth + 1, rule);
    return copy;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value; // e.g. a Date
  // A null-prototype copy, so that an own `__proto__` key (JSON.parse makes those) stays a key.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    copy[key] = rule.isSecret(key) ? REDACTED : redactValue(inner, depth + 1, rule);
  }
  return copy;
}
