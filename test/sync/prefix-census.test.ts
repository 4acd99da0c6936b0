// The prefix census: which lengths the covering reads of the stream handler may skip, and why that
// is safe (writers add before writing, an incomplete census means "read every length").
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toItem } from '../../lambdas/adapters/listing-item.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { CENSUS_KEY } from '../../lambdas/adapters/table-schema.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { reconcileZone } from '../../lambdas/services/reconcile.js';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { L, startSyncEnv, type SyncEnv, zoneDiff } from './sync-env.js';

const lengths = (s: ReadonlySet<number> | undefined) => (s ? [...s].sort((a, b) => a - b) : s);

let ddb: DynamoDbLocal;
let counter = 0;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

/** A fresh table, and a count of the keys its BatchGetItem calls ask for. */
async function freshTable() {
  const names = { listings: `census${++counter}${process.pid}`, journal: `censusj${counter}${process.pid}` };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const keysRead = { count: 0 };
  const send = doc.send.bind(doc) as (c: unknown) => Promise<unknown>;
  (doc as unknown as { send: (c: unknown) => Promise<unknown> }).send = (c) => {
    const input = (c as { input?: { RequestItems?: Record<string, { Keys?: unknown[] }> } }).input;
    if ((c as object).constructor.name === 'BatchGetCommand') keysRead.count += input?.RequestItems?.[names.listings]?.Keys?.length ?? 0;
    return send(c);
  };
  return { table: new ListingsTable(doc, names.listings), doc, keysRead, names };
}

describe('prefix census', () => {
  it('is complete and empty for a new table; every write adds its length first', async () => {
    const { table } = await freshTable();
    expect(await table.prefixLengths()).toEqual({ 4: new Set(), 6: new Set() });
    await table.put(L('spam', '192.0.2.0/24'), null);
    await table.put(L('spam', '192.0.2.7'), null);
    await table.putMany([L('spam', '2001:db8::1'), L('spam', '198.51.100.0/22', { exclusion: true })]);
    const census = await table.prefixLengths();
    expect(lengths(census[4])).toEqual([22, 24, 32]);
    expect(lengths(census[6])).toEqual([128]);
  });

  it('lets covering reads skip lengths nobody uses, and still find every covering listing', async () => {
    const { table, keysRead } = await freshTable();
    await table.put(L('spam', '192.0.2.0/24'), null);
    await table.put(L('proxy', '192.0.0.0/16'), null);
    await table.put(L('spam', '2001:db8::/48'), null);
    keysRead.count = 0;
    const found4 = await table.covering(parseNetwork('192.0.2.9'), ['spam', 'proxy'], 8);
    expect(found4.map((l) => `${l.list} ${l.network.prefix}`).sort()).toEqual(['proxy 16', 'spam 24']);
    // Lengths 16 and 24 (nothing of length 32 is listed yet) for two lists: 4 keys instead of
    // 17 lengths (16..32) for two lists.
    expect(keysRead.count).toBe(4);
    keysRead.count = 0;
    const found6 = await table.covering(parseNetwork('2001:db8::5'), ['spam'], 32);
    expect(found6.map((l) => l.network.prefix)).toEqual([48]);
    expect(keysRead.count).toBe(1); // only /48 is in use for IPv6 (97 lengths otherwise)
  });

  it('reads every length while incomplete (a table older than the census), and reconcile completes it', async () => {
    const { table, doc, names } = await freshTable();
    await doc.send(new DeleteCommand({ TableName: names.listings, Key: CENSUS_KEY }));
    // Written as a writer from before the census would: no length recorded.
    await doc.send(new PutCommand({ TableName: names.listings, Item: toItem(L('spam', '203.0.112.0/20'), 1) }));
    expect(await table.prefixLengths()).toEqual({ 4: undefined, 6: undefined });
    expect((await table.covering(parseNetwork('203.0.113.9'), ['spam'], 8)).map((l) => l.network.prefix)).toEqual([20]);

    const env = await startSyncEnv({ ddb, noPoller: true, r53: { throttle: false } });
    try {
      await reconcileZone({ cfg: env.cfg, table, published: env.published, intent: env.intent, zone: env.zone, nowSeconds: () => Date.now() / 1000 });
    } finally {
      await env.stop();
    }
    const census = await table.prefixLengths();
    expect(lengths(census[4])).toEqual([20]);
    expect(lengths(census[6])).toEqual([]);
  });
});

describe('stream sync with the census', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb, r53: { throttle: false } });
  });
  afterAll(async () => env?.stop());

  it('re-plans the hosts under a listing of a length first used after them', async () => {
    await env.table.putMany([L('spam', '198.51.100.1'), L('spam', '198.51.100.200'), L('spam', '2001:db8:1::1')]);
    await env.poller.idle();
    // New lengths: /25 and /44 were never used before these writes.
    await env.table.put(L('spam', '198.51.100.128/25', { reason: 'range' }), null);
    await env.table.put(L('spam', '2001:db8::/44', { reason: 'range' }), null);
    await env.poller.idle();
    // Later batches: hosts inside them must find them through the census.
    await env.table.put(L('proxy', '198.51.100.201'), null);
    await env.table.put(L('proxy', '2001:db8:2::1'), null);
    await env.poller.idle();
    expect(zoneDiff(await env.planned(Date.now() / 1000), env.actual())).toEqual([]);
    // The /44 reached the hosts planned before it existed: its wildcards sit beside them.
    expect([...env.actual().keys()].some((k) => k.startsWith('*.') && k.endsWith('8.b.d.0.1.0.0.2.bl.test. A'))).toBe(true);
  });
});
