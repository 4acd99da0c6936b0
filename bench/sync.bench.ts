// Benchmark: bulk-import N listings (default 100,000) into DynamoDB Local and measure how long the
// stream handler takes to complete the zone in the Route 53 stand-in under Route 53's default
// throttle (50 burst, 10 requests/s), the API calls it needs, and how close the achieved record
// changes per second come to what the limits allow. Then the latency of single changes.
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { toItem } from '../lambdas/adapters/listing-item.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { Route53Zone } from '../lambdas/adapters/route53-zone.js';
import { ZoneLock } from '../lambdas/adapters/zone-lock.js';
import { MAX_ELEMENTS } from '../lambdas/core/change-batch.js';
import type { Listing, ZoneConfig } from '../lambdas/core/listing.js';
import { effectiveListings } from '../lambdas/core/semantics.js';
import { planZone } from '../lambdas/core/zone-plan.js';
import { createStreamSyncHandler } from '../lambdas/handlers/stream-sync.js';
import { reconcileZone } from '../lambdas/services/reconcile.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { createStreamPoller } from '../local/dynamodb/stream-poller.js';
import { startRoute53StandIn } from '../local/route53/index.js';
import { mixedListings } from './mixed-listings.js';

const N = Number(process.env.BENCH_SYNC_N ?? process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 100_000);
const BATCH = Number(process.env.BENCH_SYNC_BATCH ?? 1000);
const RATE = 10;
const cfg: ZoneConfig = {
  zone: 'bl.example.org',
  lists: [{ name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed: {reason} - see https://bl.example.org/lookup?ip={ip}' }],
  ttl: 300,
  negativeTtl: 300,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@example.org',
};

const ddb = await startDynamoDbLocal();
await ensureTables(ddb.client, { listings: 'listings', journal: 'journal' });
const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
const r53 = await startRoute53StandIn({ throttle: { burst: 50, ratePerSecond: RATE }, maxRRSetsPerZone: 100_000_000 } as never);
const zoneId = await r53.createZone(cfg.zone);
const route53 = new Route53Client({ endpoint: r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
const table = new ListingsTable(doc, 'listings');
const zone = new Route53Zone(route53, zoneId, cfg.zone);
await reconcileZone({ cfg, table, zone, nowSeconds: () => Date.now() / 1000 }); // test points, as at deploy
const handler = createStreamSyncHandler({ cfg, table, zone, nowSeconds: () => Date.now() / 1000, lock: new ZoneLock(doc, 'journal', cfg.zone) });
let invocations = 0;
const poller = createStreamPoller({
  endpoint: ddb.endpoint,
  tableName: 'listings',
  batchSize: BATCH,
  maximumBatchingWindowMs: Number(process.env.BENCH_SYNC_WINDOW_MS ?? 500),
  startingPosition: 'TRIM_HORIZON',
  maximumRetryAttempts: -1,
  handler: async (e) => {
    invocations++;
    return handler(e, { getRemainingTimeInMillis: () => 300_000 });
  },
});
await poller.start();

// Only hosts and aligned ranges: the figure is about throughput, not about split ranges.
const listings: Listing[] = [...mixedListings(N * 2, ['spam'], 7)].filter((l) => !l.exclusion && l.network.prefix % 8 === 0 && (l.network.family === 4 || l.network.prefix % 4 === 0)).slice(0, N);
const desired = [...planZone(cfg, effectiveListings(cfg, listings, Date.now() / 1000))];
const desiredValues = desired.reduce((n, r) => n + r.values.length, 0);
console.log(`bulk import of ${listings.length.toLocaleString()} listings -> ${desired.length.toLocaleString()} rrsets (${desiredValues.toLocaleString()} values)`);

const statsBefore = r53.stats();
const t0 = performance.now();
let written = 0;
const writer = async (slice: Listing[]) => {
  for (let i = 0; i < slice.length; i += 25) {
    let req: Record<string, unknown[]> | undefined = { listings: slice.slice(i, i + 25).map((l) => ({ PutRequest: { Item: toItem(l, 1) } })) };
    while (req && Object.keys(req).length > 0) {
      const r = await doc.send(new BatchWriteCommand({ RequestItems: req as never }));
      req = r.UnprocessedItems as Record<string, unknown[]> | undefined;
    }
    written += Math.min(25, slice.length - i);
  }
};
const parts = 8;
await Promise.all(Array.from({ length: parts }, (_, p) => writer(listings.filter((_, i) => i % parts === p))));
const tWritten = performance.now();
console.log(`  table writes done after ${((tWritten - t0) / 1000).toFixed(1)} s (${written.toLocaleString()} items)`);
await poller.idle();
const t1 = performance.now();
const after = r53.stats();
const seconds = (t1 - t0) / 1000;
const req = (op: string) => (after.requests[op] ?? 0) - (statsBefore.requests[op] ?? 0);
const changeCalls = req('ChangeResourceRecordSets');
const listCalls = req('ListResourceRecordSets');
const actual = r53.rrsets(zoneId).filter((r) => ['A', 'TXT', 'CAA'].includes(r.type)).length;
const minSeconds = desiredValues / MAX_ELEMENTS / RATE;
console.log(`  zone complete after ${seconds.toFixed(1)} s; rrsets in zone ${actual.toLocaleString()} (planned ${desired.length.toLocaleString()}: ${actual === desired.length ? 'equal' : 'DIFFERENT'})`);
console.log(`  handler invocations ${invocations}; Route 53 calls: ${changeCalls} ChangeResourceRecordSets + ${listCalls} ListResourceRecordSets; throttled ${after.throttled - statsBefore.throttled}`);
console.log(`  record changes/s achieved ${(desiredValues / seconds).toFixed(0)} vs ${MAX_ELEMENTS * RATE} the limits allow (1,000 values x ${RATE} req/s): ratio ${(desiredValues / seconds / (MAX_ELEMENTS * RATE)).toFixed(2)}`);
const minRequests = Math.ceil(desiredValues / MAX_ELEMENTS);
console.log(`  request packing: ${minRequests} requests would carry every value at 1,000 per request; sent ${changeCalls + listCalls} (ratio ${(minRequests / (changeCalls + listCalls)).toFixed(2)})`);
console.log(`  Route 53 phase alone: ${((t1 - tWritten) / 1000).toFixed(1)} s after the last write; lower bound from the limits ${minSeconds.toFixed(1)} s (ratio ${(minSeconds / ((t1 - t0) / 1000)).toFixed(2)} of the limit over the whole import)`);

// Single-change latency: table write -> change accepted by Route 53 (the stand-in applies at once).
const lat: number[] = [];
for (let i = 0; i < 20; i++) {
  const l: Listing = { list: 'spam', network: { family: 4, start: 0xcb007100n + BigInt(i), prefix: 32 }, reason: 'single', source: 'bench', createdAt: 'x', updatedAt: 'x', exclusion: false };
  const name = `${i}.113.0.203.${cfg.zone}.`;
  const s = performance.now();
  await table.put(l, null);
  while (!r53.rrsets(zoneId).some((r) => r.name === name)) await new Promise((r) => setTimeout(r, 5));
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
console.log(`single change latency (table write -> change accepted): p50 ${lat[10]!.toFixed(0)} ms, max ${lat[19]!.toFixed(0)} ms (goal < 2,000 ms)`);
await poller.stop();
await r53.close();
await ddb.stop();
