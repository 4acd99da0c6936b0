// Benchmark: what the quota guard adds to an API write. The same writes through the API handler
// with and without the guard, on DynamoDB Local (seeded with a mixed table) and the Route 53
// stand-in; the guard reads GetHostedZoneLimit at most every 30 s, so a write pays for planning
// its regions before and after (reads of the table) and, once per 30 s, one Route 53 request.
//
//   npx tsx bench/quota-guard.bench.ts [--seed-listings=5000] [--singles=200] [--batches=5]
//
// Figures on a 2-core machine are dominated by DynamoDB Local; compare the two columns.
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Journal } from '../lambdas/adapters/journal.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { Route53Quota } from '../lambdas/adapters/route53-quota.js';
import { ROUTE53_CLIENT_CONFIG } from '../lambdas/adapters/route53-zone.js';
import { formatNetwork } from '../lambdas/core/ip.js';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { createApiHandler } from '../lambdas/handlers/api.js';
import { QuotaGuard } from '../lambdas/services/quota-guard.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { startRoute53StandIn } from '../local/route53/index.js';
import { mixedListings } from './mixed-listings.js';
import { TWO_LIST_ZONE, numberArg } from './bench-zones.js';

const CFG: ZoneConfig = TWO_LIST_ZONE;

const arg = numberArg;
const SEED = arg('seed-listings', 5000);
const SINGLES = arg('singles', 200);
const BATCHES = arg('batches', 5);


const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  const r53 = await startRoute53StandIn({ maxRRSetsPerZone: 10_000_000 });
  try {
    await ensureTables(ddb.client, { listings: 'listings', journal: 'journal' });
    const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
    const table = new ListingsTable(doc, 'listings');
    const journal = new Journal(doc, 'journal');
    const all = [...mixedListings(SEED + SINGLES * 2 + BATCHES * 2 * 1000, ['spam', 'proxy'], 7)];
    const seed = all.slice(0, SEED);
    let next = SEED;
    const take = (n: number) => all.slice(next, (next += n));
    process.stdout.write(`seeding ${SEED} listings ... `);
    await table.putMany(seed);
    console.log('done');
    const zoneId = await r53.createZone(CFG.zone);
    const route53 = new Route53Client({ endpoint: r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, ...ROUTE53_CLIENT_CONFIG });
    const base = { cfg: CFG, table, journal, log: { error: (m: string, e: unknown) => console.error(m, e) } };
    const plain = createApiHandler(base);
    const guarded = createApiHandler({ ...base, quotaGuard: new QuotaGuard(new Route53Quota(route53, zoneId)) });
    const post = async (h: typeof plain, items: ReturnType<typeof take>) => {
      const body = JSON.stringify({ items: items.map((l) => ({ list: l.list, network: formatNetwork(l.network), reason: 'bench', allowReserved: true })) });
      const event = { httpMethod: 'POST', path: '/v1/listings', headers: { 'content-type': 'application/json' }, body, requestContext: { identity: { userArn: 'bench' } } } as unknown as APIGatewayProxyEvent;
      const t0 = performance.now();
      const r = await h(event);
      const ms = performance.now() - t0;
      if (r.statusCode !== 200) throw new Error(`write answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
      return ms;
    };
    // Warm both (first quota read, JIT).
    await post(plain, take(1));
    await post(guarded, take(1));
    const single = { plain: [] as number[], guarded: [] as number[] };
    for (let i = 0; i < SINGLES; i++) {
      single.plain.push(await post(plain, take(1)));
      single.guarded.push(await post(guarded, take(1)));
    }
    const batch = { plain: [] as number[], guarded: [] as number[] };
    for (let i = 0; i < BATCHES; i++) {
      batch.plain.push(await post(plain, take(1000)));
      batch.guarded.push(await post(guarded, take(1000)));
    }
    route53.destroy();
    const row = (label: string, xs: { plain: number[]; guarded: number[] }) => {
      const [p50, g50, p99, g99] = [pct(xs.plain, 50), pct(xs.guarded, 50), pct(xs.plain, 99), pct(xs.guarded, 99)];
      console.log(`${label.padEnd(22)} ${p50.toFixed(1).padStart(8)} ${g50.toFixed(1).padStart(8)} ${(g50 - p50).toFixed(1).padStart(8)}   ${p99.toFixed(1).padStart(8)} ${g99.toFixed(1).padStart(8)}`);
    };
    console.log(`\nAPI write latency, ms (table seeded with ${SEED} mixed listings; GetHostedZoneLimit cached 30 s)`);
    console.log(`${''.padEnd(22)} ${'p50 off'.padStart(8)} ${'p50 on'.padStart(8)} ${'added'.padStart(8)}   ${'p99 off'.padStart(8)} ${'p99 on'.padStart(8)}`);
    row(`1 item x ${SINGLES}`, single);
    row(`1,000 items x ${BATCHES}`, batch);
  } finally {
    await r53.close();
    await ddb.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
