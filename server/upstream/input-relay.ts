/**
 * A 2026-07-28 server's `input_required` answers, relayed to a caller of the same era (an `/mcp`
 * client; server/mcp/input-relay.ts) instead of answered by the gateway, when that caller declared
 * what every input request of the round needs:
 *
 * - `elicitation/create` in form mode needs the caller's `elicitation` with form mode (or a bare
 *   `{}`), in URL mode its `url` and an http(s) URL (another is answered by the gateway, which
 *   declines it, as on every other path); `sampling/createMessage` needs its `sampling`;
 *   `roots/list` its `roots`, unless the gateway answers roots for the server itself (configured
 *   `roots`, or `clientRoots`: then the gateway's answer counts).
 * - The controls of every other path hold, relayed or not (`checkRound`): a round with an
 *   elicitation of a server the gateway declares none for (`elicitation: false`), or a sampling
 *   request the policy denies (the pseudo-tool `sampling/createMessage`), fails the request.
 * - The request goes upstream with what the call can answer (`callCapabilities`: a person for
 *   questions, the gateway's sampler or the caller's model, its roots), plus a bare `roots: {}` when
 *   the caller declared roots and the gateway declares none, so the server may ask the caller for them.
 * - A round the caller can answer whole comes back as it came (its keys, its `requestState`); a
 *   round it cannot is answered by the gateway (`onElicit`, `onSample`, its roots) and sent again,
 *   as the SDK's own driver would, for at most `MAX_LOCAL_ROUNDS` rounds.
 * - The caller's retry (its `inputResponses` to the relayed round's keys, the server's `requestState`:
 *   server/mcp/input-relay.ts) goes upstream as it is.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { elicitationModes } from '../mcp/elicitation.js';
import { isWebUrl } from '../questions/book.js';
import type { InputRelay, RelayedInputRequired, SamplingRequest } from './types.js';

/** The envelope key of a 2026-07-28 request's client capabilities. */
export const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';

/** The rounds the gateway answers itself in one call before it gives up (the SDK driver's cap). */
export const MAX_LOCAL_ROUNDS = 10;

/** Whether `result` is an `input_required` answer (2026-07-28). */
export function isInputRequired(result: unknown): result is RelayedInputRequired & { resultType: 'input_required' } {
  return typeof result === 'object' && result !== null && (result as { resultType?: unknown }).resultType === 'input_required';
}

/** A round as it is passed on: its input requests and the server's `requestState`, nothing else. */
export function relayedRound(result: RelayedInputRequired): RelayedInputRequired {
  const { inputRequests, requestState } = result;
  return { inputRequests: inputRequests ?? {}, ...(requestState !== undefined && { requestState }) };
}

/**
 * The capabilities a relayed call declares upstream: the gateway's, and `roots` (bare: nothing of
 * the caller's own declaration goes upstream) when the caller declared them and the gateway has none.
 */
export function relayCapabilities(gateway: ClientCapabilities, relay: InputRelay): ClientCapabilities {
  return gateway.roots || relay.capabilities.roots === undefined ? gateway : { ...gateway, roots: {} };
}

/**
 * Who answers a server's sampling requests in one call: `gateway` (the gateway's `sampling` endpoint
 * serves the server, or the caller's own model, through the sampler: a 2025 `/mcp` client that
 * declared sampling, `ToolCallOptions.onSample`), `relay` (only a relaying 2026-07-28 caller that
 * declared it), `none` (the approval policy denies every sampling request of the server).
 */
export type CallSampling = 'gateway' | 'relay' | 'none';

/**
 * What one request of a call declares upstream in its envelope (a 2026-07-28 server reads the
 * client's capabilities per request, and asks only for what they name), from `gateway`, what the
 * gateway declares for the server (capabilities.ts, which `tools/list` and the other requests carry):
 *
 * - `sampling` only when someone answers it for this call (`CallSampling`): the gateway's `sampling`
 *   endpoint serves the server, or the caller's own model does (a 2025 `/mcp` client that declared
 *   sampling, or a relaying 2026-07-28 caller that declared it), and the approval policy does not
 *   deny all of the server's sampling. Otherwise the server learns the truth at once (it answers
 *   -32021, or runs without sampling) instead of asking and being refused.
 * - `elicitation` as the gateway declares it (form and URL mode, unless the server's `elicitation`
 *   is false): a person can always answer, on a question card (REST, apps, a client that did not
 *   declare it), and a relaying caller that declared it answers its own rounds.
 * - `roots` as the gateway declares them, plus a bare `roots: {}` for a relaying caller that
 *   declared roots (`relayCapabilities`).
 */
export function callCapabilities(gateway: ClientCapabilities, answered: CallSampling, relay?: InputRelay): ClientCapabilities {
  const { sampling, ...rest } = gateway;
  const samples =
    sampling !== undefined && (answered === 'gateway' || (answered === 'relay' && relay?.capabilities.sampling !== undefined));
  const declared = samples ? { ...rest, sampling } : rest;
  return relay ? relayCapabilities(declared, relay) : declared;
}

/** The capabilities a relaying caller's declaration reaches upstream with (`callCapabilities`); any other is the gateway's alone. */
const RELAYED_CAPABILITIES: readonly string[] = ['sampling', 'elicitation', 'roots'];

/**
 * Whether a 2026-07-28 server's -32021 (`required`, as call-errors.ts bounds it) is met by the
 * caller declaring the capabilities too: every one is sampling, elicitation or roots, and declared
 * (with the settings it names, e.g. `sampling.tools`) in `ifDeclared`, what the request would carry
 * upstream had the caller declared them, while some is missing from `now`, what it carried. Otherwise
 * the caller cannot help (the server's `elicitation: false`, a policy that denies sampling, `tasks`,
 * an extension, a setting the gateway does not declare): the gateway cannot offer it.
 */
export function callerWouldSupply(required: Record<string, unknown>, now: ClientCapabilities, ifDeclared: ClientCapabilities): boolean {
  const names = Object.keys(required);
  return (
    names.length > 0 &&
    names.every((name) => RELAYED_CAPABILITIES.includes(name) && declares(ifDeclared, name, required[name])) &&
    names.some((name) => !declares(now, name, required[name]))
  );
}

/** Whether `capabilities` declare `name` with each setting `wanted` names (its first level). */
function declares(capabilities: ClientCapabilities, name: string, wanted: unknown): boolean {
  const declared = (capabilities as Record<string, unknown>)[name];
  if (typeof declared !== 'object' || declared === null) return false;
  return typeof wanted !== 'object' || wanted === null || Object.keys(wanted).every((setting) => Object.hasOwn(declared, setting));
}

/** What a caller that declared `declared` declares too when it also declares the relayed capabilities of `required`. */
export function declaringToo(
  declared: InputRelay['capabilities'] | undefined,
  required: Record<string, unknown>,
): InputRelay['capabilities'] {
  const added = Object.fromEntries(
    RELAYED_CAPABILITIES.filter((name) => Object.hasOwn(required, name)).map((name) => [name, required[name]]),
  );
  return { ...declared, ...added };
}

/**
 * Throws when a round asks for what the gateway refuses, whoever would answer it (see the file's
 * comment): `gateway`, the capabilities it declares for the server; `samplingRefusal`, the policy's.
 */
export function checkRound(
  result: RelayedInputRequired,
  gateway: ClientCapabilities,
  samplingRefusal: ((request: SamplingRequest) => string | undefined) | undefined,
): void {
  for (const [key, request] of Object.entries(result.inputRequests ?? {})) {
    if (request?.method === 'elicitation/create' && !gateway.elicitation)
      throw new Error(`the server asked for elicitation (input request ${key}), which the gateway does not declare for it`);
    const refused = request?.method === 'sampling/createMessage' && samplingRefusal?.((request.params ?? {}) as SamplingRequest);
    if (refused) throw new Error(refused);
  }
}

/** Whether the caller declared what every input request of `result` needs (see the file's comment). */
export function relayable(result: RelayedInputRequired, relay: InputRelay, gateway: ClientCapabilities): boolean {
  const declared = relay.capabilities;
  const modes = elicitationModes(declared.elicitation);
  return Object.values(result.inputRequests ?? {}).every((request) => {
    switch (request?.method) {
      case 'elicitation/create':
        return request.params?.mode === 'url' ? modes.url && isWebUrl(String(request.params.url)) : modes.form;
      case 'sampling/createMessage':
        return declared.sampling !== undefined;
      case 'roots/list':
        return declared.roots !== undefined && !gateway.roots;
      default:
        return false;
    }
  });
}

/** The params of a `tools/call` that carries `relay`'s retry material (none: a first call). */
export function relayedParams(
  name: string,
  args: Record<string, unknown>,
  capabilities: ClientCapabilities,
  inputResponses: Record<string, unknown> | undefined,
  requestState: string | undefined,
): Record<string, unknown> {
  return {
    name,
    arguments: args,
    _meta: { [CLIENT_CAPABILITIES_META_KEY]: capabilities },
    ...(inputResponses !== undefined && { inputResponses }),
    ...(requestState !== undefined && { requestState }),
  };
}
