/**
 * `/api/devices` (scope `admin`): the paired devices.
 * - `GET /api/devices`: newest first, revoked ones included.
 * - `DELETE /api/devices/{id}`: revokes the device: its next request fails and its live streams close.
 * Pairing itself happens in the UI (`/access`, `/pair`): it needs a person at each end.
 */
import type { Device } from '../../auth/devices.js';
import { ProblemError } from '../../errors.js';
import { json, problem } from '../../openapi/responses.js';
import { DeviceIdParams, DeviceListSchema, DeviceSchema } from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { defineRoute } from '../route.js';

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

type Services = Pick<RouteServices, 'devices'>;

export const DEVICE_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/devices',
    scope: 'admin',
    operationId: 'listDevices',
    summary: 'List paired devices',
    description:
      'Every device paired with the gateway (phones that read and decide approvals), newest first, revoked ones included. ' +
      'Pairing itself happens in the UI (`/access`), with a person at each end.',
    tag: 'devices',
    responses: { '200': json('The devices.', DeviceListSchema) },
    handler: (_req, res, _input, { devices }: Services) => {
      res.json({ items: devices.list().map(deviceJson) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/devices/{id}',
    scope: 'admin',
    operationId: 'revokeDevice',
    summary: 'Revoke a paired device',
    description:
      'Revokes the device at once: its next request fails and its live streams close. Revoking a revoked device changes nothing.',
    tag: 'devices',
    request: { params: DeviceIdParams },
    responses: {
      '200': json('The device, revoked (`revokedAt`).', DeviceSchema),
      '404': problem('`device-not-found`: no paired device has this id.'),
    },
    handler: (req, res, _input, { devices }: Services) => {
      const device = devices.get(req.params.id);
      if (!device) throw new ProblemError('device-not-found', `no paired device with id "${req.params.id}"`);
      const revoked = devices.revoke(device.id) ?? device;
      if (revoked !== device) req.log.info({ deviceId: device.id, by: req.identity?.id }, 'device revoked');
      res.json(deviceJson(revoked));
    },
  }),
];
