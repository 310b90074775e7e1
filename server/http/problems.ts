/**
 * The one catalog of errors the HTTP API answers with, as RFC 9457 problem details
 * (`application/problem+json`). `type` is a stable slug that scripts may rely on.
 */
import type { Response } from 'express';

export const PROBLEMS = {
  'not-found': { status: 404, title: 'Not found' },
  'server-not-found': { status: 404, title: 'No such server' },
  'tool-not-found': { status: 404, title: 'No such tool' },
  'invalid-json': { status: 400, title: 'The request body is not valid JSON' },
  'invalid-request': { status: 422, title: 'The request does not have the expected shape' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  unauthorized: { status: 401, title: 'Authentication required' },
  'invalid-credentials': { status: 403, title: 'The credentials are not valid' },
  'host-not-allowed': { status: 403, title: 'Host not allowed' },
  'origin-not-allowed': { status: 403, title: 'Origin not allowed' },
  'server-disabled': { status: 409, title: 'The server is disabled' },
  'not-ready': { status: 503, title: 'Not every enabled server is ready' },
  'internal-error': { status: 500, title: 'Internal error' },
} as const;

export type ProblemType = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON pointer-like path of the field, e.g. `enabled`. */
  field: string;
  message: string;
}

/** Thrown from a route; the error handler turns it into a problem response. */
export class ProblemError extends Error {
  constructor(
    readonly type: ProblemType,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? PROBLEMS[type].title);
    this.name = 'ProblemError';
  }
}

export function sendProblem(
  res: Response,
  type: ProblemType,
  detail?: string,
  extra: Record<string, unknown> = {},
): void {
  const { status, title } = PROBLEMS[type];
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type, title, status, ...(detail ? { detail } : {}), ...extra }));
}
