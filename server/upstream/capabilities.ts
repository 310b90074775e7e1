/**
 * What the gateway declares to an upstream server as a client (`initialize` capabilities): only
 * what it can honour for that server now, because servers hide tools from clients that lack a
 * capability (server-everything lists 13 instead of 19 tools to a client without elicitation and
 * sampling). Each client feature (elicitation, sampling, roots, tasks) adds itself here when the
 * gateway can answer it. A change of what is declared reconnects the server (supervisor.ts).
 *
 * Elicitation (form and URL mode) is declared unless the server's `elicitation` is false: the
 * gateway can always answer it, by passing it to the `/mcp` client that made the call or by asking
 * a person (server/questions/).
 *
 * Tasks are not declared: the client `tasks` capability says the gateway runs the task-augmented
 * requests a server sends it (elicitation or sampling as tasks), which it does not. Calling a
 * server's tools as tasks needs only the server's `tasks.requests.tools.call` (task-calls.ts).
 */
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config/types.js';

export function clientCapabilities(config: ServerConfig): ClientCapabilities {
  return {
    // roots/list answers the configured roots; a reload that changes them sends roots/list_changed.
    ...(config.roots.length > 0 && { roots: { listChanged: true } }),
    // sampling/createMessage goes through the approval policy to the `sampling` section's endpoint.
    ...(config.sampling && { sampling: {} }),
    // elicitation/create goes to the /mcp client that made the call, or to a person (server/questions/).
    ...(config.elicitation !== false && { elicitation: { form: {}, url: {} } }),
  };
}
