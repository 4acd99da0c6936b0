// Benchmark: the reconcile plan step's keys-only scan of the listings table (4 parallel segments,
// ListingsTable.scanKeys) on DynamoDB Local at growing sizes, to tell how its time grows with the
// table: linear (as DynamoDB's own Scan, which reads 1 MB pages) or worse (a stand-in artifact).
//   npx tsx bench/scan-keys.bench.ts [--sizes=50000,100000,200000]
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { mixedListings } from './mixed-listings.js';

const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '50000,100000,200000').split(',').map(Number);
const ddb = await startDynamoDbLocal();
try {
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const all = [...mixedListings(Math.max(...sizes), ['spam'])];
  let prev: { n: number; ms: number } | undefined;
  for (const n of sizes) {
    const names = { listings: `scan-${n}`, journal: `scan-journal-${n}` };
    await ensureTables(ddb.client, names);
    const table = new ListingsTable(doc, names.listings);
    await table.putMany(all.slice(0, n), 16);
    const t0 = Date.now();
    let count = 0;
    for await (const _k of table.scanKeys()) count++;
    const ms = Date.now() - t0;
    const growth = prev ? ` (${(ms / prev.ms).toFixed(1)}x the time for ${(n / prev.n).toFixed(1)}x the keys)` : '';
    console.log(`${n.toLocaleString()} listings: scanKeys read ${count.toLocaleString()} keys in ${(ms / 1000).toFixed(1)} s = ${Math.round(count / (ms / 1000)).toLocaleString()} keys/s${growth}`);
    prev = { n, ms };
  }
} finally {
  await ddb.stop();
}
