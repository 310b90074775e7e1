/**
 * Callers as people know them: the activity log records a caller id (`key:3f9a…`, `device:…`,
 * `ui:…`, `api-key`), the pages show the label of that key or device ("Open WebUI", "Pixel 8"),
 * as approvals do. A key or device revoked since keeps its label; one that is gone shows its id.
 */
import { forwardedUserText, type ForwardedUser } from '../auth/forwarded-user.js';
import { ANONYMOUS, API_KEY_CALLER, UI_CALLER } from '../auth/identity.js';
import type { DeviceStore } from '../auth/devices.js';
import type { KeyStore } from '../auth/keys.js';

/** A caller's label for display, and its id (for a `title`). */
export interface CallerLabel {
  label: string;
  id: string;
}

const FIXED: Record<string, string> = { [API_KEY_CALLER]: 'start-up key', [UI_CALLER]: 'UI (start-up key)', [ANONYMOUS]: 'anonymous' };

/**
 * A function from caller id to label, for one page: each id is looked up once (a page of the
 * activity log names a handful of callers in fifty rows).
 */
export function callerLabels(stores: { keys: KeyStore; devices: DeviceStore }): (caller: string) => CallerLabel {
  const known = new Map<string, CallerLabel>();
  const labelOf = (caller: string): string => {
    const fixed = FIXED[caller];
    if (fixed) return fixed;
    const [kind, id] = [caller.slice(0, caller.indexOf(':')), caller.slice(caller.indexOf(':') + 1)];
    if (kind === 'key') return stores.keys.get(id)?.label ?? caller;
    if (kind === 'ui') {
      const key = stores.keys.get(id);
      return key ? `UI (${key.label})` : caller;
    }
    if (kind === 'device') return stores.devices.get(id)?.label ?? caller;
    // An OAuth access token's subject (auth/access-tokens.ts).
    if (kind === 'oauth') return id;
    return caller;
  };
  return (caller) => {
    let found = known.get(caller);
    if (!found) known.set(caller, (found = { label: labelOf(caller), id: caller }));
    return found;
  };
}

/** A forwarded user as the pages show it: "Alice (alice@example.com, user) via Open WebUI", and the chat it came from. */
export interface ForwardedUserModel {
  /** The name, else the email, else the id. */
  name: string;
  /** The email and the role, those that were forwarded: "alice@example.com, user". */
  details: string;
  /** "Alice (alice@example.com, user) via Open WebUI". */
  text: string;
  /** The user's id, for a `title`. */
  id: string;
  /**
   * What tells the user apart, shown beside the name where the name alone is shown: the email, else
   * the id; empty when the name is already that. The name is the user's own choice: anyone may be "Alice".
   */
  handle: string;
  chatId: string;
  messageId: string;
}

/** How pages show the user a trusted key forwarded (`via` is the caller's label), or null when none was. */
export function forwardedUserModel(user: ForwardedUser | null | undefined, via: string): ForwardedUserModel | null {
  const name = forwardedUserText(user);
  if (!user || name === undefined) return null;
  const details = [user.email !== name ? user.email : undefined, user.role].filter((part) => part !== undefined).join(', ');
  return {
    name,
    details,
    text: `${name}${details ? ` (${details})` : ''} via ${via}`,
    id: user.id ?? '',
    handle: [user.email, user.id].find((part) => part !== undefined && part !== name) ?? '',
    chatId: user.chatId ?? '',
    messageId: user.messageId ?? '',
  };
}
