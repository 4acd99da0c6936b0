// A node:http server in front of an API Gateway REST (proxy integration) handler: each request
// becomes an APIGatewayProxyEvent (path, method, headers and multi-value headers, query string with
// multi-values, body — base64 when it is not UTF-8 text —, requestContext with the caller's
// identity) and the handler's result becomes the response. Used by the tests, the benchmark and the
// local stack. Like API Gateway it refuses bodies above its own limit (default 6 MiB, the Lambda
// payload limit) without calling the handler; there is no authentication: the identity is
// whatever `identity` says ("local" by default).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface HttpAdapterOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Larger bodies are answered 413 by the adapter itself (default 6 MiB). */
  readonly maxBodyBytes?: number;
  /** The caller API Gateway would have authenticated (default "local" for everyone). */
  readonly identity?: (req: IncomingMessage) => { userArn: string; caller?: string };
  /** The stage name in requestContext (default "local"). */
  readonly stage?: string;
}

export const DEFAULT_ADAPTER_MAX_BODY = 6 * 1024 * 1024;

function isUtf8Text(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function toEvent(req: IncomingMessage, body: Buffer, opts: HttpAdapterOptions = {}): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://adapter.invalid');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value; // API Gateway keeps the last value in `headers`
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const text = body.length === 0 || isUtf8Text(body);
  const who = opts.identity?.(req) ?? { userArn: 'local', caller: 'local' };
  const method = (req.method ?? 'GET').toUpperCase();
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    path = url.pathname;
  }
  const stage = opts.stage ?? 'local';
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: { proxy: path.replace(/^\//, '') },
    stageVariables: null,
    body: body.length === 0 ? null : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/${stage}${path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: who.caller ?? who.userArn,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: who.caller ?? who.userArn,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: who.userArn,
      },
    },
  };
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message, ...(code === 'payload-too-large' ? { field: 'body' } : {}) } });
}

export function createHttpAdapter(handler: ProxyHandler, opts: HttpAdapterOptions = {}): Server {
  const max = opts.maxBodyBytes ?? DEFAULT_ADAPTER_MAX_BODY;
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is read to its end and dropped (answering before the client finished sending
    // makes most clients see a reset instead of the 413); past 16x the limit the connection is cut.
    let refused = Number(req.headers['content-length'] ?? 0) > max;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) refused = true;
      if (refused) {
        chunks.length = 0;
        if (size > 16 * max) req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (refused) {
        send(res, {
          statusCode: 413,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: errorBody('payload-too-large', `the request body is larger than ${max} bytes`),
        });
        return;
      }
      let event: APIGatewayProxyEvent;
      try {
        event = toEvent(req, Buffer.concat(chunks), opts);
      } catch (e) {
        send(res, { statusCode: 400, headers: { 'content-type': 'application/json; charset=utf-8' }, body: errorBody('bad-request', String(e)) });
        return;
      }
      handler(event).then(
        (result) => send(res, result),
        (e: unknown) => {
          console.error('handler threw', e);
          send(res, { statusCode: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body: errorBody('internal', 'internal error') });
        },
      );
    });
  });
}

export interface RunningAdapter {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Starts the adapter; resolves once it listens. */
export async function startHttpAdapter(handler: ProxyHandler, opts: HttpAdapterOptions = {}): Promise<RunningAdapter> {
  const server = createHttpAdapter(handler, opts);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
