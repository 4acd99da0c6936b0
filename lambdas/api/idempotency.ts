// Idempotency-Key for writes: the same key with the same body answers the stored response without
// running the request again; the same key with another body is 422. Keys are per caller (the record
// is keyed by a hash of caller and key) and kept 24 hours.
//
// A request first claims the key with a conditional write (so two concurrent requests with one key
// cannot both run: the second gets 409 and may retry), runs, then stores its response. Only
// responses of requests that ran are stored (2xx, and a 409 after a batch partly applied); a request
// that failed validation runs nothing and is not stored, and a 5xx releases the claim, so a retry
// with the same key runs again.
//
// Why not Powertools Idempotency (@aws-lambda-powertools/idempotency 2.35, read for issue 15): its
// semantics would fit (a wrapped inner function keyed by caller + key, payload validation for the
// 422, the in-progress lock for the 409, 24 h expiry, a thrown error deleting the record), but
//  - in a composite-key table it keeps every record under one static partition key
//    ("idempotency#<function>", the key hash as sort key): all writes of the API would share one
//    partition of the journal, where ours spread over IDEM#<hash>;
//  - the in-progress lock expires with the Lambda's remaining time, known only from a registered
//    Lambda context: the local stack's HTTP server has none, and a crashed request there would hold
//    its key for the whole 24 h (ours: CLAIM_SECONDS);
//  - it saves the response with UpdateItem, an action the api role does not hold (and the CDK test
//    of used actions would not see in our call graph), and stores another record layout, so keys
//    in flight during an upgrade would be lost;
//  - a returned 5xx must become a thrown error and the "idempotent-replayed" header a response hook:
//    about as much code as this file, plus the package and its JMESPath engine in the api bundle.
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Journal } from '../adapters/journal.js';
import { ApiError, jsonResult } from './errors.js';
import { header } from './request.js';
import type { RequestContext } from './router.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a claim holds while the request runs (API Gateway gives up after 29 s). */
export const CLAIM_SECONDS = 120;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so that key order and whitespace do not change a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface Stored {
  statusCode: number;
  body: string;
}

function replay(stored: Stored): APIGatewayProxyResult {
  return { ...jsonResult(stored.statusCode, null, { 'idempotent-replayed': 'true' }), body: stored.body };
}

export async function withIdempotency(
  journal: Journal,
  ctx: RequestContext,
  path: string,
  body: unknown,
  run: () => Promise<APIGatewayProxyResult>,
): Promise<APIGatewayProxyResult> {
  const key = header(ctx.event, IDEMPOTENCY_HEADER);
  if (key === undefined) return run();
  if (!KEY_FORMAT.test(key)) {
    throw new ApiError(400, 'invalid-idempotency-key', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces', IDEMPOTENCY_HEADER);
  }
  const recordKey = sha256(`${ctx.caller}\n${key}`);
  const fingerprint = sha256(`${ctx.event.httpMethod.toUpperCase()} ${path}\n${canonicalJson(body)}`);

  const existing = async (): Promise<APIGatewayProxyResult | undefined> => {
    const rec = await journal.getIdempotent(recordKey);
    if (!rec) return undefined;
    if (rec.fingerprint !== fingerprint) {
      throw new ApiError(
        422,
        'idempotency-key-reused',
        'this Idempotency-Key was used with a different request body (or endpoint) in the last 24 hours; use a new key for a new request',
        IDEMPOTENCY_HEADER,
      );
    }
    if (typeof rec.response !== 'string') {
      throw new ApiError(409, 'idempotency-key-in-use', 'a request with this Idempotency-Key is still running; retry in a moment', IDEMPOTENCY_HEADER, [], {
        'retry-after': '1',
      });
    }
    return replay(JSON.parse(rec.response) as Stored);
  };

  const seen = await existing();
  if (seen) return seen;
  if (!(await journal.claimIdempotent(recordKey, fingerprint, CLAIM_SECONDS))) {
    // Someone claimed it between our read and our claim.
    const now = await existing();
    if (now) return now;
    throw new ApiError(409, 'idempotency-key-in-use', 'a request with this Idempotency-Key is still running; retry in a moment', IDEMPOTENCY_HEADER);
  }
  let result: APIGatewayProxyResult;
  try {
    result = await run();
  } catch (e) {
    await journal.releaseIdempotent(recordKey, fingerprint).catch(() => undefined);
    throw e;
  }
  if (result.statusCode >= 500) {
    await journal.releaseIdempotent(recordKey, fingerprint).catch(() => undefined);
    return result;
  }
  const stored: Stored = { statusCode: result.statusCode, body: result.body };
  await journal.putIdempotent(recordKey, fingerprint, JSON.stringify(stored));
  return result;
}
