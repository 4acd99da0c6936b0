// A reconcile pass in three steps, as the Step Functions workflow (lib/reconcile-workflow.ts) and
// the local runner (local/reconcile-runner.ts) run it:
//   plan   - count the table by network (a keys-only scan: memory O(networks' nodes), no listing
//            bodies), cut the zone into slices, find published rows without a listing, complete the
//            listings table's prefix census, set the apex SOA's negative TTL;
//   slice  - one slice at a time under the zone lock (reconcile-slice.ts);
//   finish - the pass report; after a full, not dry pass whose every slice succeeded, the
//            published table is marked seeded (and its census complete); recorded for `dnsbl
//            status` and emitted as metrics.
import { randomUUID } from 'node:crypto';
import { KeyDigestSet } from '../core/key-digest-set.js';
import { contains, type Network, networkKey, parseNetworkKey, supernet } from '../core/ip.js';
import { parseListableNetwork, type ZoneConfig } from '../core/listing.js';
import { ownsNetwork, planSlices, type ReconcileSlice, type SliceWeight, sliceReads, slicesWithin } from '../core/reconcile-slices.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import type { PublishedTable } from '../adapters/published-table.js';
import type { ReconcilePassRecord } from '../adapters/publisher-state.js';
import type { Route53Zone } from '../adapters/route53-zone.js';
import { MetricUnit, zoneMetricsDocument } from '../adapters/zone-metrics.js';
import { METRIC } from '../core/metric-names.js';
import type { SliceFigures } from './reconcile-slice.js';
import { soaWithNegativeTtl } from './reconcile.js';

/** Listings per slice (default): a slice's plan, zone range and published rows stay small. */
export const DEFAULT_SLICE_LISTINGS = 20_000;
/**
 * Orphan published rows carried in one pass (more are found by the next): the plan travels in the
 * workflow's state, which Step Functions caps at 256 KB.
 */
const MAX_ORPHANS = 500;

export interface PassSlice {
  index: number;
  slice: ReconcileSlice;
  /** Published rows with no listing in the table that this slice removes ({list, networkKey}). */
  orphans?: Array<{ list: string; network: string }>;
}

export interface PassPlan {
  passId: string;
  dryRun: boolean;
  /** The network the pass is limited to (as given), or undefined for the whole zone. */
  network?: string;
  startedAt: string;
  slices: PassSlice[];
  /** The published table was seeded before this pass. */
  seeded: boolean;
  /** Prefix lengths in the table (for the published census once seeded). */
  lengths: { 4: number[]; 6: number[] };
  soaUpdated: boolean;
  soaUnparsable: boolean;
  /** Why this pass does nothing (another pass is still running). */
  skipped?: string;
}

export interface RunningPassRecord {
  passId: string;
  startedAt: string;
  /** Set by every slice: a pass whose slices stopped (an aborted execution) is not running. */
  heartbeatAt?: string;
  finishedAt?: string;
}

/** The pass in progress, so that a scheduled start while one runs is skipped (journal STATE). */
export interface RunningPass {
  get(): Promise<RunningPassRecord | undefined>;
  set(v: RunningPassRecord): Promise<void>;
}

/** The journal STATE item naming the pass in progress. */
export const RUNNING_PASS_STATE = (zone: string) => `reconcile-running#${zone}`;

/**
 * A pass with no slice started for this long is not running any more (a slice's Lambda runs at
 * most 10 minutes, its retries wait at most ~75 s): an aborted execution blocks no later pass.
 */
export const PASS_STALE_MS = 30 * 60_000;

/** Marks a slice of the pass in progress (the heartbeat a later plan step checks). */
export async function touchRunningPass(running: RunningPass | undefined, passId: string): Promise<void> {
  const r = await running?.get();
  if (r && r.passId === passId && !r.finishedAt) await running!.set({ ...r, heartbeatAt: new Date().toISOString() });
}

export interface PassDeps {
  readonly running?: RunningPass;
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly published: PublishedTable;
  readonly zone: Route53Zone;
  readonly warn?: (message: string, detail: Record<string, unknown>) => void;
}

/** Environment the reconcile function reads (set by the construct). */
export const RECONCILE_ENV = {
  /** Route 53 reads per second reconcile may make (its share of the account's rate). */
  readRate: 'RECONCILE_READ_RATE',
  /** Listings per slice. */
  sliceListings: 'RECONCILE_SLICE_LISTINGS',
} as const;

/**
 * Route 53's account-wide rate for API requests (aws-limits.md: 10/s sustained since mid-2026,
 * 5/s before) and reconcile's default share of it: half, so stream-sync keeps the other half.
 */
export const ROUTE53_ACCOUNT_RATE = 10;
export const DEFAULT_RECONCILE_READ_SHARE = 0.5;

export function readRateFromEnv(env: NodeJS.ProcessEnv): number {
  const v = Number(env[RECONCILE_ENV.readRate]);
  return v > 0 ? v : ROUTE53_ACCOUNT_RATE * DEFAULT_RECONCILE_READ_SHARE;
}

/** Nodes the count is kept at: finer than this, splitting would not bound a slice much further. */
const WEIGHT_PREFIX = { 4: 24, 6: 48 } as const;

function lengthsAsNetworks(l: { 4: number[]; 6: number[] }): Array<Pick<Network, 'family' | 'prefix'>> {
  return [...l[4].map((prefix) => ({ family: 4 as const, prefix })), ...l[6].map((prefix) => ({ family: 6 as const, prefix }))];
}

/** The node a listing is counted at when cutting slices. */
export function weightNode(n: Network): Network {
  return n.prefix > WEIGHT_PREFIX[n.family] ? supernet(n, WEIGHT_PREFIX[n.family]) : n;
}

/** Parses an operator's network argument (the error names the value). */
export function parsePassNetwork(input: unknown): Network {
  return parseListableNetwork(input, 'network');
}

export async function planPass(
  deps: PassDeps,
  opts: { dryRun?: boolean; network?: string; sliceListings?: number; passId?: string; setSoa?: (ttl: number, value: string) => Promise<void> },
): Promise<PassPlan> {
  const startedAt = new Date().toISOString();
  const limit = opts.network !== undefined ? parsePassNetwork(opts.network) : undefined;
  const passId = opts.passId ?? randomUUID();
  // One pass at a time: a pass at 1M listings outlasts the schedule's interval (README).
  const running = await deps.running?.get();
  if (running && !running.finishedAt && Date.now() - Date.parse(running.heartbeatAt ?? running.startedAt) < PASS_STALE_MS && running.passId !== passId) {
    return { passId, dryRun: opts.dryRun === true, ...(opts.network !== undefined ? { network: opts.network } : {}), startedAt, slices: [], seeded: true, lengths: { 4: [], 6: [] }, soaUpdated: false, soaUnparsable: false, skipped: `pass ${running.passId} (started ${running.startedAt}) is still running` };
  }
  await deps.running?.set({ passId, startedAt });
  const known = new Set(deps.cfg.lists.map((l) => l.name));
  // Read the census before scanning: a scan that starts after every writer adds its lengths
  // completes it (reconcile.ts did the same with its full scan).
  const censusComplete = (await deps.table.prefixLengths())[4] !== undefined;
  const seeded = await deps.published.isSeeded();
  const weights = new Map<string, number>();
  // Every listing's key, for finding published rows without a listing: 8 bytes a key (a digest set).
  const ids = new KeyDigestSet();
  const lengths = { 4: new Set<number>(), 6: new Set<number>() };
  for await (const k of deps.table.scanKeys()) {
    const n = parseNetworkKey(k.nk);
    lengths[n.family].add(n.prefix);
    const key = networkKey(weightNode(n));
    weights.set(key, (weights.get(key) ?? 0) + 1);
    ids.add(`${k.list}#${k.nk}`);
  }
  if (!censusComplete && !opts.dryRun) {
    await deps.table.census.markComplete(lengthsAsNetworks({ 4: [...lengths[4]], 6: [...lengths[6]] }));
  }
  // Published rows whose listing is gone (or whose list is no longer configured).
  const orphans: Array<{ list: string; network: string }> = [];
  for await (const k of deps.published.scanKeys()) {
    if (orphans.length >= MAX_ORPHANS) break;
    if (!known.has(k.list) || !ids.has(`${k.list}#${k.nk}`)) orphans.push({ list: k.list, network: k.nk });
  }
  const w: SliceWeight[] = [...weights].map(([k, count]) => ({ network: parseNetworkKey(k), count }));
  let slices = planSlices(w, opts.sliceListings ?? DEFAULT_SLICE_LISTINGS);
  if (limit) slices = slicesWithin(slices, limit);
  const planned: PassSlice[] = slices.map((slice, index) => ({ index, slice }));
  const reads = slices.map((s) => sliceReads(s));
  for (const o of orphans) {
    const n = parseNetworkKey(o.network);
    if (limit && !contains(limit, n)) continue;
    const i = reads.findIndex((r) => ownsNetwork(r, n));
    if (i >= 0) (planned[i]!.orphans ??= []).push(o);
  }

  // The apex SOA's negative TTL (reconcile.ts): once a pass, first.
  let soaUpdated = false;
  let soaUnparsable = false;
  if (!limit) {
    const soa = await deps.zone.apexSoa();
    const wanted = soa && soaWithNegativeTtl(soa.value, deps.cfg.negativeTtl);
    if (!soa || !wanted) {
      soaUnparsable = true;
      deps.warn?.('apex SOA missing or unparsable; the negative TTL was not set', { soa: soa?.value ?? null });
    } else if (soa.ttl !== deps.cfg.negativeTtl || wanted !== soa.value.trim().split(/\s+/).join(' ')) {
      soaUpdated = true;
      if (!opts.dryRun) {
        if (!opts.setSoa) throw new Error('planPass needs setSoa to change the apex SOA');
        await opts.setSoa(deps.cfg.negativeTtl, wanted);
      }
    }
  }
  return {
    passId,
    dryRun: opts.dryRun === true,
    ...(opts.network !== undefined ? { network: opts.network } : {}),
    startedAt,
    slices: planned,
    seeded,
    lengths: { 4: [...lengths[4]].sort((a, b) => a - b), 6: [...lengths[6]].sort((a, b) => a - b) },
    soaUpdated,
    soaUnparsable,
  };
}

/** A slice's outcome as the workflow hands it to finish: its report, or why it failed. */
export type SliceOutcome = SliceFigures | { slice: string; failed: string };

export interface PassReport extends ReconcilePassRecord {
  failedSlices: number;
  failures: Array<{ slice: string; failed: string }>;
  listings: number;
  zoneReads: number;
  publishedDrift: number;
  /** Largest heap seen at a slice's end, MiB. */
  maxSliceHeapMiB: number;
  /** Longest slice, ms. */
  maxSliceMs: number;
  soaUpdated: boolean;
  soaUnparsable: boolean;
  /** This pass seeded the published table. */
  seededNow: boolean;
  skipped?: string;
}

function failed(o: SliceOutcome): o is { slice: string; failed: string } {
  return 'failed' in o;
}

export async function finishPass(
  deps: Pick<PassDeps, 'published' | 'running'> & { recordPass?: (r: ReconcilePassRecord) => Promise<void> },
  plan: PassPlan,
  outcomes: readonly SliceOutcome[],
): Promise<PassReport> {
  if (plan.skipped) {
    return { passId: plan.passId, startedAt: plan.startedAt, finishedAt: new Date().toISOString(), full: false, dryRun: plan.dryRun, slices: 0, rrsetsRead: 0, drift: 0, repaired: 0, durationMs: 0, failedSlices: 0, failures: [], listings: 0, zoneReads: 0, publishedDrift: 0, maxSliceHeapMiB: 0, maxSliceMs: 0, soaUpdated: false, soaUnparsable: false, seededNow: false, skipped: plan.skipped };
  }
  const ok = outcomes.filter((o): o is SliceFigures => !failed(o));
  const failures = outcomes.filter(failed);
  const full = plan.network === undefined;
  const complete = failures.length === 0 && ok.length === plan.slices.length;
  let seededNow = false;
  if (full && complete && !plan.dryRun && !plan.seeded) {
    // Every slice recorded its listings: the published table now equals the zone.
    await deps.published.census.markComplete(lengthsAsNetworks(plan.lengths));
    await deps.published.markSeeded();
    seededNow = true;
  }
  const finishedAt = new Date();
  const record: ReconcilePassRecord = {
    passId: plan.passId,
    startedAt: plan.startedAt,
    finishedAt: finishedAt.toISOString(),
    // Only a pass that completed every slice counts as a full pass (the "no full pass" alarm).
    full: full && complete,
    ...(plan.network !== undefined ? { network: plan.network } : {}),
    dryRun: plan.dryRun,
    slices: plan.slices.length,
    rrsetsRead: ok.reduce((n, r) => n + r.rrsetsRead, 0),
    drift: ok.reduce((n, r) => n + r.drift, 0),
    repaired: ok.reduce((n, r) => n + r.repaired, 0),
    durationMs: finishedAt.getTime() - Date.parse(plan.startedAt),
  };
  await deps.recordPass?.(record);
  await deps.running?.set({ passId: plan.passId, startedAt: plan.startedAt, finishedAt: record.finishedAt });
  return {
    ...record,
    failedSlices: failures.length + (plan.slices.length - outcomes.length),
    failures: failures.slice(0, 20),
    listings: ok.reduce((n, r) => n + r.listings, 0),
    zoneReads: ok.reduce((n, r) => n + r.zoneReads, 0),
    publishedDrift: ok.reduce((n, r) => n + r.publishedDrift, 0),
    maxSliceHeapMiB: Math.max(0, ...ok.map((r) => r.heapMiB)),
    maxSliceMs: Math.max(0, ...ok.map((r) => r.durationMs)),
    soaUpdated: plan.soaUpdated,
    soaUnparsable: plan.soaUnparsable,
    seededNow,
  };
}

/** CloudWatch embedded-metric lines for a pass (the DriftFound alarm and the full-pass age alarm read them). */
export function passMetrics(zone: string, r: PassReport): Record<string, unknown> {
  return zoneMetricsDocument(zone, [
    [METRIC.driftFound, MetricUnit.Count, r.drift],
    [METRIC.reconcileSlices, MetricUnit.Count, r.slices],
    [METRIC.reconcileRRSetsRead, MetricUnit.Count, r.rrsetsRead],
    [METRIC.reconcileRepaired, MetricUnit.Count, r.repaired],
    [METRIC.reconcileFailedSlices, MetricUnit.Count, r.failedSlices],
    [METRIC.reconcilePassDuration, MetricUnit.Milliseconds, r.durationMs],
    // Only a full, real pass counts for the "no full pass" alarm.
    [METRIC.reconcileFullPassCompleted, MetricUnit.Count, r.full && !r.dryRun ? 1 : undefined],
  ]);
}

