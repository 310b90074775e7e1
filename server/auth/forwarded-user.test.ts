import { describe, expect, it } from 'vitest';
import { isForwardedUser, readForwardedUser } from './forwarded-user.js';

/** The header getter of a request with these headers (lower-case names, values as Node gives them: Latin-1). */
const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('readForwardedUser', () => {
  it('is undefined without any of the headers', () => {
    expect(readForwardedUser(headers({ 'x-other': 'x' }))).toBeUndefined();
    expect(readForwardedUser(headers({ 'x-openwebui-user-id': ' \u0000 ' }))).toBeUndefined();
  });

  it('reads UTF-8 bytes as UTF-8, and Latin-1 that is not UTF-8 as it is', () => {
    const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    expect(readForwardedUser(headers({ 'x-openwebui-user-email': wire('zoë@bücher.de'), 'x-openwebui-user-role': 'r\u00e9le' }))).toEqual({
      email: 'zoë@bücher.de',
      role: 'r\u00e9le',
    });
  });

  it('percent-decodes the name only, and keeps a name that is not percent-encoding', () => {
    expect(readForwardedUser(headers({ 'x-openwebui-user-name': 'Zo%C3%AB', 'x-openwebui-user-id': 'a%20b' }))).toEqual({
      name: 'Zoë',
      id: 'a%20b',
    });
    expect(readForwardedUser(headers({ 'x-openwebui-user-name': '100% sure' }))).toEqual({ name: '100% sure' });
  });

  it('cuts by characters, never inside a surrogate pair', () => {
    const name = `${'a'.repeat(127)}😀😀`;
    expect(readForwardedUser(headers({ 'x-openwebui-user-name': encodeURIComponent(name) }))!.name).toBe(`${'a'.repeat(127)}😀`);
  });
});

describe('isForwardedUser', () => {
  const user = { id: 'u-1', name: 'alice', email: 'Alice@Example.com' };
  it('is the user by id or by email in any case, never by name', () => {
    expect(isForwardedUser(user, 'u-1')).toBe(true);
    expect(isForwardedUser(user, 'alice@example.COM')).toBe(true);
    expect(isForwardedUser(user, 'alice')).toBe(false);
    expect(isForwardedUser(undefined, 'u-1')).toBe(false);
  });
});
