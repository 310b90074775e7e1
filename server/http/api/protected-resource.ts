/**
 * `GET /.well-known/oauth-protected-resource` (RFC 9728) and its forms for `/mcp` and
 * `/mcp/{name}`: where an OAuth client learns which authorization server issues tokens for the
 * gateway (http/protected-resource.ts builds the document). Public; 404 while
 * `gateway.resourceServer` is not set.
 */
import { ProtectedResourceMetadataSchema, ProtectedResourceNameParams } from '../api-schemas.js';
import { HOST_REFUSED, json, problem } from '../../openapi/responses.js';
import type { RouteServices } from '../app.js';
import { sendProblem } from '../problems.js';
import { protectedResourceMetadata } from '../protected-resource.js';
import { defineRoute } from '../route.js';
import type { Request, Response } from 'express';

type Services = Pick<RouteServices, 'settings'>;

function sendMetadata(req: Request, res: Response, { settings }: Services): void {
  const resourceServer = settings().resourceServer;
  if (!resourceServer) return sendProblem(res, 'not-found', 'the gateway takes no OAuth access tokens (gateway.resourceServer is not set)');
  res.setHeader('Cache-Control', 'no-store');
  res.json(protectedResourceMetadata(req, req.path, resourceServer, settings().basePath));
}

const RESPONSES = {
  '200': json('The protected resource metadata.', ProtectedResourceMetadataSchema),
  '403': problem(`${HOST_REFUSED}.`),
  '404': problem('`not-found`: the gateway takes no OAuth access tokens (`gateway.resourceServer` is not set).'),
};

export const PROTECTED_RESOURCE_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/.well-known/oauth-protected-resource',
    // Public (security.ts answers it without credentials).
    scope: 'tools:read',
    open: true,
    operationId: 'getProtectedResourceMetadata',
    summary: 'OAuth protected resource metadata',
    description:
      'RFC 9728 metadata of the gateway as an OAuth resource server (`gateway.resourceServer`): its resource identifier, ' +
      'its authorization server and the scopes a token may carry. Never needs credentials.',
    tag: 'health',
    responses: RESPONSES,
    handler: (req, res, _input, services: Services) => sendMetadata(req, res, services),
  }),
  defineRoute({
    method: 'get',
    path: '/.well-known/oauth-protected-resource/mcp',
    scope: 'tools:read',
    open: true,
    operationId: 'getMcpProtectedResourceMetadata',
    summary: 'OAuth protected resource metadata of /mcp',
    description: 'The same for the resource `/mcp` (RFC 9728 §3.1: the path of the resource after the well-known path).',
    tag: 'health',
    responses: RESPONSES,
    handler: (req, res, _input, services: Services) => sendMetadata(req, res, services),
  }),
  defineRoute({
    method: 'get',
    path: '/.well-known/oauth-protected-resource/mcp/{name}',
    scope: 'tools:read',
    open: true,
    operationId: 'getMcpServerProtectedResourceMetadata',
    summary: 'OAuth protected resource metadata of /mcp/{name}',
    description: 'The same for the resource `/mcp/{name}`, a server or group.',
    tag: 'health',
    request: { params: ProtectedResourceNameParams },
    responses: RESPONSES,
    handler: (req, res, _input, services: Services) => sendMetadata(req, res, services),
  }),
];
