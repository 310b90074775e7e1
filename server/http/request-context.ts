/**
 * What the gateway keeps on a request as it goes through (`node:http`'s `IncomingMessage`, which
 * Express's `Request` extends), each field with the module that sets it. This is the one place
 * that declares them; the modules that set them import this one.
 */
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.js';
import type { Session } from '../auth/sessions.js';

declare module 'node:http' {
  interface IncomingMessage {
    // request-log.ts
    /** The request id (`X-Request-Id`). */
    id: string;
    /** Logs with the request id. */
    log: Logger;
    /** Set when the request wrote its own log line, so the generic one is left out. */
    ownLogLine?: boolean;

    // base-path.ts
    /** The path prefix the client sees (e.g. `/mcp`), or ''. Set by `stripBasePath`. */
    basePath?: string;

    // json-body.ts
    /** The parsed JSON body; undefined when the request had none or was not JSON. */
    body?: unknown;
    /** The fields of a form post, in document order; undefined for other requests. */
    form?: URLSearchParams;

    // security.ts
    /** Who the request comes from, once `authenticate` has run (absent on a public path without credentials). */
    identity?: Identity;
    /** The UI session that authenticated the request, if one did. */
    session?: Session;
    /** The `Tailscale-User-Login` header, when the gateway is told to trust it: a label, never a credential. */
    tailscaleUser?: string;
    /** A form post authenticated by a session whose `_csrf` field `csrfGuard` must still check. */
    csrfPending?: boolean;

    // ui/routes.ts (read by ui/render.ts)
    /** How many calls wait for a decision now; set by `uiRoutes` for identities that may decide (approvals). */
    pendingApprovals?: () => number;
    /** The versions of what pages show live (`LiveVersions.text()`); set by `uiRoutes`. */
    liveVersions?: () => string;
  }
}
