// Expiry sweeper: delists listings within minutes of their expiry (DynamoDB TTL may take two
// days). Deleting the item is enough: its stream record re-plans the zone. Each delete is
// conditional on the version, so a listing renewed meanwhile is left alone, and it is written in
// one transaction with its audit event.
//
// In bulk: a trap feed's hold ending for 100,000 addresses at once must leave the zone in minutes,
// not hours (the mirrors' export already skips expired entries, so until then zone and mirrors
// disagree). Listings are deleted EXPIRE_BATCH at a time per TransactWriteItems (a delete and its
// audit event each: 100 items, DynamoDB's limit per transaction), several transactions at once.
// The stream then carries the deletions to the zone at Route 53's rate.
import type { Journal } from '../adapters/journal.js';
import type { ListingsTable, StoredListing } from '../adapters/listings-table.js';

export interface SweepReport {
  examined: number;
  expired: number;
  renewedMeanwhile: number;
  /** TransactWriteItems calls that succeeded. */
  transactions: number;
  /** Stopped at the deadline with expired listings left for the next run. */
  cutShort: boolean;
  ms: number;
}

/** How far back the sweeper looks: TTL deletes whatever is older than this anyway. */
export const SWEEP_LOOKBACK_SECONDS = 3 * 86_400;
/** Listings per transaction: a conditional delete and an audit put each, 100 items at most. */
export const EXPIRE_BATCH = 50;
/** Transactions in flight at once. */
const PARALLEL = 8;

export async function sweepExpired(
  deps: { table: ListingsTable; journal: Journal; nowSeconds: () => number },
  opts: { deadline?: number; parallel?: number } = {},
): Promise<SweepReport> {
  const t0 = Date.now();
  const now = Math.floor(deps.nowSeconds());
  const report: SweepReport = { examined: 0, expired: 0, renewedMeanwhile: 0, transactions: 0, cutShort: false, ms: 0 };
  const inFlight = new Set<Promise<void>>();
  const parallel = opts.parallel ?? PARALLEL;
  let failure: unknown;
  const expireBatch = async (batch: StoredListing[]): Promise<void> => {
    const items = batch.map((l) => ({
      listing: l,
      audit: deps.journal.auditRecord(l.network, {
        action: 'expire',
        list: l.list,
        actor: 'sweeper',
        reason: `expired at ${new Date(l.expiresAt! * 1000).toISOString()}`,
        before: { reason: l.reason, source: l.source, expiresAt: l.expiresAt, exclusion: l.exclusion },
      }).item,
    }));
    const r = await deps.table.deleteManyAudited(items, deps.journal.tableName);
    report.expired += r.deleted;
    report.renewedMeanwhile += r.conflicts;
    report.transactions += r.transactions;
  };
  let batch: StoredListing[] = [];
  const launch = async (b: StoredListing[]) => {
    while (inFlight.size >= parallel) await Promise.race(inFlight);
    if (failure) throw failure;
    const p: Promise<void> = expireBatch(b)
      .catch((e) => {
        failure ??= e;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  for await (const l of deps.table.expiring(now - SWEEP_LOOKBACK_SECONDS, now)) {
    report.examined++;
    if (l.expiresAt === undefined || l.expiresAt > now) continue;
    if (opts.deadline !== undefined && Date.now() > opts.deadline) {
      report.cutShort = true;
      break;
    }
    batch.push(l);
    if (batch.length === EXPIRE_BATCH) {
      await launch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await launch(batch);
  await Promise.all(inFlight);
  if (failure) throw failure;
  report.ms = Date.now() - t0;
  return report;
}
