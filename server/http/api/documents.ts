/**
 * The OpenAPI documents and their docs pages:
 * - `GET /openapi.json`, `GET /docs`: every tool of every enabled server (one Open WebUI tool
 *   server for the whole gateway);
 * - `GET /{server}/openapi.json`, `GET /{server}/docs`: one server's tools, paths relative to
 *   the server, as mcpo serves them;
 * - `GET /api/openapi.json`, `GET /api/docs`: the management API (never offered to a model);
 * - `GET /api/openwebui/tools.py?server=`: an Open WebUI "Tool" (Python) calling the tools of
 *   one server, or of every enabled server without `server`;
 * - `GET /static/...`: the UI's and the docs pages' files (`staticFiles`).
 * The docs pages are Swagger UI from the `swagger-ui-dist` package, served by the gateway itself
 * (no CDN) under a strict Content-Security-Policy: no inline script, our own initializer file.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { featureTools } from '../../calls/feature-tools.js';
import { renderOpenWebUiTool } from '../../openapi/openwebui-tool.js';
import { docsPage as docsPageAnswer, json, SERVER_NOT_FOUND } from '../../openapi/responses.js';
import { toRequestSchema } from '../../openapi/tool-schema.js';
import { gatewayDocument, serverDocument, type DocumentOptions, type DocumentServer } from '../../openapi/tool-documents.js';
import { modelVisible } from '../../apps/tool-ui.js';
import { PACKAGE_ROOT } from '../../package-info.js';
import type { UpstreamConnection } from '../../upstream/connection.js';
import type { Supervisor } from '../../upstream/supervisor.js';
import type { ToolInfo } from '../../upstream/types.js';
import { DocumentServerParams, OpenApiDocumentSchema } from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { prefixOf } from '../base-path.js';
import { defineRoute, type RouteTable } from '../route.js';

const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** The Swagger UI files the docs pages load; nothing else of the package is served. */
const SWAGGER_UI_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'];
const STATIC_DIR = path.join(PACKAGE_ROOT, 'static');

/** Docs pages: scripts and styles only from the gateway's own files, never inline. */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths readable without the key when `gateway.publicSpecs` is on. */
export function isSpecPath(pathname: string): boolean {
  return /^\/(?:[^/]+\/)?(?:openapi\.json|docs)$/.test(pathname);
}

/** Static files (vendored, nothing secret) are always readable: the docs and sign-in pages need them. */
export function isStaticPath(pathname: string): boolean {
  return pathname.startsWith('/static/');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The docs page; `up` leads from the page's folder to the gateway root ('./' or '../'). */
function docsPage(title: string, up: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="icon" href="${up}static/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="${up}static/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="docs" data-spec="openapi.json"></div>
<script src="${up}static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="${up}static/docs.js"></script>
</body>
</html>
`;
}

function sendDocsPage(res: Response, title: string, up: string): void {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.type('html').send(docsPage(title, up));
}

/** The documents follow the live tool list, so they are never cached. */
function sendDocument(res: Response, document: Record<string, unknown>): void {
  res.setHeader('Cache-Control', 'no-store');
  res.json(document);
}

/** The server's tools, and the feature tools its `exposeAsTools` offers (calls/feature-tools.ts) after them. */
function withFeatureTools(connection: UpstreamConnection): ToolInfo[] {
  const extra = featureTools(connection);
  // Tools only an app may call (`_meta.ui.visibility: ["app"]`) are not for Open WebUI's model.
  const tools = modelVisible(connection.tools());
  return extra.length === 0 ? tools : [...tools, ...extra];
}

function documentServer(connection: UpstreamConnection): DocumentServer {
  const status = connection.status();
  return {
    name: connection.name,
    ...(status.description ? { description: status.description } : {}),
    ...(status.serverInfo ? { serverInfo: status.serverInfo } : {}),
    ...(status.instructions ? { instructions: status.instructions } : {}),
    // A disabled server offers no tools; one that is reconnecting keeps its last list (calls get 503 meanwhile).
    tools: connection.isEnabled ? withFeatureTools(connection) : [],
  };
}

type Services = Pick<RouteServices, 'supervisor' | 'settings' | 'version' | 'security'>;

const options = (req: Request, { version, settings, security }: Services): DocumentOptions => ({
  version,
  maxRefDepth: settings().openapi.maxRefDepth,
  basePath: prefixOf(req),
  auth: Boolean(security.apiKey),
});

const enabledServers = (supervisor: Supervisor) =>
  supervisor
    .all()
    .filter((found) => found.isEnabled)
    .map(documentServer);

// The management document is made on the first request for it, not at start-up: its generator
// (zod-to-openapi) is loaded then, once, and the document (it depends on the version only) kept.
const managementDocuments = new Map<string, Promise<Record<string, unknown>>>();
function managementDocument(version: string): Promise<Record<string, unknown>> {
  let document = managementDocuments.get(version);
  if (!document) {
    document = import('../../openapi/management.js').then((module) => module.managementDocument(version));
    managementDocuments.set(version, document);
  }
  return document;
}

/** `GET /static/...`: the Swagger UI files, then the package's `static/` folder (more files follow in ui/routes.ts). */
export function staticFiles(table: RouteTable, router: Router): void {
  const pages = table.pages(router);
  for (const file of SWAGGER_UI_FILES) {
    pages.get(`/static/swagger-ui/${file}`, 'tools:read', (_req, res) => res.sendFile(path.join(SWAGGER_UI_DIR, file), { maxAge: '1d' }));
  }
  table.declare({ method: 'get', path: '/static/{file+}', scope: 'tools:read' });
  router.use('/static', express.static(STATIC_DIR, { index: false, redirect: false, maxAge: '1h' }));
}

const DOCUMENT = json('The document.', OpenApiDocumentSchema);

/** In the order they are matched: `/api/openapi.json` before `/{server}/openapi.json`. */
export const DOCUMENT_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/openapi.json',
    scope: 'tools:read',
    publicSpecs: true,
    operationId: 'getToolsDocument',
    summary: 'Tools document of the gateway',
    description:
      'The OpenAPI document of every tool of every enabled server, as `POST /{server}/{tool}` (one Open WebUI tool server ' +
      'for the whole gateway). It follows the live tool list and is never cached.',
    tag: 'documents',
    responses: { '200': DOCUMENT },
    handler: (req, res, _input, services: Services) =>
      sendDocument(res, gatewayDocument(enabledServers(services.supervisor), options(req, services))),
  }),
  defineRoute({
    method: 'get',
    path: '/api/openapi.json',
    scope: 'tools:read',
    publicSpecs: true,
    operationId: 'getManagementDocument',
    summary: 'This document',
    description: 'The OpenAPI document of the management API: this one.',
    tag: 'documents',
    responses: { '200': DOCUMENT },
    handler: async (req, res, _input, { version }: Services) => {
      const document = await managementDocument(version);
      const prefix = prefixOf(req);
      sendDocument(res, prefix ? { ...document, servers: [{ url: prefix }] } : document);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/{server}/openapi.json',
    scope: 'tools:read',
    publicSpecs: true,
    operationId: 'getServerToolsDocument',
    summary: 'Tools document of a server',
    description: "The OpenAPI document of one server's tools, with paths relative to `/{server}` as mcpo serves them.",
    tag: 'documents',
    request: { params: DocumentServerParams },
    responses: { '200': DOCUMENT, '404': SERVER_NOT_FOUND },
    handler: (req, res, _input, services: Services) =>
      sendDocument(res, serverDocument(documentServer(services.supervisor.require(req.params.server)), options(req, services))),
  }),
  defineRoute({
    method: 'get',
    path: '/docs',
    scope: 'tools:read',
    publicSpecs: true,
    operationId: 'getToolsDocs',
    summary: "Docs page of the gateway's tools",
    description: 'Swagger UI over `/openapi.json`, served by the gateway itself.',
    tag: 'documents',
    responses: { '200': docsPageAnswer('The docs page.') },
    handler: (_req, res) => sendDocsPage(res, 'mcp-gateway tools', './'),
  }),
  defineRoute({
    method: 'get',
    path: '/api/docs',
    scope: 'tools:read',
    publicSpecs: true,
    operationId: 'getManagementDocs',
    summary: 'Docs page of this API',
    description: 'Swagger UI over `/api/openapi.json`, served by the gateway itself.',
    tag: 'documents',
    responses: { '200': docsPageAnswer('The docs page.') },
    handler: (_req, res) => sendDocsPage(res, 'mcp-gateway management API', '../'),
  }),
  defineRoute({
    method: 'get',
    path: '/{server}/docs',
    scope: 'tools:read',
    publicSpecs: true,
    operationId: 'getServerToolsDocs',
    summary: "Docs page of a server's tools",
    description: 'Swagger UI over `/{server}/openapi.json`, served by the gateway itself.',
    tag: 'documents',
    request: { params: DocumentServerParams },
    responses: { '200': docsPageAnswer('The docs page.'), '404': SERVER_NOT_FOUND },
    handler: (req, res, _input, { supervisor }: Services) =>
      sendDocsPage(res, `${supervisor.require(req.params.server).name} tools — mcp-gateway`, '../'),
  }),
  defineRoute({
    method: 'get',
    path: '/api/openwebui/tools.py',
    scope: 'tools:read',
    operationId: 'getOpenWebUiTool',
    summary: 'Open WebUI tool code',
    description:
      'A ready-to-paste Open WebUI *Tool* (Python): one async method per tool, with typed parameters and `:param:` ' +
      "descriptions from the tool schemas, and valves for the gateway URL (this request's), the API key and a timeout. " +
      'The tools of one server, or of every enabled server without `server`.',
    tag: 'documents',
    // Documentation only: an empty or repeated `server` means every enabled server.
    request: {
      query: z.object({ server: z.string().optional().meta({ description: 'A server name; every enabled server when absent.' }) }),
    },
    responses: {
      '200': { description: 'The Python source.', content: { 'text/plain': { schema: z.string() } } },
      '404': SERVER_NOT_FOUND,
    },
    handler: (req, res, _input, { supervisor, settings, version }: Services) => {
      const name = typeof req.query.server === 'string' && req.query.server !== '' ? req.query.server : undefined;
      const servers = name === undefined ? enabledServers(supervisor) : [documentServer(supervisor.require(name))];
      const { maxRefDepth } = settings().openapi;
      const entries = servers.flatMap((server) =>
        server.tools.map((tool) => ({
          server: server.name,
          tool: { ...tool, inputSchema: toRequestSchema(tool.inputSchema, { maxRefDepth }).schema },
        })),
      );
      const source = renderOpenWebUiTool(entries, {
        // The URL this request came in by: the Host header has passed the host check.
        gatewayUrl: `${req.protocol}://${req.get('host') ?? '127.0.0.1'}${prefixOf(req)}`,
        title: name === undefined ? 'MCP Gateway' : `MCP Gateway: ${name}`,
        version,
        description: `Tools of ${name === undefined ? 'every enabled server' : `the server "${name}"`} of mcp-gateway.`,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.type('text/plain; charset=utf-8').send(source);
    },
  }),
];
