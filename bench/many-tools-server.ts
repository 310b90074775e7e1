/**
 * An MCP server with many tools for the UI benchmark (`bench/ui.ts`): stdio, hand-written
 * JSON-RPC, `TOOL_COUNT` tools (default 100) with descriptions and schemas of a realistic size
 * (nested objects, enums, arrays), and `tools/call` answering the arguments back as text.
 *
 * Run: `node dist/bench/many-tools-server.js` (the benchmark starts one per configured server).
 */
import readline from 'node:readline';

const COUNT = Number(process.env.TOOL_COUNT ?? 100);
const PREFIX = process.env.TOOL_PREFIX ?? 'tool';
const VERBS = ['search', 'create', 'update', 'delete', 'list', 'fetch', 'summarize', 'translate', 'convert', 'analyze'];
const NOUNS = ['issues', 'files', 'notes', 'events', 'users', 'pages', 'records', 'images', 'messages', 'tasks'];

const tools = Array.from({ length: COUNT }, (_, i) => {
  const verb = VERBS[i % VERBS.length]!;
  const noun = NOUNS[Math.floor(i / VERBS.length) % NOUNS.length]!;
  return {
    name: `${PREFIX}_${verb}_${noun}_${i}`,
    title: `${verb[0]!.toUpperCase()}${verb.slice(1)} ${noun}`,
    description:
      `${verb[0]!.toUpperCase()}${verb.slice(1)} ${noun} in the workspace. Accepts a query, filters and paging options, ` +
      `and returns matching ${noun} as JSON with their ids, titles and timestamps. Use it when the user asks to ${verb} ${noun}.`,
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: `What to ${verb}.`, maxLength: 500 },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Most results to return.' },
        order: { type: 'string', enum: ['newest', 'oldest', 'relevance'], description: 'Sort order.' },
        includeArchived: { type: 'boolean', description: 'Also look in archived items.' },
        filters: {
          type: 'object',
          description: 'Narrow the results.',
          properties: {
            tags: { type: 'array', items: { type: 'string' }, description: 'Only items with all these tags.' },
            after: { type: 'string', format: 'date-time', description: 'Only items after this time.' },
          },
        },
      },
      required: ['query'],
    },
    annotations: { readOnlyHint: verb !== 'delete' && verb !== 'update' && verb !== 'create', destructiveHint: verb === 'delete' },
  };
});

const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line) as {
    id?: number;
    method: string;
    params?: { name?: string; arguments?: unknown; protocolVersion?: string };
  };
  if (message.id === undefined) return;
  switch (message.method) {
    case 'initialize':
      send({
        jsonrpc: '2.0',
        id: message.id,
        result: {
          protocolVersion: message.params?.protocolVersion ?? '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'many-tools', version: '1.0.0' },
        },
      });
      break;
    case 'tools/list':
      send({ jsonrpc: '2.0', id: message.id, result: { tools } });
      break;
    case 'tools/call':
      send({
        jsonrpc: '2.0',
        id: message.id,
        result: { content: [{ type: 'text', text: JSON.stringify(message.params?.arguments ?? {}) }] },
      });
      break;
    case 'ping':
      send({ jsonrpc: '2.0', id: message.id, result: {} });
      break;
    default:
      send({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `no method ${message.method}` } });
  }
});
