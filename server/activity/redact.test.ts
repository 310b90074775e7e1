import { describe, expect, it } from 'vitest';
import { isSecretKey, redactArguments, truncateUtf8 } from './redact.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
/** No lone surrogate: those would come back from UTF-8 as U+FFFD. */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

describe('isSecretKey', () => {
  it('recognises secret-looking keys whatever their case and separators', () => {
    for (const key of [
      'password',
      'PASSWORD',
      'db_password',
      'dbpassword',
      'passwd',
      'pass',
      'passPhrase',
      'secret',
      'clientSecret',
      'client-secret',
      'clientsecret',
      'token',
      'access_token',
      'accessToken',
      'refreshToken',
      'accesstoken',
      'id-token',
      'key',
      'KEY',
      'apiKey',
      'api_key',
      'API-KEY',
      'APIKey',
      'apikey',
      'x-api-key',
      'privateKey',
      'private_key',
      'secretKey',
      'authorization',
      'Authorization',
      'auth',
      'x-auth',
      'authToken',
      'cookie',
      'Set-Cookie',
      'credential',
      'credentials',
      'awsCredentials',
      'session',
      'sessionId',
      'signature',
      'private',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
  });

  it('leaves look-alikes alone', () => {
    for (const key of [
      'keyword',
      'keywords',
      'monkey',
      'turkey',
      'keyName',
      'author',
      'authors',
      'passport',
      'bypass',
      'max_tokens',
      'maxTokens',
      'query',
      'path',
      'name',
      'content',
      'url',
      '',
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });
});

describe('redactArguments', () => {
  it('redacts secrets at any depth, leaving the rest', () => {
    const args = {
      query: 'weather',
      password: 'hunter2',
      options: { headers: { Authorization: 'Bearer abc', accept: 'json' }, nested: { deeper: { apiKey: 'k' } } },
      keyword: 'kept',
    };
    const { text, truncated } = redactArguments(args);
    expect(truncated).toBe(false);
    expect(JSON.parse(text)).toEqual({
      query: 'weather',
      password: '[redacted]',
      options: { headers: { Authorization: '[redacted]', accept: 'json' }, nested: { deeper: { apiKey: '[redacted]' } } },
      keyword: 'kept',
    });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('Bearer');
    // the input is not changed
    expect(args.password).toBe('hunter2');
  });

  it('redacts inside arrays of objects and replaces whole secret subtrees', () => {
    const args = {
      accounts: [
        { user: 'a', token: 't1' },
        { user: 'b', credentials: { username: 'b', password: 'p' } },
        ['plain', { secret: 's' }],
      ],
    };
    expect(JSON.parse(redactArguments(args).text)).toEqual({
      accounts: [
        { user: 'a', token: '[redacted]' },
        { user: 'b', credentials: '[redacted]' },
        ['plain', { secret: '[redacted]' }],
      ],
    });
  });

  it('serialises non-object arguments as they are', () => {
    expect(redactArguments('password')).toEqual({ text: '"password"', truncated: false });
    expect(redactArguments(42)).toEqual({ text: '42', truncated: false });
    expect(redactArguments(null)).toEqual({ text: 'null', truncated: false });
    expect(redactArguments(undefined)).toEqual({ text: 'null', truncated: false });
    expect(redactArguments([1, 'two', { key: 3 }])).toEqual({ text: '[1,"two",{"key":"[redacted]"}]', truncated: false });
  });

  it('keeps a __proto__ key from JSON.parse as a key', () => {
    const args = JSON.parse('{"__proto__": {"token": "x", "a": 1}}') as unknown;
    expect(JSON.parse(redactArguments(args).text)).toEqual(JSON.parse('{"__proto__": {"token": "[redacted]", "a": 1}}'));
  });

  it('replaces values nested deeper than 64 levels', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 1000; i++) deep = [deep];
    const { text } = redactArguments(deep);
    expect(text).toContain('"[too deep]"');
    expect(text).not.toContain('bottom');
    expect(text.match(/\[/g)).toHaveLength(64 + 1 + 1); // 65 arrays (depths 0..64), one "[too deep]"
  });

  it('never throws, even for what JSON cannot hold', () => {
    expect(redactArguments({ big: 1n })).toEqual({ text: 'null', truncated: false });
  });

  it('cuts long JSON to the byte limit on a character boundary', () => {
    const args = { text: 'é'.repeat(20_000) }; // 2 bytes each
    const { text, truncated } = redactArguments(args);
    expect(truncated).toBe(true);
    expect(bytes(text)).toBeLessThanOrEqual(16_384);
    expect(bytes(text)).toBeGreaterThan(16_384 - 2);
    expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text); // valid UTF-8, no replacement characters
    expect(text.startsWith('{"text":"éé')).toBe(true);
  });

  it('keeps JSON of exactly the limit and cuts one byte more', () => {
    const exact = 'a'.repeat(100 - 2); // "…" quotes make 100 bytes
    expect(redactArguments(exact, 100)).toEqual({ text: JSON.stringify(exact), truncated: false });
    const over = 'a'.repeat(101 - 2);
    const cut = redactArguments(over, 100);
    expect(cut.truncated).toBe(true);
    expect(bytes(cut.text)).toBe(100);
  });

  it('never splits a surrogate pair or a multibyte character', () => {
    // "😀" is 2 UTF-16 units and 4 UTF-8 bytes; with the opening quote, limits 1..4 leave just the quote.
    const emoji = '😀'.repeat(50);
    for (let limit = 1; limit <= 40; limit++) {
      const { text, truncated } = redactArguments(emoji, limit);
      expect(truncated).toBe(true);
      expect(bytes(text)).toBeLessThanOrEqual(limit);
      expect(text).toBe('"' + '😀'.repeat(Math.floor((limit - 1) / 4)));
      expect(wellFormed(text)).toBe(true);
    }
    const mixed = 'a€😀'.repeat(10); // 1 + 3 + 4 bytes
    for (let limit = 1; limit < bytes(JSON.stringify(mixed)); limit++) {
      const { text } = redactArguments(mixed, limit);
      expect(bytes(text)).toBeLessThanOrEqual(limit);
      expect(bytes(text)).toBeGreaterThan(limit - 4);
      expect(wellFormed(text)).toBe(true);
    }
  });
});

describe('truncateUtf8', () => {
  it('returns short text unchanged and cuts long text', () => {
    expect(truncateUtf8('abc', 3)).toEqual({ text: 'abc', truncated: false });
    expect(truncateUtf8('abcd', 3)).toEqual({ text: 'abc', truncated: true });
    expect(truncateUtf8('€€', 5)).toEqual({ text: '€', truncated: true });
    expect(truncateUtf8('€€', 6)).toEqual({ text: '€€', truncated: false });
    expect(truncateUtf8('abc', 0)).toEqual({ text: '', truncated: true });
  });
});
