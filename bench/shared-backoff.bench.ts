// Benchmark: the per-client back-off shared across containers (lambdas/public/shared-limiter.ts)
// on DynamoDB Local.
//
//   npx tsx bench/shared-backoff.bench.ts [--requests=2000] [--containers=4]
//
// 1. What a limiter decision costs: the in-process bucket alone; the shared limiter on its steady
//    path (client seen before, bucket above half: no I/O); at a client's first sight (one read);
//    on a violation (one read, one write).
// 2. One client flooding `containers` containers round-robin at 100 requests/s (a simulated clock,
//    production look-up limits: burst 30, 1/s, block 1 s doubling): how many of its requests are
//    served with per-container back-off only and with the shared back-off, while a well-behaved
//    client (1 request/s) is always answered; and the store calls per request.
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ClientBackoffTable } from '../lambdas/adapters/client-backoff-table.js';
import { type BackoffState, ClientLimiter, DEFAULT_PUBLIC_RULES, type RequestLimiter } from '../lambdas/public/rate-limit.js';
import { type BackoffStore, SharedClientLimiter } from '../lambdas/public/shared-limiter.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { numberArg } from './bench-zones.js';

const REQUESTS = numberArg('requests', 2000);
const CONTAINERS = numberArg('containers', 4);

class Counted implements BackoffStore {
  reads = 0;
  writes = 0;
  constructor(private readonly inner: BackoffStore) {}
  read(kind: string, client: string) {
    this.reads++;
    return this.inner.read(kind, client);
  }
  write(kind: string, client: string, s: BackoffState, exp: number) {
    this.writes++;
    return this.inner.write(kind, client, s, exp);
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);

async function timeIt(label: string, n: number, f: (i: number) => Promise<unknown> | unknown): Promise<void> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f(i);
    t.push(performance.now() - s);
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  console.log(`  ${label.padEnd(46)} p50 ${fmt(pct(t, 50)).padStart(9)}   p99 ${fmt(pct(t, 99)).padStart(9)}`);
}

async function main(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  const names = { listings: `bench-l-${randomUUID().slice(0, 6)}`, journal: `bench-j-${randomUUID().slice(0, 6)}` };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const table = new ClientBackoffTable(doc, names.journal);
  try {
    console.log(`limiter decision cost (${REQUESTS} decisions each, DynamoDB Local):`);
    const local = new ClientLimiter({ rules: { lookup: { burst: 1e9, perSecond: 1 } } });
    await timeIt('in-process bucket only', REQUESTS, () => local.take('lookup', 'steady'));
    const shared = new SharedClientLimiter(new ClientLimiter({ rules: { lookup: { burst: 1e9, perSecond: 1 } } }), table);
    await shared.take('lookup', 'steady');
    await timeIt('shared, steady path (no I/O)', REQUESTS, () => shared.take('lookup', 'steady'));
    await timeIt('shared, first sight of a client (1 read)', REQUESTS, (i) => shared.take('lookup', `new-${i}`));
    let clock = 0;
    const flooded = new SharedClientLimiter(new ClientLimiter({ rules: { lookup: { burst: 1, perSecond: 1 } }, now: () => clock, maxBlockSeconds: 1 }), table);
    await timeIt('shared, violation (1 read + 1 write)', Math.min(REQUESTS, 500), async (i) => {
      clock += 2000; // the block (1 s) is over; the bucket holds one token
      await flooded.take('lookup', `v-${i % 50}`);
      await flooded.take('lookup', `v-${i % 50}`);
    });

    for (const scaleOut of [false, true]) {
    console.log(
      scaleOut
        ? `\nthe same, while the fleet scales out: a new container every 2 s, the flood going to the newest one (each a fresh bucket):`
        : `\none client flooding ${CONTAINERS} containers round-robin at 100 requests/s for ${REQUESTS / 100} s (look-ups: burst ${DEFAULT_PUBLIC_RULES.lookup.burst}, ${DEFAULT_PUBLIC_RULES.lookup.perSecond}/s):`,
    );
    for (const mode of ['per-container only', 'shared back-off'] as const) {
      let now = Date.parse('2030-01-01T00:00:00Z');
      const store = new Counted(table);
      const flooder = `flood-${randomUUID().slice(0, 6)}`;
      const container = (): RequestLimiter => {
        const l = new ClientLimiter({ rules: DEFAULT_PUBLIC_RULES, now: () => now });
        return mode === 'shared back-off' ? new SharedClientLimiter(l, store) : l;
      };
      const containers: RequestLimiter[] = Array.from({ length: scaleOut ? 1 : CONTAINERS }, container);
      const target = (i: number) => (scaleOut ? containers[containers.length - 1]! : containers[i % CONTAINERS]!);
      let served = 0;
      let goodServed = 0;
      let good = 0;
      for (let i = 0; i < REQUESTS; i++) {
        now += 10;
        if (scaleOut && i > 0 && i % 200 === 0) containers.push(container());
        if ((await target(i).take('lookup', flooder)).ok) served++;
        if (i % 100 === 0) {
          good++;
          if ((await containers[(i / 100) % containers.length]!.take('lookup', 'good')).ok) goodServed++;
        }
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      console.log(
        `  ${mode.padEnd(20)} containers ${String(containers.length).padStart(2)}   flooder served ${String(served).padStart(5)} of ${REQUESTS}   well-behaved client ${goodServed}/${good}   store: ${(store.reads / REQUESTS).toFixed(3)} reads, ${(store.writes / REQUESTS).toFixed(3)} writes per request`,
      );
    }
    }
  } finally {
    await ddb.stop();
  }
}

await main();
