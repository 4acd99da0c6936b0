// Brings the live zone in step with the table for a set of changed networks. It always plans from
// the table's current state (never from the event alone), so redelivered, reordered or concurrent
// changes converge: running it twice is a no-op the second time.
import { type Change, diffRRSets, packBatches, repairRefused } from '../core/change-batch.js';
import { contains, type Network, networkKey, compareNetworks } from '../core/ip.js';
import type { Listing, ZoneConfig } from '../core/listing.js';
import { type RRSet, rrsetKey } from '../core/rrset.js';
import { ChunkedDiff } from '../core/chunked-diff.js';
import type { RecentWrites } from '../core/recent-writes.js';
import { inScope, planRegion, type RegionPlan } from '../core/zone-plan.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import { refusedChanges, type Route53Zone } from '../adapters/route53-zone.js';
import { type ContextOptions, loadRegionContexts, readShared } from './region-context.js';

export interface SyncDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly zone: Route53Zone;
  readonly nowSeconds: () => number;
  readonly maxWidth4?: number;
  readonly maxWidth6?: number;
  /** Regions read and planned per chunk of the optimistic path (default 100). */
  readonly chunkRegions?: number;
  /** What this process wrote lately (kept across calls): CREATEs of those rrsets go as UPSERT. */
  readonly recentWrites?: RecentWrites;
}

export interface SyncReport {
  regions: number;
  desiredRRSets: number;
  creates: number;
  upserts: number;
  deletes: number;
  batches: number;
  /** Requests Route 53 refused because the zone ran ahead of the plan, repaired and sent again. */
  refused: number;
  /** Milliseconds spent reading the table, planning, reading the zone, and writing it. */
  ms: { table: number; plan: number; readZone: number; writeZone: number };
  /** How often the zone had to be read (0 when the previous listings predicted it). */
  zoneReads: number;
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

async function currentInScope(zone: Route53Zone, cfg: ZoneConfig, plans: readonly RegionPlan[]): Promise<RRSet[]> {
  const roots = plans.flatMap((p) => p.scope.subtrees.map((s) => s.root));
  const names = plans.flatMap((p) => p.scope.names);
  const found = await zone.readNames(roots, names);
  return found.filter((r) => plans.some((p) => inScope(p.scope, r.name, cfg.zone)));
}

export interface SyncOptions {
  deadline?: number;
  /**
   * The previous versions of the listings the batch changed (keyed by listingId; undefined = did
   * not exist). With them the zone change is computed as plan(before) -> plan(now), without
   * reading the zone: Route 53 allows 10 requests/s per account and reads would spend most of
   * them. If the zone is not what plan(before) says (a redelivered batch, an earlier failure),
   * Route 53 rejects the exact CREATE/DELETE as a whole batch, and the sync falls back to reading
   * the zone. Drift that no request trips over is repaired by the scheduled reconcile.
   */
  previous?: ReadonlyMap<string, Listing | undefined>;
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

export async function syncRegions(deps: SyncDeps, changed: Iterable<Network>, opts: SyncOptions = {}): Promise<SyncReport> {
  const regions = coalesceRegions(changed);
  const ms = { table: 0, plan: 0, readZone: 0, writeZone: 0 };
  const report: SyncReport = { regions: regions.length, desiredRRSets: 0, creates: 0, upserts: 0, deletes: 0, batches: 0, refused: 0, ms, zoneReads: 0 };
  if (regions.length === 0) return report;
  const contextOptions = (previous?: ReadonlyMap<string, Listing | undefined>) => ({
    nowSeconds: deps.nowSeconds(),
    maxWidth4: deps.maxWidth4 ?? 8,
    maxWidth6: deps.maxWidth6 ?? 32,
    previous,
  });

  if (opts.previous) {
    try {
      await pipelinedSync(deps, regions, contextOptions(opts.previous), opts, report);
      return report;
    } catch (e) {
      if ((e as Error).name !== 'InvalidChangeBatch') throw e;
      // The zone is not what the previous listings planned: read it and diff against reality.
      // (Requests already accepted are part of reality: the diff below accounts for them.)
      report.fallbackReason = (e as Error).message.slice(0, 300);
    }
  }

  let t = performance.now();
  const lap = (k: keyof typeof ms) => {
    const now = performance.now();
    ms[k] += Math.round(now - t);
    t = now;
  };
  const contexts = await loadRegionContexts(deps.table, deps.cfg, regions, contextOptions());
  lap('table');
  const plans = regions.flatMap((r) => planRegion(deps.cfg, r, contexts.get(networkKey(r))!.now));
  const desired = new Map<string, RRSet>();
  for (const p of plans) for (const r of p.rrsets) desired.set(rrsetKey(r), r);
  report.desiredRRSets = desired.size;
  lap('plan');
  for (let attempt = 1; ; attempt++) {
    report.zoneReads++;
    const current = await currentInScope(deps.zone, deps.cfg, plans);
    const changes = diffRRSets(current, desired.values());
    lap('readZone');
    try {
      await applyChanges(deps.zone, changes, report, opts.deadline);
      lap('writeZone');
      return report;
    } catch (e) {
      // The zone moved under us (an out-of-band edit): read it again and re-plan the diff once.
      if ((e as Error).name !== 'InvalidChangeBatch' || attempt >= 2) throw e;
    }
  }
}

/**
 * The optimistic path: plan(before) -> plan(now) for chunks of regions, reading the next chunks
 * from the table while the changes of the earlier ones are sent. Requests are kept full: the last,
 * partly filled one of a chunk waits for the next chunk's changes. Throws InvalidChangeBatch when
 * Route 53 refuses a request that cannot be repaired (the zone is not what the plans assumed).
 *
 * New rrsets are CREATEd (half the cost of UPSERT) unless this process wrote them lately
 * (deps.recentWrites): only those are likely to exist already, written by a batch planned from a
 * table that ran ahead of the stream. Any other refusal is repaired and sent again.
 */
async function pipelinedSync(
  deps: SyncDeps,
  regions: readonly Network[],
  contextOptions: ContextOptions,
  opts: SyncOptions,
  report: SyncReport,
): Promise<void> {
  // The census and the wide partition once for all chunks (the chunks' reads start after them).
  contextOptions = { ...contextOptions, shared: await readShared(deps.table, contextOptions.maxWidth4) };
  const chunks: Network[][] = [];
  const size = deps.chunkRegions ?? CHUNK_REGIONS;
  for (let i = 0; i < regions.length; i += size) chunks.push(regions.slice(i, i + size));
  const read = async (chunk: readonly Network[]) => {
    const t0 = performance.now();
    const contexts = await loadRegionContexts(deps.table, deps.cfg, chunk, contextOptions);
    const t1 = performance.now();
    const desired: RRSet[] = [];
    const assumed: RRSet[] = [];
    for (const r of chunk) {
      const c = contexts.get(networkKey(r))!;
      for (const p of planRegion(deps.cfg, r, c.now)) desired.push(...p.rrsets);
      for (const p of planRegion(deps.cfg, r, c.before!)) assumed.push(...p.rrsets);
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
    for (const b of batches) {
      await applyBatch(deps.zone, b, report, opts.deadline, 0);
      deps.recentWrites?.record(b);
    }
    report.ms.writeZone += Math.round(performance.now() - t0);
  };
  fill();
  while (ahead.length > 0) {
    const chunk = await ahead.shift()!;
    fill();
    for (const r of chunk.desired) desiredKeys.add(rrsetKey(r));
    const recent = deps.recentWrites;
    pending.push(...diff.next(chunk.assumed, chunk.desired, recent && ((r) => recent.has(r))));
    const batches = packBatches(pending);
    // All but the last request are full; the last waits for the next chunk's changes, if any.
    pending = ahead.length > 0 ? (batches.pop() ?? []) : [];
    await send(batches);
  }
  report.desiredRRSets = desiredKeys.size;
}

export async function applyChanges(
  zone: Route53Zone,
  changes: readonly Change[],
  report: Pick<SyncReport, 'creates' | 'upserts' | 'deletes' | 'batches' | 'refused'>,
  deadline?: number,
): Promise<void> {
  for (const batch of packBatches(changes)) await applyBatch(zone, batch, report, deadline, 0);
}

/**
 * Sends one request. If Route 53 refuses it only because an rrset to create exists or one to
 * delete is gone (the zone ran ahead of the assumption, e.g. an earlier batch planned from a newer
 * table), the request is repaired and sent again; anything else goes to the caller.
 */
async function applyBatch(
  zone: Route53Zone,
  batch: readonly Change[],
  report: Pick<SyncReport, 'creates' | 'upserts' | 'deletes' | 'batches' | 'refused'>,
  deadline: number | undefined,
  depth: number,
): Promise<void> {
  try {
    await zone.apply(batch, { deadline });
  } catch (e) {
    const repaired = (e as Error).name === 'InvalidChangeBatch' && depth < 3 ? repairRefused(batch, refusedChanges((e as Error).message)) : undefined;
    if (!repaired) throw e;
    report.refused++;
    for (const b of packBatches(repaired)) await applyBatch(zone, b, report, deadline, depth + 1);
    return;
  }
  report.batches++;
  for (const c of batch) {
    if (c.action === 'CREATE') report.creates++;
    else if (c.action === 'UPSERT') report.upserts++;
    else report.deletes++;
  }
}
