/**
 * Pairing, the phone's side (no sign-in needed; see access-pages.ts for the admin's):
 * - `GET /pair`: the page. Opened from the QR code, the link's secret sits after `#`, where
 *   only the page's script reads it (it then removes it from the address bar); typed by hand,
 *   the short code does the same job.
 * - `POST /ui/pair/claim` (`secret` or `code`, `label`): claims the pairing and shows the
 *   confirmation code, which the admin must see match on the desktop. Wrong codes count against
 *   the pairing (5 and it is void) and against the client's address.
 * - `POST /ui/pair/collect` (`claim`, polled): 204 while the admin has not confirmed; once they
 *   have, the device is recorded and its token set as the session cookie (HttpOnly,
 *   SameSite=Strict), and the page goes to the approvals. Without confirmation, no token.
 */
import type { Request, Response } from 'express';
import type { PageRouter } from '../http/route.js';
import type { ClaimResult } from '../auth/pairing.js';
import { DEVICE_TTL_MS } from '../auth/devices.js';
import { sessionCookie } from '../auth/sessions.js';
import { prefixOf } from '../http/base-path.js';
import { clientAddress } from '../http/security.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

const CLAIM_ERRORS: Record<Exclude<ClaimResult, { ok: true }>['reason'], string> = {
  'no-pairing': 'No pairing is open. Start one on the gateway (Access → Pair a phone).',
  expired: 'This pairing has expired. Start a new one on the gateway.',
  void: 'This pairing was stopped after too many wrong codes. Start a new one on the gateway.',
  cancelled: 'The pairing was cancelled on the gateway.',
  wrong: 'That code is not right.',
  'already-claimed': 'Another device has already claimed this pairing.',
  'invalid-label': 'Give this device a name (1 to 64 characters).',
};

export function pairingPages(pages: PageRouter, deps: UiDeps): void {
  const { pairings, devices, failures } = deps;

  const form = (req: Request, res: Response, error = '', status = 200, values = { label: '', code: '' }) =>
    sendView(res, 'partials/pair-form', { error, ...values }, pageContext(req, 'pair'), status);

  pages.get('/pair', 'tools:read', (req, res) => {
    sendView(res, 'pages/pair', { error: '', label: '', code: '' }, pageContext(req, 'pair'));
  });

  // Public (security.ts answers it without credentials); `admin` for a key held to its scopes, as before.
  pages.post('/ui/pair/claim', 'admin', (req, res) => {
    const address = clientAddress(req);
    const values = { label: req.form?.get('label') ?? '', code: req.form?.get('code') ?? '' };
    const secret = req.form?.get('secret') || undefined;
    // The right code always claims (a wrong one also costs one of the pairing's own tries); only
    // a wrong one waits for the failure limit (auth/failures.ts).
    const result = pairings.claim({ secret, code: values.code || undefined, label: values.label });
    if (!result.ok) {
      const presented = secret ?? values.code;
      const wait = result.reason === 'wrong' ? failures.retryAfter(address, presented) : 0;
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        return form(req, res, 'Too many wrong codes from this address. Try again in a few minutes.', 429, values);
      }
      if (result.reason === 'wrong') failures.fail(address, presented);
      const tries =
        result.reason === 'wrong' && result.triesLeft ? ` ${result.triesLeft} ${result.triesLeft === 1 ? 'try' : 'tries'} left.` : '';
      req.log.warn({ address, reason: result.reason }, 'pairing claim refused');
      return form(req, res, CLAIM_ERRORS[result.reason] + tries, result.reason === 'invalid-label' ? 422 : 403, values);
    }
    req.log.info({ pairingId: result.pairingId }, 'pairing claimed; waiting for the admin to confirm');
    res.setHeader('Cache-Control', 'no-store');
    sendView(res, 'partials/pair-waiting', { confirmation: result.confirmation, claim: result.claimToken }, pageContext(req, 'pair'));
  });

  // Public (security.ts answers it without credentials); `admin` for a key held to its scopes, as before.
  pages.post('/ui/pair/collect', 'admin', (req, res) => {
    const result = pairings.collect(req.form?.get('claim') ?? '');
    if (result.state === 'waiting') {
      res.status(204).end();
      return;
    }
    if (result.state === 'gone') {
      const why =
        result.reason === 'cancelled'
          ? 'The pairing was cancelled on the gateway.'
          : 'The pairing is over (it expired or was replaced). Start a new one on the gateway.';
      return form(req, res, why, 410);
    }
    const started = pairings.current();
    const { device, token } = devices.pair(result.label, started?.startedBy ?? 'admin');
    req.log.info({ deviceId: device.id, pairingId: result.pairingId }, 'device paired');
    const prefix = prefixOf(req);
    res.append('Set-Cookie', sessionCookie(req, token, DEVICE_TTL_MS, `${prefix}/`));
    res.setHeader('HX-Redirect', `${prefix}/approvals`);
    sendView(res, 'partials/pair-done', { label: device.label }, pageContext(req, 'pair'));
  });
}
