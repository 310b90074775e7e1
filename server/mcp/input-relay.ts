/**
 * A 2026-07-28 server's own `input_required` answers, passed through `/mcp` to a client of the
 * same era (server/upstream/input-relay.ts decides which rounds: those whose every input request
 * the client declared). The client gets the server's input requests under the server's keys, and
 * a `requestState` that is the gateway's sealed wrapper (HMAC, the endpoint's codec) around:
 *
 * - the server's own `requestState` (forwarded byte for byte on the retry);
 * - whose call it is: the identity, the server, the tool and a digest of the canonical arguments
 *   — a retry must match all four, else it is refused (-32602), as a tampered or expired wrapper
 *   is by the SDK before the handler runs;
 * - whether a person approved the call in an earlier round, valid until `approvedUntil`
 *   (`gateway.questionTimeoutMs` after the round, read at use: the time a client has to answer).
 *
 * The retry is a new call of the gateway (validation, policy, limits, activity); the policy runs
 * again, and only its `ask` is satisfied by a sealed approval, so a retry of an approved call does
 * not ask twice, a forged or foreign `requestState` cannot skip an approval, and a `deny` that
 * came in meanwhile still denies. The gateway keeps nothing between the rounds.
 */
import { createHash } from 'node:crypto';
import { ProtocolError } from '@modelcontextprotocol/server';
import { canonicalJson } from '../approvals/binding.js';
import type { Identity } from '../auth/identity.js';
import type { InputRelay } from '../upstream/types.js';
import type { CatalogEntry } from './catalog.js';
import { INVALID_PARAMS } from './upstream-requests.js';

/** What the sealed `requestState` of a relayed round carries. */
export interface RelayState {
  /** The server's own `requestState`, if it sent one. */
  state?: string;
  owner: string;
  server: string;
  tool: string;
  /** SHA-256 (base64url) of the call's canonical arguments. */
  args: string;
  /** Until when (ms since the epoch) a person's approval of this call counts for its retry; 0: none was needed or given. */
  approvedUntil: number;
}

/** The client capabilities of a 2026-07-28 request's envelope that input requests need. */
interface Declared {
  elicitation?: unknown;
  sampling?: unknown;
  roots?: unknown;
}

/**
 * What a 2026-07-28 client relays (its declared elicitation, sampling and roots, and its retry's
 * material); undefined when it declared none of them (the gateway answers every round then).
 */
export function inputRelayOf(
  declared: Declared | undefined,
  inputResponses: Record<string, unknown> | undefined,
  resumed: RelayState | undefined,
): InputRelay | undefined {
  if (!declared) return undefined;
  const { elicitation, sampling, roots } = declared;
  if (elicitation === undefined && sampling === undefined && roots === undefined) return undefined;
  return {
    capabilities: {
      ...(elicitation !== undefined && { elicitation }),
      ...(sampling !== undefined && { sampling }),
      ...(roots !== undefined && { roots }),
    },
    ...(inputResponses !== undefined && { inputResponses }),
    ...(resumed?.state !== undefined && { requestState: resumed.state }),
  };
}

function argsDigest(args: Record<string, unknown> | undefined): string {
  return createHash('sha256')
    .update(canonicalJson(args ?? {}))
    .digest('base64url');
}

/**
 * Checks that a relayed round's state belongs to this call (identity, server, tool, arguments);
 * returns whether it carries an approval still valid.
 */
export function checkRelayState(
  state: RelayState,
  identity: Identity,
  entry: CatalogEntry,
  args: Record<string, unknown> | undefined,
  now = Date.now(),
): boolean {
  if (state.owner !== identity.id || state.server !== entry.server || state.tool !== entry.tool || state.args !== argsDigest(args))
    throw new ProtocolError(INVALID_PARAMS, 'requestState does not belong to this call (another caller, tool or arguments)');
  return state.approvedUntil > now;
}

/** The state to seal for a relayed round of a call (`approved`: a person approved it, now or in an earlier round). */
export function relayState(
  upstreamState: string | undefined,
  identity: Identity,
  entry: CatalogEntry,
  args: Record<string, unknown> | undefined,
  approved: boolean,
  approvalTtlMs: number,
  now = Date.now(),
): RelayState {
  return {
    ...(upstreamState !== undefined && { state: upstreamState }),
    owner: identity.id,
    server: entry.server,
    tool: entry.tool,
    args: argsDigest(args),
    approvedUntil: approved ? now + approvalTtlMs : 0,
  };
}
