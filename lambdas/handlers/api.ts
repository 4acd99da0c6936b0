// Lambda: the operator API (API Gateway REST API, proxy integration, IAM auth). Wiring only: the
// routes live in lambdas/api/. Needs the variables of runtime.ts, plus optionally ZONE_DNS_SERVERS
// ("ip[:port]", comma-separated) for the lookup's live DNS answer (unset: the zone's NS addresses).
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Journal } from '../adapters/journal.js';
import { type ApiHandler, apiHandler } from '../api/app.js';
import type { ApiDeps } from '../api/deps.js';
import { DnsZoneProbe, parseDnsServers, ZONE_DNS_SERVERS_ENV } from '../api/dns-probe.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { RECONCILE_STATE_MACHINE_ENV, ReconcileExecutions } from '../adapters/reconcile-executions.js';
import { logger, runtime } from './runtime.js';

export type { ApiDeps } from '../api/deps.js';

/** The handler for given adapters (tests and the local stack pass their own). */
export function createApiHandler(deps: ApiDeps): ApiHandler {
  return apiHandler(deps);
}

let instance: ApiHandler | undefined;

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  if (!instance) {
    const rt = runtime();
    const servers = process.env[ZONE_DNS_SERVERS_ENV];
    instance = createApiHandler({
      cfg: rt.cfg,
      table: rt.table,
      journal: new Journal(rt.doc, rt.journalTable),
      zoneProbe: new DnsZoneProbe({ zone: rt.cfg.zone, ...(servers ? { servers: parseDnsServers(servers) } : {}) }),
      log: { error: (message, extra) => logger.error(message, extra) },
      ...(process.env[RECONCILE_STATE_MACHINE_ENV] ? { reconcile: new ReconcileExecutions(new SFNClient({}), process.env[RECONCILE_STATE_MACHINE_ENV]!) } : {}),
    });
  }
  return instance(event, context);
};
