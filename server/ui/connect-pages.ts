/**
 * `/connect`: how to use the gateway from elsewhere — the OpenAPI URLs Open WebUI takes (the
 * whole gateway as one tool server, or one per MCP server), the docs pages, the Open WebUI Tool
 * (`tools.py`) to download, the gateway's MCP endpoint (`/mcp`, one per server and group) with
 * ready snippets for MCP clients, and the management API's document. Every URL and snippet has a
 * copy button.
 *
 * URLs are written relative to the page's `<base href>` (so they carry the path prefix) and shown
 * absolute: the server writes them with the origin the request came in by, and the page's script
 * rewrites them with the origin the browser really sees (behind a proxy the two can differ).
 */
import type { PageRouter } from '../http/route.js';
import { prefixOf, publicOrigin } from '../http/base-path.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/** One URL to show: relative to `<base href>` (`fx/openapi.json`, `''` for the root), and as the server sees it. */
export interface ShownUrl {
  path: string;
  href: string;
}

export function connectPages(pages: PageRouter, deps: UiDeps): void {
  pages.get('/connect', 'tools:read', (req, res) => {
    const root = `${publicOrigin(req)}${prefixOf(req)}`;
    const url = (path: string): ShownUrl => ({ path, href: path === '' ? root : `${root}/${path}` });
    const servers = deps.supervisor.list().map((server) => {
      const name = encodeURIComponent(server.name);
      return {
        name: server.name,
        enabled: server.enabled,
        tools: server.counts.tools,
        url: url(name),
        document: url(`${name}/openapi.json`),
        docs: `${name}/docs`,
        toolsPy: `api/openwebui/tools.py?server=${name}`,
        mcp: url(`mcp/${name}`),
      };
    });
    const groups = deps.groups().map((group) => ({
      name: group.name,
      description: group.description,
      patterns: group.tools,
      mcp: url(`mcp/${encodeURIComponent(group.name)}`),
    }));
    sendView(
      res,
      'pages/connect',
      {
        gateway: { url: url(''), document: url('openapi.json'), docs: 'docs', toolsPy: 'api/openwebui/tools.py' },
        servers,
        mcp: { url: url('mcp'), groups },
        management: { document: url('api/openapi.json'), docs: 'api/docs' },
        withKey: Boolean(deps.apiKey),
      },
      pageContext(req, 'connect'),
    );
  });
}
