// Reading an API Gateway proxy event: headers (case-insensitive), the JSON body (size, content type,
// syntax) and the query string (each parameter at most once).
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError, quote } from './errors.js';

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
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // V8's message quotes the input: make control characters visible and keep it short.
    const why = (e as Error).message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    throw new ApiError(400, 'invalid-json', `the request body is not valid JSON: ${why.length > 200 ? `${why.slice(0, 200)}…` : why}`, 'body');
  }
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
