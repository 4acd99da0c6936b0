// Benchmark: bulk-import N listings (default 100,000) into DynamoDB Local and measure how long the
// stream handler takes to complete the zone in the Route 53 stand-in under Route 53's default
// throttle (50 burst, 10 requests/s), the API calls it needs, and how close the achieved record
// changes per second come to what the limits allow. The same backlog again into a stand-in that
// injects connection resets and timeouts (before and after the operation) at 1 in 200 requests
// (BENCH_SYNC_FAULT_ONE_IN; BENCH_SYNC_FAULT_SEED), next to the fault-free figure. Then the
// latency of single changes. The Route 53 client is built as the Lambdas build it
// (ROUTE53_CLIENT_CONFIG: a hung request fails after its request timeout; BENCH_SYNC_TIMEOUT_MS
// overrides it).
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Journal } from '../lambdas/adapters/journal.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { sdkLogger } from '../lambdas/adapters/sdk-logger.js';
import { ROUTE53_CLIENT_CONFIG, Route53Zone } from '../lambdas/adapters/route53-zone.js';
import { ZoneLock } from '../lambdas/adapters/zone-lock.js';
import { PublishedTable } from '../lambdas/adapters/published-table.js';
import { SyncIntent } from '../lambdas/adapters/sync-intent.js';
import { diffRRSets, packBatches } from '../lambdas/core/change-batch.js';
import type { Listing, ZoneConfig } from '../lambdas/core/listing.js';
import { effectiveListings } from '../lambdas/core/semantics.js';
import { planZone } from '../lambdas/core/zone-plan.js';
import { createStreamSyncHandler } from '../lambdas/handlers/stream-sync.js';
import { STREAM_BATCH_SIZE, STREAM_BATCHING_WINDOW_MS } from '../lambdas/services/zone-sync.js';
import { reconcileZone } from '../lambdas/services/reconcile.js';
import { sweepExpired } from '../lambdas/services/sweeper.js';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { createStreamPoller, type StreamPoller } from '../local/dynamodb/stream-poller.js';
import type { Route53StandInOptions } from '../local/route53/index.js';
import { type Route53Worker, startRoute53Worker } from './route53-worker.js';
import { mixedListings } from './mixed-listings.js';
import { ONE_LIST_ZONE, numberArg } from './bench-zones.js';

const cfg: ZoneConfig = ONE_LIST_ZONE;

const N = Number(process.env.BENCH_SYNC_N ?? numberArg('n', 100_000));
const BATCH = Number(process.env.BENCH_SYNC_BATCH ?? STREAM_BATCH_SIZE);
const RATE = 10;
const BURST = 50;

const ddb = await startDynamoDbLocal();
const requestTimeout = Number(process.env.BENCH_SYNC_TIMEOUT_MS ?? ROUTE53_CLIENT_CONFIG.requestHandler.requestTimeout);

/** One deployment: its own tables, Route 53 stand-in (on its own thread) and stream handler. */
interface Env {
  r53: Route53Worker;
  zoneId: string;
  table: ListingsTable;
  zone: Route53Zone;
  makePoller: () => StreamPoller;
  poller?: StreamPoller;
  /** Listings imported so far (the zone's plan). */
  imported: Listing[];
  invocations: number;
}

async function environment(suffix: string, r53Options: Route53StandInOptions = {}, db: DynamoDbLocal = ddb): Promise<Env> {
  const doc = DynamoDBDocumentClient.from(db.client, { marshallOptions: { removeUndefinedValues: true } });
  const names = { listings: `listings${suffix}`, journal: `journal${suffix}`, published: `published${suffix}` };
  await ensureTables(db.client, names);
  const r53 = await startRoute53Worker({ throttle: { burst: BURST, ratePerSecond: RATE }, maxRRSetsPerZone: 100_000_000, ...r53Options });
  const zoneId = await r53.createZone(cfg.zone);
  const route53 = new Route53Client({
    endpoint: r53.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    ...ROUTE53_CLIENT_CONFIG,
    requestHandler: { ...ROUTE53_CLIENT_CONFIG.requestHandler, requestTimeout },
    logger: sdkLogger,
  });
  const table = new ListingsTable(doc, names.listings);
  const zone = new Route53Zone(route53, zoneId, cfg.zone);
  const published = new PublishedTable(doc, names.published);
  const intent = new SyncIntent(doc, names.journal, cfg.zone);
  await reconcileZone({ cfg, table, published, intent, zone, nowSeconds: () => Date.now() / 1000 }); // test points, as at deploy
  const handler = createStreamSyncHandler({ cfg, table, published, intent, zone, nowSeconds: () => Date.now() / 1000, lock: new ZoneLock(doc, names.journal, cfg.zone) });
  const env: Env = {
    r53,
    zoneId,
    table,
    zone,
    imported: [],
    invocations: 0,
    makePoller: () =>
      createStreamPoller({
        endpoint: db.endpoint,
        tableName: names.listings,
        batchSize: BATCH,
        maximumBatchingWindowMs: Number(process.env.BENCH_SYNC_WINDOW_MS ?? STREAM_BATCHING_WINDOW_MS),
        startingPosition: 'TRIM_HORIZON',
        maximumRetryAttempts: -1,
        handler: async (e) => {
          env.invocations++;
          const t = performance.now();
          try {
            return await handler(e, { getRemainingTimeInMillis: () => 300_000 });
          } finally {
            if (process.env.BENCH_TRACE) console.log(`TRACE start ${t.toFixed(0)} end ${performance.now().toFixed(0)} records ${e.Records.length}`);
          }
        },
      }),
  };
  return env;
}

// Only hosts and aligned ranges: the figure is about throughput, not about split ranges.
const pick = (seed: number): Listing[] =>
  [...mixedListings(N * 2, ['spam'], seed)].filter((l) => !l.exclusion && l.network.prefix % 8 === 0 && (l.network.family === 4 || l.network.prefix % 4 === 0)).slice(0, N);
const planOf = (ls: Listing[]) => [...planZone(cfg, effectiveListings(cfg, ls, Date.now() / 1000))];

/** Imports `listings`, waits until the zone is complete and reports; returns the ratio to the limits and the seconds. */
const importAndSync = async (env: Env, label: string, listings: Listing[], mode: 'drain' | 'live'): Promise<{ ratio: number; seconds: number }> => {
  const { r53, table, imported, zoneId } = env;
  // What the limits allow: the fewest requests that carry this change (both per-request limits,
  // 1,000 values and 32,000 characters), sent at 10/s after the 50-request burst.
  const changes = diffRRSets(planOf(imported), planOf([...imported, ...listings]));
  const values = changes.reduce((n, c) => n + c.rrset.values.length * (c.action === 'UPSERT' ? 2 : 1), 0);
  const fewest = packBatches(changes).length;
  const boundSeconds = Math.max(0, fewest - BURST) / RATE;
  console.log(`${label}: ${listings.length.toLocaleString()} listings -> ${changes.length.toLocaleString()} rrset changes (${values.toLocaleString()} values); the limits allow it in ${fewest} requests = ${boundSeconds.toFixed(1)} s at ${RATE}/s after a burst of ${BURST}`);
  const statsBefore = await r53.stats();
  const invocationsBefore = env.invocations;
  const retriesBefore = { ...env.zone.stats.retriesByCause };
  const parts = 8;
  const slices = Array.from({ length: parts }, (_, p) => listings.filter((_, i) => i % parts === p));
  // One poller for the whole run (a second one would re-read the stream from its start).
  if (mode === 'live' && !env.poller) {
    env.poller = env.makePoller();
    await env.poller.start();
  }
  const t0 = performance.now();
  const cpuAtStart = machineCpu();
  await Promise.all(slices.map((slice) => table.putMany(slice, 2)));
  const tWritten = performance.now();
  console.log(`  table writes done after ${((tWritten - t0) / 1000).toFixed(1)} s`);
  const tSync = mode === 'live' ? t0 : performance.now();
  const cpuAtSync = mode === 'live' ? cpuAtStart : machineCpu();
  if (!env.poller) {
    env.poller = env.makePoller();
    await env.poller.start();
  }
  await env.poller.idle();
  const t1 = performance.now();
  const cpu = machineCpu();
  imported.push(...listings);
  const after = await r53.stats();
  const seconds = (t1 - tSync) / 1000;
  const req = (op: string) => (after.requests[op] ?? 0) - (statsBefore.requests[op] ?? 0);
  const changeCalls = req('ChangeResourceRecordSets');
  const listCalls = req('ListResourceRecordSets');
  const zoneRRSets = (await r53.rrsets(zoneId)).length;
  const planned = planOf(imported).length;
  const since = mode === 'live' ? 'the first table write' : 'the stream handler started on the imported backlog';
  console.log(`  zone complete ${seconds.toFixed(1)} s after ${since}; rrsets in zone ${zoneRRSets.toLocaleString()} (planned ${planned.toLocaleString()}: ${zoneRRSets === planned ? 'equal' : 'DIFFERENT'})`);
  console.log(`  handler invocations ${env.invocations - invocationsBefore}; Route 53 calls: ${changeCalls} ChangeResourceRecordSets (fewest possible ${fewest}) + ${listCalls} ListResourceRecordSets; throttled ${after.throttled - statsBefore.throttled}`);
  const retries = Object.entries(env.zone.stats.retriesByCause)
    .map(([cause, n]) => [cause, n - (retriesBefore[cause] ?? 0)] as const)
    .filter(([, n]) => n > 0);
  if (retries.length > 0) console.log(`  retries by cause: ${retries.map(([cause, n]) => `${cause} ${n}`).join(', ')}`);
  const busy = (cpu.busy - cpuAtSync.busy) / (cpu.busy - cpuAtSync.busy + cpu.idle - cpuAtSync.idle);
  console.log(`  machine CPU busy meanwhile: ${(busy * 100).toFixed(0)}% of ${availableParallelism()} cores (DynamoDB Local, the stand-in, the handler and the poller share them)`);
  console.log(`  record changes/s achieved ${(values / seconds).toFixed(0)}; the limits allow ${(values / boundSeconds).toFixed(0)}: ratio ${(boundSeconds / seconds).toFixed(2)} (goal >= 0.9)`);
  // The same without the burst's head start: 10 full requests a second.
  const steady = (values / fewest) * RATE;
  console.log(`  steady state (no burst): the limits allow ${steady.toFixed(0)} changes/s (${RATE} requests/s x ${(values / fewest).toFixed(0)} changes a request): ratio ${(values / seconds / steady).toFixed(2)}`);
  return { ratio: boundSeconds / seconds, seconds };
};

/** Busy and idle jiffies of the whole machine (/proc/stat), to tell a CPU-bound run. */
function machineCpu(): { busy: number; idle: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: f.reduce((a, b) => a + b, 0) - idle, idle };
}

const main = await environment('');
const modes = (process.env.BENCH_SYNC_MODES ?? 'backlog,faults,expiry,live').split(',');
let faultFree: { ratio: number; seconds: number } | undefined;
if (modes.includes('backlog')) faultFree = await importAndSync(main, 'backlog (import, then sync)', pick(7), 'drain');
if (modes.includes('faults')) {
  // The same backlog into a fresh deployment whose Route 53 resets or times out 1 in N requests,
  // before or after applying them (a retried CREATE batch that was applied is then refused).
  const oneIn = Number(process.env.BENCH_SYNC_FAULT_ONE_IN ?? 200);
  const seed = Number(process.env.BENCH_SYNC_FAULT_SEED ?? 1);
  // Its own DynamoDB Local: in the first one, a second table's 30,000-item import after the first
  // backlog did not finish in 5 minutes (DynamoDB Local, not the sync).
  const faultyDb = await startDynamoDbLocal();
  const faulty = await environment('-faults', { faults: { random: { oneIn, seed } } }, faultyDb);
  const withFaults = await importAndSync(faulty, `backlog with faults (resets and timeouts, before and after applying, 1 in ${oneIn} requests, seed ${seed}; request timeout ${requestTimeout} ms)`, pick(7), 'drain');
  const vs = faultFree
    ? `fault-free ${faultFree.ratio.toFixed(2)} (${faultFree.seconds.toFixed(1)} s): ${((faultFree.seconds / withFaults.seconds) * 100).toFixed(0)}% of its speed (bar: >= 90%)`
    : 'fault-free backlog not run';
  console.log(`  ratio to the limits with faults ${withFaults.ratio.toFixed(2)} (${withFaults.seconds.toFixed(1)} s); ${vs}`);
  await faulty.poller?.stop();
  await faulty.r53.close();
  await faultyDb.stop();
}
if (modes.includes('live')) await importAndSync(main, 'live (sync while importing)', pick(8), 'live');
if (modes.includes('expiry')) {
  // A mass expiry: every listing imported by the backlog run ends at once (a trap feed's hold). The
  // sweeper deletes them in transactions (its clock set past the expiry), the stream carries the
  // deletions to the zone: how long until the zone holds none of them.
  const gone = main.imported.length;
  const t0 = performance.now();
  const future = Date.now() / 1000 + 86_400;
  const expiring = main.imported.map((l) => ({ ...l, expiresAt: Math.floor(future) }));
  await Promise.all(Array.from({ length: 8 }, (_, p) => main.table.putMany(expiring.filter((_, i) => i % 8 === p), 2)));
  if (!main.poller) {
    main.poller = main.makePoller();
    await main.poller.start();
  }
  await main.poller.idle(); // the expiries themselves are MODIFY records: the zone is unchanged
  const statsBefore = await main.r53.stats();
  const tSweep = performance.now();
  const journal = new Journal(DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } }), 'journal');
  const swept = await sweepExpired({ table: main.table, journal, nowSeconds: () => future + 1 });
  const tSwept = performance.now();
  await main.poller.idle();
  const tZone = performance.now();
  const after = await main.r53.stats();
  const left = (await main.r53.rrsets(main.zoneId)).filter((r) => ['A', 'TXT', 'CAA'].includes(r.type)).length;
  main.imported.length = 0;
  const planned = planOf([]).length;
  console.log(`mass expiry of ${gone.toLocaleString()} listings (set up in ${((tSweep - t0) / 1000).toFixed(1)} s): sweeper ${((tSwept - tSweep) / 1000).toFixed(1)} s (${swept.expired.toLocaleString()} delisted in ${swept.transactions} transactions, ${(swept.expired / ((tSwept - tSweep) / 1000)).toFixed(0)} listings/s), zone without them ${((tZone - tSweep) / 1000).toFixed(1)} s after the sweep started; ${(after.requests.ChangeResourceRecordSets ?? 0) - (statsBefore.requests.ChangeResourceRecordSets ?? 0)} ChangeResourceRecordSets; rrsets left ${left} (planned ${planned}: ${left === planned ? 'equal' : 'DIFFERENT'})`);
}
if (!main.poller) {
  main.poller = main.makePoller();
  await main.poller.start();
}
const { r53, table } = main;

// Single-change latency: table write -> the change accepted by Route 53, seen as the stand-in's
// DNS answer (the stand-in answers from accepted changes at once: no propagation delay).
const resolver = new Resolver({ timeout: 1000, tries: 1 });
resolver.setServers([`127.0.0.1:${r53.dnsPort}`]);
const answers = (name: string) => resolver.resolve4(name).then((a) => a.length > 0, () => false);
const lat: number[] = [];
for (let i = 0; i < 20; i++) {
  const l: Listing = { list: 'spam', network: { family: 4, start: 0xcb007100n + BigInt(i), prefix: 32 }, reason: 'single', source: 'bench', createdAt: 'x', updatedAt: 'x', exclusion: false };
  const name = `${i}.113.0.203.${cfg.zone}`;
  const s = performance.now();
  await table.put(l, null);
  while (!(await answers(name))) await new Promise((r) => setTimeout(r, 5));
  lat.push(performance.now() - s);
  await new Promise((r) => setTimeout(r, 300)); // independent changes, not one batch
}
lat.sort((a, b) => a - b);
console.log(`single change latency (table write -> change accepted): p50 ${lat[10]!.toFixed(0)} ms, max ${lat[19]!.toFixed(0)} ms (goal < 2,000 ms)`);
await main.poller.stop();
await r53.close();
await ddb.stop();
