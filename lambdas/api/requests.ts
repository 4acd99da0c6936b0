// Operator review of the public portal's delisting requests (lambdas/public/delist-service.ts):
//   GET  /v1/requests                     requests waiting for a decision, oldest first (with contact)
//   GET  /v1/requests/{id}                one request
//   POST /v1/requests/{id}/approve  {}    delist (a host listing) or exclude the address (a range); mail the requester
//   POST /v1/requests/{id}/deny     {"reason": "..."}   mail the requester the reason
// The contact address is shown here only, and only while the request still needs it.
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApiDeps } from './deps.js';
import { ApiError, jsonResult, quote } from './errors.js';
import { queryParams, readJsonBody } from './request.js';
import type { RequestContext, Route } from './router.js';

function idOf(ctx: RequestContext): string {
  const parts = (ctx.event.path ?? '').split('/');
  return decodeURIComponent(parts[3] ?? '');
}

function body(ctx: RequestContext, allowed: readonly string[]): Record<string, unknown> {
  if (ctx.event.body === null || ctx.event.body === undefined || ctx.event.body === '') return {};
  const v = readJsonBody(ctx.event, 8 * 1024);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError(400, 'invalid-json', 'the body must be a JSON object', 'body');
  const unknown = Object.keys(v).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new ApiError(400, 'unknown-field', `unknown field ${quote(unknown, 40)}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`, unknown.slice(0, 40));
  return v as Record<string, unknown>;
}

export function requestRoutes(deps: ApiDeps): Route[] {
  const svc = deps.delist;
  if (!svc) return [];
  const list = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const q = queryParams(ctx.event);
    const unknown = Object.keys(q).find((k) => k !== 'limit');
    if (unknown) throw new ApiError(400, 'unknown-parameter', `unknown query parameter ${quote(unknown, 40)}; allowed: limit`, unknown.slice(0, 40));
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError(400, 'invalid-value', `limit ${quote(q.limit)} must be an integer 1..1000`, 'limit');
    return jsonResult(200, { items: await svc.awaitingReview(limit) });
  };
  return [
    { method: 'GET', path: '/v1/requests', handler: list },
    { method: 'GET', path: '/v1/requests/{id}', handler: async (ctx) => jsonResult(200, await svc.get(idOf(ctx))) },
    {
      method: 'POST',
      path: '/v1/requests/{id}/approve',
      handler: async (ctx) => {
        body(ctx, []);
        return jsonResult(200, await svc.approve(idOf(ctx), ctx.caller));
      },
    },
    {
      method: 'POST',
      path: '/v1/requests/{id}/deny',
      handler: async (ctx) => jsonResult(200, await svc.deny(idOf(ctx), ctx.caller, body(ctx, ['reason']).reason)),
    },
  ];
}
