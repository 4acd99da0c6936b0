// Reading an API Gateway proxy event: headers (case-insensitive), the JSON body (size, content type,
// syntax, no key twice in one object) and the query string (each parameter at most once).
//
// Why not Powertools Parser's APIGatewayProxyEventSchema here (read for issue 15): the event's shape
// is API Gateway's (or the local HTTP server's), not the caller's; what needs checking is the body
// and query, which the zod schemas in schemas.ts already validate with the API's own 400 problems
// (a duplicated key, the field named, every problem at once), and which a parser envelope would
// answer with its own error instead.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError, quote } from './errors.js';
import { fieldOf } from './schemas.js';

/** Bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function header(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === want && v !== undefined) return v;
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) if (k.toLowerCase() === want && v && v.length > 0) return v[v.length - 1];
  return undefined;
}

/** The caller: the IAM principal API Gateway authenticated (SigV4), or the local stand-in's name. */
export function callerOf(event: APIGatewayProxyEvent): string {
  const id = event.requestContext?.identity;
  return id?.userArn || id?.caller || 'unknown';
}

function bodyBytes(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/**
 * The JSON body of a write: 415 unless it is application/json (UTF-8), 413 above MAX_BODY_BYTES,
 * 400 if empty, not UTF-8 or not JSON. The value is untyped: the route's schema checks it.
 */
export function readJsonBody(event: APIGatewayProxyEvent, maxBytes = MAX_BODY_BYTES): unknown {
  const type = header(event, 'content-type');
  const [mediaType, ...params] = (type ?? '').split(';').map((s) => s.trim().toLowerCase());
  if (mediaType !== 'application/json') {
    throw new ApiError(
      415,
      'unsupported-media-type',
      type === undefined
        ? 'the request has no Content-Type; send the body as application/json'
        : `Content-Type ${quote(type)} is not supported; send the body as application/json`,
      'Content-Type',
    );
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError(415, 'unsupported-media-type', `charset ${quote(charset)} is not supported; send UTF-8 JSON`, 'Content-Type');
  }
  // Cheap guard before decoding base64: its text is 4/3 of the bytes.
  const rawLength = event.body?.length ?? 0;
  if ((event.isBase64Encoded ? Math.floor((rawLength * 3) / 4) - 2 : rawLength) > maxBytes) throw tooLarge(maxBytes);
  const bytes = bodyBytes(event);
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  if (bytes.length === 0) throw new ApiError(400, 'invalid-json', 'the request body is empty; send a JSON object', 'body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid-json', 'the request body is not valid UTF-8', 'body');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    // V8's message quotes the input: make control characters visible and keep it short.
    const why = (e as Error).message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    throw new ApiError(400, 'invalid-json', `the request body is not valid JSON: ${why.length > 200 ? `${why.slice(0, 200)}…` : why}`, 'body');
  }
  // JSON.parse keeps the last of two equal keys without a word: {"reason":"a","reason":"b"}
  // would quietly write "b". Which one the sender meant is unknowable: refuse it.
  const dup = findDuplicateKey(text);
  if (dup) {
    const where = dup.path.length > 0 ? fieldOf(dup.path) : 'the body';
    throw new ApiError(
      400,
      'duplicate-key',
      `the key ${quote(dup.key)} appears twice in ${where}; give each key once (JSON.parse would silently keep the last value)`,
      fieldOf([...dup.path, dup.key]),
    );
  }
  return value;
}

type Frame = { array: true; index: number } | { array: false; keys: Set<string>; key: string };

/**
 * The first key that appears twice in one object of `text` (valid JSON), with the path of that
 * object; undefined if there is none. One linear pass with an explicit stack (deep nesting cannot
 * overflow the call stack); keys are compared after unescaping ("r\u0065ason" is "reason").
 */
export function findDuplicateKey(text: string): { path: Array<string | number>; key: string } | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push({ array: false, keys: new Set(), key: '' });
      expectKey = true;
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push({ array: true, index: 0 });
      expectKey = false;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.index++;
      else expectKey = true;
      i++;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else if (d === 0x22 || Number.isNaN(d)) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.array) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) {
          const path = stack.slice(0, -1).map((f) => (f.array ? f.index : f.key));
          return { path, key };
        }
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j + 1;
    } else {
      i++;
    }
  }
  return undefined;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'payload-too-large', `the request body is larger than ${maxBytes} bytes; send at most 1000 items per request`, 'body');
}

/**
 * The query string as single values. A parameter given twice is an error (which one would count?).
 * Unknown parameters are left for the route's strict schema to refuse.
 */
export function queryParams(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [k, values] of Object.entries(multi)) {
    if (!values || values.length === 0) continue;
    if (values.length > 1) throw new ApiError(400, 'duplicate-parameter', `query parameter ${quote(k)} is given ${values.length} times; give it once`, k);
    out[k] = values[0]!;
  }
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined && !(k in out)) out[k] = v;
  return out;
}
