// POST /v1/reconcile {dryRun?, network?} -> 202 {passId, executionArn?}: starts a reconcile pass of
// the whole zone or one network's subtree (in AWS a Step Functions execution, on the local stack
// the same steps in process). GET /v1/reconcile/{passId} -> its status and, once done, its report.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { formatNetwork } from '../core/ip.js';
import { parseListableNetwork } from '../core/listing.js';
import type { ApiDeps } from './deps.js';
import { ApiError, jsonResult, quote } from './errors.js';
import { readJsonBody } from './request.js';
import type { ReconcilePassStatus, ReconcileStarter } from '../adapters/reconcile-executions.js';
import type { RequestContext, Route } from './router.js';
import { Router } from './router.js';

export type { ReconcilePassStatus, ReconcileStarter };

const PASS_ID = /^[A-Za-z0-9-]{1,80}$/;
export const RECONCILE_PATH = '/v1/reconcile';

function parseRequest(body: unknown): { dryRun: boolean; network?: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'invalid-body', 'the body must be a JSON object: {"dryRun"?: boolean, "network"?: string}', 'body');
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'dryRun' && k !== 'network') throw new ApiError(400, 'unknown-field', `unknown field ${quote(k, 40)}; allowed: dryRun, network`, k);
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean') throw new ApiError(400, 'invalid-dry-run', 'dryRun must be true or false', 'dryRun');
  let network: string | undefined;
  if (o.network !== undefined) {
    try {
      network = formatNetwork(parseListableNetwork(o.network, 'network'));
    } catch (e) {
      throw new ApiError(400, 'invalid-network', `network ${quote(String(o.network), 60)}: ${(e as Error).message}`, 'network');
    }
  }
  return { dryRun: o.dryRun === true, ...(network !== undefined ? { network } : {}) };
}

export function reconcileRoutes(deps: ApiDeps): Route[] {
  const starter = deps.reconcile;
  if (!starter) return [];
  const start = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const req = parseRequest(readJsonBody(ctx.event));
    const started = await starter.start(req);
    return jsonResult(202, { ...started, dryRun: req.dryRun, ...(req.network ? { network: req.network } : {}) }, { location: `${RECONCILE_PATH}/${started.passId}` });
  };
  const status = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const passId = Router.pathOf(ctx.event).slice(RECONCILE_PATH.length + 1);
    if (!PASS_ID.test(passId)) throw new ApiError(400, 'invalid-pass-id', `pass id ${quote(passId, 90)} is not one (letters, digits and '-', up to 80)`, 'passId');
    const s = await starter.status(passId);
    if (!s) throw new ApiError(404, 'not-found', `no reconcile pass ${quote(passId, 90)}`);
    return jsonResult(200, s);
  };
  return [
    { method: 'POST', path: RECONCILE_PATH, handler: start },
    { method: 'GET', path: `${RECONCILE_PATH}/{passId}`, handler: status },
  ];
}
