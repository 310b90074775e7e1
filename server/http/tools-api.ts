/** `/api/tools`: the tools of every server, searchable. */
import { Router } from 'express';
import type { Supervisor } from '../upstream/supervisor.js';
import type { ToolInfo } from '../upstream/types.js';
import { ProblemError } from '../errors.js';

function toolJson(server: string, tool: ToolInfo) {
  return {
    server,
    name: tool.name,
    title: tool.title ?? null,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
    annotations: tool.annotations ?? {},
  };
}

/** Every word of `q` must appear (case-insensitively) in the tool's name, title or description. */
function matches(tool: ToolInfo, words: string[]): boolean {
  if (words.length === 0) return true;
  const text = `${tool.name}\n${tool.title ?? ''}\n${tool.description ?? ''}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

export function toolRoutes(supervisor: Supervisor): Router {
  const router = Router();

  router.get('/api/tools', (req, res) => {
    const server = typeof req.query.server === 'string' ? req.query.server : undefined;
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    if (server !== undefined && !supervisor.get(server)) {
      throw new ProblemError('server-not-found', `no server named "${server}"`);
    }
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const tools = supervisor
      .tools()
      .filter((entry) => (server === undefined || entry.server === server) && matches(entry.tool, words))
      .map((entry) => toolJson(entry.server, entry.tool));
    res.json({ tools, total: tools.length });
  });

  router.get('/api/tools/:server/:tool', (req, res) => {
    const connection = supervisor.get(req.params.server);
    if (!connection) throw new ProblemError('server-not-found', `no server named "${req.params.server}"`);
    const tool = connection.tool(req.params.tool);
    if (!tool) {
      throw new ProblemError('tool-not-found', `server "${req.params.server}" has no tool named "${req.params.tool}"`);
    }
    res.json(toolJson(connection.name, tool));
  });

  return router;
}
