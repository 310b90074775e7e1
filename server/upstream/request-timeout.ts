/**
 * Holding a tool call's timeout while the server waits for an answer from a person
 * (`elicitation/create`): the time a person takes to answer is not the server's silence. The
 * SDK 1.x client keeps each request's timer in `Protocol._timeoutInfo` (keyed by the request's
 * message id) and restarts it on progress (`_resetTimeout`); this module is the one place that
 * reaches into those internals, so that a change of the SDK breaks only here (its tests: the
 * question tests with a tool timeout shorter than the person's answer).
 *
 * `maxTotalTimeoutMs` still counts the whole call: restarting past it fails the call as a timeout.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { DirectCalls } from './direct-calls.js';

/** Holds one call's timeout while a person answers, whichever path the call took. */
export interface TimeoutHold {
  /** Stops the timer; false when the call has ended. */
  pause(): boolean;
  /** Starts it again from the full timeout (or fails the call, past its maximum total time). */
  resume(): void;
}

/** The hold of a call the SDK client sent, as request `messageId`. */
export function sdkRequestHold(client: Client, messageId: number): TimeoutHold {
  return counted(
    () => pauseTimeout(client, messageId),
    () => resumeTimeout(client, messageId),
  );
}

/** The hold of a call sent past the SDK client (direct-calls.ts), as call `id`. */
export function directCallHold(direct: DirectCalls, id: string): TimeoutHold {
  return counted(
    () => direct.pauseTimeout(id),
    () => direct.resumeTimeout(id),
  );
}

/**
 * A hold that several questions of one call may take at once: the timer stops with the first
 * and starts again only when the last one is answered.
 */
function counted(pause: () => boolean, resume: () => void): TimeoutHold {
  let holders = 0;
  return {
    pause: () => {
      if (holders > 0) {
        holders++;
        return true;
      }
      if (!pause()) return false;
      holders = 1;
      return true;
    },
    resume: () => {
      if (holders === 0 || --holders > 0) return;
      resume();
    },
  };
}

interface TimeoutInfo {
  timeoutId: NodeJS.Timeout | undefined;
  onTimeout: () => void;
  /** Whether progress restarts the timer (the SDK's progress handler reads it). */
  resetTimeoutOnProgress: boolean;
}

/** The `resetTimeoutOnProgress` of each paused request, given back on resume. */
const pausedResets = new WeakMap<TimeoutInfo, boolean>();

interface ProtocolInternals {
  _requestMessageId: number;
  _timeoutInfo: Map<number, TimeoutInfo>;
  _resetTimeout(messageId: number): boolean;
}

const internals = (client: Client) => client as unknown as ProtocolInternals;

/** The message id the client's next request will get (read just before sending it). */
export function nextRequestId(client: Client): number {
  return internals(client)._requestMessageId;
}

/** Stops the timer of request `messageId` until `resumeTimeout`; false when it has none (ended). */
export function pauseTimeout(client: Client, messageId: number): boolean {
  const info = internals(client)._timeoutInfo?.get(messageId);
  if (!info) return false;
  clearTimeout(info.timeoutId);
  // Progress while a person answers must not start the timer again behind the hold's back.
  pausedResets.set(info, info.resetTimeoutOnProgress);
  info.resetTimeoutOnProgress = false;
  return true;
}

/** Starts the timer of request `messageId` again, from the full timeout. */
export function resumeTimeout(client: Client, messageId: number): void {
  const info = internals(client)._timeoutInfo?.get(messageId);
  if (!info) return;
  info.resetTimeoutOnProgress = pausedResets.get(info) ?? info.resetTimeoutOnProgress;
  pausedResets.delete(info);
  try {
    internals(client)._resetTimeout(messageId);
  } catch {
    // Past maxTotalTimeout (the SDK dropped the timer's info): the call times out now.
    info.onTimeout();
  }
}
