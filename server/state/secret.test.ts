import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp.js';
import { GatewaySecret, loadGatewaySecret, SECRET_FILE } from './secret.js';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('loadGatewaySecret', () => {
  it('makes 32 random bytes on the first start, mode 0600, and reads the same ones after', () => {
    const dir = path.join(tempDir(), 'state');
    const first = loadGatewaySecret(dir);
    expect(first.created).toBe(true);
    expect(first.file).toBe(path.join(dir, SECRET_FILE));
    expect(modeOf(first.file)).toBe(0o600);
    expect(modeOf(dir)).toBe(0o700);
    expect(fs.readFileSync(first.file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(fs.readdirSync(dir)).toEqual([SECRET_FILE]); // no temporary file left behind

    const again = loadGatewaySecret(dir);
    expect(again.created).toBe(false);
    expect(again.tightened).toBeUndefined();
    expect(again.secret.key('approval-binding').equals(first.secret.key('approval-binding'))).toBe(true);

    const other = loadGatewaySecret(tempDir());
    expect(other.secret.key('approval-binding').equals(first.secret.key('approval-binding'))).toBe(false);
  });

  it('derives a key per purpose with HKDF, never the secret itself', () => {
    const dir = tempDir();
    const { secret, file } = loadGatewaySecret(dir);
    const raw = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    const key = secret.key('approval-binding');
    expect(key).toHaveLength(32);
    expect(key.equals(raw)).toBe(false);
    // Different secrets give different keys; the same secret the same key.
    expect(new GatewaySecret(raw).key('approval-binding').equals(key)).toBe(true);
    expect(new GatewaySecret(Buffer.alloc(32, 1)).key('approval-binding').equals(key)).toBe(false);
    // Known answer (RFC 5869 HKDF-SHA256, empty salt): extract, then one expand block.
    const prk = createHmac('sha256', Buffer.alloc(32)).update(Buffer.alloc(32, 7)).digest();
    const okm = createHmac('sha256', prk)
      .update(Buffer.concat([Buffer.from('mcp-gateway approval-binding'), Buffer.from([1])]))
      .digest();
    expect(new GatewaySecret(Buffer.alloc(32, 7)).key('approval-binding').equals(okm)).toBe(true);
  });

  it('never shows the secret in JSON or util.inspect', () => {
    const { secret, file } = loadGatewaySecret(tempDir());
    const hex = fs.readFileSync(file, 'utf8').trim();
    for (const shown of [JSON.stringify({ secret }), inspect(secret, { showHidden: true, depth: 5 }), String(inspect({ secret }))]) {
      expect(shown).toContain('[GatewaySecret]');
      expect(shown).not.toContain(hex);
      expect(shown).not.toContain(hex.slice(0, 16));
    }
  });

  it('narrows a file others can read to 0600, and says so', () => {
    const dir = tempDir();
    const { file } = loadGatewaySecret(dir);
    fs.chmodSync(file, 0o644);
    const loaded = loadGatewaySecret(dir);
    expect(loaded.tightened).toBe(0o644);
    expect(modeOf(file)).toBe(0o600);
  });

  it('refuses a file that is not a secret, without quoting it, and never replaces it', () => {
    const dir = tempDir();
    const file = path.join(dir, SECRET_FILE);
    fs.writeFileSync(file, 'correct horse battery staple\n', { mode: 0o600 });
    expect(() => loadGatewaySecret(dir)).toThrow(
      `${file} does not hold a gateway secret (expected 64 hex digits); restore it from a backup, or delete it to make a new one`,
    );
    try {
      loadGatewaySecret(dir);
    } catch (error) {
      expect(String(error)).not.toContain('horse');
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('correct horse battery staple\n');
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(() => loadGatewaySecret(dir)).toThrow('is not a file');
  });
});
