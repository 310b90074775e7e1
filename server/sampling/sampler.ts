/**
 * Answers the servers' sampling requests (`sampling/createMessage`, issue 18 item 6): only for a
 * server listed in the top-level `sampling` section, and only as the approval policy says. A
 * request is the pseudo-tool `sampling/createMessage` of its server to the policy (so a rule
 * `{server: "x", tool: "sampling/createMessage", action: "ask"}` holds it for a person; without a
 * rule the default decides, `ask` unless configured otherwise), with the request's params as its
 * arguments: an approval card shows the prompt before anything is sent. An approved or allowed
 * request goes to the endpoint (chat-completions.ts). Everything reads the configuration in force
 * at the request, so a reload applies at once.
 *
 * A request made during a call of an `/mcp` client that declared sampling goes to that client
 * instead (`forward`), whether or not the section lists the server: the client is a host with its
 * own user's consent (MCP asks hosts to let their user review a sampling request) and its own
 * model, so no approval card is shown; a `deny` of the policy still refuses it.
 */
import type { Logger } from 'pino';
import type { ApprovalBook } from '../approvals/book.js';
import { decide, deniesAlways, timeoutFor } from '../approvals/policy.js';
import { newCallId } from '../calls/call-id.js';
import type { GatewayConfig } from '../config/types.js';
import { SAMPLING_NOT_CONFIGURED, type Sampler, type SamplingRequest, type ToolInfo } from '../upstream/types.js';
import { chatCompletion } from './chat-completions.js';

/** What the approval policy and the approval cards see of a sampling request. */
export const SAMPLING_TOOL: ToolInfo = {
  name: 'sampling/createMessage',
  description: "The server asks the gateway's model for a reply (MCP sampling).",
  inputSchema: { type: 'object' },
};

export interface SamplerDeps {
  /** The configuration in force. */
  config: () => GatewayConfig;
  approvals: ApprovalBook;
  logger: Logger;
}

/** The policy's decision on a sampling request of `server` (none: the server is not configured). */
function decisionOf(config: GatewayConfig, server: string, request: SamplingRequest) {
  const serverConfig = config.servers.find((entry) => entry.name === server);
  const args = request as unknown as Record<string, unknown>;
  return { serverConfig, args, decision: serverConfig && decide(config.approval, serverConfig, SAMPLING_TOOL, args) };
}

const refusedFor = (server: string, reason: string) => `the gateway refuses sampling for server ${server}: ${reason}`;

export function createSampler({ config: current, approvals, logger }: SamplerDeps): Sampler {
  const sampler: Sampler = async (server, request, signal, hold, forward) => {
    const config = current();
    const settings = config.sampling;
    const { serverConfig, args, decision } = decisionOf(config, server, request);
    const refused = () => new Error(refusedFor(server, decision!.reason));
    if (forward) {
      if (decision?.action === 'deny') throw refused();
      // The calling /mcp client's own model: its host asks its user (no approval card here).
      logger.debug({ server }, `server ${server}: sampling request passed to the calling MCP client`);
      return forward(request, signal);
    }
    if (!settings || !serverConfig?.sampling || !decision) throw new Error(SAMPLING_NOT_CONFIGURED);
    if (decision.action === 'deny') throw refused();
    if (decision.action === 'ask') {
      const timeoutMs = timeoutFor(config.approval, serverConfig);
      // A person's time is not the server's silence: the tool call's timeout stops while they decide
      // (gateway.maxTotalTimeoutMs still counts), as it does for a question.
      const paused = hold?.pause() ?? false;
      const settled = await approvals
        .wait(
          {
            callId: newCallId(),
            server,
            tool: SAMPLING_TOOL,
            args,
            caller: `server:${server}`,
            callerLabel: `server ${server} (sampling)`,
            rule: decision.rule,
            ruleReason: decision.reason,
            timeoutMs,
            signal,
          },
          () => undefined,
        )
        .finally(() => {
          if (paused) hold!.resume();
        });
      if (settled.state !== 'approved') {
        const by = settled.decidedByLabel ?? 'someone';
        const why =
          settled.state === 'denied'
            ? `${by} denied it${settled.reason ? `: ${settled.reason}` : ''}`
            : settled.state === 'expired'
              ? `nobody approved it within ${timeoutMs} ms (approval.timeoutMs)`
              : `it ended ${settled.state} before a decision`;
        throw new Error(`the gateway did not send the sampling request: ${why}`);
      }
    }
    const started = Date.now();
    const result = await chatCompletion(request, settings, signal);
    logger.info({ server, model: result.model, ms: Date.now() - started }, `server ${server}: sampling request answered`);
    return result;
  };
  // A request relayed to the calling client as part of an input_required round (upstream/input-relay.ts): a `deny` still refuses it.
  sampler.refusal = (server, request) => {
    const { decision } = decisionOf(current(), server, request);
    return decision?.action === 'deny' ? refusedFor(server, decision.reason) : undefined;
  };
  // What a 2026-07-28 server's call declares (upstream/input-relay.ts `callCapabilities`): no sampling when none would pass.
  sampler.mayAnswer = (server) => {
    const config = current();
    const serverConfig = config.servers.find((entry) => entry.name === server);
    return !serverConfig || !deniesAlways(config.approval, serverConfig, SAMPLING_TOOL);
  };
  return sampler;
}
