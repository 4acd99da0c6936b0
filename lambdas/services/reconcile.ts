// Reconcile: compare the whole live zone with a full plan of the table and repair any drift with
// the fewest changes. Runs on a schedule and on demand; reports how much drift it found.
import { diffRRSets } from '../core/change-batch.js';
import type { ZoneConfig } from '../core/listing.js';
import { effectiveListings } from '../core/semantics.js';
import { planZone } from '../core/zone-plan.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import type { Route53Zone } from '../adapters/route53-zone.js';
import { applyChanges } from './zone-sync.js';

export interface ReconcileReport {
  listings: number;
  desiredRRSets: number;
  currentRRSets: number;
  /** Changes needed = drift found (0 when the zone was right). */
  drift: number;
  creates: number;
  upserts: number;
  deletes: number;
  batches: number;
  /** Requests refused because the zone moved meanwhile, repaired and sent again. */
  refused: number;
  dryRun: boolean;
  /** The apex SOA's TTL/minimum were not negativeTtl and were (or, dry, would be) set. */
  soaUpdated: boolean;
}

/**
 * Resolvers cache "not listed" for min(SOA TTL, SOA minimum). Route 53 creates the SOA with
 * 900 s / 86,400 s; a DNSBL wants a newly listed address to be seen within negativeTtl.
 */
export function soaWithNegativeTtl(value: string, negativeTtl: number): string | undefined {
  const f = value.trim().split(/\s+/);
  if (f.length !== 7) return undefined;
  f[6] = String(negativeTtl);
  return f.join(' ');
}

export async function reconcileZone(
  deps: { cfg: ZoneConfig; table: ListingsTable; zone: Route53Zone; nowSeconds: () => number },
  opts: { dryRun?: boolean; deadline?: number } = {},
): Promise<ReconcileReport> {
  // Read the census before scanning: if it is not complete yet (a table older than the census),
  // this full scan, which starts after every writer adds its lengths, completes it.
  const censusComplete = (await deps.table.prefixLengths())[4] !== undefined;
  const listings = [];
  for await (const l of deps.table.scanAll()) listings.push(l);
  if (!censusComplete && !opts.dryRun) await deps.table.census.markComplete(listings.map((l) => l.network));
  const desired = [...planZone(deps.cfg, effectiveListings(deps.cfg, listings, deps.nowSeconds()))];
  const current = [];
  for await (const r of deps.zone.all()) current.push(r);
  const changes = diffRRSets(current, desired);
  const report: ReconcileReport = {
    listings: listings.length,
    desiredRRSets: desired.length,
    currentRRSets: current.length,
    drift: changes.length,
    creates: 0,
    upserts: 0,
    deletes: 0,
    batches: 0,
    refused: 0,
    dryRun: opts.dryRun === true,
    soaUpdated: false,
  };
  if (!opts.dryRun) await applyChanges(deps.zone, changes, report, opts.deadline);
  const soa = await deps.zone.apexSoa();
  const wanted = soa && soaWithNegativeTtl(soa.value, deps.cfg.negativeTtl);
  if (soa && wanted && (soa.ttl !== deps.cfg.negativeTtl || wanted !== soa.value.trim().split(/\s+/).join(' '))) {
    report.soaUpdated = true;
    if (!opts.dryRun) await deps.zone.setApexSoa(deps.cfg.negativeTtl, wanted, { deadline: opts.deadline });
  }
  return report;
}
