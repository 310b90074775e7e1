/**
 * Paired devices (a phone's browser). Pairing (auth/pairing.ts, confirmed by an admin) ends here:
 * the device gets a row and a session of its own, whose token the phone keeps in its cookie. A
 * device may read and decide approvals (`DEVICE_SCOPES`), nothing else. Revoking it ends its
 * session at once: its next request fails and its live streams close.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db } from '../state/db.js';
import { DEVICE_SCOPES } from './identity.js';
import type { SessionStore } from './sessions.js';

/** How long a device stays paired without being revoked, in ms: 365 days. */
export const DEVICE_TTL_MS = 365 * 24 * 3_600_000;
/** `last_seen_at` is written at most this often per device, in ms. */
const SEEN_EVERY_MS = 60_000;

export interface Device {
  id: string;
  label: string;
  pairedAt: number;
  /** The caller id of the admin who confirmed the pairing. */
  pairedBy: string;
  lastSeenAt: number | null;
  revokedAt: number | null;
}

interface DeviceRow {
  id: string;
  label: string;
  paired_at: number;
  paired_by: string;
  last_seen_at: number | null;
  revoked_at: number | null;
}

const toDevice = (row: DeviceRow): Device => ({
  id: row.id,
  label: row.label,
  pairedAt: row.paired_at,
  pairedBy: row.paired_by,
  lastSeenAt: row.last_seen_at,
  revokedAt: row.revoked_at,
});

/** The session subject of a device. */
export const deviceSubject = (id: string) => `device:${id}`;

export class DeviceStore extends EventEmitter<{ revoked: [Device] }> {
  private readonly lastSeen = new Map<string, number>();
  private readonly insert;
  private readonly revokeRow;
  private readonly touch;
  private readonly all;
  private readonly one;

  constructor(
    db: Db,
    private readonly sessions: SessionStore,
  ) {
    super();
    this.insert = db.prepare('INSERT INTO devices (id, label, paired_at, paired_by, last_seen_at) VALUES (?, ?, ?, ?, ?)');
    this.revokeRow = db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.touch = db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?');
    this.all = db.prepare('SELECT * FROM devices ORDER BY paired_at DESC, id');
    this.one = db.prepare('SELECT * FROM devices WHERE id = ?');
  }

  /** Records a confirmed pairing; returns the device and its session token (for the cookie, then forgotten). */
  pair(label: string, pairedBy: string, now = Date.now()): { device: Device; token: string } {
    const device: Device = { id: randomBytes(6).toString('hex'), label, pairedAt: now, pairedBy, lastSeenAt: now, revokedAt: null };
    this.insert.run(device.id, device.label, device.pairedAt, device.pairedBy, now);
    const subject = deviceSubject(device.id);
    const { token } = this.sessions.create({ caller: subject, label, scopes: [...DEVICE_SCOPES], subject }, { ttlMs: DEVICE_TTL_MS }, now);
    return { device, token };
  }

  list(): Device[] {
    return (this.all.all() as DeviceRow[]).map(toDevice);
  }

  get(id: string): Device | undefined {
    const row = this.one.get(id) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  /** Revokes a device; `revoked` follows (startGateway ends its session at once: next request refused, live streams closed). */
  revoke(id: string, now = Date.now()): Device | undefined {
    if (this.revokeRow.run(now, id).changes === 0) return undefined;
    const device = this.get(id)!;
    this.emit('revoked', device);
    return device;
  }

  /** Notes that a device made a request (written at most once a minute). */
  seen(id: string, now = Date.now()): void {
    const last = this.lastSeen.get(id);
    if (last !== undefined && now - last < SEEN_EVERY_MS) return;
    this.lastSeen.set(id, now);
    this.touch.run(now, id);
  }
}
