// How many rrsets a write adds to the zone: the regions the written networks touch, planned from the
// listings table as stored and with the written entries in place (planRegion, as the stream sync
// does from the published table). Exact for the table as read, not an upper bound: a listing inside
// an existing wider one, or an exclusion, can add a handful of rrsets (the wildcard split around it)
// or none, which a per-listing bound could not tell.
import type { Network } from '../core/ip.js';
import { networkKey } from '../core/ip.js';
import { isActive, type Listing, type ZoneConfig } from '../core/listing.js';
import { rrsetKey } from '../core/rrset.js';
import { planRegion } from '../core/zone-plan.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import { listingId, loadRegionContexts } from './region-context.js';
import { coalesceRegions } from './zone-sync.js';

export interface Footprint {
  /** Distinct rrsets the touched regions plan to, before and after the write. */
  before: number;
  after: number;
  /** after - before (negative when the write removes rrsets). */
  adds: number;
  regions: number;
}

export interface FootprintOptions {
  nowSeconds: number;
  maxWidth4?: number;
  maxWidth6?: number;
}

/** The rrsets `written` (each entry as it will be stored) adds to the plan of the table. */
export async function writeFootprint(table: ListingsTable, cfg: ZoneConfig, written: readonly Listing[], opts: FootprintOptions): Promise<Footprint> {
  const regions: Network[] = coalesceRegions(written.map((l) => l.network));
  if (regions.length === 0) return { before: 0, after: 0, adds: 0, regions: 0 };
  // An entry written already expired answers nothing: as good as removed.
  const overrides = new Map(written.map((l) => [listingId(l), isActive(l, opts.nowSeconds) ? l : undefined] as const));
  const contexts = await loadRegionContexts(table, cfg, regions, {
    nowSeconds: opts.nowSeconds,
    maxWidth4: opts.maxWidth4 ?? 8,
    maxWidth6: opts.maxWidth6 ?? 32,
    overrides,
  });
  // Keys, not counts: a name two regions' plans share (an IPv4 mirror's parent) counts once.
  const before = new Set<string>();
  const after = new Set<string>();
  for (const r of regions) {
    const c = contexts.get(networkKey(r))!;
    for (const p of planRegion(cfg, r, c.base)) for (const s of p.rrsets) before.add(rrsetKey(s));
    for (const p of planRegion(cfg, r, c.overridden!)) for (const s of p.rrsets) after.add(rrsetKey(s));
  }
  return { before: before.size, after: after.size, adds: after.size - before.size, regions: regions.length };
}
