import { describe, expect, it } from 'vitest';
import { isSecretKey, redactArguments, redactUrlCredentials, truncateUtf8 } from './redact.js';

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

  it('recognises the common secret names of issue 14, in every spelling', () => {
    for (const key of [
      'pwd',
      'PWD',
      'user_pwd',
      'passcode',
      'devicePasscode',
      'pin',
      'PIN',
      'pinCode',
      'card_pin',
      'pin-number',
      'otp',
      'otpCode',
      'totp',
      'TOTP_CODE',
      'hotp',
      'mfa_code',
      'mfaCode',
      'MFA-CODE',
      'mfacode',
      'jwt',
      'idJwt',
      'bearer',
      'Bearer',
      'sessionid',
      'SESSIONID',
      'session_id',
      'mnemonic',
      'walletMnemonic',
      'seed_phrase',
      'seedPhrase',
      'seedphrase',
      'database_url',
      'DATABASE_URL',
      'databaseUrl',
      'databaseurl',
      'primary_database_url',
      'db_url',
      'connection_string',
      'connectionString',
      'ConnectionString',
      'conn_string',
      'dsn',
      'sentry_dsn',
      'SENTRY_DSN',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
  });

  it('recognises the names the security review of issue 14 found missing, in every spelling', () => {
    for (const key of [
      'passwords',
      'userPasswords',
      'creds',
      'awsCreds',
      'cred',
      'privkey',
      'PRIVKEY',
      'ssh_privkey',
      'recovery_code',
      'recoveryCode',
      'recovery_codes',
      'recoverycodes',
      'backup_codes',
      'backupCodes',
      'backup_code',
      '2fa_code',
      '2FA-CODE',
      '2faCode',
      '2fa',
      'user_2fa',
      'twoFactorCode',
      'two_factor_code',
      'one_time_code',
      'oneTimeCode',
      'verification_code',
      'verificationCode',
      'mfa',
      'MFA',
      'user_mfa',
      'conn_str',
      'connstr',
      'connStr',
      'ConnectionStrings',
      'connection_strings',
      'mongo_uri',
      'MONGO_URL',
      'mongodbUri',
      'database_uri',
      'jdbcUrl',
      'JDBC_URL',
      'jdbcurl',
      'access_key_id',
      'AWS_ACCESS_KEY_ID',
      'accessKeyId',
      'GITHUB_PAT',
      'gitlabPat',
      'pat',
      'sessid',
      'PHPSESSID',
      'sig',
      'requestSig',
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
  });

  it('leaves names that only contain those words alone', () => {
    for (const key of [
      'pinned',
      'pins',
      'shipping',
      'spinner',
      'spin',
      'opinion',
      'pinyin',
      'hotpot',
      'cwd',
      'seed',
      'phrase',
      'code',
      'url',
      'db',
      'string',
      'connection',
      'database',
      'connection_count',
      'mnemonics',
      'credit',
      'credits',
      'incredible',
      'code',
      'zip_code',
      'country_code',
      'status_code',
      'recovery',
      'backup',
      'verification_status',
      'one_time',
      'two_factor_enabled',
      'mfa_enabled',
      'mfaRequired',
      'twoFaEnabled',
      'str',
      'mongo_db_name',
      'jdbc_driver',
      'access_level',
      'access_count',
      'pattern',
      'path',
      'patch',
      'pat_expires',
      'spat',
      'signal',
      'sigma',
      'design',
      'config',
      'passage',
      'compass',
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it('adds the names of gateway.redact.keys, matched by words whatever the case and separators', () => {
    const extra = ['ssn', 'member_number'];
    for (const key of [
      'ssn',
      'SSN',
      'customer_ssn',
      'customerSsn',
      'ssn-last4',
      'member_number',
      'memberNumber',
      'MEMBER-NUMBER',
      'membernumber',
      'primaryMemberNumber',
    ]) {
      expect(isSecretKey(key, extra), key).toBe(true);
    }
    for (const key of ['lessn', 'ssns', 'member', 'number', 'number_member', 'membership_number']) {
      expect(isSecretKey(key, extra), key).toBe(false);
    }
    // Without the list, or with another one, they are not secret: each list has its own rule.
    expect(isSecretKey('customer_ssn')).toBe(false);
    expect(isSecretKey('customer_ssn', ['iban'])).toBe(false);
    // A name without ASCII words matches the whole key, spelled the same.
    expect(isSecretKey('Geheimzahl_ö', ['geheimzahl-ö'])).toBe(true);
    expect(isSecretKey('contraseña', ['contraseña'])).toBe(true);
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
      accounts: [{ user: 'a', token: 't1' }, { user: 'b', credentials: { username: 'b', password: 'p' } }, ['plain', { secret: 's' }]],
    };
    expect(JSON.parse(redactArguments(args).text)).toEqual({
      accounts: [{ user: 'a', token: '[redacted]' }, { user: 'b', credentials: '[redacted]' }, ['plain', { secret: '[redacted]' }]],
    });
  });

  it('redacts the names of gateway.redact.keys', () => {
    const extra = ['ssn'];
    expect(JSON.parse(redactArguments({ name: 'Ann', customer: { ssn: '078-05-1120' } }, undefined, extra).text)).toEqual({
      name: 'Ann',
      customer: { ssn: '[redacted]' },
    });
    expect(JSON.parse(redactArguments({ customer: { ssn: '078-05-1120' } }).text)).toEqual({ customer: { ssn: '078-05-1120' } });
  });

  it('hides the credentials of URLs in any string value, keeping scheme, host and path', () => {
    const args = {
      target: 'postgres://admin:hunter2@db.internal:5432/orders',
      command: 'psql "redis://:s3cret@cache:6379/0" and https://ghp_tok3n@github.com/org/repo.git',
      links: [
        'https://example.com/a?page=2&access_token=tok-1#frag',
        'https://s3.example/x?X-Amz-Credential=AKIA1&X-Amz-Signature=abc%3D&v=1',
      ],
      plain: 'https://example.com/@someone/post?q=pin',
    };
    const { text } = redactArguments(args);
    expect(JSON.parse(text)).toEqual({
      target: 'postgres://[redacted]@db.internal:5432/orders',
      command: 'psql "redis://[redacted]@cache:6379/0" and https://[redacted]@github.com/org/repo.git',
      links: [
        'https://example.com/a?page=2&access_token=[redacted]#frag',
        'https://s3.example/x?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&v=1',
      ],
      plain: 'https://example.com/@someone/post?q=pin',
    });
    for (const secret of ['hunter2', 'admin', 's3cret', 'ghp_tok3n', 'tok-1', 'AKIA1', 'abc%3D']) expect(text).not.toContain(secret);
    expect(redactArguments('mysql://u:p@h/db').text).toBe('"mysql://[redacted]@h/db"');
  });

  it('leaves text without URL credentials unchanged', () => {
    for (const text of [
      'no url here',
      'mail me at a@b.example',
      'https://example.com/path?x=1#y',
      'https://example.com/a?b=c@d',
      'ftp://host/file',
      'a://',
      '://x@y',
    ]) {
      expect(redactUrlCredentials(text), text).toBe(text);
    }
    expect(redactUrlCredentials('https://h/x?token=1#access_token=2&state=3')).toBe(
      'https://h/x?token=[redacted]#access_token=[redacted]&state=3',
    );
    expect(redactUrlCredentials('https://h/x?member_id=7', ['member_id'])).toBe('https://h/x?member_id=[redacted]');
  });

  it('hides a password with an unencoded # or ?, and a sig= parameter', () => {
    for (const [text, shown] of [
      ['postgres://u:pa#ss@h/db', 'postgres://[redacted]@h/db'],
      ['postgres://u:pa?ss@h/db', 'postgres://[redacted]@h/db'],
      ['redis://:a#b?c@cache:6379', 'redis://[redacted]@cache:6379'],
      [
        'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=abc%2Bdef%3D',
        'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=[redacted]',
      ],
    ]) {
      expect(redactUrlCredentials(text!), text).toBe(shown);
    }
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

  it('writes arguments with nothing to redact as JSON.stringify does', () => {
    let deepest: unknown = 'bottom';
    for (let i = 0; i < 64; i++) deepest = [deepest]; // the string at depth 64: kept
    const sparse: unknown[] = [1];
    sparse[3] = 'x';
    for (const args of [
      { message: 'hello' },
      { query: 'select 1', limit: 10, nested: { tags: ['a', 'b'], flag: true, none: null, gone: undefined } },
      JSON.parse('{"__proto__": {"a": 1}, "b": [1, 2.5, "three"]}') as unknown,
      { when: new Date(0), list: sparse, text: 'a:/b // c' },
      deepest,
    ]) {
      expect(redactArguments(args)).toEqual({ text: JSON.stringify(args), truncated: false });
    }
  });

  it('finds what to redact however deep it sits among plain values', () => {
    expect(redactArguments({ a: [{ b: { c: [1, { note: 'ok', pin: 1234 }] } }] }).text).toBe(
      '{"a":[{"b":{"c":[1,{"note":"ok","pin":"[redacted]"}]}}]}',
    );
    expect(redactArguments({ list: ['ok', 'see https://user:pw@example.com/x'] }).text).toBe(
      '{"list":["ok","see https://[redacted]@example.com/x"]}',
    );
    let deep: unknown = 7; // a number at depth 65: too deep, like any value there
    for (let i = 0; i < 65; i++) deep = [deep];
    expect(redactArguments(deep).text).toBe(`${'['.repeat(65)}"[too deep]"${']'.repeat(65)}`);
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
