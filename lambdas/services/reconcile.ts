// Reconcile: compare the whole live zone with a full plan of the table and repair any drift with
// the fewest changes; bring the published table (what the zone holds, see published-table.ts) to
// the same listings. Runs on a schedule and on demand; reports how much drift it found.
import { diffRRSets } from '../core/change-batch.js';
import { networkKey, type Network } from '../core/ip.js';
import { isActive, type ZoneConfig, sameListingState } from '../core/listing.js';
import { effectiveListings } from '../core/semantics.js';
import { planZone } from '../core/zone-plan.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import type { PublishedChange, PublishedTable } from '../adapters/published-table.js';
import type { Route53Zone } from '../adapters/route53-zone.js';
import type { SyncIntent } from '../adapters/sync-intent.js';
import { listingId } from './region-context.js';
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
  /** Requests refused because the zone moved meanwhile, settled and sent again. */
  refused: number;
  zoneReads: number;
  /** Published-table rows that differed from the table (stream lag, or the table's first seeding). */
  publishedDrift: number;
  /** The published table was not seeded before this pass (and is now, unless dry). */
  seeded: boolean;
  /** Regions a zone writer had left half-synced (now repaired by the full diff). */
  recovered: number;
  dryRun: boolean;
  /** The apex SOA's TTL/minimum were not negativeTtl and were (or, dry, would be) set. */
  soaUpdated: boolean;
  /** The apex SOA could not be read or parsed, so the negative TTL could not be set (see the log). */
  soaUnparsable: boolean;
}

/**
 * Resolvers cache "not listed" for min(SOA TTL, SOA minimum). Route 53 creates the SOA with
 * 900 s / 86,400 s; a DNSBL wants a newly listed address to be seen within negativeTtl.
 */
export function soaWithNegativeTtl(value: string, negativeTtl: number): string | undefined {
  const f = value.trim().split(/\s+/);
  if (f.length !== 7 || !f.slice(2).every((x) => /^\d+$/.test(x))) return undefined;
  f[6] = String(negativeTtl);
  return f.join(' ');
}

export interface ReconcileDeps {
  cfg: ZoneConfig;
  table: ListingsTable;
  published: PublishedTable;
  intent?: SyncIntent;
  zone: Route53Zone;
  nowSeconds: () => number;
  /** Told what could not be done (an unparsable SOA). */
  warn?: (message: string, detail: Record<string, unknown>) => void;
}

export async function reconcileZone(deps: ReconcileDeps, opts: { dryRun?: boolean; deadline?: number; fence?: () => void } = {}): Promise<ReconcileReport> {
  const fence = opts.fence ?? (() => undefined);
  // Read the census before scanning: if it is not complete yet (a table older than the census),
  // this full scan, which starts after every writer adds its lengths, completes it.
  const censusComplete = (await deps.table.prefixLengths())[4] !== undefined;
  const wasSeeded = await deps.published.isSeeded();
  const leftover = deps.intent ? await deps.intent.read() : [];
  const listings = [];
  for await (const l of deps.table.scanAll()) listings.push(l);
  if (!censusComplete && !opts.dryRun) await deps.table.census.markComplete(listings.map((l) => l.network));
  const nowSeconds = deps.nowSeconds();
  const known = new Set(deps.cfg.lists.map((l) => l.name));
  const active = listings.filter((l) => known.has(l.list) && isActive(l, nowSeconds));
  const desired = [...planZone(deps.cfg, effectiveListings(deps.cfg, active, nowSeconds))];
  const current = [];
  for await (const r of deps.zone.all()) current.push(r);
  const changes = diffRRSets(current, desired);

  // The published table must end holding exactly the listings the zone was planned from.
  const want = new Map(active.map((l) => [listingId(l), l]));
  const publishedChanges: PublishedChange[] = [];
  for await (const p of deps.published.scanAll()) {
    const w = want.get(listingId(p));
    if (!w) publishedChanges.push({ list: p.list, network: p.network, listing: undefined });
    else if (sameListingState(w, p)) want.delete(listingId(p));
  }
  for (const l of want.values()) publishedChanges.push({ list: l.list, network: l.network, listing: l });

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
    zoneReads: 0,
    publishedDrift: publishedChanges.length,
    seeded: !wasSeeded,
    recovered: leftover.length,
    dryRun: opts.dryRun === true,
    soaUpdated: false,
    soaUnparsable: false,
  };
  if (!opts.dryRun) {
    // Between the zone write and the published record, these regions disagree: say so first, so a
    // writer that finds this pass dead half-way settles them against the zone as it is.
    const intentRegions: Network[] = wasSeeded ? [...leftover, ...publishedChanges.map((c) => c.network)] : [];
    if (deps.intent && intentRegions.length > 0) await deps.intent.write(dedupeNetworks(intentRegions), fence);
    await applyChanges(deps.zone, changes, report, { deadline: opts.deadline, fence });
    await deps.published.record(publishedChanges, fence);
    if (!wasSeeded) {
      await deps.published.census.markComplete(active.map((l) => l.network));
      await deps.published.markSeeded();
    }
    if (deps.intent && (intentRegions.length > 0 || leftover.length > 0)) await deps.intent.clear(fence);
  }
  const soa = await deps.zone.apexSoa();
  const wanted = soa && soaWithNegativeTtl(soa.value, deps.cfg.negativeTtl);
  if (!soa || !wanted) {
    // Without a parsable SOA the negative TTL cannot be set: resolvers then cache "not listed" for
    // Route 53's default (up to a day). Never silent: logged and counted.
    report.soaUnparsable = true;
    deps.warn?.('apex SOA missing or unparsable; the negative TTL was not set', { soa: soa?.value ?? null });
  } else if (soa.ttl !== deps.cfg.negativeTtl || wanted !== soa.value.trim().split(/\s+/).join(' ')) {
    report.soaUpdated = true;
    if (!opts.dryRun) {
      fence();
      await deps.zone.setApexSoa(deps.cfg.negativeTtl, wanted, { deadline: opts.deadline, fence });
    }
  }
  return report;
}

function dedupeNetworks(ns: readonly Network[]): Network[] {
  return [...new Map(ns.map((n) => [networkKey(n), n])).values()];
}
