import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork, networkKey } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { listingKey } from '../../lambdas/adapters/listing-item.js';
import { reconcileZone } from '../../lambdas/services/reconcile.js';
import { sweepExpired } from '../../lambdas/services/sweeper.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { L, overriding, startSyncEnv, type SyncEnv, zoneDiff } from './sync-env.js';

const now = () => Date.now() / 1000;

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

describe('stream sync with DynamoDB Local and the Route 53 stand-in', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb, r53: { throttle: false }, chunkRegions: 3 });
  });
  afterAll(async () => env?.stop());

  it('keeps the zone equal to the plan for lists, ranges, exclusions, IPv6, updates and delists', async () => {
    await env.table.put(L('spam', '192.0.2.0/24'), null);
    await env.table.put(L('spam', '192.0.2.77', { exclusion: true }), null);
    await env.table.put(L('proxy', '192.0.2.1'), null);
    await env.table.put(L('spam', '2001:db8::/48'), null);
    await env.table.put(L('spam', '198.51.100.0/23'), null);
    await env.poller.idle();
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(env.actual().get('*.2.0.192.bl.test. A')?.values).toEqual(['127.0.0.2']);
    expect(env.actual().get('1.2.0.192.bl.test. A')?.values).toEqual(['127.0.0.2', '127.0.0.3']);

    const cur = await env.table.get('spam', parseNetwork('192.0.2.0/24'));
    await env.table.put({ ...cur!, reason: 'new reason' }, cur!.version);
    await env.table.delete('spam', parseNetwork('192.0.2.77'));
    await env.table.delete('spam', parseNetwork('198.51.100.0/23'));
    await env.poller.idle();
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(env.actual().has('77.2.0.192.bl.test. CAA')).toBe(false);
    expect(env.actual().get('*.2.0.192.bl.test. TXT')?.values).toEqual(['"Listed in spam: new reason (192.0.2.0/24)"']);
  });

  it('sends one change request and reads nothing from Route 53 for a single listing', async () => {
    const before = { ...env.zone.stats };
    await env.table.put(L('spam', '203.0.113.9'), null);
    await env.poller.idle();
    expect(env.zone.stats.changeCalls - before.changeCalls).toBe(1);
    expect(env.zone.stats.listCalls - before.listCalls).toBe(0);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });

  it('falls back to reading the zone when it is not what the previous listings planned', async () => {
    // Drift the zone behind the publisher's back: change the record the next change will delete.
    const client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new ChangeResourceRecordSetsCommand({
      HostedZoneId: env.zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: '9.113.0.203.bl.test.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"tampered"' }] } }] },
    }));
    const before = { ...env.zone.stats };
    await env.table.delete('spam', parseNetwork('203.0.113.9'));
    await env.poller.idle();
    expect(env.zone.stats.listCalls - before.listCalls).toBeGreaterThan(0);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });
});

describe('stream records shaped like AWS (TTL deletions, unknown events)', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb, r53: { throttle: false }, noPoller: true });
  });
  afterAll(async () => env?.stop());

  const record = (l: Listing, eventName: string, seq: string, extra: Partial<DynamoDBRecord> = {}): DynamoDBRecord => {
    const key = listingKey(l.list, l.network);
    return {
      eventID: seq, eventName: eventName as DynamoDBRecord['eventName'], eventSource: 'aws:dynamodb', awsRegion: 'us-east-1',
      dynamodb: { Keys: { pk: { S: key.pk }, sk: { S: key.sk } }, SequenceNumber: seq, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      ...extra,
    };
  };

  it('handles a TTL REMOVE by dynamodb.amazonaws.com and unknown event names by re-planning from the table', async () => {
    const l = L('spam', '192.0.2.5', { expiresAt: Math.floor(now()) + 3600 });
    await env.table.put(l, null);
    expect(await env.handler({ Records: [record(l, 'INSERT', '1')] })).toEqual({ batchItemFailures: [] });
    expect(env.actual().has('5.2.0.192.bl.test. A')).toBe(true);
    await env.table.delete(l.list, l.network);
    const ttl = record(l, 'REMOVE', '2', { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } });
    expect(await env.handler({ Records: [ttl] })).toEqual({ batchItemFailures: [] });
    expect(env.actual().has('5.2.0.192.bl.test. A')).toBe(false);
    // DynamoDB Local's own TTL records carry an unknown event name: re-planning is still right.
    await env.table.put(L('spam', '192.0.2.6'), null);
    expect(await env.handler({ Records: [record(L('spam', '192.0.2.6'), 'TTL_DELETE', '3')] })).toEqual({ batchItemFailures: [] });
    expect(env.actual().has('6.2.0.192.bl.test. A')).toBe(true);
    // Records of other items are skipped.
    const other: DynamoDBRecord = { eventName: 'INSERT', dynamodb: { Keys: { pk: { S: 'STATE' }, sk: { S: 'x' } }, SequenceNumber: '4' } };
    expect(await env.handler({ Records: [other] })).toEqual({ batchItemFailures: [] });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });

  it('writes exactly each batch\'s own change when the table is ahead of the stream: one request, no read, nothing refused; a redelivery changes nothing', async () => {
    // Host first: its batch must not write the range's records, nor assume them.
    const range = L('spam', '198.18.5.0/24');
    const host = L('spam', '198.18.5.241', { reason: 'host' });
    await env.table.put(range, null);
    await env.table.put(host, null);
    let before = { ...env.zone.stats };
    const invariant = async () => expect(zoneDiff(await env.publishedPlanned(), env.actual())).toEqual([]);
    expect(await env.handler({ Records: [record(host, 'INSERT', '20')] })).toEqual({ batchItemFailures: [] });
    await invariant();
    expect(env.actual().has('*.5.18.198.bl.test. A')).toBe(false); // the range is not published yet
    expect(await env.handler({ Records: [record(range, 'INSERT', '21')] })).toEqual({ batchItemFailures: [] });
    await invariant();
    expect(env.zone.stats.listCalls - before.listCalls).toBe(0);
    expect(env.zone.stats.changeCalls - before.changeCalls).toBe(2);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);

    // Redelivered: published already holds the batch, which is also what a reconcile slice ahead of
    // the stream leaves (reconcile-races-stream.test.ts), so the batch is planned from before it and
    // sent again: refused (the records exist) and settled from the refusal, the zone unchanged.
    const zoneBefore = JSON.stringify([...env.actual()].sort());
    before = { ...env.zone.stats };
    expect(await env.handler({ Records: [record(range, 'INSERT', '21')] })).toEqual({ batchItemFailures: [] });
    expect(env.zone.stats.changeCalls - before.changeCalls).toBeLessThanOrEqual(2);
    expect(env.zone.stats.listCalls - before.listCalls).toBeLessThanOrEqual(1);
    expect(JSON.stringify([...env.actual()].sort())).toBe(zoneBefore);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });

  it('reports the failing record when Route 53 keeps failing, and redelivery converges', async () => {
    const l = L('spam', '192.0.2.7');
    await env.table.put(l, null);
    env.r53.faults.failNext('ChangeResourceRecordSets', 'InvalidChangeBatch', 10);
    const r = await env.handler({ Records: [record(l, 'INSERT', '10')] });
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: '10' }]);
    expect(env.actual().has('7.2.0.192.bl.test. A')).toBe(false);
    env.r53.faults.clear();
    expect(await env.handler({ Records: [record(l, 'INSERT', '10')] })).toEqual({ batchItemFailures: [] });
    expect(await env.handler({ Records: [record(l, 'INSERT', '10')] })).toEqual({ batchItemFailures: [] });
    expect(env.actual().get('7.2.0.192.bl.test. A')?.values).toEqual(['127.0.0.2']);
  });
});

describe('reconcile and expiry sweeper', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb, r53: { throttle: false } });
  });
  afterAll(async () => env?.stop());

  it('finds and repairs drift with the fewest changes, then finds none', async () => {
    await env.table.put(L('spam', '192.0.2.0/24'), null);
    await env.table.put(L('spam', '198.51.100.1'), null);
    await env.poller.idle();
    const client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new ChangeResourceRecordSetsCommand({
      HostedZoneId: env.zoneId,
      ChangeBatch: { Changes: [
        { Action: 'DELETE', ResourceRecordSet: { Name: '1.100.51.198.bl.test.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.0.0.2' }] } },
        { Action: 'CREATE', ResourceRecordSet: { Name: '9.9.9.203.bl.test.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.0.0.9' }] } },
        { Action: 'UPSERT', ResourceRecordSet: { Name: '*.2.0.192.bl.test.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"tampered"' }] } },
      ] },
    }));
    const deps = { cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, zone: env.zone, nowSeconds: now };
    const dry = await reconcileZone(deps, { dryRun: true });
    expect(dry.drift).toBe(3);
    expect(zoneDiff(await env.planned(now()), env.actual())).toHaveLength(3);
    const fixed = await reconcileZone(deps);
    expect({ creates: fixed.creates, upserts: fixed.upserts, deletes: fixed.deletes, batches: fixed.batches }).toEqual({ creates: 1, upserts: 1, deletes: 1, batches: 1 });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect((await reconcileZone(deps)).drift).toBe(0);
  });

  it('keeps the apex SOA so that "not listed" is cached for negativeTtl only', async () => {
    const deps = { cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, zone: env.zone, nowSeconds: now };
    const soa = env.r53.rrsets(env.zoneId).find((r) => r.type === 'SOA')!;
    const first = await reconcileZone(deps);
    const after = env.r53.rrsets(env.zoneId).find((r) => r.type === 'SOA')!;
    expect(first.soaUpdated || (soa.ttl === env.cfg.negativeTtl && soa.values[0]!.endsWith(` ${env.cfg.negativeTtl}`))).toBe(true);
    expect(after.ttl).toBe(env.cfg.negativeTtl);
    expect(after.values[0]!.split(' ').at(-1)).toBe(String(env.cfg.negativeTtl));
    expect((await reconcileZone(deps)).soaUpdated).toBe(false);
  });

  it('logs and counts an apex SOA it cannot parse instead of skipping it silently', async () => {
    const warnings: string[] = [];
    const odd = overriding(env.zone, { apexSoa: async () => ({ ttl: 900, value: 'ns-1.awsdns-00.com. hostmaster 1 7200' }) });
    const r = await reconcileZone({ cfg: env.cfg, table: env.table, published: env.published, zone: odd, nowSeconds: now, warn: (m) => warnings.push(m) });
    expect(r.soaUnparsable).toBe(true);
    expect(r.soaUpdated).toBe(false);
    expect(warnings.join('\n')).toMatch(/SOA/);
    const fine = await reconcileZone({ cfg: env.cfg, table: env.table, published: env.published, zone: env.zone, nowSeconds: now });
    expect(fine.soaUnparsable).toBe(false);
  });

  it('delists a mass expiry in transactions of 50 listings, leaves a listing renewed meanwhile, and the zone follows', async () => {
    const t = Math.floor(now());
    const many = Array.from({ length: 300 }, (_, i) => L('spam', `100.${64 + (i >> 8)}.${i & 255}.9`, { expiresAt: t + 30, reason: 'trap hold' }));
    await env.table.putMany(many);
    await env.poller.idle();
    expect(env.actual().has('9.8.64.100.bl.test. A')).toBe(true);
    // Renewed after the sweeper read it: the stale version must not delete it.
    const stale = (await env.table.get('spam', many[7]!.network))!;
    await env.table.put({ ...stale, expiresAt: t + 3600 }, stale.version);
    const r = await env.table.deleteManyAudited([{ listing: stale, audit: env.journal.auditRecord(stale.network, { action: 'expire', list: 'spam', actor: 'test', reason: 'x' }).item }], env.journal.tableName);
    expect(r).toEqual({ deleted: 0, conflicts: 1, transactions: 0 });
    const report = await sweepExpired({ table: env.table, journal: env.journal, nowSeconds: () => t + 60 });
    expect(report.expired).toBe(299);
    expect(report.transactions).toBe(6);
    expect(await env.table.get('spam', many[7]!.network)).toBeDefined();
    expect(await env.table.get('spam', many[8]!.network)).toBeUndefined();
    expect((await env.journal.history(many[8]!.network)).events.map((e) => e.action)).toEqual(['expire']);
    await env.poller.idle();
    expect(env.actual().has('9.8.64.100.bl.test. A')).toBe(false);
    expect(env.actual().has('9.7.64.100.bl.test. A')).toBe(true); // the renewed one
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });

  it('delists expired listings on time and records why', async () => {
    const t = Math.floor(now());
    // 60 s ahead: the sync never publishes a listing already expired when it plans, and a loaded
    // machine took more than a second from here to there (t + 1 failed once under load).
    await env.table.put(L('spam', '203.0.113.1', { expiresAt: t + 60 }), null);
    await env.table.put(L('spam', '203.0.113.2', { expiresAt: t + 3600 }), null);
    await env.poller.idle();
    expect(env.actual().has('1.113.0.203.bl.test. A')).toBe(true);
    const report = await sweepExpired({ table: env.table, journal: env.journal, nowSeconds: () => t + 65 });
    expect(report.expired).toBe(1);
    await env.poller.idle();
    expect(await env.table.get('spam', parseNetwork('203.0.113.1'))).toBeUndefined();
    expect(await env.table.get('spam', parseNetwork('203.0.113.2'))).toBeDefined();
    expect(env.actual().has('1.113.0.203.bl.test. A')).toBe(false);
    expect(env.actual().has('2.113.0.203.bl.test. A')).toBe(true);
    const h = await env.journal.history(parseNetwork('203.0.113.1'));
    expect(h.events.map((e) => e.action)).toEqual(['expire']);
    expect(networkKey(parseNetwork('203.0.113.1'))).toContain('cb007101');
  });
});
