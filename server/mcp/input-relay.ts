/**
 * A 2026-07-28 server's own `input_required` answers to a `tools/call` or `prompts/get`, passed
 * through `/mcp` to a client of the same era (server/upstream/input-relay.ts decides which rounds: those whose every input request
 * the client declared). The client gets the server's input requests under the server's keys, and
 * a `requestState` that is the gateway's sealed wrapper (HMAC, the endpoint's codec) around:
 *
 * - the server's own `requestState` (forwarded byte for byte on the retry);
 * - whose request it is: the identity, the server, the method and tool or prompt, and a digest of
 *   the canonical arguments — a retry must match them all, else it is refused (-32602), as a tampered or expired wrapper
 *   is by the SDK before the handler runs;
 * - whether a person approved the call in an earlier round, valid until `approvedUntil`
 *   (`gateway.questionTimeoutMs` after the round, read at use: the time a client has to answer)
 *   and only for the tool's definition of then (as an approval is voided by a changed definition).
 *
 * A tool call's retry is a new call of the gateway (validation, policy, limits, activity); the policy runs
 * again, and only its `ask` is satisfied by a sealed approval, so a retry of an approved call does
 * not ask twice, a forged or foreign `requestState` cannot skip an approval, and a `deny` that
 * came in meanwhile still denies (a prompt has no policy). The gateway keeps nothing between the rounds.
 */
import { createHash } from 'node:crypto';
import { ProtocolError, type ServerContext } from '@modelcontextprotocol/server';
import { canonicalJson } from '../approvals/binding.js';
import type { Identity } from '../auth/identity.js';
import type { InputRelay } from '../upstream/types.js';
import type { ParkedState } from './mcp-server.js';
import { INVALID_PARAMS } from './upstream-requests.js';

/** What the sealed `requestState` of a relayed round carries. */
export interface RelayState {
  /** The server's own `requestState`, if it sent one. */
  state?: string;
  owner: string;
  server: string;
  /** The method and name: `tools/call <tool>`, `prompts/get <prompt>`. */
  target: string;
  /** SHA-256 (base64url) of the call's canonical arguments. */
  args: string;
  /** Until when (ms since the epoch) a person's approval of this call counts for its retry; 0: none was needed or given. */
  approvedUntil: number;
  /** The hash of the tool's definition the approval was given for (tool calls only). */
  definition?: string;
  /** The id of the forwarded user the call was made for (`RelayTarget.user`); none when none was. */
  user?: string;
}

/** The client capabilities of a 2026-07-28 request's envelope that input requests need. */
interface Declared {
  elicitation?: unknown;
  sampling?: unknown;
  roots?: unknown;
}

/**
 * The relay of a request (none for a 2025-era one, or a client that declared nothing input
 * requests need) and whether the sealed round it returns with, checked against `target`, carries
 * an approval still valid.
 */
export function requestRelay(
  ctx: ServerContext,
  identity: Identity,
  target: RelayTarget,
  args: Record<string, unknown> | undefined,
): { relay?: InputRelay; approvedBefore: boolean } {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  if (envelope?.['io.modelcontextprotocol/protocolVersion'] === undefined) return { approvedBefore: false };
  const state = ctx.mcpReq.requestState<ParkedState>();
  const relayed = state && typeof state === 'object' && 'relay' in state ? state.relay : undefined;
  const approvedBefore = relayed ? checkRelayState(relayed, identity, target, args) : false;
  const relay = inputRelayOf(
    envelope['io.modelcontextprotocol/clientCapabilities'] as Declared | undefined,
    ctx.mcpReq.inputResponses,
    relayed,
  );
  return { ...(relay && { relay }), approvedBefore };
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

/** What a relayed round is of: the server, and the method with its tool or prompt (`tools/call echo`). */
export interface RelayTarget {
  server: string;
  target: string;
  /** The hash of the tool's definition now (`toolDefinitionHash`, made only when needed); none for a prompt. */
  definition?: () => string;
  /** The id of the forwarded user the request is made for (auth/forwarded-user.ts). Default none. */
  user?: string | undefined;
}

/**
 * Checks that a relayed round's state belongs to this request (identity, server, method and name,
 * arguments); returns whether it carries an approval still valid.
 */
export function checkRelayState(
  state: RelayState,
  identity: Identity,
  { server, target, definition, user }: RelayTarget,
  args: Record<string, unknown> | undefined,
  now = Date.now(),
): boolean {
  if (state.owner !== identity.id || state.server !== server || state.target !== target || state.args !== argsDigest(args))
    throw new ProtocolError(INVALID_PARAMS, 'requestState does not belong to this request (another caller, tool, prompt or arguments)');
  // A retry for another forwarded user is another user's call: their approval is not its.
  if (state.user !== user) throw new ProtocolError(INVALID_PARAMS, 'requestState does not belong to this request (another forwarded user)');
  return state.approvedUntil > now && state.definition === definition?.();
}

/** The state to seal for a relayed round (`approved`: a person approved the call, now or in an earlier round). */
export function relayState(
  upstreamState: string | undefined,
  identity: Identity,
  { server, target, definition, user }: RelayTarget,
  args: Record<string, unknown> | undefined,
  approved: boolean,
  approvalTtlMs: number,
  now = Date.now(),
): RelayState {
  return {
    ...(upstreamState !== undefined && { state: upstreamState }),
    owner: identity.id,
    server,
    target,
    args: argsDigest(args),
    approvedUntil: approved ? now + approvalTtlMs : 0,
    ...(definition !== undefined && { definition: definition() }),
    ...(user !== undefined && { user }),
  };
}
