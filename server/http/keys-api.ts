/**
 * `/api/keys` (scope `admin`; a paired device is never admin): make, list and revoke API keys.
 * - `GET /api/keys`: every key, newest first, revoked ones included (never a token).
 * - `POST /api/keys` `{ label, scopes? }`: 201 with the key and its `token`, shown this once.
 * - `GET /api/keys/{id}`, `DELETE /api/keys/{id}` (revokes: the key's next request fails, and the
 *   UI sessions it signed in end at once).
 */
import { Router } from 'express';
import type { ApiKey, KeyStore } from '../auth/keys.js';
import { prefixOf } from './base-path.js';
import { CreateKeyBody, DEFAULT_KEY_SCOPES } from './api-schemas.js';
import { ProblemError } from '../errors.js';
import { parseBody } from './validation.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function keyJson(key: ApiKey) {
  return {
    id: key.id,
    label: key.label,
    scopes: key.scopes,
    caller: `key:${key.id}`,
    createdAt: iso(key.createdAt),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

export function keyRoutes(keys: KeyStore): Router {
  const router = Router();
  const find = (id: string) => {
    const key = keys.get(id);
    if (!key) throw new ProblemError('key-not-found', `no API key with id "${id}"`);
    return key;
  };

  router.get('/api/keys', (_req, res) => {
    res.json({ items: keys.list().map(keyJson) });
  });

  router.post('/api/keys', (req, res) => {
    const body = parseBody(CreateKeyBody, req.body);
    const { key, token } = keys.create(body.label, body.scopes ?? [...DEFAULT_KEY_SCOPES]);
    req.log.info({ keyId: key.id, scopes: key.scopes, by: req.identity?.id }, 'API key created');
    res.status(201).setHeader('Location', `${prefixOf(req)}/api/keys/${key.id}`);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...keyJson(key), token });
  });

  router.get('/api/keys/:id', (req, res) => {
    res.json(keyJson(find(req.params.id)));
  });

  router.delete('/api/keys/:id', (req, res) => {
    const key = find(req.params.id);
    const revoked = keys.revoke(key.id) ?? key;
    if (revoked !== key) req.log.info({ keyId: key.id, by: req.identity?.id }, 'API key revoked');
    res.json(keyJson(revoked));
  });

  return router;
}
