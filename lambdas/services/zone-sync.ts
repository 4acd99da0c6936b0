// Brings the live zone in step with the listings, one stream batch at a time.
//
// The invariant: the zone holds plan(published table). A batch plans the regions it touches twice,
// from the published table (what the zone holds) and from the published table with the batch's
// listings applied (what the zone must hold), sends the difference, then records the batch in the
// published table. Nothing read from the listings table can leak into the "before" side, however
// far the table runs ahead of the stream. Requests Route 53 refuses anyway (an out-of-band edit, a
// retried request that was applied before its connection dropped) are settled against the names
// as they really are, read from Route 53.
import { type Change, diffRRSets, packBatches, repairRefused } from '../core/change-batch.js';
import { contains, type Network, networkKey, compareNetworks } from '../core/ip.js';
import { isActive, type Listing, type ZoneConfig, sameListingState } from '../core/listing.js';
import { type RRSet, rrsetKey } from '../core/rrset.js';
import { ChunkedDiff } from '../core/chunked-diff.js';
import { inScope, planRegion, type RegionPlan } from '../core/zone-plan.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import type { PublishedTable } from '../adapters/published-table.js';
import { refusedChanges, type Route53Zone } from '../adapters/route53-zone.js';
import type { SyncIntent } from '../adapters/sync-intent.js';
import { loadRegionContexts, readShared, type RegionContexts } from './region-context.js';
import type { BatchListing } from './stream-records.js';

export interface SyncDeps {
  readonly cfg: ZoneConfig;
  /** The listings table (read only for records without images, and before the published table is seeded). */
  readonly table: ListingsTable;
  /** What the zone holds (see published-table.ts). */
  readonly published: PublishedTable;
  readonly intent: SyncIntent;
  readonly zone: Route53Zone;
  readonly nowSeconds: () => number;
  readonly maxWidth4?: number;
  readonly maxWidth6?: number;
  /** Regions read and planned per chunk of the published path (default 100). */
  readonly chunkRegions?: number;
}

export interface SyncReport {
  regions: number;
  desiredRRSets: number;
  creates: number;
  upserts: number;
  deletes: number;
  batches: number;
  /** Requests Route 53 refused (the zone was not as planned), settled and sent again. */
  refused: number;
  /** Milliseconds spent reading the tables, planning, reading the zone, writing it, and recording the batch. */
  ms: { table: number; plan: number; readZone: number; writeZone: number; record: number };
  /** How often the zone had to be read (0 on the published path when Route 53 refused nothing). */
  zoneReads: number;
  /** 'published': planned from the published table; 'zone-read': diffed against the zone as read. */
  path: 'published' | 'zone-read';
  /** Regions an earlier writer left half-synced, finished by this one. */
  recovered: number;
  /** Why the zone had to be read, if it was. */
  fallbackReason?: string;
}

/** Drops duplicate regions and regions inside other regions (the wider plan covers them). */
export function coalesceRegions(regions: Iterable<Network>): Network[] {
  const sorted = [...new Map([...regions].map((r) => [networkKey(r), r])).values()].sort(compareNetworks);
  const out: Network[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && contains(last, r)) continue;
    out.push(r);
  }
  return out;
}

async function currentInScope(zone: Route53Zone, cfg: ZoneConfig, plans: readonly RegionPlan[], deadline?: number): Promise<RRSet[]> {
  const roots = plans.flatMap((p) => p.scope.subtrees.map((s) => s.root));
  const names = plans.flatMap((p) => p.scope.names);
  const found = await zone.readNames(roots, names, { deadline });
  return found.filter((r) => plans.some((p) => inScope(p.scope, r.name, cfg.zone)));
}

/**
 * Stream records per invocation (the event source mapping's batch size; Lambda also caps a batch
 * at its 6 MB payload). Every invocation ends with one part-filled request; at 2,000 records
 * (~15 requests' worth) that costs ~4% of Route 53's rate, at 1,000 ~8%.
 */
export const STREAM_BATCH_SIZE = 2000;
/** How long the event source mapping gathers records before invoking: part of a single change's latency. */
export const STREAM_BATCHING_WINDOW_MS = 1000;

/** Regions read and planned per chunk: the first requests leave while later chunks are read. */
const CHUNK_REGIONS = 100;
/** Chunks read ahead of the one being written. */
const READ_AHEAD = 3;

/** Options of one sync. */
export interface SyncOptions {
  deadline?: number;
  /** Throws when this writer lost the zone lease: called before every write (zone, published table, intent). */
  fence?: () => void;
}

const noFence = () => undefined;

function emptyReport(regions: number): SyncReport {
  return {
    regions, desiredRRSets: 0, creates: 0, upserts: 0, deletes: 0, batches: 0, refused: 0,
    ms: { table: 0, plan: 0, readZone: 0, writeZone: 0, record: 0 }, zoneReads: 0, path: 'published', recovered: 0,
  };
}

/**
 * Brings the zone in step with a stream batch: `changes` maps listingId to each changed listing's
 * state after the batch. The zone change is plan(published) -> plan(published + batch) for the
 * regions the batch touched; afterwards the published table records the batch. Both steps run
 * under the zone lease, fenced, with an intent recorded before the first zone write so that a
 * writer that dies half-way is finished by the next one against the zone as it really is.
 */
export async function syncListings(deps: SyncDeps, changes: ReadonlyMap<string, BatchListing>, opts: SyncOptions = {}): Promise<SyncReport> {
  const fence = opts.fence ?? noFence;
  const t0 = performance.now();
  // Records without images: the listing as the table has it now (any version is safe to publish,
  // as long as what is published is what the zone gets).
  const unknown = [...changes.values()].filter((c) => c.image === 'unknown');
  const read = unknown.length > 0 ? await deps.table.getMany(unknown) : [];
  const nowSeconds = deps.nowSeconds();
  const known = new Set(deps.cfg.lists.map((l) => l.name));
  const published = new Map<string, Listing | undefined>();
  let u = 0;
  for (const [id, c] of changes) {
    const l = c.image === 'unknown' ? read[u++] : c.image;
    published.set(id, l && known.has(l.list) && isActive(l, nowSeconds) ? l : undefined);
  }
  const leftover = await deps.intent.read();
  const regions = coalesceRegions([...[...changes.values()].map((c) => c.network), ...leftover]);
  const report = emptyReport(regions.length);
  report.ms.table += Math.round(performance.now() - t0);
  if (regions.length === 0) return report;

  if (!(await deps.published.isSeeded())) {
    // Until reconcile has filled the published table (a deployment older than it), it says nothing
    // about the zone: read the zone and plan from the listings table.
    report.path = 'zone-read';
    report.fallbackReason = 'the published table is not seeded yet (reconcile seeds it)';
    await zoneReadSync(deps, regions, (chunk) => contextsOf(deps, deps.table, chunk), opts, report);
    return report;
  }
  await deps.intent.write(regions, fence);
  const rows = [...changes].map(([id, c]) => ({ list: c.list, network: c.network, listing: published.get(id) }));
  if (leftover.length > 0) {
    report.path = 'zone-read';
    report.recovered = leftover.length;
    report.fallbackReason = `an earlier writer left ${leftover.length} regions half-synced`;
    await zoneReadSync(deps, regions, (chunk) => contextsOf(deps, deps.published, chunk, published).then(overriddenOf), opts, report);
    const t1 = performance.now();
    await deps.published.record(rows, fence);
    report.ms.record += Math.round(performance.now() - t1);
  } else {
    // The batch is recorded in the published table WHILE its zone changes are sent (the intent
    // covers the moment both disagree, whichever is ahead). The chunks' reads may then see new
    // rows: they are given the batch's rows as they were before, read first.
    const t1 = performance.now();
    const before = await deps.published.getMany(rows);
    const baseOverrides = new Map(
      [...changes].map(([id, c], i) => {
        // A reconcile slice may have recorded this listing's new state in the published table
        // before its stream record got here, repairing only the slice's own names. Planning from
        // the published row would then change nothing outside that slice (a listed range left
        // NXDOMAIN there): plan from the listing as it was before the batch (the record's old image).
        // Names the zone already holds are refused and settled against the zone as read, so this is
        // safe on a redelivery of a batch already applied too.
        if (c.before !== 'unknown' && sameListingState(before[i], rows[i]!.listing)) {
          const old = c.before && known.has(c.before.list) && isActive(c.before, nowSeconds) ? c.before : undefined;
          return [id, old] as const;
        }
        return [id, before[i]] as const;
      }),
    );
    report.ms.table += Math.round(performance.now() - t1);
    const recording = deps.published.record(rows, fence).then(() => {
      report.ms.record += Math.round(performance.now() - t1);
    });
    recording.catch(() => undefined); // awaited below, also when the zone writes fail first
    try {
      await pipelinedSync(deps, regions, published, baseOverrides, opts, report);
    } catch (e) {
      // The zone writes' own error is the one to report; the intent stays for the next writer.
      await recording.catch(() => undefined);
      throw e;
    }
    await recording;
  }
  await deps.intent.clear(fence);
  return report;
}

/**
 * Makes the zone match plan(published) for `regions`, reading what the zone holds there (a new
 * container's check of the RFC 5782 test points, which no table record carries).
 */
export async function syncRegionsFromZone(deps: SyncDeps, changed: Iterable<Network>, opts: SyncOptions = {}): Promise<SyncReport> {
  const regions = coalesceRegions(changed);
  const report = emptyReport(regions.length);
  report.path = 'zone-read';
  if (regions.length === 0) return report;
  const seeded = await deps.published.isSeeded();
  await zoneReadSync(deps, regions, (chunk) => contextsOf(deps, seeded ? deps.published : deps.table, chunk), opts, report);
  return report;
}

async function contextsOf(
  deps: SyncDeps,
  source: ListingsTable,
  regions: readonly Network[],
  overrides?: ReadonlyMap<string, Listing | undefined>,
): Promise<Map<string, RegionContexts>> {
  const known = new Set(deps.cfg.lists.map((l) => l.name));
  return loadRegionContexts(source, deps.cfg, regions, {
    nowSeconds: deps.nowSeconds(),
    maxWidth4: deps.maxWidth4 ?? 8,
    maxWidth6: deps.maxWidth6 ?? 32,
    // What the published table holds is in the zone until it is replaced, expired or not.
    ...(source === deps.published ? { baseActive: (l: Listing) => known.has(l.list) } : {}),
    overrides,
  });
}

function overriddenOf(m: Map<string, RegionContexts>): Map<string, RegionContexts> {
  return new Map([...m].map(([k, c]) => [k, { base: c.overridden! }]));
}

/** Plans `regions` from `contexts` (their base), reads what the zone holds in their scope, and writes the difference. */
async function zoneReadSync(
  deps: SyncDeps,
  regions: readonly Network[],
  contexts: (regions: readonly Network[]) => Promise<Map<string, RegionContexts>>,
  opts: SyncOptions,
  report: SyncReport,
): Promise<void> {
  const ms = report.ms;
  let t = performance.now();
  const lap = (k: keyof typeof ms) => {
    const now = performance.now();
    ms[k] += Math.round(now - t);
    t = now;
  };
  const ctx = await contexts(regions);
  lap('table');
  const plans = regions.flatMap((r) => planRegion(deps.cfg, r, ctx.get(networkKey(r))!.base));
  const desired = new Map<string, RRSet>();
  for (const p of plans) for (const r of p.rrsets) desired.set(rrsetKey(r), r);
  report.desiredRRSets = desired.size;
  lap('plan');
  report.zoneReads++;
  const current = await currentInScope(deps.zone, deps.cfg, plans, opts.deadline);
  const changes = diffRRSets(current, desired.values());
  lap('readZone');
  await applyChanges(deps.zone, changes, report, opts);
  lap('writeZone');
}

/**
 * The published path: plan(published) -> plan(published + batch) for chunks of regions, reading
 * the next chunks from the published table while the changes of the earlier ones are sent.
 * Requests are kept full: the last, partly filled one of a chunk waits for the next chunk's changes.
 */
async function pipelinedSync(
  deps: SyncDeps,
  regions: readonly Network[],
  overrides: ReadonlyMap<string, Listing | undefined>,
  baseOverrides: ReadonlyMap<string, Listing | undefined>,
  opts: SyncOptions,
  report: SyncReport,
): Promise<void> {
  const known = new Set(deps.cfg.lists.map((l) => l.name));
  const maxWidth4 = deps.maxWidth4 ?? 8;
  // The census and the wide partition once for all chunks (the chunks' reads start after them).
  const contextOptions = {
    nowSeconds: deps.nowSeconds(),
    maxWidth4,
    maxWidth6: deps.maxWidth6 ?? 32,
    baseActive: (l: Listing) => known.has(l.list),
    overrides,
    baseOverrides,
    shared: await readShared(deps.published, maxWidth4),
  };
  const chunks: Network[][] = [];
  const size = deps.chunkRegions ?? CHUNK_REGIONS;
  for (let i = 0; i < regions.length; i += size) chunks.push(regions.slice(i, i + size));
  const read = async (chunk: readonly Network[]) => {
    const t0 = performance.now();
    const contexts = await loadRegionContexts(deps.published, deps.cfg, chunk, contextOptions);
    const t1 = performance.now();
    const desired: RRSet[] = [];
    const assumed: RRSet[] = [];
    for (const r of chunk) {
      const c = contexts.get(networkKey(r))!;
      for (const p of planRegion(deps.cfg, r, c.overridden!)) desired.push(...p.rrsets);
      for (const p of planRegion(deps.cfg, r, c.base)) assumed.push(...p.rrsets);
    }
    report.ms.table += Math.round(t1 - t0);
    report.ms.plan += Math.round(performance.now() - t1);
    return { desired, assumed };
  };
  const ahead: Array<Promise<Awaited<ReturnType<typeof read>>>> = [];
  let nextChunk = 0;
  const fill = () => {
    while (ahead.length < READ_AHEAD && nextChunk < chunks.length) {
      const p = read(chunks[nextChunk++]!);
      p.catch(() => undefined); // awaited in order below; an early exit must not leave it unhandled
      ahead.push(p);
    }
  };
  const diff = new ChunkedDiff();
  const desiredKeys = new Set<string>();
  let pending: Change[] = [];
  const send = async (batches: Change[][]) => {
    const t0 = performance.now();
    for (const b of batches) await applyBatch(deps.zone, b, report, opts);
    report.ms.writeZone += Math.round(performance.now() - t0);
  };
  fill();
  while (ahead.length > 0) {
    const chunk = await ahead.shift()!;
    fill();
    for (const r of chunk.desired) desiredKeys.add(rrsetKey(r));
    pending.push(...diff.next(chunk.assumed, chunk.desired));
    const batches = packBatches(pending);
    // All but the last request are full; the last waits for the next chunk's changes, if any.
    pending = ahead.length > 0 ? (batches.pop() ?? []) : [];
    await send(batches);
  }
  report.desiredRRSets = desiredKeys.size;
}

type Counts = Pick<SyncReport, 'creates' | 'upserts' | 'deletes' | 'batches' | 'refused' | 'zoneReads'>;

export async function applyChanges(zone: Route53Zone, changes: readonly Change[], report: Counts, opts: SyncOptions = {}): Promise<void> {
  for (const batch of packBatches(changes)) await applyBatch(zone, batch, report, opts);
}

async function send(zone: Route53Zone, batch: readonly Change[], report: Counts, opts: SyncOptions): Promise<void> {
  await zone.apply(batch, { deadline: opts.deadline, fence: opts.fence });
  report.batches++;
  for (const c of batch) {
    if (c.action === 'CREATE') report.creates++;
    else if (c.action === 'UPSERT') report.upserts++;
    else report.deletes++;
  }
}

/**
 * Sends one request. If Route 53 refuses it (the zone is not as planned: an out-of-band edit, or a
 * retried request that was applied before its connection dropped), the refusals its message names
 * are repaired once (an existing CREATE becomes UPSERT, a DELETE of a missing rrset is dropped).
 * If that does not clear it, the message is not trusted to be complete: the request's names are
 * read from Route 53 and the changes that take them from what they are to what the request wanted
 * are sent. A refusal of that is the caller's (something else edits the zone at the same time, or
 * the change itself is invalid).
 */
async function applyBatch(zone: Route53Zone, batch: readonly Change[], report: Counts, opts: SyncOptions): Promise<void> {
  const refused = (e: unknown) => (e as Error).name === 'InvalidChangeBatch';
  try {
    return await send(zone, batch, report, opts);
  } catch (e) {
    if (!refused(e)) throw e;
    report.refused++;
    const repaired = repairRefused(batch, refusedChanges((e as Error).message));
    if (repaired) {
      try {
        for (const b of packBatches(repaired)) await send(zone, b, report, opts);
        return;
      } catch (e2) {
        if (!refused(e2)) throw e2;
        report.refused++;
      }
    }
  }
  // Against reality: what the names hold now -> what this request wanted them to hold.
  report.zoneReads++;
  const keys = new Set(batch.map((c) => rrsetKey(c.rrset)));
  const names = [...new Set(batch.map((c) => c.rrset.name))];
  const current = (await zone.readNames([], names, { deadline: opts.deadline })).filter((r) => keys.has(rrsetKey(r)));
  const wanted = batch.filter((c) => c.action !== 'DELETE').map((c) => c.rrset);
  for (const b of packBatches(diffRRSets(current, wanted))) await send(zone, b, report, opts);
}
