/**
 * Who a call is made for, as the orchestrator in front says: Open WebUI, with
 * `ENABLE_FORWARD_USER_INFO_HEADERS=true`, sends its user's id, name, email and role and the chat
 * and message ids on every tool call, over REST and over its MCP client alike
 * (`X-OpenWebUI-User-Id`, `-User-Name`, `-User-Email`, `-User-Role`, `X-OpenWebUI-Chat-Id`,
 * `-Message-Id`; the name percent-encoded).
 *
 * Anyone can send those headers, so they are read only from a request authenticated by an API key
 * marked `trustForwardedUser` (auth/keys.ts): the key's holder vouches for them. Every other
 * request's are ignored — the start-up key's, a UI session's (a person in the UI is themself) and
 * a paired device's too. Each value is cut to a length and has control and bidirectional
 * formatting characters taken out: it is shown on pages and cards, and matched by approval rules.
 */
import type { IncomingMessage } from 'node:http';

/** The forwarded user and chat of a call; each field present only when its header was. */
export interface ForwardedUser {
  /** Open WebUI's user id (a UUID): fixed for the user's life. */
  id?: string;
  /** The display name: the user may change it, so rules never match it. */
  name?: string;
  /** Personal data: kept in the activity log and approvals, never written to the process log. */
  email?: string;
  /** `admin`, `user` or `pending` in Open WebUI. */
  role?: string;
  chatId?: string;
  messageId?: string;
}

/** The headers read, lower-case (as Node gives them), and the most characters kept of each. */
const FIELDS: readonly { field: keyof ForwardedUser; header: string; max: number }[] = [
  { field: 'id', header: 'x-openwebui-user-id', max: 128 },
  { field: 'name', header: 'x-openwebui-user-name', max: 128 },
  { field: 'email', header: 'x-openwebui-user-email', max: 254 },
  { field: 'role', header: 'x-openwebui-user-role', max: 32 },
  { field: 'chatId', header: 'x-openwebui-chat-id', max: 128 },
  { field: 'messageId', header: 'x-openwebui-message-id', max: 128 },
];

/** Control characters (C0, C1) and the bidirectional marks and overrides that make text read otherwise than it is. */
const UNSHOWABLE = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** A header's value as kept: decoded (the name), cleaned, trimmed, cut; undefined when nothing is left. */
function cleaned(raw: HeaderValue, max: number, percentEncoded: boolean): string | undefined {
  let text = Array.isArray(raw) ? raw[0] : raw;
  if (typeof text !== 'string') return undefined;
  // HTTP gives header bytes as Latin-1 characters: UTF-8 sent raw (an email at bücher.de) is read back as UTF-8.
  if (/[\x80-\xff]/.test(text) && !/[^\x00-\xff]/.test(text)) {
    const utf8 = Buffer.from(text, 'latin1').toString('utf8');
    if (!utf8.includes('\ufffd')) text = utf8;
  }
  if (percentEncoded && text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // not percent-encoding after all: kept as sent
    }
  }
  text = text.replace(UNSHOWABLE, '').trim();
  if (text === '') return undefined;
  // Cut by code points, so that a cut never leaves half a surrogate pair.
  return text.length <= max ? text : Array.from(text).slice(0, max).join('').trimEnd();
}

type HeaderValue = string | string[] | null | undefined;

/**
 * The forwarded user in a request's headers (`header` gives a header's value by its lower-case
 * name: Node's or a web `Headers`'), whoever sent them; undefined when none is set. Only for a
 * caller trusted to forward one: see `forwardedUserOf`.
 */
export function readForwardedUser(header: (name: string) => HeaderValue): ForwardedUser | undefined {
  let user: ForwardedUser | undefined;
  for (const { field, header: name, max } of FIELDS) {
    const value = cleaned(header(name), max, field === 'name');
    if (value !== undefined) (user ??= {})[field] = value;
  }
  return user;
}

/**
 * The forwarded user of a request, when its key is trusted to forward one (`trustForwardedUser`);
 * undefined otherwise, whatever headers it carries. One property check for every other request.
 */
export function forwardedUserOf(req: IncomingMessage): ForwardedUser | undefined {
  return req.identity?.trustForwardedUser === true ? readForwardedUser((name) => req.headers[name]) : undefined;
}

/** How people see the user: the name, else the email, else the id (undefined for none). */
export function forwardedUserText(user: ForwardedUser | null | undefined): string | undefined {
  return user ? (user.name ?? user.email ?? user.id) : undefined;
}

/**
 * Whether `user` is the one a rule or filter names: its id, or its email (case-insensitive). Never
 * the display name, which Open WebUI lets each user change.
 */
export function isForwardedUser(user: ForwardedUser | undefined, named: string): boolean {
  if (!user) return false;
  return user.id === named || (user.email !== undefined && user.email.toLowerCase() === named.toLowerCase());
}
