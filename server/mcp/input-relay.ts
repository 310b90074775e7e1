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
 * - whether a person approved the call in an earlier round (`approval`: its id, recorded on the retry's
 *   activity row), valid until `approvedUntil` (`gateway.questionTimeoutMs` after the round of the
 *   approval, read then: the time a client has to answer; a later round carries that deadline on, it
 *   never extends it) and only for the tool's definition of then (as an approval is voided by a changed definition);
 * - a random `nonce`: an approval counts for one retry only (`UsedNonces` remembers the used ones
 *   until their deadline), and only for a real relayed retry (the client declared what it relays);
 * - the keys and methods of the round's input requests: only the client's responses to those keys
 *   go upstream, and only with a valid seal (a first call's or a forged key's responses are dropped).
 *
 * A tool call's retry is a new call of the gateway (validation, policy, limits, activity); the policy runs
 * again, and only its `ask` is satisfied by a sealed approval, so a retry of an approved call does
 * not ask twice, a forged or foreign `requestState` cannot skip an approval, and a `deny` that
 * came in meanwhile still denies (a prompt has no policy). The gateway keeps nothing between the rounds.
 */
import { createHash, randomBytes } from 'node:crypto';
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
  /** The id of that approval (none: none was needed or given). */
  approval?: string;
  /** Random: the seal's approval counts for one retry (UsedNonces). */
  nonce: string;
  /** The round's input requests: their keys and methods (the responses forwarded on the retry). */
  requests: Record<string, string>;
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

/** A person's approval a relayed round carries: its id, and until when it counts. */
export interface CarriedApproval {
  id: string;
  until: number;
}

/**
 * The relay of a request (none for a 2025-era one, or a client that declared nothing input
 * requests need) and the approval the sealed round it returns with carries, checked against
 * `target`, when it still counts for this retry (see the file's comment).
 */
export function requestRelay(
  ctx: ServerContext,
  identity: Identity,
  target: RelayTarget,
  args: Record<string, unknown> | undefined,
  used: UsedNonces,
): { relay?: InputRelay; approvedBefore?: CarriedApproval } {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  if (envelope?.['io.modelcontextprotocol/protocolVersion'] === undefined) return {};
  const state = ctx.mcpReq.requestState<ParkedState>();
  const relayed = state && typeof state === 'object' && 'relay' in state ? state.relay : undefined;
  const approved = relayed ? checkRelayState(relayed, identity, target, args) : false;
  const relay = inputRelayOf(
    envelope['io.modelcontextprotocol/clientCapabilities'] as Declared | undefined,
    ctx.mcpReq.inputResponses,
    relayed,
  );
  // Only a relayed retry's approval counts, and only once.
  const approvedBefore =
    relay && relayed && approved && relayed.approval !== undefined && used.use(relayed.nonce, relayed.approvedUntil)
      ? { id: relayed.approval, until: relayed.approvedUntil }
      : undefined;
  return { ...(relay && { relay }), ...(approvedBefore && { approvedBefore }) };
}

/**
 * What a 2026-07-28 client relays (its declared elicitation, sampling and roots, and its retry's
 * material: its responses to the sealed round's keys only); undefined when it declared none of
 * them (the gateway answers every round then).
 */
export function inputRelayOf(
  declared: Declared | undefined,
  inputResponses: Record<string, unknown> | undefined,
  resumed: RelayState | undefined,
): InputRelay | undefined {
  if (!declared) return undefined;
  const { elicitation, sampling, roots } = declared;
  if (elicitation === undefined && sampling === undefined && roots === undefined) return undefined;
  const responses =
    resumed && inputResponses
      ? Object.fromEntries(Object.entries(inputResponses).filter(([key]) => Object.hasOwn(resumed.requests, key)))
      : undefined;
  return {
    capabilities: {
      ...(elicitation !== undefined && { elicitation }),
      ...(sampling !== undefined && { sampling }),
      ...(roots !== undefined && { roots }),
    },
    ...(responses !== undefined && { inputResponses: responses }),
    ...(resumed?.state !== undefined && { requestState: resumed.state }),
  };
}

/** The most used nonces remembered; past that no sealed approval counts until some expire (fail closed). */
export const MAX_USED_NONCES = 10_000;

/** The nonces of sealed approvals used by a retry, remembered until their deadline (then the seal is refused anyway). */
export class UsedNonces {
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.used.size;
  }

  /** Marks `nonce` used until `until`; false when it was used already (or too many are remembered). */
  use(nonce: string, until: number): boolean {
    const now = this.now();
    if (this.used.has(nonce)) return false;
    if (this.used.size >= MAX_USED_NONCES) for (const [key, deadline] of this.used) if (deadline <= now) this.used.delete(key);
    if (this.used.size >= MAX_USED_NONCES) return false;
    this.used.set(nonce, until);
    return true;
  }
}

export function argsDigest(args: Record<string, unknown> | undefined): string {
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

/**
 * The state to seal for a relayed round (`approval`: a person approved the call, now or in an
 * earlier round, with the deadline it counts until; `inputRequests`: the round's).
 */
export function relayState(
  upstreamState: string | undefined,
  identity: Identity,
  { server, target, definition, user }: RelayTarget,
  args: Record<string, unknown> | undefined,
  approval: CarriedApproval | undefined,
  inputRequests: Record<string, { method?: unknown }> | undefined,
): RelayState {
  return {
    ...(upstreamState !== undefined && { state: upstreamState }),
    owner: identity.id,
    server,
    target,
    args: argsDigest(args),
    approvedUntil: approval ? approval.until : 0,
    ...(approval && { approval: approval.id }),
    nonce: randomBytes(16).toString('base64url'),
    requests: Object.fromEntries(Object.entries(inputRequests ?? {}).map(([key, request]) => [key, String(request?.method)])),
    ...(definition !== undefined && { definition: definition() }),
    ...(user !== undefined && { user }),
  };
}
