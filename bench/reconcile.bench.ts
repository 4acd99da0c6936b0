// Benchmark: a sliced reconcile pass (plan -> slices under the zone lock -> finish) over N listings
// (default 100,000, README's mix: bench/mixed-listings.ts) in DynamoDB Local and a zone in the
// Route 53 stand-in on its own thread with Route 53's default throttle (50 burst, 10 requests/s),
// reading at reconcile's default share (5 requests/s). The zone is filled first (as stream-sync
// would have left it), so the pass measures reading and checking; the published table is seeded
// by the pass (its first). Prints pass time, Route 53 reads, slices, time and heap per slice, and
// extrapolates to 1,000,000 listings from the per-slice figures (slices are bounded by listings,
// so a bigger table means more slices of the same size, not bigger ones).
//   npx tsx bench/reconcile.bench.ts [--n=100000] [--slice=20000] [--rate=5] [--dry]   (BENCH_RECONCILE_N)
import v8 from 'node:v8';
import vm from 'node:vm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { PublishedTable } from '../lambdas/adapters/published-table.js';
import { RequestPacer } from '../lambdas/adapters/request-pacer.js';
import { ROUTE53_CLIENT_CONFIG, Route53Zone } from '../lambdas/adapters/route53-zone.js';
import { SyncIntent } from '../lambdas/adapters/sync-intent.js';
import { ZoneLock } from '../lambdas/adapters/zone-lock.js';
import { diffRRSets, packBatches } from '../lambdas/core/change-batch.js';
import type { Listing, ZoneConfig } from '../lambdas/core/listing.js';
import { effectiveListings } from '../lambdas/core/semantics.js';
import { planZone } from '../lambdas/core/zone-plan.js';
import { networkKey, parseNetworkKey } from '../lambdas/core/ip.js';
import { planSlices } from '../lambdas/core/reconcile-slices.js';
import { DEFAULT_SLICE_LISTINGS, type SliceOutcome, weightNode } from '../lambdas/services/reconcile-pass.js';
import { inProcessSteps, runPass } from '../lambdas/services/reconcile-runner.js';
import type { SliceReport } from '../lambdas/services/reconcile-slice.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { mixedListings } from './mixed-listings.js';
import { startRoute53Worker } from './route53-worker.js';
import { ONE_LIST_ZONE, numberArg } from './bench-zones.js';

const cfg: ZoneConfig = ONE_LIST_ZONE;

const arg = numberArg;
const N = arg('n', Number(process.env.BENCH_RECONCILE_N ?? 100_000));
// A collection before each slice, so that its peak heap is its own (not the zone fill's garbage).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const SLICE = arg('slice', DEFAULT_SLICE_LISTINGS);
const RATE = arg('rate', 5);
const DRY = process.argv.includes('--dry');
const ACCOUNT_RATE = 10;

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const secs = (ms: number) => (ms / 1000).toFixed(1);

const ddb = await startDynamoDbLocal();
const r53 = await startRoute53Worker({ throttle: { burst: 50, ratePerSecond: ACCOUNT_RATE }, maxRRSetsPerZone: 100_000_000 });
try {
  const names = { listings: 'bench-listings', journal: 'bench-journal', published: 'bench-published' };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const table = new ListingsTable(doc, names.listings);
  const published = new PublishedTable(doc, names.published);
  const zoneId = await r53.createZone(cfg.zone);
  const client = new Route53Client({ endpoint: r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, ...ROUTE53_CLIENT_CONFIG, requestHandler: { ...ROUTE53_CLIENT_CONFIG.requestHandler, requestTimeout: 30_000 } });

  console.log(`reconcile bench: ${N.toLocaleString()} listings, slices of <= ${SLICE.toLocaleString()} listings, reads at ${RATE}/s of the stand-in's ${ACCOUNT_RATE}/s${DRY ? ', dry run' : ''}`);
  let t = Date.now();
  const listings: Listing[] = [...mixedListings(N, ['spam'])];
  await table.putMany(listings, 16);
  console.log(`  table filled in ${secs(Date.now() - t)} s`);
  t = Date.now();
  const filler = new Route53Zone(client, zoneId, cfg.zone);
  let planned = [...planZone(cfg, effectiveListings(cfg, listings, Date.now() / 1000))];
  const rrsets = planned.length;
  for (const batch of packBatches(diffRRSets([], planned))) await filler.apply(batch);
  planned = [];
  console.log(`  zone filled in ${secs(Date.now() - t)} s: ${rrsets.toLocaleString()} rrsets (${(rrsets / N).toFixed(2)} per listing)`);
  listings.length = 0;

  const zone = new Route53Zone(client, zoneId, cfg.zone, { readPacer: new RequestPacer(RATE) });
  const deps = {
    cfg, table, published, zone,
    intent: new SyncIntent(doc, names.journal, cfg.zone),
    nowSeconds: () => Date.now() / 1000,
    lock: () => new ZoneLock(doc, names.journal, cfg.zone),
  };
  const steps = inProcessSteps(deps, { dryRun: DRY, sliceListings: SLICE });
  // Peak heap during each slice, sampled.
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
  const perSlice: Array<SliceReport & { peak: number }> = [];
  let planMs = 0;
  const started = Date.now();
  const report = await runPass({
    plan: async () => {
      const p0 = Date.now();
      const p = await steps.plan();
      planMs = Date.now() - p0;
      console.log(`  plan: ${p.slices.length} slices in ${secs(planMs)} s`);
      return p;
    },
    slice: async (plan, ps) => {
      gc();
      peak = process.memoryUsage().heapUsed;
      const r = await steps.slice(plan, ps);
      perSlice.push({ ...r, peak });
      return r;
    },
    finish: (plan, outcomes: SliceOutcome[]) => steps.finish(plan, outcomes),
    onSlice: (o, done, of) => {
      if (done % 10 === 0 || done === of) process.stdout.write(`  ${done}/${of} slices, ${secs(Date.now() - started)} s\r`);
      if ('failed' in o) console.log(`\n  slice failed: ${o.slice}: ${o.failed}`);
    },
  });
  clearInterval(sampler);
  const wall = Date.now() - started;
  const slices = perSlice.length;
  const maxPeak = Math.max(...perSlice.map((s) => s.peak));
  const maxListings = Math.max(...perSlice.map((s) => s.listings));
  const maxRRSets = Math.max(...perSlice.map((s) => s.rrsetsRead));
  const sliceMs = perSlice.map((s) => s.durationMs).sort((a, b) => a - b);
  console.log('');
  console.log(`  pass: ${secs(wall)} s (plan ${secs(planMs)} s), ${slices} slices, ${report.failedSlices} failed`);
  console.log(`  Route 53: ${report.zoneReads.toLocaleString()} ListResourceRecordSets requests (${(report.zoneReads / (wall / 1000)).toFixed(2)}/s), ${report.rrsetsRead.toLocaleString()} rrsets read; drift ${report.drift}, repaired ${report.repaired}`);
  console.log(`  published table: ${report.publishedDrift.toLocaleString()} rows written (first pass seeds it)`);
  console.log(`  per slice: listings <= ${maxListings.toLocaleString()}, rrsets <= ${maxRRSets.toLocaleString()}, time median ${secs(sliceMs[Math.floor(slices / 2)]!)} s / max ${secs(sliceMs.at(-1)!)} s, peak heap <= ${mib(maxPeak)} MiB (process, sampled)`);
  // Extrapolation to 1M: the slices a 1M-listing table is cut into (planned from its weights, as
  // the plan step does), the rrsets scaled by 1M/N, each slice's fixed reads (its range's first
  // page, the self names) as measured here; reads at RATE/s, the rest (DynamoDB) scaled with N.
  const weights = new Map<string, number>();
  for (const l of mixedListings(1_000_000, ['spam'])) {
    const k = networkKey(weightNode(l.network));
    weights.set(k, (weights.get(k) ?? 0) + 1);
  }
  const slices1M = planSlices([...weights].map(([k, count]) => ({ network: parseNetworkKey(k), count })), SLICE).length;
  const perSliceReads = Math.max(0, (report.zoneReads - report.rrsetsRead / 300) / slices);
  const other = Math.max(0, (wall - planMs) / 1000 - report.zoneReads / RATE);
  for (const [label, n, sl] of [['measured', N, slices], ['at 1M   ', 1_000_000, slices1M]] as const) {
    const scale = n / N;
    const reads = (report.rrsetsRead * scale) / 300 + perSliceReads * sl;
    const pass = reads / RATE + (planMs / 1000) * scale + other * scale;
    console.log(`  ${label} ${sl} slices, ~${Math.round(reads).toLocaleString()} reads, ~${(pass / 60).toFixed(0)} min a pass at ${RATE} reads/s (reads alone: ${(reads / RATE / 60).toFixed(0)} min; ${(reads / ACCOUNT_RATE / 60).toFixed(0)} min at the whole ${ACCOUNT_RATE}/s)`);
  }
} finally {
  await r53.close();
  await ddb.stop();
}
