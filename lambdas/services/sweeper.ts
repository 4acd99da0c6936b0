// Expiry sweeper: delists listings within minutes of their expiry (DynamoDB TTL may take two
// days). Deleting the item is enough: its stream record re-plans the zone. The delete is
// conditional on the version, so a listing renewed meanwhile is left alone.
import type { Journal } from '../adapters/journal.js';
import { ConflictError, type ListingsTable } from '../adapters/listings-table.js';

export interface SweepReport {
  examined: number;
  expired: number;
  renewedMeanwhile: number;
}

/** How far back the sweeper looks: TTL deletes whatever is older than this anyway. */
export const SWEEP_LOOKBACK_SECONDS = 3 * 86_400;

export async function sweepExpired(
  deps: { table: ListingsTable; journal: Journal; nowSeconds: () => number },
): Promise<SweepReport> {
  const now = Math.floor(deps.nowSeconds());
  const report: SweepReport = { examined: 0, expired: 0, renewedMeanwhile: 0 };
  for await (const l of deps.table.expiring(now - SWEEP_LOOKBACK_SECONDS, now)) {
    report.examined++;
    if (l.expiresAt === undefined || l.expiresAt > now) continue;
    try {
      await deps.table.delete(l.list, l.network, l.version);
      report.expired++;
      await deps.journal.audit(l.network, {
        action: 'expire',
        list: l.list,
        actor: 'sweeper',
        reason: `expired at ${new Date(l.expiresAt * 1000).toISOString()}`,
        before: { reason: l.reason, source: l.source, expiresAt: l.expiresAt, exclusion: l.exclusion },
      });
    } catch (e) {
      if (e instanceof ConflictError) report.renewedMeanwhile++;
      else throw e;
    }
  }
  return report;
}
