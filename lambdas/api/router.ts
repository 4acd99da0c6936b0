// A tiny router: exact paths, one handler per method; 404 for unknown paths, 405 (with Allow) for
// known paths with another method.
//
// Why not Powertools Event Handler (@aws-lambda-powertools/event-handler 2.35, http Router, read for
// issue 15): it resolves a route by method and path together, so a known path asked with another
// method is its NotFoundError (404, "Route … not found"); its 405 is only for methods outside HTTP's
// set, with an empty body and no Allow header. Keeping the API's 405 + Allow + {"error": …} would
// mean re-deriving the allowed methods in a notFound handler from routes it keeps private. It also
// hands handlers a web Request built from event.path (no base-path mapping through {proxy+}, which
// pathOf handles) where ours take the API Gateway event the local HTTP server (http-adapter.ts)
// produces. Fifty lines of ours against a framework that would change every handler's signature.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, quote } from './errors.js';

export type Method = 'GET' | 'POST';

export interface RequestContext {
  readonly event: APIGatewayProxyEvent;
  /** Who is calling: the IAM principal ARN (or "local" on the local stack). */
  readonly caller: string;
  readonly requestId: string;
}

export type RouteHandler = (ctx: RequestContext) => Promise<APIGatewayProxyResult>;

export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly handler: RouteHandler;
}

export class Router {
  private readonly byPath = new Map<string, Map<string, RouteHandler>>();

  constructor(routes: readonly Route[]) {
    for (const r of routes) {
      let methods = this.byPath.get(r.path);
      if (!methods) this.byPath.set(r.path, (methods = new Map()));
      if (methods.has(r.method)) throw new Error(`route ${r.method} ${r.path} defined twice`);
      methods.set(r.method, r.handler);
    }
  }

  routes(): Array<{ method: string; path: string }> {
    return [...this.byPath].flatMap(([path, m]) => [...m.keys()].map((method) => ({ method, path })));
  }

  /** The request's path: API Gateway's `path`, or `/{proxy+}`'s value behind a base-path mapping. */
  static pathOf(event: APIGatewayProxyEvent): string {
    const path = event.path ?? '/';
    if (!path.startsWith('/v1') && event.pathParameters?.proxy) return `/${event.pathParameters.proxy}`;
    return path;
  }

  match(method: string, path: string): RouteHandler {
    // A "{name}" segment of a route's path matches any one segment.
    const methods = this.byPath.get(path) ?? [...this.byPath].find(([p]) => p.includes('{') && new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))?.[1];
    if (!methods) throw new ApiError(404, 'not-found', `no such endpoint: ${quote(path, 100)}; see GET /v1/openapi.json`);
    const h = methods.get(method.toUpperCase());
    if (!h) {
      const allow = [...methods.keys()].sort().join(', ');
      throw new ApiError(405, 'method-not-allowed', `${quote(method, 20)} is not allowed on ${path}; allowed: ${allow}`, undefined, [], { allow });
    }
    return h;
  }
}
