/**
 * `GET /ui/events`: Server-Sent Events that keep the pages live without a reload.
 * - `server` (data: the server's name) when a server's state or tool list changes;
 * - `servers` when a server is added or removed (the list is re-read);
 * - `activity` (data: the call's id) when a call has finished;
 * - `approvals` (data: the approval's id) when a call starts to wait for a decision or stops waiting.
 * The page's script fetches the partial that changed; if the stream is cut it polls instead
 * (static/ui.js). A comment heartbeat keeps proxies from closing an idle stream. The stream
 * closes when its session ends.
 */
import type { Router } from 'express';
import type { Approval } from '../approvals/pending.js';
import { hasScope } from '../auth/identity.js';
import type { RunningCall } from '../calls/running-call.js';
import { EventStream } from '../http/event-stream.js';
import type { ServerStatus } from '../upstream/types.js';
import type { UiDeps } from './routes.js';

export function liveEvents(router: Router, deps: UiDeps): void {
  router.get('/ui/events', (req, res) => {
    const { supervisor, callEvents } = deps;
    const stream = new EventStream(res, deps.settings().heartbeatMs);
    // Tells EventSource how long to wait before reconnecting after a cut.
    res.write('retry: 2000\n\n');
    const known = new Set(supervisor.list().map((server) => server.name));
    const onChange = (status: ServerStatus) => {
      if (known.has(status.name)) {
        stream.send('server', status.name);
        return;
      }
      known.add(status.name);
      stream.send('servers', 'changed');
    };
    const onLists = (name: string) => stream.send('server', name);
    const onRemoved = (name: string) => {
      known.delete(name);
      stream.send('servers', 'changed');
    };
    const onFinished = (call: RunningCall) => stream.send('activity', call.id);
    /* approvals: every page keeps a stream (the nav's badge); each stream adds one listener per emitter. */
    const onApproval = (approval: Approval) => stream.send('approvals', approval.id);
    const emitters = [supervisor, callEvents, deps.approvals, deps.sessions];
    const widen = (by: number) => {
      for (const emitter of emitters) if (emitter.getMaxListeners() > 0) emitter.setMaxListeners(emitter.getMaxListeners() + by);
    };
    widen(1);
    // Only to those who may decide (others get no badge either).
    if (req.identity && hasScope(req.identity, 'approvals:decide')) deps.approvals.on('change', onApproval);
    // Signing out (or the session ending otherwise) closes the stream at once.
    const session = req.session;
    const onSessionEnded = (tokenHash: string) => {
      if (tokenHash === session?.tokenHash) stream.end();
    };
    deps.sessions.on('ended', onSessionEnded);
    supervisor.on('change', onChange);
    supervisor.on('lists', onLists);
    supervisor.on('removed', onRemoved);
    callEvents.on('finished', onFinished);
    stream.onClose(() => {
      supervisor.off('change', onChange);
      supervisor.off('lists', onLists);
      supervisor.off('removed', onRemoved);
      callEvents.off('finished', onFinished);
      deps.sessions.off('ended', onSessionEnded);
      deps.approvals.off('change', onApproval);
      widen(-1);
    });
    req.log.debug('live events stream opened');
  });
}
