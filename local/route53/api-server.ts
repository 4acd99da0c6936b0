// The HTTP side of the API: routing by method and path as the SDK sends them, the account-wide
// request bucket, injected faults (errors and dropped connections), XML bodies and Route 53's
// error documents. Requests are not authenticated: any (or no) SigV4 signature is accepted.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ApiContext, OPERATIONS, type OpResponse } from './api-operations.js';
import { ApiError, MESSAGES } from './errors.js';
import type { Fault, Faults } from './faults.js';
import type { TokenBucket } from './token-bucket.js';
import { parseXml, xmlDocument, type XmlObject } from './xml.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ApiServerDeps {
  ctx: ApiContext;
  requestBucket: TokenBucket | undefined;
  faults: Faults;
  /** How long a 'timeout-…' fault holds the response before dropping the connection (default 60 s). */
  faultHoldMs?: number;
}

export function createApiServer(deps: ApiServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      // Anything unexpected is a 500 in Route 53's error shape, never a dropped connection.
      const message = err instanceof Error ? err.message : String(err);
      send(res, 500, 'ErrorResponse', { Error: { Type: 'Receiver', Code: 'InternalFailure', Message: message } });
    });
  });
}

async function handle(deps: ApiServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const op = OPERATIONS.find((o) => o.method === method && o.path.test(path));
  const opName = op?.name ?? 'Unknown';
  const { stats } = deps.ctx;
  stats.requests[opName] = (stats.requests[opName] ?? 0) + 1;

  let rawBody: string;
  try {
    rawBody = await readBody(req);
  } catch (e) {
    return sendError(res, new ApiError('InvalidInput', e instanceof Error ? e.message : 'unreadable body'));
  }
  // A connection fault 'after' the operation: it runs (a change is applied), the answer is lost.
  let dropAfter: Fault | undefined;
  try {
    if (deps.requestBucket && !deps.requestBucket.tryTake()) {
      stats.throttled++;
      throw new ApiError('Throttling', MESSAGES.throttling);
    }
    if (!op) throw new ApiError('UnknownOperation', `No operation matches ${method} ${path}`);
    const fault = deps.faults.take(opName);
    if (fault?.type === 'error') throw fault.error;
    if (fault?.type === 'connection') {
      if (fault.when === 'before') return dropConnection(req, res, fault, deps.faultHoldMs);
      dropAfter = fault;
    }
    let body: XmlObject | undefined;
    if (rawBody.trim().length > 0) {
      try {
        body = parseXml(rawBody).value;
      } catch (e) {
        throw new ApiError('InvalidInput', `Invalid XML ; ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const match = op.path.exec(path)!;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(match.groups ?? {})) params[k] = decodeURIComponent(v);
    const out: OpResponse = op.handle(deps.ctx, { params, query: url.searchParams, body });
    if (dropAfter) return dropConnection(req, res, dropAfter, deps.faultHoldMs);
    send(res, out.status, out.root, out.body, out.headers);
  } catch (e) {
    if (dropAfter) return dropConnection(req, res, dropAfter, deps.faultHoldMs);
    if (e instanceof ApiError) return sendError(res, e);
    throw e;
  }
}

/**
 * An injected connection fault: 'reset' destroys the connection at once, without a response;
 * 'timeout' holds it (the client gives up at its own timeout and closes it) and destroys it when the
 * hold ends.
 */
function dropConnection(req: IncomingMessage, res: ServerResponse, fault: Fault, holdMs = 60_000): void {
  if (fault.type !== 'connection' || fault.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  const timer = setTimeout(() => req.socket.destroy(), holdMs);
  timer.unref();
  res.on('close', () => clearTimeout(timer));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, e: ApiError): void {
  send(res, e.status, 'ErrorResponse', { Error: { Type: e.type, Code: e.code, Message: e.message } });
}

function send(res: ServerResponse, status: number, root: string, body: Parameters<typeof xmlDocument>[1], headers: Record<string, string> = {}): void {
  const requestId = randomUUID();
  const doc = root === 'ErrorResponse' ? xmlDocument(root, { ...body, RequestId: requestId }) : xmlDocument(root, body);
  res.writeHead(status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(doc),
    ...headers,
  });
  res.end(doc);
}
