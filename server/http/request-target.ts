/**
 * The request target, put in the one form every later step reads, before anything else looks at
 * it (the request log, the host check, the scope table, the routers):
 * - the absolute form (`GET http://127.0.0.1:8085/api/keys HTTP/1.1`) becomes the origin form
 *   (`/api/keys`), and its authority replaces `Host`, as RFC 9112 §3.2.2 says — so the host
 *   check sees the authority the client asked for;
 * - a fragment (`#…`, which clients should not send) is dropped, as Express's URL parser drops it;
 * - a path with malformed percent-encoding (`/api/calls/%E0%A4%A`) is refused: 400 `invalid-path`.
 * Anything else that is not a path (`*`, `example.com:443`) is refused the same way; so is a
 * target with user information (`http://admin:hunter2@127.0.0.1/`), which is a credential: the
 * log and the answer show a placeholder instead of it.
 *
 * Case, `//`, dot segments and `;` are left as they are: Express routes them as it routes them,
 * and the scope table (auth/scopes.ts) matches the same path the same way.
 */
import type { IncomingMessage } from 'node:http';

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i;
/** User information (`user:password@`) before the path, as a lenient client might write it (a `#` in the password too). */
const USER_INFO = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/?]*@/i;
/** What the request log shows for a target that held user information. */
const HIDDEN_TARGET = '[a target with user information, not shown]';

/** Normalizes `req.url` (and `Host` for the absolute form); returns why the target is refused, or undefined. */
export function normalizeTarget(req: IncomingMessage): string | undefined {
  let url = req.url ?? '/';
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    if (USER_INFO.test(url)) {
      req.url = HIDDEN_TARGET;
      return 'the request target is not a path: it holds user information (user:password@), which is not accepted and not repeated';
    }
    const absolute = ABSOLUTE_FORM.exec(url);
    if (!absolute || !absolute[1]) return `the request target "${url.slice(0, 100)}" is not a path`;
    req.headers.host = absolute[1];
    url = absolute[2]!.startsWith('/') ? absolute[2]! : `/${absolute[2]}`;
  }
  const fragment = url.indexOf('#');
  if (fragment !== -1) url = url.slice(0, fragment);
  if (url !== req.url) req.url = url;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path.includes('%')) {
    try {
      decodeURIComponent(path);
    } catch {
      return 'the path is not valid percent-encoding';
    }
  }
  return undefined;
}
