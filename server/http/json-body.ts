/**
 * Reads a JSON request body into `req.body` (and a form post, `application/x-www-form-urlencoded`,
 * into `req.form`), up to a byte limit that may change with a config reload. Bodies of other
 * media types are not read (`req.body` stays undefined), except on routes that take JSON only
 * (the API, tool calls), where they are a 415 `unsupported-media-type` (`curl -d '{…}'` sends a
 * form type). An empty JSON body is `{}`. A body over the limit is a 413 `payload-too-large`
 * (refused from Content-Length before reading when it says so), malformed JSON a 400
 * `invalid-json`, JSON nested deeper than `gateway.maxJsonDepth` a 400 `json-too-deep` (before
 * anything runs: deeper nesting would overflow the stack of whatever walks it next).
 *
 * Written for the tool-call hot path: one pass over the chunks and one `JSON.parse`, without
 * body-parser's general machinery (charsets, inflation, verify hooks) that tool calls never use.
 */
import type { IncomingMessage } from 'node:http';
import { ProblemError } from '../errors.js';
import type { Middleware } from './request-log.js';
import './request-context.js';

/** `application/json`, or any `+json` type such as `application/merge-patch+json`. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function tooLarge(limit: number, size?: number): ProblemError {
  return new ProblemError('payload-too-large', `the request body is larger than gateway.maxBodyBytes (${limit} bytes)`, {
    limit,
    ...(size !== undefined && { size }),
  });
}

function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  );
}

/** A form post, as browsers send forms (and htmx its requests). */
export const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

export interface JsonBodyOptions {
  /** The largest body, in bytes; read per request. */
  limit: () => number;
  /** The deepest nesting of arrays and objects; read per request. */
  maxDepth: () => number;
  /** Whether the request's route takes JSON only, so that a body of another media type is a 415. */
  jsonOnly: (req: IncomingMessage) => boolean;
}

export function jsonBody(options: JsonBodyOptions): Middleware {
  const notJson = (req: IncomingMessage) => {
    if (!options.jsonOnly(req)) return undefined;
    const type = req.headers['content-type'];
    const got = type === undefined ? 'none' : `"${type.slice(0, 100)}"`;
    return new ProblemError(
      'unsupported-media-type',
      `the body must be JSON, sent with the header "Content-Type: application/json" (the request's Content-Type: ${got})`,
    );
  };
  return textBody(
    JSON_TYPE,
    (req) => req.body !== undefined,
    options.limit,
    notJson,
    (req, text) => {
      if (text.trim() === '') {
        req.body = {};
        return undefined;
      }
      try {
        req.body = JSON.parse(text);
      } catch {
        return new ProblemError('invalid-json', 'the request body could not be parsed as JSON');
      }
      const maxDepth = options.maxDepth();
      if (tooDeep(text, req.body, maxDepth)) {
        req.body = undefined;
        return new ProblemError(
          'json-too-deep',
          `the request body nests arrays and objects deeper than gateway.maxJsonDepth (${maxDepth} levels)`,
          { limit: maxDepth },
        );
      }
      return undefined;
    },
  );
}

/**
 * Whether `value`, parsed from `text`, nests arrays and objects more than `limit` levels deep:
 * `gateway.maxJsonDepth` for every JSON the gateway takes (bodies, the UI's JSON editor).
 * Nesting deeper than the limit takes two characters a level, so a short text is never walked.
 */
export function tooDeep(text: string, value: unknown, limit: number): boolean {
  return text.length > 2 * limit && nestedDeeper(value, limit);
}

/** Whether `value` nests arrays and objects more than `limit` levels deep (`{}` is one level). Iterative: any depth. */
function nestedDeeper(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(node)) {
      for (const item of node) {
        if (typeof item === 'object' && item !== null) {
          nodes.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const item = (node as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) {
          nodes.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/** Reads a form post into `req.form`. `limit()` is read per request, in bytes. */
export function formBody(limit: () => number): Middleware {
  return textBody(
    FORM_TYPE,
    (req) => req.form !== undefined,
    limit,
    () => undefined,
    (req, text) => {
      req.form = new URLSearchParams(text);
      return undefined;
    },
  );
}

/**
 * Reads a body of the `accepts` media type as UTF-8 text and hands it to `take`; a body of another
 * type is left unread, unless `other` refuses it.
 */
function textBody(
  accepts: RegExp,
  done: (req: IncomingMessage) => boolean,
  limit: () => number,
  other: (req: IncomingMessage) => ProblemError | undefined,
  take: (req: IncomingMessage, text: string) => ProblemError | undefined,
): Middleware {
  return (req, _res, next) => {
    if (done(req) || !hasBody(req)) return next();
    if (!accepts.test(req.headers['content-type'] ?? '')) {
      const refused = other(req);
      if (refused) req.resume();
      return next(refused);
    }
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
