// API errors: one JSON shape for every 4xx/5xx, and the mapper from whatever was thrown to it.
//
//   { "error": { "code": "invalid-network", "message": "...", "field": "items[3].network",
//                "details": [ { code, message, field }, ... ] },     (details: when > 1 problem)
//     "items": [ { list, network, status, version, note? }, ... ] }  (409 of a write batch)
//
// A write batch answered 409 always carries `items` (what happened to each item), whether the
// conflict was found before anything was written (every other item "not-applied") or while
// writing (the others applied): the same conflict has the same body either way.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { InputError } from '../core/input-error.js';
import { ConflictError } from '../adapters/listings-table.js';

export interface Problem {
  readonly code: string;
  readonly message: string;
  /** The request field, e.g. "items[3].network", "ip", "Idempotency-Key", "body". */
  readonly field?: string;
}

/** The most problems reported in one answer (the first one is also the top-level error). */
export const MAX_DETAILS = 100;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details: readonly Problem[] = [],
    readonly headers: Record<string, string> = {},
    /** Per-item results of a write batch (its 409s). */
    readonly items?: readonly unknown[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static fromProblems(status: number, problems: readonly Problem[], items?: readonly unknown[]): ApiError {
    const first = problems[0];
    if (!first) return new ApiError(status, 'invalid-request', 'the request is invalid', undefined, [], {}, items);
    return new ApiError(status, first.code, first.message, first.field, problems.length > 1 ? problems.slice(0, MAX_DETAILS) : [], {}, items);
  }

  body(): { error: Problem & { details?: readonly Problem[] }; items?: readonly unknown[] } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
        ...(this.details.length > 0 ? { details: this.details } : {}),
      },
      ...(this.items !== undefined ? { items: this.items } : {}),
    };
  }
}

/** JSON-quotes user input for a message: control characters visible, long input cut. */
export function quote(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** The error code for a core InputError, from the field it names. */
export function codeForField(field: string | undefined): string {
  const last = (field ?? '').replace(/\[\d+\]/g, '').split('.').pop() ?? '';
  switch (last) {
    case 'network':
    case 'ip':
      return 'invalid-network';
    case 'reason':
    case 'source':
      return 'invalid-text';
    case 'expiresAt':
    case 'duration':
    case 'expiresBefore':
    case 'expiresAfter':
      return 'invalid-time';
    case 'list':
      return 'invalid-list';
    case 'cursor':
      return 'invalid-cursor';
    default:
      return 'invalid-value';
  }
}

export function problemOf(e: InputError): Problem {
  return { code: codeForField(e.field), message: e.message, ...(e.field !== undefined ? { field: e.field } : {}) };
}

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export interface ErrorLog {
  error(message: string, extra: Record<string, unknown>): void;
}

/** Anything thrown by a route -> a response. Unknown errors are logged and answered 500 without detail. */
export function errorResult(e: unknown, log: ErrorLog, requestId?: string): APIGatewayProxyResult {
  if (e instanceof ApiError) return jsonResult(e.status, e.body(), e.headers);
  if (e instanceof InputError) return jsonResult(400, new ApiError(400, codeForField(e.field), e.message, e.field).body());
  if (e instanceof ConflictError) {
    // Writers catch these and answer per item; one escaping here still gets the one shape.
    return jsonResult(409, new ApiError(409, 'conflict', `${e.message}; read it again and retry`, 'items').body());
  }
  log.error('unhandled error', { error: e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : String(e), requestId });
  return jsonResult(500, {
    error: { code: 'internal', message: `internal error${requestId ? ` (request ${requestId})` : ''}; nothing more is known to the caller` },
  });
}
