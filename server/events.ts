/**
 * The gateway's event bus: what happened, for whoever follows it (the pages' live streams, the
 * activity tail, the wiring in `startGateway`). The domain objects keep their own emitters;
 * `startGateway` forwards them here, in one place, and wires what follows from an event (a revoked
 * key or device ends its sessions). Listeners run synchronously, in the order they were added.
 *
 * - `call.finished`: a tool call has ended and was recorded (emitted only while someone listens:
 *   it is on the hot path);
 * - `server.changed`: a server's state changed (`state`), it listed its tools anew (`lists`), or
 *   it was removed by a reload (`removed`);
 * - `approval.changed`: a held call started to wait for a decision, or stopped waiting;
 * - `question.changed`: a server asked a person a question (elicitation), or it was answered or ended;
 * - `key.revoked`, `device.revoked`: an API key or a paired device was revoked;
 * - `session.ended`: a UI or device session ended (signed out, expired, revoked);
 * - `config.reloaded`: a new config is in force (its servers applied), e.g. tool groups changed.
 */
import { EventEmitter } from 'node:events';
import type { Approval } from './approvals/book.js';
import type { Device } from './auth/devices.js';
import type { ApiKey } from './auth/keys.js';
import type { RunningCall } from './calls/running-call.js';
import type { Question } from './questions/book.js';
import type { ServerStatus } from './upstream/types.js';

/** What changed about a server. */
export type ServerChange = { kind: 'state'; status: ServerStatus } | { kind: 'lists'; name: string } | { kind: 'removed'; name: string };

export interface GatewayEventMap {
  'call.finished': [call: RunningCall];
  'server.changed': [change: ServerChange];
  'approval.changed': [approval: Approval];
  'question.changed': [question: Question];
  'key.revoked': [key: ApiKey];
  'device.revoked': [device: Device];
  'session.ended': [tokenHash: string];
  'config.reloaded': [];
}

export class GatewayEvents extends EventEmitter<GatewayEventMap> {
  /** Whether anyone follows `event` (an event nobody follows need not be built or sent). */
  has(event: keyof GatewayEventMap): boolean {
    return this.listenerCount(event) > 0;
  }
}
