/**
 * Which paths are tool calls: `/{server}/{tool}` (the mcpo route) and `/api/tools/{server}/{tool}`.
 * One function for everything that must agree on it: the tool-call front that serves them
 * (tool-calls.ts), the scope they need (auth/scopes.ts) and whether they are ever public
 * (security.ts: never).
 */
import { RESERVED_SERVER_NAMES } from '../config/schema.js';
import type { CallSurface } from '../calls/running-call.js';

export interface CallRoute {
  surface: CallSurface;
  server: string;
  tool: string;
}

/** `/{server}/{tool}` or `/api/tools/{server}/{tool}` (a trailing slash allowed), else undefined. Only a POST is a call. */
export function matchCallRoute(path: string): CallRoute | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed.split('/');
  // ['', server, tool] or ['', 'api', 'tools', server, tool]. A reserved first segment (`POST
  // /api/keys`, `POST /ui/login`) is a gateway route, not a tool call; no server may take the name.
  if (segments.length === 3 && segments[1] && segments[2] && !RESERVED_SERVER_NAMES.has(segments[1])) {
    return { surface: 'mcpo', server: segments[1], tool: segments[2] };
  }
  if (segments.length === 5 && segments[1] === 'api' && segments[2] === 'tools' && segments[3] && segments[4]) {
    return { surface: 'api', server: segments[3], tool: segments[4] };
  }
  return undefined;
}

/** Whether the request is one the tool-call front takes: a POST to a call route. */
export function isToolCall(method: string | undefined, path: string): boolean {
  return method === 'POST' && matchCallRoute(path) !== undefined;
}
