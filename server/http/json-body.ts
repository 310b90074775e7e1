/**
 * Reads a JSON request body into `req.body` (and a form post, `application/x-www-form-urlencoded`,
 * into `req.form`), up to a byte limit that may change with a config reload. Bodies of other
 * media types are not read (`req.body` stays undefined); an empty JSON body is `{}`. A body over the limit is a 413 `payload-too-large` (refused from Content-Length
 * before reading when it says so), malformed JSON a 400 `invalid-json`.
 *
 * Written for the tool-call hot path: one pass over the chunks and one `JSON.parse`, without
 * body-parser's general machinery (charsets, inflation, verify hooks) that tool calls never use.
 */
import type { IncomingMessage } from 'node:http';
import { ProblemError } from './problems.js';
import type { Middleware } from './request-log.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The parsed JSON body; undefined when the request had none or was not JSON. */
    body?: unknown;
    /** The fields of a form post, in document order; undefined for other requests. */
    form?: URLSearchParams;
  }
}

/** `application/json`, or any `+json` type such as `application/merge-patch+json`. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function tooLarge(limit: number, size?: number): ProblemError {
  return new ProblemError('payload-too-large', `the request body is larger than gateway.maxBodyBytes (${limit} bytes)`, {
    limit,
    ...(size !== undefined && { size }),
  });
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** A form post, as browsers send forms (and htmx its requests). */
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** `limit()` is read per request, in bytes. */
export function jsonBody(limit: () => number): Middleware {
  return textBody(JSON_TYPE, (req) => req.body !== undefined, limit, (req, text) => {
    if (text.trim() === '') {
      req.body = {};
      return undefined;
    }
    try {
      req.body = JSON.parse(text);
    } catch {
      return new ProblemError('invalid-json', 'the request body could not be parsed as JSON');
    }
    return undefined;
  });
}

/** Reads a form post into `req.form`. `limit()` is read per request, in bytes. */
export function formBody(limit: () => number): Middleware {
  return textBody(FORM_TYPE, (req) => req.form !== undefined, limit, (req, text) => {
    req.form = new URLSearchParams(text);
    return undefined;
  });
}

/** Reads a body of the `accepts` media type as UTF-8 text and hands it to `take`. */
function textBody(
  accepts: RegExp,
  done: (req: IncomingMessage) => boolean,
  limit: () => number,
  take: (req: IncomingMessage, text: string) => ProblemError | undefined,
): Middleware {
  return (req, res, next) => {
    if (done(req) || !hasBody(req) || !accepts.test(req.headers['content-type'] ?? '')) return next();
    const max = limit();
    const declared = Number(req.headers['content-length']);
    if (declared > max) {
      // Read (and drop) what the client sends, so that it can read the answer.
      req.resume();
      return next(tooLarge(max, declared));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        failed = true;
        req.off('data', onData);
        req.resume();
        next(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', (error) => {
      if (failed) return;
      failed = true;
      next(error);
    });
    req.once('end', () => {
      if (failed) return;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      next(take(req, text));
    });
  };
}
