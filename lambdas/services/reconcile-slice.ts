// One slice of a reconcile pass (see core/reconcile-slices.ts): read the slice's listings from the
// table and its range of the zone, plan the slice, diff, repair, and bring the published table to
// the listings the slice was planned from. Memory is bounded by the slice, not the table.
//
// The caller holds the zone lock for the slice (fence). The invariant zone == plan(published
// table) (zone-sync.ts) holds for the slice's names afterwards: the zone is planned from exactly the
// listings recorded in the published table. Between the zone write and the published record the
// sync intent names the regions, so a stream writer finding this slice dead settles them against
// the zone; regions an earlier writer left in the intent are kept in it (stream-sync settles them).
import { diffRRSets } from '../core/change-batch.js';
import { contains, networkKey, type Network, parseNetworkKey } from '../core/ip.js';
import { isActive, type ZoneConfig, sameListingState } from '../core/listing.js';
import { effectiveListings } from '../core/semantics.js';
import { rrsetKey, type RRSet } from '../core/rrset.js';
import { decidingNetworks, ownsName, ownsNetwork, pastRange, pathName, planSlice, rangeStartName, type ReconcileSlice, sliceLabel, sliceReads } from '../core/reconcile-slices.js';
import type { ListingsTable, StoredListing } from '../adapters/listings-table.js';
import type { PublishedChange, PublishedTable } from '../adapters/published-table.js';
import type { Route53Zone } from '../adapters/route53-zone.js';
import type { SyncIntent } from '../adapters/sync-intent.js';
import { listingId, readShared } from './region-context.js';
import { applyChanges } from './zone-sync.js';

export interface SliceDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly published: PublishedTable;
  readonly intent?: SyncIntent;
  /** The zone, reading at reconcile's share of the rate (its readPacer). */
  readonly zone: Route53Zone;
  readonly nowSeconds: () => number;
}

export interface SliceOptions {
  dryRun?: boolean;
  deadline?: number;
  fence?: () => void;
  /** Published rows found with no listing in the table (the pass's plan step), this slice's. */
  orphans?: ReadonlyArray<{ list: string; network: string }>;
}

export interface SliceReport {
  slice: string;
  /** Listings read from the table for this slice. */
  listings: number;
  desiredRRSets: number;
  /** Rrsets of the zone read in the slice's range. */
  rrsetsRead: number;
  /** ListResourceRecordSets pages read. */
  zoneReads: number;
  /** Changes needed (found). */
  drift: number;
  /** Changes sent (0 when dry). */
  repaired: number;
  creates: number;
  upserts: number;
  deletes: number;
  batches: number;
  refused: number;
  /** Published-table rows that differed from the table. */
  publishedDrift: number;
  durationMs: number;
  /** Heap in use at the slice's end, MiB (a cheap stand-in for its peak). */
  heapMiB: number;
  dryRun: boolean;
  /** Listings the index had not shown yet, found by the consistent reads around changed names. */
  missedByIndex: number;
}

/** The figures a pass adds up (what the workflow carries from each slice to finish). */
export type SliceFigures = Pick<SliceReport, 'listings' | 'rrsetsRead' | 'zoneReads' | 'drift' | 'repaired' | 'publishedDrift' | 'heapMiB' | 'durationMs'>;

export function compactSliceReport(r: SliceReport): SliceFigures {
  const { listings, rrsetsRead, zoneReads, drift, repaired, publishedDrift, heapMiB, durationMs } = r;
  return { listings, rrsetsRead, zoneReads, drift, repaired, publishedDrift, heapMiB, durationMs };
}

/** The listings the slice's plan depends on (core/reconcile-slices.ts sliceReads), deduplicated. */
async function readSliceListings(deps: SliceDeps, slice: ReconcileSlice): Promise<StoredListing[]> {
  const lists = deps.cfg.lists.map((l) => l.name);
  const known = new Set(lists);
  const now = deps.nowSeconds();
  const reads = sliceReads(slice);
  const out = new Map<string, StoredListing>();
  const add = (l: StoredListing) => out.set(listingId(l), l);
  for (const iv of reads.intervals) {
    for (const l of await deps.table.startingIn(lists, iv.family, iv.lo, iv.hi)) if (l.network.prefix >= iv.minPrefix) add(l);
  }
  // The index lags the table a little: read what it named again, consistently, so that a listing
  // changed or removed (and perhaps already synced by the stream) in that instant is taken as it is.
  const named = [...out.values()];
  const fresh = named.length > 0 ? await deps.table.getMany(named.map((l) => ({ list: l.list, network: l.network }))) : [];
  named.forEach((l, i) => {
    const f = fresh[i];
    if (f) out.set(listingId(f), f);
    else out.delete(listingId(l));
  });
  const { lengths, wide } = await readShared(deps.table, 0);
  const covering = await deps.table.coveringMany(reads.covering, lists, () => 0, wide, lengths);
  for (const ls of covering.values()) for (const l of ls) add(l);
  // Whether anything is strictly inside the node: one active listing is enough (its own records
  // lie in other slices and are filtered out).
  const inside = (l: StoredListing) => reads.witness.some((iv) => l.network.family === iv.family && l.network.start >= iv.lo && l.network.start <= iv.hi && l.network.prefix >= iv.minPrefix);
  const active = (l: StoredListing) => known.has(l.list) && isActive(l, now);
  // Often the slice's own listings hold one already.
  if ([...out.values()].some((l) => inside(l) && active(l))) return [...out.values()];
  for (const iv of reads.witness) {
    const w = await deps.table.firstStartingIn(lists, iv.family, iv.lo, iv.hi, (l) => l.network.prefix >= iv.minPrefix && known.has(l.list) && isActive(l, now));
    if (w) {
      add(w);
      break;
    }
  }
  return [...out.values()];
}

/**
 * Listings the table holds (consistent reads: the covering keys and the partitions' ranges) around
 * the given names that `read` lacks or has in another version.
 */
async function missedAround(deps: SliceDeps, names: readonly string[], read: readonly StoredListing[]): Promise<StoredListing[]> {
  const regions = decidingNetworks(names, deps.cfg.zone);
  if (regions.length === 0) return [];
  const lists = deps.cfg.lists.map((l) => l.name);
  const known = new Set(lists);
  const found = new Map<string, StoredListing>();
  const { lengths, wide } = await readShared(deps.table, 0);
  const covering = await deps.table.coveringMany(regions, lists, () => 0, wide, lengths);
  for (const ls of covering.values()) for (const l of ls) found.set(listingId(l), l);
  // Inside a node only whether something lies there matters (its wildcard): one active listing is
  // enough, and none is read when the slice holds one already. Bounded memory, however wide the node.
  const now = deps.nowSeconds();
  const active = (l: StoredListing) => known.has(l.list) && isActive(l, now);
  for (const r of regions) {
    // No listing is wider than an IPv4 /8 or an IPv6 /32, so no record above those depends on what
    // lies inside a node (and a range read there would span too many partitions).
    if (r.prefix < (r.family === 4 ? 8 : 32)) continue;
    const inside = (l: StoredListing) => l.network.family === r.family && l.network.prefix > r.prefix && contains(r, l.network);
    if (read.some((l) => inside(l) && active(l))) continue;
    for await (const l of deps.table.within(r)) {
      if (inside(l) && active(l)) {
        found.set(listingId(l), l);
        break;
      }
    }
  }
  const have = new Map(read.map((l) => [listingId(l), l]));
  return [...found.values()].filter((l) => have.get(listingId(l))?.version !== l.version);
}

/** The rrsets the zone holds for the names the slice owns. */
async function readSliceZone(zone: Route53Zone, cfg: ZoneConfig, slice: ReconcileSlice, opts: { deadline?: number }): Promise<{ rrsets: RRSet[]; pages: number }> {
  const owned = (name: string) => ownsName(slice, name, cfg.zone);
  const found = new Map<string, RRSet>();
  const pages = { n: 0 };
  for await (const r of zone.range(rangeStartName(slice, cfg.zone), (n) => pastRange(slice, n, cfg.zone), owned, { deadline: opts.deadline, pages })) {
    found.set(rrsetKey(r), r);
  }
  if (slice.self) {
    // The node's own name and its '*' labels, wherever a wildcard sorts (readNames proves it).
    const node = pathName(slice.path, cfg.zone);
    const before = zone.stats.listCalls;
    for (const r of await zone.readNames([`*.${node}`], [node], { deadline: opts.deadline })) if (owned(r.name)) found.set(rrsetKey(r), r);
    pages.n += zone.stats.listCalls - before;
  }
  return { rrsets: [...found.values()], pages: pages.n };
}

function dedupeNetworks(ns: readonly Network[]): Network[] {
  return [...new Map(ns.map((n) => [networkKey(n), n])).values()];
}

export async function reconcileSlice(deps: SliceDeps, slice: ReconcileSlice, opts: SliceOptions = {}): Promise<SliceReport> {
  const started = Date.now();
  const fence = opts.fence ?? (() => undefined);
  const { cfg } = deps;
  const now = deps.nowSeconds();
  const known = new Set(cfg.lists.map((l) => l.name));

  let read = await readSliceListings(deps, slice);
  const current = await readSliceZone(deps.zone, cfg, slice, { deadline: opts.deadline });
  let active = read.filter((l) => known.has(l.list) && isActive(l, now));
  let desired = planSlice(cfg, slice, effectiveListings(cfg, active, now));
  let changes = diffRRSets(current.rrsets, desired);
  // The slice found its listings through an index, which lags the table: a listing written (and
  // perhaps already synced by the stream) an instant ago may be missing, and the slice would delete
  // its records - a listed address answering NXDOMAIN. Before changing any name, read the table
  // consistently around the names to change and plan again with whatever the index missed.
  let missedByIndex = 0;
  for (let round = 0; changes.length > 0 && round < 3; round++) {
    const missed = await missedAround(deps, changes.map((c) => c.rrset.name), read);
    if (missed.length === 0) break;
    missedByIndex += missed.length;
    const byId = new Map(read.map((l) => [listingId(l), l]));
    for (const l of missed) byId.set(listingId(l), l);
    read = [...byId.values()];
    active = read.filter((l) => known.has(l.list) && isActive(l, now));
    desired = planSlice(cfg, slice, effectiveListings(cfg, active, now));
    changes = diffRRSets(current.rrsets, desired);
  }

  // The published rows of every listing read (and the orphans the plan step found) must end as the
  // listings the slice was planned from. A covering listing is read by several slices: recording
  // it again is idempotent.
  const keys = [...read.map((l) => ({ list: l.list, network: l.network })), ...(opts.orphans ?? []).map((o) => ({ list: o.list, network: parseNetworkKey(o.network) }))];
  const rows = keys.length > 0 ? await deps.published.getMany(keys) : [];
  const want = new Map(active.map((l) => [listingId(l), l]));
  const reads = sliceReads(slice);
  let ownDrift = 0;
  const publishedChanges: PublishedChange[] = [];
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    const id = listingId(k);
    if (seen.has(id)) return;
    seen.add(id);
    const row = rows[i];
    const w = want.get(id);
    const before = publishedChanges.length;
    if (w && !(row && sameListingState(w, row))) publishedChanges.push({ list: w.list, network: w.network, listing: w });
    else if (!w && row) publishedChanges.push({ list: k.list, network: k.network, listing: undefined });
    // Whether the slice the listing belongs to counts it (orphans are given to one slice).
    if (publishedChanges.length > before && (i >= read.length || ownsNetwork(reads, k.network))) ownDrift++;
  });

  const report: SliceReport = {
    slice: sliceLabel(slice, cfg.zone),
    listings: read.length,
    desiredRRSets: desired.length,
    rrsetsRead: current.rrsets.length,
    zoneReads: current.pages,
    drift: changes.length,
    repaired: 0,
    creates: 0,
    upserts: 0,
    deletes: 0,
    batches: 0,
    refused: 0,
    // A real pass fixes each differing row once, in the first slice that reads it: count what it
    // fixes. A dry one fixes nothing, so every slice reading a row would count it: count the owner's.
    publishedDrift: opts.dryRun ? ownDrift : publishedChanges.length,
    durationMs: 0,
    heapMiB: 0,
    dryRun: opts.dryRun === true,
    missedByIndex,
  };
  if (!opts.dryRun && (changes.length > 0 || publishedChanges.length > 0)) {
    const seeded = await deps.published.isSeeded();
    // Before the first seeding the stream writer plans from the table, not the published table:
    // nothing to tell it.
    const leftover = deps.intent && seeded ? await deps.intent.read() : [];
    const regions = seeded ? dedupeNetworks([...leftover, ...publishedChanges.map((c) => c.network)]) : [];
    if (deps.intent && regions.length > 0) await deps.intent.write(regions, fence);
    const counts = { creates: 0, upserts: 0, deletes: 0, batches: 0, refused: 0, zoneReads: 0 };
    await applyChanges(deps.zone, changes, counts, { deadline: opts.deadline, fence });
    await deps.published.record(publishedChanges, fence);
    if (deps.intent && regions.length > 0) {
      // What an earlier writer left stays for stream-sync to settle; ours is done.
      if (leftover.length > 0) await deps.intent.write(leftover, fence);
      else await deps.intent.clear(fence);
    }
    Object.assign(report, counts, { repaired: counts.creates + counts.upserts + counts.deletes, zoneReads: report.zoneReads + counts.zoneReads });
  }
  report.durationMs = Date.now() - started;
  report.heapMiB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  return report;
}
