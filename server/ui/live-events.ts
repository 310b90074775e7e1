/**
 * `GET /ui/events`: Server-Sent Events that keep the pages live without a reload.
 * - `server` (data: the server's name) when a server's state or tool list changes;
 * - `servers` when a server is added or removed (the list is re-read);
 * - `activity` (data: the call's id) when a call has finished.
 * The page's script fetches the partial that changed; if the stream is cut it polls instead
 * (static/ui.js). A comment heartbeat keeps proxies from closing an idle stream. The stream
 * closes when its session ends.
 */
import type { Router } from 'express';
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
    });
    req.log.debug('live events stream opened');
  });
}
