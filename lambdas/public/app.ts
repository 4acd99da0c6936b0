// The public side: look-up and self-service delisting for listed senders, no login. One handler for
// API Gateway REST proxy events (lambdas/handlers/public.ts in AWS, the local stack's HTTP server).
//
// JSON (machines):
//   GET  /api/lookup?ip=ADDRESS                       -> the public look-up (lookup-service.ts)
//   POST /api/delist-requests  {ip,email,statement,domain?}  -> 202 {id,...}; the link is mailed
//   POST /api/delist-requests/confirm  {id,token}      -> the outcome per list
// HTML (people; the same data, forms without JavaScript):
//   GET /  GET /lookup?ip=   POST /delist (form)   GET /delist/confirm?id=&token= (a page with a
//   button: mail scanners that open links change nothing)   POST /delist/confirm (form)   GET /site.css
//
// Abuse: every request is counted against its client (rate-limit.ts: "lookup" for reads,
// "request" for the two POSTs) before any work; bodies over 8 KiB are refused; unknown or repeated
// parameters are refused; every error is a 4xx naming the field, as JSON or as a page.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { EvidenceReader, ZoneProbe } from '../api/deps.js';
import { ApiError, type ErrorLog, errorResult, jsonResult, quote } from '../api/errors.js';
import { header, queryParams, readJsonBody } from '../api/request.js';
import { type Route, Router } from '../api/router.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import { InputError } from '../core/input-error.js';
import type { ZoneConfig } from '../core/listing.js';
import { type DelistService, publicView } from './delist-service.js';
import { confirmPage, delistPage, errorPage, lookupPage, resultPage, sentPage, STYLESHEET } from './html.js';
import { publicLookup } from './lookup-service.js';
import { type Lang, pickLang, t } from './messages.js';
import { ClientLimiter, DEFAULT_PUBLIC_RULES, type RequestLimiter } from './rate-limit.js';
import { viewerAddress } from './viewer-ip.js';

export const MAX_PUBLIC_BODY = 8 * 1024;

export interface PublicDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly zoneProbe?: ZoneProbe;
  /** The evidence table: the look-up shows counts by kind and last seen (never reporters or details). */
  readonly evidence?: EvidenceReader;
  readonly delist: DelistService;
  /** In AWS a SharedClientLimiter (shared-limiter.ts): back-off across containers. */
  readonly limiter?: RequestLimiter;
  /** Proxies in front that append to X-Forwarded-For; 0: the connection's address is the client. */
  readonly trustedProxies?: number;
  /**
   * A header a trusted proxy overwrites with the client's address (in AWS: CloudFront's viewer-request
   * function, viewer-ip.ts); when set and the header holds one address, it is the client.
   */
  readonly clientIpHeader?: string;
  readonly now?: () => Date;
  readonly log?: ErrorLog;
}

const HTML_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // The confirmation link carries its token: never send it on as a Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
};

function html(status: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...HTML_HEADERS, ...headers }, body };
}

/**
 * The client a request counts against: the address in the trusted client-address header (CloudFront's,
 * see viewer-ip.ts), else the one the trusted proxies saw, else the connection's address.
 */
export function clientOf(event: APIGatewayProxyEvent, trustedProxies = 0, clientIpHeader?: string): string {
  const source = event.requestContext?.identity?.sourceIp ?? 'unknown';
  const viewer = clientIpHeader ? viewerAddress(header(event, clientIpHeader)) : undefined;
  if (viewer !== undefined) return viewer;
  if (trustedProxies <= 0) return source;
  const hops = (header(event, 'x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return hops[hops.length - trustedProxies] ?? source;
}

/** The query string with only `allowed` parameters, each at most once. */
function params(event: APIGatewayProxyEvent, allowed: readonly string[]): Record<string, string> {
  const q = queryParams(event);
  const unknown = Object.keys(q).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new ApiError(400, 'unknown-parameter', `unknown query parameter ${quote(unknown, 40)}${allowed.length ? `; allowed: ${allowed.join(', ')}` : '; none is allowed here'}`, unknown.slice(0, 40));
  }
  return q;
}

/** An application/x-www-form-urlencoded body with only `allowed` fields, each at most once. */
export function readForm(event: APIGatewayProxyEvent, allowed: readonly string[]): Record<string, string> {
  const type = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new ApiError(415, 'unsupported-media-type', `send the form as application/x-www-form-urlencoded${type ? `, not ${quote(type, 60)}` : ''}`, 'Content-Type');
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_PUBLIC_BODY) throw new ApiError(413, 'payload-too-large', `the form is larger than ${MAX_PUBLIC_BODY} bytes`, 'body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid-form', 'the form is not valid UTF-8', 'body');
  }
  const out: Record<string, string> = {};
  let decoded: URLSearchParams;
  try {
    decodeURIComponent(text.replace(/\+/g, ' '));
    decoded = new URLSearchParams(text);
  } catch {
    throw new ApiError(400, 'invalid-form', 'the form has a broken %-escape', 'body');
  }
  for (const [k, v] of decoded) {
    if (!allowed.includes(k)) throw new ApiError(400, 'unknown-field', `unknown form field ${quote(k, 40)}; allowed: ${allowed.join(', ')}`, k.slice(0, 40));
    if (k in out) throw new ApiError(400, 'duplicate-field', `form field ${quote(k, 40)} is given twice; give it once`, k);
    out[k] = v;
  }
  return out;
}

/** A JSON body (8 KiB at most) that is an object with only `allowed` keys. */
function readObject(event: APIGatewayProxyEvent, allowed: readonly string[]): Record<string, unknown> {
  const v = readJsonBody(event, MAX_PUBLIC_BODY);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError(400, 'invalid-json', 'the body must be a JSON object', 'body');
  const unknown = Object.keys(v).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new ApiError(400, 'unknown-field', `unknown field ${quote(unknown, 40)}; allowed: ${allowed.join(', ')}`, unknown.slice(0, 40));
  return v as Record<string, unknown>;
}

const asApiError = (e: unknown): ApiError | undefined =>
  e instanceof ApiError ? e : e instanceof InputError ? new ApiError(400, 'invalid-value', e.message, e.field) : undefined;

export function publicRouter(deps: PublicDeps): Router {
  const langOf = (ctx: { event: APIGatewayProxyEvent }): Lang => pickLang(header(ctx.event, 'accept-language'));
  const lookupDeps = { cfg: deps.cfg, table: deps.table, ...(deps.zoneProbe ? { zoneProbe: deps.zoneProbe } : {}), ...(deps.evidence ? { evidence: deps.evidence } : {}), ...(deps.now ? { now: deps.now } : {}) };
  const page = async (ctx: { event: APIGatewayProxyEvent }) => {
    const lang = langOf(ctx);
    const q = params(ctx.event, ['ip']);
    if (q.ip === undefined) return html(200, lookupPage(lang, deps.cfg.zone));
    try {
      return html(200, lookupPage(lang, deps.cfg.zone, await publicLookup(lookupDeps, q.ip)));
    } catch (e) {
      const err = asApiError(e);
      if (!err) throw e;
      return html(err.status, lookupPage(lang, deps.cfg.zone, undefined, err.message, q.ip.slice(0, 64)));
    }
  };
  const routes: Route[] = [
    { method: 'GET', path: '/', handler: page },
    { method: 'GET', path: '/lookup', handler: page },
    { method: 'GET', path: '/site.css', handler: async () => ({ statusCode: 200, headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }, body: STYLESHEET }) },
    {
      method: 'GET',
      path: '/api/lookup',
      handler: async (ctx) => jsonResult(200, await publicLookup(lookupDeps, params(ctx.event, ['ip']).ip)),
    },
    {
      method: 'POST',
      path: '/api/delist-requests',
      handler: async (ctx) => {
        params(ctx.event, []);
        const b = readObject(ctx.event, ['ip', 'email', 'statement', 'domain']);
        const r = await deps.delist.request(b, langOf(ctx));
        return jsonResult(202, { ...r, status: 'unconfirmed', message: `a confirmation link was mailed; it works once, until ${r.tokenExpiresAt}` });
      },
    },
    {
      method: 'POST',
      path: '/api/delist-requests/confirm',
      handler: async (ctx) => {
        params(ctx.event, []);
        const b = readObject(ctx.event, ['id', 'token']);
        return jsonResult(200, await deps.delist.confirm(b.id, b.token));
      },
    },
    {
      method: 'POST',
      path: '/delist',
      handler: async (ctx) => {
        const lang = langOf(ctx);
        params(ctx.event, []);
        const f = readForm(ctx.event, ['ip', 'email', 'statement', 'domain']);
        try {
          const r = await deps.delist.request(f, lang);
          return html(200, sentPage(lang, { id: r.id, address: r.address, email: String(f.email).trim(), ...(r.dnsProof ? { dnsProof: r.dnsProof } : {}) }));
        } catch (e) {
          const err = asApiError(e);
          if (!err) throw e;
          return html(err.status, delistPage(lang, deps.cfg.zone, (f.ip ?? '').slice(0, 64), f, { message: err.message, ...(err.field ? { field: err.field } : {}) }));
        }
      },
    },
    {
      method: 'GET',
      path: '/delist/confirm',
      handler: async (ctx) => {
        const q = params(ctx.event, ['id', 'token']);
        const r = await deps.delist.checkLink(q.id, q.token);
        return html(200, confirmPage(langOf(ctx), r, q.token!));
      },
    },
    {
      method: 'POST',
      path: '/delist/confirm',
      handler: async (ctx) => {
        params(ctx.event, []);
        const f = readForm(ctx.event, ['id', 'token']);
        return html(200, resultPage(langOf(ctx), await deps.delist.confirm(f.id, f.token)));
      },
    },
  ];
  return new Router(routes);
}

const consoleLog: ErrorLog = { error: (message, extra) => console.error(message, JSON.stringify(extra)) };

export type PublicHandler = (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }) => Promise<APIGatewayProxyResult>;

export function publicHandler(deps: PublicDeps): PublicHandler {
  const router = publicRouter(deps);
  const limiter = deps.limiter ?? new ClientLimiter({ rules: DEFAULT_PUBLIC_RULES });
  const log = deps.log ?? consoleLog;
  return async (event, context) => {
    const requestId = event.requestContext?.requestId || context?.awsRequestId || randomUUID();
    const path = event.path ?? '/';
    const method = (event.httpMethod ?? 'GET').toUpperCase();
    const wantsJson = path.startsWith('/api/');
    const lang = pickLang(header(event, 'accept-language'));
    const verdict = await limiter.take(method === 'POST' ? 'request' : 'lookup', clientOf(event, deps.trustedProxies, deps.clientIpHeader));
    try {
      if (!verdict.ok) {
        throw new ApiError(429, 'too-many-requests', t('en', 'error.rate', { seconds: verdict.retryAfterSeconds }), undefined, [], { 'retry-after': String(verdict.retryAfterSeconds) });
      }
      return await router.match(method, path)({ event, caller: 'public', requestId });
    } catch (e) {
      let err = asApiError(e);
      if (err?.code === 'not-found') err = new ApiError(404, 'not-found', `no such page: ${quote(path, 100)}; the look-up is at /lookup (JSON: /api/lookup?ip=)`, 'path');
      if (wantsJson || !err) return errorResult(err ?? e, log, requestId);
      const message = err.status === 429 ? t(lang, 'error.rate', { seconds: err.headers['retry-after'] ?? '' }) : err.message;
      return html(err.status, errorPage(lang, message), err.headers);
    }
  };
}
