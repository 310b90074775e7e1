// The OAuth records of perUserAuth servers' users (issue 19 item 5): encrypted rows of their own, bound to
// the server and the user, forgotten with the server. A real SQLite file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp.js';
import { createLogger } from '../logging/logger.js';
import { openDatabase } from './db.js';
import { OAuthRecords } from './oauth-records.js';

const record = (token: string) => ({ url: 'https://mcp.example.com/mcp', tokens: { access_token: token, token_type: 'Bearer' } });

describe('OAuthRecords per user', () => {
  it("keeps each user's record apart from the server's and the other users', encrypted, and forgets them with the server", () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    try {
      const key = randomBytes(32);
      const records = new OAuthRecords(db, key, createLogger('silent'));
      records.save('s', record('shared-token-000'));
      records.saveFor('s', 'alice', record('alice-token-000'));
      records.saveFor('s', 'bob', record('bob-token-0000'));
      records.saveFor('t', 'alice', record('alice-other-000'));

      const fresh = () => new OAuthRecords(db, key, createLogger('silent'));
      expect(fresh().loadFor('s', 'alice')?.tokens?.access_token).toBe('alice-token-000');
      expect(fresh().loadFor('s', 'bob')?.tokens?.access_token).toBe('bob-token-0000');
      expect(fresh().load('s')?.tokens?.access_token).toBe('shared-token-000');
      expect(fresh().usersOf('s')).toEqual(['alice', 'bob']);
      const file = fs.readFileSync(path.join(dir, 'gateway.db'), 'latin1');
      for (const token of ['alice-token-000', 'bob-token-0000', 'shared-token-000']) expect(file).not.toContain(token);

      // A row moved to another user does not open for them.
      db.prepare("UPDATE oauth_user_records SET user = 'carol' WHERE server = 's' AND user = 'bob'").run();
      expect(fresh().loadFor('s', 'carol')).toBeUndefined();

      records.forgetFor('s', 'alice');
      expect(fresh().usersOf('s')).toEqual(['carol']);
      records.forget('s');
      expect(fresh().usersOf('s')).toEqual([]);
      expect(fresh().load('s')).toBeUndefined();
      expect(fresh().loadFor('t', 'alice')?.tokens?.access_token).toBe('alice-other-000');
    } finally {
      db.close();
    }
  });

  it('keeps no memory of users who have no record (any caller may name any user id)', () => {
    const db = openDatabase(tempDir());
    try {
      const records = new OAuthRecords(db, randomBytes(32), createLogger('silent'));
      const kept = () => (records as unknown as { cache: Map<string, unknown> }).cache.size;
      records.saveFor('s', 'alice', record('alice-token-000'));
      for (let i = 0; i < 1000; i++) expect(records.loadFor('s', `stranger-${i}`)).toBeUndefined();
      expect(records.loadFor('s', 'alice')?.tokens?.access_token).toBe('alice-token-000');
      expect(kept()).toBe(1);
      records.forgetFor('s', 'alice');
      expect(records.loadFor('s', 'alice')).toBeUndefined();
      expect(kept()).toBe(0);
      // A record saved later (by another process too) is found.
      records.saveFor('s', 'stranger-1', record('late-token-0000'));
      expect(new OAuthRecords(db, Buffer.alloc(32), createLogger('silent')).usersOf('s')).toEqual(['stranger-1']);
    } finally {
      db.close();
    }
  });
});
