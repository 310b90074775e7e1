/**
 * Server-Sent Events for tool calls: a `text/event-stream` answer, a comment heartbeat so that
 * proxies and clients keep an idle stream open, and `followCall`, which turns a `RunningCall`'s
 * events into `progress`, `log` and one final `result` or `error` event.
 */
import type { ServerResponse } from 'node:http';
import { answeredProblem, resultAnswer, toolErrorProblem } from './call-answer.js';
import type { Approval } from '../approvals/book.js';
import type { Question } from '../questions/book.js';
import type { CallEnd, RunningCall } from '../calls/running-call.js';

export class EventStream {
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    /** Interval of the `: heartbeat` comment, in ms (gateway.heartbeatMs, default 15000). */
    heartbeatMs: number,
  ) {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    // Tells nginx not to buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
    this.heartbeat.unref();
    res.on('close', () => this.stop());
  }

  onClose(listener: () => void): void {
    this.res.on('close', listener);
  }

  /** `data` is JSON text; JSON has no raw line breaks, so it fits one `data:` line. */
  send(event: string, data: string): void {
    this.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  end(): void {
    this.stop();
    this.res.end();
  }

  private write(chunk: string): void {
    if (!this.closed) this.res.write(chunk);
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
  }
}

/** The final event of a call: `result` with the surface's answer, or `error` with the problem (call-answer.ts). */
export function finalEvent(call: RunningCall, end: CallEnd, prefix = ''): { event: 'result' | 'error'; data: string } {
  const problem = answeredProblem(call, end);
  if (problem) return { event: 'error', data: JSON.stringify(problem) };
  return { event: 'result', data: resultAnswer(call, end.result!, prefix) };
}

/** The `approval` event of a held call: `waiting` with where to decide, then how it was decided. */
export function approvalEvent(approval: Approval, prefix: string): string {
  return JSON.stringify({
    status: approval.state === 'pending' ? 'waiting' : approval.state,
    id: approval.id,
    url: `${prefix}/api/approvals/${approval.id}`,
    expiresAt: new Date(approval.expiresAt).toISOString(),
    ...(approval.decidedByLabel && approval.state !== 'pending' ? { decidedBy: approval.decidedByLabel } : {}),
  });
}

/**
 * The `question` event of a call whose server asks a person (elicitation): `waiting` with the
 * question's URL, then how it ended (`accepted`, `declined`, `cancelled`, `expired`…).
 */
export function questionEvent(question: Question, prefix: string): string {
  return JSON.stringify({
    status: question.state === 'pending' ? 'waiting' : question.state,
    id: question.id,
    url: `${prefix}/api/questions/${question.id}`,
    message: question.message,
    expiresAt: new Date(question.expiresAt).toISOString(),
    ...(question.answeredByLabel && question.state !== 'pending' ? { answeredBy: question.answeredByLabel } : {}),
  });
}

/**
 * Streams a call: its approval, latest progress and kept log messages first (for a late
 * subscriber), then live events, then the final event, and ends the stream. Returns at once.
 * `prefix` is the gateway's path prefix, for the approval's URL. However many streams follow one
 * call, the call holds them in one set (`RunningCall.follow`), not as emitter listeners.
 */
export function followCall(call: RunningCall, stream: EventStream, prefix = ''): void {
  const finish = (end: CallEnd) => {
    const { event, data } = finalEvent(call, end, prefix);
    stream.send(event, data);
    stream.end();
  };
  if (call.approval) stream.send('approval', approvalEvent(call.approval, prefix));
  if (call.question) stream.send('question', questionEvent(call.question, prefix));
  if (call.progress) stream.send('progress', JSON.stringify(call.progress));
  for (const message of call.logs) stream.send('log', JSON.stringify(message));
  if (call.end) return finish(call.end);

  const unfollow = call.follow({
    approval: (approval) => stream.send('approval', approvalEvent(approval, prefix)),
    question: (question) => stream.send('question', questionEvent(question, prefix)),
    progress: (progress) => stream.send('progress', JSON.stringify(progress)),
    log: (message) => stream.send('log', JSON.stringify(message)),
    end: finish,
  });
  stream.onClose(unfollow);
}

/** What `GET /api/calls/{id}` answers (and the 202 of an async call). */
export function callSnapshot(call: RunningCall, prefix = ''): Record<string, unknown> {
  const end = call.end;
  const snapshot: Record<string, unknown> = {
    id: call.id,
    server: call.server,
    tool: call.tool,
    surface: call.surface,
    mode: call.mode,
    ...(call.user && { user: call.user }),
    state: call.state,
    startedAt: new Date(call.startedAt).toISOString(),
    endedAt: call.endedAt === undefined ? null : new Date(call.endedAt).toISOString(),
    progress: call.progress ?? null,
  };
  if (call.approval)
    snapshot.approval = { id: call.approval.id, state: call.approval.state, url: `${prefix}/api/approvals/${call.approval.id}` };
  if (call.question)
    snapshot.question = { id: call.question.id, state: call.question.state, url: `${prefix}/api/questions/${call.question.id}` };
  if (call.task) snapshot.task = { ...call.task };
  if (!end) return snapshot;
  const problem = answeredProblem(call, end);
  if (end.result && !problem) snapshot.result = JSON.parse(resultAnswer(call, end.result, prefix));
  if (problem) snapshot.error = problem;
  else if (end.outcome === 'tool_error' && end.result) snapshot.error = toolErrorProblem(end.result);
  return snapshot;
}
