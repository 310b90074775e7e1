/**
 * `/api/keys` (scope `admin`; a paired device is never admin): make, list and revoke API keys.
 * - `GET /api/keys`: every key, newest first, revoked ones included (never a token).
 * - `POST /api/keys` `{ label, scopes?, trustForwardedUser? }`: 201 with the key and its `token`, shown this once.
 * - `GET /api/keys/{id}`, `DELETE /api/keys/{id}` (revokes: the key's next request fails, and the
 *   UI sessions it signed in end at once).
 * - `PATCH /api/keys/{id}` `{ trustForwardedUser }`: whether its calls' forwarded users are believed.
 */
import { z } from 'zod';
import type { ApiKey, KeyStore } from '../../auth/keys.js';
import { ProblemError } from '../../errors.js';
import { BODY, json, problem } from '../../openapi/responses.js';
import {
  CreateKeyBody,
  CreatedKeySchema,
  DEFAULT_KEY_SCOPES,
  KeyIdParams,
  KeyListSchema,
  KeySchema,
  PatchKeyBody,
} from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { prefixOf } from '../base-path.js';
import { defineRoute } from '../route.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function keyJson(key: ApiKey) {
  return {
    id: key.id,
    label: key.label,
    scopes: key.scopes,
    caller: `key:${key.id}`,
    trustForwardedUser: key.trustForwardedUser,
    createdAt: iso(key.createdAt),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

function find(keys: KeyStore, id: string): ApiKey {
  const key = keys.get(id);
  if (!key) throw new ProblemError('key-not-found', `no API key with id "${id}"`);
  return key;
}

type Services = Pick<RouteServices, 'keys'>;

const KEY_NOT_FOUND = problem('`key-not-found`: no key made with `POST /api/keys` has this id.');

const KeyPathParams = KeyIdParams.extend({
  id: KeyIdParams.shape.id.meta({ description: "The key's id, as `GET /api/keys` gives it (not its token).", example: '3f9a0c1b2d4e' }),
});
const KeyCreatedHeaders = z.object({
  Location: z.string().meta({ description: 'The key: `/api/keys/{id}`.', example: '/api/keys/3f9a0c1b2d4e' }),
  'Cache-Control': z.literal('no-store').meta({ description: 'The answer holds the token: no cache keeps it.' }),
});

export const KEY_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/keys',
    scope: 'admin',
    operationId: 'listKeys',
    summary: 'List API keys',
    description:
      'Every key made with `POST /api/keys`, newest first, revoked ones included; never a token. (The start-up key is not listed.)',
    tag: 'keys',
    responses: { '200': json('The keys.', KeyListSchema) },
    handler: (_req, res, _input, { keys }: Services) => {
      res.json({ items: keys.list().map(keyJson) });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/keys',
    scope: 'admin',
    operationId: 'createKey',
    summary: 'Make an API key',
    description:
      'Makes a key with a label and scopes (default `tools:call` and `tools:read`, what Open WebUI needs) and answers it ' +
      'with its `token`, shown this once: the gateway keeps only its hash.',
    tag: 'keys',
    request: { body: { description: "The key's label and scopes.", required: true, schema: CreateKeyBody } },
    responses: {
      ...BODY,
      '201': json('The key, with its token.', CreatedKeySchema, KeyCreatedHeaders),
      '422': problem(
        '`invalid-request`: the label is empty, longer than 64 characters or has control characters, a scope is unknown, or a field is unknown; `errors` names each one.',
      ),
    },
    handler: (req, res, input, { keys }: Services) => {
      const body = input.body();
      const { key, token } = keys.create(body.label, body.scopes ?? [...DEFAULT_KEY_SCOPES], {
        trustForwardedUser: body.trustForwardedUser === true,
      });
      req.log.info(
        { keyId: key.id, scopes: key.scopes, trustForwardedUser: key.trustForwardedUser, by: req.identity?.id },
        'API key created',
      );
      res.status(201).setHeader('Location', `${prefixOf(req)}/api/keys/${key.id}`);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ ...keyJson(key), token });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/keys/{id}',
    scope: 'admin',
    operationId: 'getKey',
    summary: 'Show an API key',
    description: 'One key, revoked or not; never its token.',
    tag: 'keys',
    request: { params: KeyPathParams },
    responses: { '200': json('The key.', KeySchema), '404': KEY_NOT_FOUND },
    handler: (req, res, _input, { keys }: Services) => {
      res.json(keyJson(find(keys, req.params.id)));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/keys/{id}',
    scope: 'admin',
    operationId: 'updateKey',
    summary: 'Change an API key',
    description:
      "Sets whether the key's calls may say which user they are made for (`trustForwardedUser`, see `KeyCreate`), from its " +
      'next request on. Its token, label and scopes stay.',
    tag: 'keys',
    request: { params: KeyPathParams, body: { description: 'The new `trustForwardedUser`.', required: true, schema: PatchKeyBody } },
    responses: {
      ...BODY,
      '200': json('The key, after the change.', KeySchema),
      '404': KEY_NOT_FOUND,
      '422': problem('`invalid-request`: the body is not `{"trustForwardedUser": <boolean>}`; `errors` names each field.'),
    },
    handler: (req, res, input, { keys }: Services) => {
      const key = find(keys, req.params.id);
      const { trustForwardedUser } = input.body();
      const changed = keys.setTrustForwardedUser(key.id, trustForwardedUser) ?? key;
      req.log.info({ keyId: key.id, trustForwardedUser, by: req.identity?.id }, 'API key changed');
      res.json(keyJson(changed));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/keys/{id}',
    scope: 'admin',
    operationId: 'revokeKey',
    summary: 'Revoke an API key',
    description:
      'Revokes the key at once: its token no longer authenticates (a 403 `invalid-credentials` on a gateway with a start-up ' +
      'key), and the UI sessions signed in with it end. Revoking a revoked key changes nothing.',
    tag: 'keys',
    request: { params: KeyPathParams },
    responses: { '200': json('The key, revoked (`revokedAt`).', KeySchema), '404': KEY_NOT_FOUND },
    handler: (req, res, _input, { keys }: Services) => {
      const key = find(keys, req.params.id);
      const revoked = keys.revoke(key.id) ?? key;
      if (revoked !== key) req.log.info({ keyId: key.id, by: req.identity?.id }, 'API key revoked');
      res.json(keyJson(revoked));
    },
  }),
];
