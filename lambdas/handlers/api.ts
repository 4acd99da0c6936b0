// Lambda: the operator API (API Gateway REST API, proxy integration, IAM auth). Wiring only: the
// routes live in lambdas/api/. Needs the variables of runtime.ts, plus optionally ZONE_DNS_SERVERS
// ("ip[:port]", comma-separated) for the lookup's live DNS answer (unset: the zone's NS addresses),
// and FAILURE_QUEUE_URL (the stream sync's on-failure queue) for the status's failure-queue depth.
// With EVIDENCE_TABLE (a list has an evidence policy): POST /v1/evidence and the dry run, built by
// lambdas/evidence/evidence-from-env.ts from its variables.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FAILURE_QUEUE_URL_ENV, SqsFailureQueue } from '../adapters/failure-queue.js';
import { Journal } from '../adapters/journal.js';
import { Route53Quota } from '../adapters/route53-quota.js';
import { ENV } from '../adapters/table-schema.js';
import { QuotaGuard } from '../services/quota-guard.js';
import { type ApiHandler, apiHandler } from '../api/app.js';
import type { ApiDeps } from '../api/deps.js';
import { DnsZoneProbe, parseDnsServers, ZONE_DNS_SERVERS_ENV } from '../api/dns-probe.js';
import { delistServiceFromEnv } from '../public/delist-from-env.js';
import { s3ClientFromEnv } from '../adapters/export-store.js';
import { evidenceReaderFromEnv } from '../adapters/evidence-store.js';
import { evidenceFromEnv } from '../evidence/evidence-from-env.js';
import { logger, requireEnv, runtime } from './runtime.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { RECONCILE_STATE_MACHINE_ENV, ReconcileExecutions } from '../adapters/reconcile-executions.js';

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
    const quota = new Route53Quota(rt.route53, requireEnv(ENV.hostedZoneId));
    const queueUrl = process.env[FAILURE_QUEUE_URL_ENV];
    const journal = new Journal(rt.doc, rt.journalTable);
    // With the portal deployed: the review routes (/v1/requests) approve and deny its requests.
    const delist = delistServiceFromEnv(process.env, { cfg: rt.cfg, doc: rt.doc, journalTable: rt.journalTable, table: rt.table, journal });
    const evidenceReader = evidenceReaderFromEnv(process.env, rt.doc);
    const deps: ApiDeps = {
      cfg: rt.cfg,
      table: rt.table,
      journal,
      ...(delist ? { delist } : {}),
      // lookup and history show an address's evidence.
      ...(evidenceReader ? { evidence: evidenceReader } : {}),
      zoneProbe: new DnsZoneProbe({ zone: rt.cfg.zone, ...(servers ? { servers: parseDnsServers(servers) } : {}) }),
      log: { error: (message, extra) => logger.error(message, extra) },
      quotaGuard: new QuotaGuard(quota, { onUnreadable: (reason) => logger.warn('zone quota unreadable; write not guarded', { reason }) }),
      status: { quota, ...(queueUrl ? { failureQueue: new SqsFailureQueue(new SQSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 2_000, requestTimeout: 2_000 } }), queueUrl) } : {}) },
      ...(process.env[RECONCILE_STATE_MACHINE_ENV] ? { reconcile: new ReconcileExecutions(new SFNClient({}), process.env[RECONCILE_STATE_MACHINE_ENV]!) } : {}),
    };
    // Evidence listings are written through these same deps' write routes.
    const log = { info: (m: string, x: Record<string, unknown> = {}) => logger.info(m, x), warn: (m: string, x: Record<string, unknown> = {}) => logger.warn(m, x) };
    const evidence = evidenceFromEnv(process.env, { cfg: rt.cfg, doc: rt.doc, journalTable: rt.journalTable, table: rt.table, apiDeps: deps, s3: s3ClientFromEnv(), log });
    // An operator's delisting re-evaluates the escalations around it (de-escalation by the same rule).
    instance = createApiHandler({ ...deps, ...(evidence ? { evidenceRoutes: evidence.routes, onDelisted: evidence.onDelisted } : {}) });
  }
  return instance(event, context);
};
