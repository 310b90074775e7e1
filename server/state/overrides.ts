/**
 * Run-time enable/disable decisions. They survive gateway restarts and win over the config file
 * until they are changed again at run time, or until the file's own `enabled` for that server
 * changes (then the operator's newer edit wins and the override is dropped).
 */
import type { Db } from './db.js';

export class OverrideStore {
  private readonly select;
  private readonly upsert;
  private readonly remove;

  constructor(db: Db) {
    this.select = db.prepare<[string], { enabled: number; file_enabled: number }>(
      'SELECT enabled, file_enabled FROM server_overrides WHERE name = ?',
    );
    this.upsert = db.prepare<[string, number, number, string]>(
      `INSERT INTO server_overrides (name, enabled, file_enabled, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET enabled = excluded.enabled, file_enabled = excluded.file_enabled, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare<[string]>('DELETE FROM server_overrides WHERE name = ?');
  }

  /** The effective `enabled` of a server whose file says `fileEnabled`. */
  effective(name: string, fileEnabled: boolean): { enabled: boolean; overridden: boolean } {
    const row = this.select.get(name);
    if (!row) return { enabled: fileEnabled, overridden: false };
    if (Boolean(row.file_enabled) !== fileEnabled) {
      this.remove.run(name);
      return { enabled: fileEnabled, overridden: false };
    }
    return { enabled: Boolean(row.enabled), overridden: true };
  }

  /** Records a run-time decision; one that agrees with the file is no override at all. */
  set(name: string, enabled: boolean, fileEnabled: boolean): void {
    if (enabled === fileEnabled) {
      this.remove.run(name);
      return;
    }
    this.upsert.run(name, enabled ? 1 : 0, fileEnabled ? 1 : 0, new Date().toISOString());
  }

  forget(name: string): void {
    this.remove.run(name);
  }
}
