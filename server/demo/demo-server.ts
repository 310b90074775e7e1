// The built-in demo MCP server, spawned over stdio when the gateway starts without a config.
// stdout carries the MCP protocol only; anything diagnostic goes to stderr.
import { setTimeout as delay } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

interface Note {
  id: string;
  title: string;
  text: string;
  createdAt: string;
}

const notes = new Map<string, Note>();
let nextNoteId = 1;

const notesJson = (): string => JSON.stringify([...notes.values()], null, 2);
const text = (value: string) => ({ type: 'text' as const, text: value });

const server = new McpServer(
  { name: 'mcp-gateway-demo', title: 'MCP Gateway demo server', version: '1.0.0' },
  {
    instructions:
      'This is the mcp-gateway demo server, started because the gateway has no configuration yet. ' +
      'It shows what an upstream MCP server looks like through the gateway: `echo` and `add` are simple ' +
      'read-only tools, `countdown` reports progress and can be cancelled, and `add_note` / `list_notes` / ' +
      '`delete_note` manage an in-memory note list (also readable as the `demo://notes` resource). ' +
      'Notes are lost when the server stops.',
  },
);

server.registerTool(
  'echo',
  {
    title: 'Echo',
    description: 'Returns the given message unchanged.',
    inputSchema: { message: z.string().describe('Text to send back') },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  ({ message }) => ({ content: [text(message)] }),
);

server.registerTool(
  'add',
  {
    title: 'Add two numbers',
    description: 'Adds a and b and returns the sum, as text and as structured content.',
    inputSchema: { a: z.number().describe('First addend'), b: z.number().describe('Second addend') },
    outputSchema: { sum: z.number().describe('a + b') },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  ({ a, b }) => {
    const sum = a + b;
    return { content: [text(String(sum))], structuredContent: { sum } };
  },
);

server.registerTool(
  'countdown',
  {
    title: 'Countdown',
    description:
      'Counts down one second at a time, sending a progress notification each second when the caller ' +
      'asked for progress, then returns "Liftoff!". Stops as soon as the call is cancelled.',
    inputSchema: {
      seconds: z.number().int().min(1).max(60).default(5).describe('How many seconds to count down (1-60)'),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  async ({ seconds }, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let elapsed = 1; elapsed <= seconds; elapsed++) {
      // Rejects with an AbortError as soon as the request is cancelled.
      await delay(1000, undefined, { signal: extra.signal });
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: elapsed, total: seconds, message: `${seconds - elapsed} s left` },
        });
      }
    }
    return { content: [text('Liftoff!')] };
  },
);

server.registerTool(
  'add_note',
  {
    title: 'Add a note',
    description: 'Stores a note in memory and returns its id.',
    inputSchema: { title: z.string().describe('Note title'), text: z.string().describe('Note body') },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  },
  ({ title, text: body }) => {
    const id = `note-${nextNoteId++}`;
    notes.set(id, { id, title, text: body, createdAt: new Date().toISOString() });
    return { content: [text(id)] };
  },
);

server.registerTool(
  'list_notes',
  {
    title: 'List notes',
    description: 'Returns all stored notes as JSON.',
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  () => ({ content: [text(notesJson())] }),
);

server.registerTool(
  'delete_note',
  {
    title: 'Delete a note',
    description: 'Deletes the note with the given id. Fails if there is no such note.',
    inputSchema: { id: z.string().describe('Id returned by add_note') },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  },
  ({ id }) => {
    if (!notes.delete(id)) return { content: [text(`No note with id "${id}"`)], isError: true };
    return { content: [text(`Deleted ${id}`)] };
  },
);

server.registerResource(
  'notes',
  'demo://notes',
  { title: 'Notes', description: 'All notes stored by add_note, as JSON.', mimeType: 'application/json' },
  (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: notesJson() }] }),
);

server.registerPrompt(
  'summarize_notes',
  { title: 'Summarize notes', description: 'Asks the model to summarize the stored notes.' },
  () => ({
    messages: [
      {
        role: 'user',
        content: text(
          notes.size === 0 ? 'There are no notes yet. Say so briefly.' : `Summarize these notes in a few bullet points:\n\n${notesJson()}`,
        ),
      },
    ],
  }),
);

server.connect(new StdioServerTransport()).catch((error: unknown) => {
  process.stderr.write(`mcp-gateway-demo: failed to start: ${String(error)}\n`);
  process.exit(1);
});
