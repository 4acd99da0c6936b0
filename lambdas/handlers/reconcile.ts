// Lambda: scheduled (and on-demand) reconcile of the live zone against the table.
// Invoke with {"dryRun": true} to only measure drift. Emits the DriftFound metric (EMF).
import type { Context } from 'aws-lambda';
import { PublishedTable } from '../adapters/published-table.js';
import { SyncIntent } from '../adapters/sync-intent.js';
import { ENV } from '../adapters/table-schema.js';
import { ZoneLock } from '../adapters/zone-lock.js';
import { type ReconcileReport, reconcileZone } from '../services/reconcile.js';
import { logger, requireEnv, runtime } from './runtime.js';

export const handler = async (event: { dryRun?: boolean } | undefined, context?: Context): Promise<ReconcileReport> => {
  const rt = runtime();
  const lock = new ZoneLock(rt.doc, rt.journalTable, rt.cfg.zone);
  if (!(await lock.acquire(60_000))) throw new Error('zone lock busy: another writer holds it');
  try {
    const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 600_000) - 15_000;
    const report = await reconcileZone(
      {
        cfg: rt.cfg,
        table: rt.table,
        published: new PublishedTable(rt.doc, requireEnv(ENV.publishedTable)),
        intent: new SyncIntent(rt.doc, rt.journalTable, rt.cfg.zone),
        zone: rt.zone,
        nowSeconds: () => Date.now() / 1000,
        warn: (message, detail) => logger.warn(message, detail),
      },
      { dryRun: event?.dryRun === true, deadline, fence: () => lock.fence() },
    );
    // CloudWatch embedded metric format: the DriftFound alarm reads this.
    console.log(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [{ Namespace: 'DnsblPublisher', Dimensions: [['Zone']], Metrics: [{ Name: 'DriftFound', Unit: 'Count' }] }],
        },
        Zone: rt.cfg.zone,
        DriftFound: report.drift,
      }),
    );
    logger.info('reconciled', { ...report });
    return report;
  } finally {
    await lock.release();
  }
};
