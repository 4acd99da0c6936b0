// GET /v1/status — the zone's health and cost in one read (services/zone-status.ts): rrsets and
// quota, monthly Route 53 cost, stream-sync lag, last reconcile passes, export, failure queue. Always
// 200: a figure that cannot be read says "unknown" and why.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { PublisherState } from '../adapters/publisher-state.js';
import { type StatusSources, zoneStatus } from '../services/zone-status.js';
import type { ApiDeps } from './deps.js';
import { jsonResult } from './errors.js';
import type { Route } from './router.js';

export type { StatusSources };

export function statusRoutes(deps: ApiDeps): Route[] {
  const state = new PublisherState(deps.journal, deps.cfg.zone);
  const handler = async (): Promise<APIGatewayProxyResult> =>
    jsonResult(
      200,
      await zoneStatus({
        zone: deps.cfg.zone,
        state,
        journal: deps.journal,
        sources: deps.status ?? {},
        now: () => (deps.now?.() ?? new Date()).getTime(),
      }),
    );
  return [{ method: 'GET', path: '/v1/status', handler }];
}
