/**
 * `/api/devices` (scope `admin`): the paired devices.
 * - `GET /api/devices`: newest first, revoked ones included.
 * - `DELETE /api/devices/{id}`: revokes the device: its next request fails and its live streams close.
 * Pairing itself happens in the UI (`/access`, `/pair`): it needs a person at each end.
 */
import { Router } from 'express';
import type { Device, DeviceStore } from '../auth/devices.js';
import { ProblemError } from '../errors.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function deviceJson(device: Device) {
  return {
    id: device.id,
    label: device.label,
    pairedAt: iso(device.pairedAt),
    pairedBy: device.pairedBy,
    lastSeenAt: iso(device.lastSeenAt),
    revokedAt: iso(device.revokedAt),
  };
}

export function deviceRoutes(devices: DeviceStore): Router {
  const router = Router();

  router.get('/api/devices', (_req, res) => {
    res.json({ items: devices.list().map(deviceJson) });
  });

  router.delete('/api/devices/:id', (req, res) => {
    const device = devices.get(req.params.id);
    if (!device) throw new ProblemError('device-not-found', `no paired device with id "${req.params.id}"`);
    const revoked = devices.revoke(device.id) ?? device;
    if (revoked !== device) req.log.info({ deviceId: device.id, by: req.identity?.id }, 'device revoked');
    res.json(deviceJson(revoked));
  });

  return router;
}
