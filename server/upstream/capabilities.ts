/**
 * What the gateway declares to an upstream server as a client (`initialize` capabilities): only
 * what it can honour for that server now, because servers hide tools from clients that lack a
 * capability (server-everything lists 13 instead of 19 tools to a client without elicitation and
 * sampling). Each client feature (elicitation, sampling, roots, tasks) adds itself here when the
 * gateway can answer it. A change of what is declared reconnects the server (supervisor.ts).
 *
 * Sampling is declared always: the gateway can answer it during a call made by an `/mcp` client
 * that declared sampling (passed on to that client), and otherwise by the `sampling` section's
 * endpoint when it serves the server; a request neither can take is refused with a clear error the
 * tool reports (client-requests.ts). Declaring it only when the section is configured would
 * restart the server whenever an `/mcp` client came or went, or hide its sampling tools from them.
 *
 * A 2026-07-28 server reads them per request: a call to one declares only what someone answers for
 * that call (sampling only with a sampler for the server or a sampling caller, and a policy that
 * does not deny all of its sampling: input-relay.ts `callCapabilities`); its lists and checks carry these.
 *
 * Elicitation (form and URL mode) is declared unless the server's `elicitation` is false: the
 * gateway can always answer it, by passing it to the `/mcp` client that made the call or by asking
 * a person (server/questions/).
 *
 * MCP Apps (`io.modelcontextprotocol/ui`, SEP-1865) are declared always: the orchestrator renders a
 * tool's `ui://` app (server/ui/apps-pages.ts) and `/mcp` passes `_meta.ui` and the resources on to
 * clients that render them. Servers built on `@modelcontextprotocol/ext-apps` offer their apps only then.
 *
 * Tasks are not declared: the client `tasks` capability says the gateway runs the task-augmented
 * requests a server sends it (elicitation or sampling as tasks), which it does not. Calling a
 * server's tools as tasks needs only the server's `tasks.requests.tools.call` (task-calls.ts).
 */
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config/types.js';

/** The MCP Apps extension's id, and the MIME type of an app's HTML. */
export const UI_EXTENSION = 'io.modelcontextprotocol/ui';
export const APP_MIME_TYPE = 'text/html;profile=mcp-app';

export function clientCapabilities(config: ServerConfig): ClientCapabilities {
  return {
    // roots/list answers the configured roots, else (`clientRoots`) those of the server's one /mcp
    // client; a reload that changes them, or a change of that client or of its roots, sends roots/list_changed.
    ...((config.roots.length > 0 || config.clientRoots === true) && { roots: { listChanged: true } }),
    // sampling/createMessage goes to the /mcp client that made the call, else through the approval
    // policy to the `sampling` section's endpoint, else is refused.
    sampling: {},
    // elicitation/create goes to the /mcp client that made the call, or to a person (server/questions/).
    ...(config.elicitation !== false && { elicitation: { form: {}, url: {} } }),
    extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } },
  };
}
