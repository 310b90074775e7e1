/**
 * `GET /ui/events`: Server-Sent Events that keep the pages live without a reload.
 * - `server` (data: the server's name) when a server's state or tool list changes;
 * - `servers` when a server is added or removed (the list is re-read);
 * - `activity` (data: the call's id) when a call has finished, to those who may read its row (see
 *   http/api/activity.ts: another caller's call id must not reach a browser);
 * - `approvals` (data: the approval's or question's id) when a call starts to wait for a decision or
 *   stops waiting, or a server's question to a person (a card on the same page) opens or ends;
 * - `versions` first, on every connect: how many changes of servers and approvals the gateway has
 *   seen (`LiveVersions`). A page carries the versions it was rendered at (`data-live-versions`):
 *   when they differ, something changed between the render and the stream's start, and the page
 *   catches up by fetching its parts anew.
 * The page's script fetches the partial that changed; if the stream is cut it polls instead
 * (static/ui.js). A comment heartbeat keeps proxies from closing an idle stream. The stream
 * closes when its session ends.
 */
import type { EventEmitter } from 'node:events';
import type { PageRouter } from '../http/route.js';
import type { Approval } from '../approvals/book.js';
import type { Question } from '../questions/book.js';
import { hasScope } from '../auth/identity.js';
import type { RunningCall } from '../calls/running-call.js';
import type { GatewayEvents, ServerChange } from '../events.js';
import { activityReaderOf } from '../http/api/activity.js';
import { EventStream } from '../http/event-stream.js';
import type { UiDeps } from './routes.js';

/** Adds `by` to an emitter's listener limit, unless it has none (0). */
function widen(emitter: EventEmitter, by: number): void {
  if (emitter.getMaxListeners() > 0) emitter.setMaxListeners(emitter.getMaxListeners() + by);
}

/** Counts the changes of what the pages show live, from the gateway's start: one listener per event for the app's life. */
export class LiveVersions {
  private servers = 0;
  private approvals = 0;

  constructor(events: GatewayEvents) {
    events.on('server.changed', () => this.servers++);
    events.on('approval.changed', () => this.approvals++);
    events.on('question.changed', () => this.approvals++);
    widen(events, 2);
  }

  /** `{"servers":12,"approvals":3}`: what a page was rendered at, and what a stream starts with. */
  text(): string {
    return JSON.stringify({ servers: this.servers, approvals: this.approvals });
  }
}

export function liveEvents(pages: PageRouter, deps: UiDeps, versions: LiveVersions): void {
  pages.get('/ui/events', 'tools:read', (req, res) => {
    const { supervisor, events } = deps;
    const stream = new EventStream(res, deps.settings().heartbeatMs);
    // Tells EventSource how long to wait before reconnecting after a cut.
    res.write('retry: 2000\n\n');
    const known = new Set(supervisor.list().map((server) => server.name));
    const onServer = (change: ServerChange) => {
      switch (change.kind) {
        case 'state':
          if (known.has(change.status.name)) {
            stream.send('server', change.status.name);
            return;
          }
          known.add(change.status.name);
          stream.send('servers', 'changed');
          return;
        case 'lists':
          stream.send('server', change.name);
          return;
        case 'removed':
          known.delete(change.name);
          stream.send('servers', 'changed');
      }
    };
    const reader = activityReaderOf(req);
    const onFinished = (call: RunningCall) => {
      if (reader.seesAll || call.caller === reader.caller) stream.send('activity', call.id);
    };
    /* approvals: every page keeps a stream (the nav's badge); each stream adds one listener per event. */
    const onApproval = (approval: Approval | Question) => stream.send('approvals', approval.id);
    widen(events, 2);
    // Only to those who may decide (others get no badge either).
    if (req.identity && hasScope(req.identity, 'approvals:decide')) {
      events.on('approval.changed', onApproval);
      events.on('question.changed', onApproval);
    }
    // Signing out (or the session ending otherwise) closes the stream at once.
    const session = req.session;
    const onSessionEnded = (tokenHash: string) => {
      if (tokenHash === session?.tokenHash) stream.end();
    };
    events.on('session.ended', onSessionEnded);
    events.on('server.changed', onServer);
    events.on('call.finished', onFinished);
    // After the listeners: a change from here on comes as an event, one before shows in the versions.
    stream.send('versions', versions.text());
    stream.onClose(() => {
      events.off('server.changed', onServer);
      events.off('call.finished', onFinished);
      events.off('session.ended', onSessionEnded);
      events.off('approval.changed', onApproval);
      events.off('question.changed', onApproval);
      widen(events, -2);
    });
    req.log.debug('live events stream opened');
  });
}
