/**
 * The OpenAPI documents and their docs pages:
 * - `GET /openapi.json`, `GET /docs`: every tool of every enabled server (one Open WebUI tool
 *   server for the whole gateway);
 * - `GET /{server}/openapi.json`, `GET /{server}/docs`: one server's tools, paths relative to
 *   the server, as mcpo serves them;
 * - `GET /api/openapi.json`, `GET /api/docs`: the management API (never offered to a model);
 * - `GET /api/openwebui/tools.py?server=`: an Open WebUI "Tool" (Python) calling the tools of
 *   one server, or of every enabled server without `server`.
 * The docs pages are Swagger UI from the `swagger-ui-dist` package, served by the gateway itself
 * (no CDN) under a strict Content-Security-Policy: no inline script, our own initializer file.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import type { GatewaySettings } from '../config/types.js';
import { renderOpenWebUiTool } from '../openapi/openwebui-tool.js';
import { toRequestSchema } from '../openapi/tool-schema.js';
import { gatewayDocument, serverDocument, type DocumentOptions, type DocumentServer } from '../openapi/tool-documents.js';
import { PACKAGE_ROOT } from '../package-info.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { prefixOf } from './base-path.js';
import { ProblemError } from '../errors.js';

export interface OpenApiRoutesDeps {
  supervisor: Supervisor;
  settings: () => GatewaySettings;
  version: string;
  /** Whether the gateway has an API key. */
  auth: boolean;
}

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

function documentServer(connection: UpstreamConnection): DocumentServer {
  const status = connection.status();
  return {
    name: connection.name,
    ...(status.description ? { description: status.description } : {}),
    ...(status.serverInfo ? { serverInfo: status.serverInfo } : {}),
    ...(status.instructions ? { instructions: status.instructions } : {}),
    // A disabled server offers no tools; one that is reconnecting keeps its last list (calls get 503 meanwhile).
    tools: connection.isEnabled ? connection.tools() : [],
  };
}

export function openApiRoutes(deps: OpenApiRoutesDeps): Router {
  const router = Router();
  // The management document is made on the first request for it, not at start-up: its generator
  // (zod-to-openapi) is loaded then, once, and the document (it depends on the version only) kept.
  let management: Promise<Record<string, unknown>> | undefined;
  const managementDocument = () =>
    (management ??= import('../openapi/management.js').then((module) => module.managementDocument(deps.version)));
  const options = (req: Request): DocumentOptions => ({
    version: deps.version,
    maxRefDepth: deps.settings().openapi.maxRefDepth,
    basePath: prefixOf(req),
    auth: deps.auth,
  });
  const connectionNamed = (name: string): UpstreamConnection => {
    const found = deps.supervisor.get(name);
    if (!found) throw new ProblemError('server-not-found', `no server named "${name}"`);
    return found;
  };
  const connection = (req: Request) => connectionNamed(String(req.params.server));
  const enabledServers = () =>
    deps.supervisor
      .all()
      .filter((found) => found.isEnabled)
      .map(documentServer);

  for (const file of SWAGGER_UI_FILES) {
    router.get(`/static/swagger-ui/${file}`, (_req, res) => res.sendFile(path.join(SWAGGER_UI_DIR, file), { maxAge: '1d' }));
  }
  router.use('/static', express.static(STATIC_DIR, { index: false, redirect: false, maxAge: '1h' }));

  router.get('/openapi.json', (req, res) => sendDocument(res, gatewayDocument(enabledServers(), options(req))));
  router.get('/docs', (_req, res) => sendDocsPage(res, 'mcp-gateway tools', './'));

  router.get('/api/openapi.json', async (req, res) => {
    const document = await managementDocument();
    const prefix = prefixOf(req);
    sendDocument(res, prefix ? { ...document, servers: [{ url: prefix }] } : document);
  });
  router.get('/api/docs', (_req, res) => sendDocsPage(res, 'mcp-gateway management API', '../'));

  router.get('/api/openwebui/tools.py', (req, res) => {
    const name = typeof req.query.server === 'string' && req.query.server !== '' ? req.query.server : undefined;
    const servers = name === undefined ? enabledServers() : [documentServer(connectionNamed(name))];
    const { maxRefDepth } = deps.settings().openapi;
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
      version: deps.version,
      description: `Tools of ${name === undefined ? 'every enabled server' : `the server "${name}"`} of mcp-gateway.`,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/plain; charset=utf-8').send(source);
  });

  router.get('/:server/openapi.json', (req, res) => sendDocument(res, serverDocument(documentServer(connection(req)), options(req))));
  router.get('/:server/docs', (req, res) => sendDocsPage(res, `${connection(req).name} tools — mcp-gateway`, '../'));

  return router;
}
