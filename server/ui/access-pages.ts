/**
 * Who may use the gateway (`/access`, scope `admin`): API keys (made here or through
 * `/api/keys`; a new key's token is shown once), paired devices (listed with label, paired time
 * and last seen; revocable), and pairing a phone — the admin's side of it:
 *
 * 1. `POST /ui/pairing` starts a pairing (one at a time, 2 minutes): a QR code of
 *    `…/pair#<secret>` (the secret after `#` never reaches a server or a log) and a short code,
 *    with a warning when the link's host is a loopback address (the admin opened the page as
 *    `127.0.0.1`: a phone cannot follow that link). Once a phone claims the pairing, the code and
 *    QR code go (the status swaps them out): they can no longer be used.
 * 2. The status (`GET /ui/pairing/{id}`, polled) shows the phone's name and a confirmation code
 *    once the phone claims the pairing; the admin compares it with the phone's and confirms
 *    (`POST /ui/pairing/{id}/confirm`) or cancels. Only then does the phone get its token
 *    (pairing-pages.ts).
 */
import type { Request, Response } from 'express';
import type { PageRouter } from '../http/route.js';
import type { PairingView } from '../auth/pairing.js';
import { SCOPES, type Scope } from '../auth/identity.js';
import { LabelSchema } from '../http/api-schemas.js';
import { prefixOf, publicOrigin } from '../http/base-path.js';
import { ageText } from './display.js';
import { qrSvg } from './qr-code.js';
import { isSwap, pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

const when = (ms: number | null, now = Date.now()) => (ms === null ? '' : `${ageText(now - ms)} ago`);

/** What `partials/pairing-status` shows: never the secret (the gateway keeps only its hash). */
export function pairingModel(view: PairingView | undefined, now = Date.now()) {
  if (!view) return { pairing: null };
  return {
    pairing: {
      id: view.id,
      code: view.code,
      state: view.state,
      label: view.label ?? '',
      confirmation: view.confirmation ?? '',
      wrongTries: view.wrongTries,
      expiresAt: new Date(view.expiresAt).toISOString(),
      secondsLeft: Math.max(0, Math.ceil((view.expiresAt - now) / 1000)),
      live: view.state === 'open' || view.state === 'claimed' || view.state === 'confirmed',
    },
  };
}

/** The host of `url` when it is a loopback address (a phone cannot reach it), else ''. */
export function loopbackHost(url: string): string {
  const host = new URL(url).hostname;
  return /^(?:localhost|.+\.localhost|127(?:\.\d{1,3}){3}|\[::1\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]|0\.0\.0\.0)$/i.test(host)
    ? host
    : '';
}

export function accessPages(pages: PageRouter, deps: UiDeps): void {
  const { keys, devices, pairings } = deps;

  const keysModel = (created?: { label: string; token: string }, error = '') => ({
    keys: keys.list().map((key) => ({
      id: key.id,
      label: key.label,
      scopes: key.scopes.join(', '),
      created: when(key.createdAt),
      lastUsed: key.lastUsedAt === null ? 'never' : when(key.lastUsedAt),
      revoked: key.revokedAt !== null,
      trustForwardedUser: key.trustForwardedUser,
    })),
    scopes: SCOPES,
    created: created ?? null,
    error,
  });
  const devicesModel = () => ({
    devices: devices.list().map((device) => ({
      id: device.id,
      label: device.label,
      paired: when(device.pairedAt),
      lastSeen: device.lastSeenAt === null ? 'never' : when(device.lastSeenAt),
      revoked: device.revokedAt !== null,
    })),
  });

  const sendPage = (req: Request, res: Response, keys = keysModel()) => {
    sendView(res, 'pages/access', { ...keys, ...devicesModel(), ...pairingModel(undefined) }, pageContext(req, 'access'));
  };

  pages.get('/access', 'admin', (req, res) => sendPage(req, res));

  pages.post('/ui/access/keys', 'admin', (req, res) => {
    const label = LabelSchema.safeParse(req.form?.get('label') ?? '');
    const scopes = (req.form?.getAll('scope') ?? []).filter((scope): scope is Scope => (SCOPES as readonly string[]).includes(scope));
    let model;
    if (!label.success) model = keysModel(undefined, `Label: ${label.error.issues[0]?.message ?? 'not valid'}`);
    else if (scopes.length === 0) model = keysModel(undefined, 'Choose at least one scope.');
    else {
      const { key, token } = keys.create(label.data, scopes, { trustForwardedUser: req.form?.get('trustForwardedUser') === 'on' });
      req.log.info(
        { keyId: key.id, scopes: key.scopes, trustForwardedUser: key.trustForwardedUser, by: req.identity?.id },
        'API key created',
      );
      model = keysModel({ label: key.label, token });
    }
    res.setHeader('Cache-Control', 'no-store');
    if (isSwap(req)) return sendView(res, 'partials/access-keys', model, pageContext(req, 'access'));
    sendPage(req, res, model);
  });

  pages.post('/ui/access/keys/{id}/trust', 'admin', (req, res) => {
    const trust = req.form?.get('trustForwardedUser') === 'on';
    if (keys.setTrustForwardedUser(req.params.id!, trust))
      req.log.info({ keyId: req.params.id, trustForwardedUser: trust, by: req.identity?.id }, 'API key changed');
    if (isSwap(req)) return sendView(res, 'partials/access-keys', keysModel(), pageContext(req, 'access'));
    res.redirect(303, `${prefixOf(req)}/access`);
  });

  pages.post('/ui/access/keys/{id}/revoke', 'admin', (req, res) => {
    if (keys.revoke(req.params.id!)) req.log.info({ keyId: req.params.id, by: req.identity?.id }, 'API key revoked');
    if (isSwap(req)) return sendView(res, 'partials/access-keys', keysModel(), pageContext(req, 'access'));
    res.redirect(303, `${prefixOf(req)}/access`);
  });

  pages.post('/ui/access/devices/{id}/revoke', 'admin', (req, res) => {
    if (devices.revoke(req.params.id!)) req.log.info({ deviceId: req.params.id, by: req.identity?.id }, 'device revoked');
    if (isSwap(req)) return sendView(res, 'partials/access-devices', devicesModel(), pageContext(req, 'access'));
    res.redirect(303, `${prefixOf(req)}/access`);
  });

  pages.post('/ui/pairing', 'admin', async (req, res) => {
    const { view, secret } = pairings.start(req.identity!.id);
    const link = `${publicOrigin(req)}${prefixOf(req)}/pair#${secret}`;
    req.log.info({ pairingId: view.id, by: req.identity?.id }, 'pairing started');
    res.setHeader('Cache-Control', 'no-store');
    const model = {
      ...pairingModel(view),
      link,
      qr: await qrSvg(link, 'QR code that opens the pairing page'),
      loopback: loopbackHost(link),
    };
    sendView(res, 'partials/pairing', model, pageContext(req, 'access'));
  });

  const status = (req: Request, res: Response, message = '') => {
    const view = pairings.current();
    const model = view && view.id === req.params.id ? pairingModel(view) : { pairing: null };
    sendView(res, 'partials/pairing-status', { ...model, message }, pageContext(req, 'access'));
  };

  pages.get('/ui/pairing/{id}', 'admin', (req, res) => status(req, res));

  pages.post('/ui/pairing/{id}/confirm', 'admin', (req, res) => {
    const result = pairings.confirm(req.params.id!);
    if (result.ok) req.log.info({ pairingId: req.params.id, by: req.identity?.id }, 'pairing confirmed');
    status(req, res, result.ok ? '' : `Could not confirm: ${result.reason.replace('-', ' ')}.`);
  });

  pages.post('/ui/pairing/{id}/cancel', 'admin', (req, res) => {
    pairings.cancel(req.params.id!);
    status(req, res);
  });

  // The device list changes when a phone collects its token: pages poll the list while pairing.
  pages.get('/ui/access/devices', 'admin', (req, res) => {
    sendView(res, 'partials/access-devices', devicesModel(), pageContext(req, 'access'));
  });
}
