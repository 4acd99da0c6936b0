// The API: every route, and one request -> one response with every error mapped to JSON.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { browseRoutes } from './browse.js';
import type { ApiDeps } from './deps.js';
import { type ErrorLog, errorResult } from './errors.js';
import { historyRoutes } from './history.js';
import { listsRoutes } from './lists.js';
import { writeRoutes } from './listings.js';
import { lookupRoutes } from './lookup.js';
import { openApiRoutes } from './openapi.js';
import { reconcileRoutes } from './reconcile.js';
import { requestRoutes } from './requests.js';
import { callerOf } from './request.js';
import { Router } from './router.js';
import { statusRoutes } from './status.js';

export function apiRouter(deps: ApiDeps): Router {
  return new Router([
    ...listsRoutes(deps),
    ...writeRoutes(deps),
    ...browseRoutes(deps),
    ...lookupRoutes(deps),
    ...historyRoutes(deps),
    ...openApiRoutes(deps),
    ...statusRoutes(deps),
    ...reconcileRoutes(deps),
    ...(deps.evidenceRoutes ?? []),
    ...requestRoutes(deps),
  ]);
}

const consoleLog: ErrorLog = { error: (message, extra) => console.error(message, JSON.stringify(extra)) };

export type ApiHandler = (event: APIGatewayProxyEvent, context?: { awsRequestId?: string }) => Promise<APIGatewayProxyResult>;

export function apiHandler(deps: ApiDeps): ApiHandler {
  const router = apiRouter(deps);
  const log = deps.log ?? consoleLog;
  return async (event, context) => {
    const requestId = event.requestContext?.requestId || context?.awsRequestId || randomUUID();
    try {
      const route = router.match(event.httpMethod ?? 'GET', Router.pathOf(event));
      return await route({ event, caller: callerOf(event), requestId });
    } catch (e) {
      return errorResult(e, log, requestId);
    }
  };
}
