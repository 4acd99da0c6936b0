// Lambda: abuse reports and trap hits by mail. SES receiving writes each mail to the mail bucket
// (mail/<kind>/<message id>); the bucket's S3 event notification invokes this function, which reads
// the mail and submits it through the evidence intake (lambdas/evidence/mail-notifications.ts).
// Wiring only. Environment: runtime.ts's variables, the intake's (lambdas/evidence/evidence-from-env.ts)
// and EVIDENCE_MAIL_TRUSTED_RELAYS (comma-separated networks whose Received hops are passed over).
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { s3ClientFromEnv } from '../adapters/export-store.js';
import { Journal } from '../adapters/journal.js';
import { Route53Quota } from '../adapters/route53-quota.js';
import { ENV } from '../adapters/table-schema.js';
import { type Network, parseNetwork } from '../core/ip.js';
import { loadIntakeFromEnv, retryingOnce } from '../evidence/evidence-from-env.js';
import { type MailOutcome, processMailNotification } from '../evidence/mail-notifications.js';
import { MAIL_TRUSTED_RELAYS_ENV } from '../evidence/mail-objects.js';
import { QuotaGuard } from '../services/quota-guard.js';
import { logger, requireEnv, runtime } from './runtime.js';

// Built once per container.
let intake: (() => ReturnType<typeof load>) | undefined;
let s3: S3Client | undefined;
let trustedRelays: Network[] | undefined;

type Extra = Record<string, unknown>;
const log = {
  info: (message: string, extra: Extra = {}) => logger.info(message, extra),
  warn: (message: string, extra: Extra = {}) => logger.warn(message, extra),
  error: (message: string, extra: Extra = {}) => logger.error(message, extra),
};

async function load() {
  const rt = runtime();
  const journal = new Journal(rt.doc, rt.journalTable);
  const quota = new Route53Quota(rt.route53, requireEnv(ENV.hostedZoneId));
  const apiDeps = {
    cfg: rt.cfg,
    table: rt.table,
    journal,
    log: { error: log.error },
    quotaGuard: new QuotaGuard(quota, { onUnreadable: (reason) => logger.warn('zone quota unreadable; write not guarded', { reason }) }),
  };
  const loaded = await loadIntakeFromEnv(process.env, { cfg: rt.cfg, doc: rt.doc, journalTable: rt.journalTable, table: rt.table, apiDeps, s3: (s3 ??= s3ClientFromEnv()), log });
  if (!loaded) throw new Error('EVIDENCE_TABLE is not set');
  return loaded.intake;
}

export const handler = async (event: S3Event): Promise<MailOutcome[]> => {
  intake ??= retryingOnce(load);
  s3 ??= s3ClientFromEnv();
  trustedRelays ??= (process.env[MAIL_TRUSTED_RELAYS_ENV] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t, i) => parseNetwork(t, { maxWidth4: 0, maxWidth6: 0, field: `${MAIL_TRUSTED_RELAYS_ENV}[${i}]` }));
  return processMailNotification(event, { s3, intake, trustedRelays, nowSeconds: () => Math.floor(Date.now() / 1000), log });
};
