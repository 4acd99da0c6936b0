// The quota guard end to end: operator API -> DynamoDB Local -> stream -> stream sync -> Route 53
// stand-in with a small maxRRSetsPerZone. The oracle for what a write adds is planZone over the
// whole table before and after (independent of the region planning the guard uses).
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Route53Quota } from '../../lambdas/adapters/route53-quota.js';
import { ROUTE53_CLIENT_CONFIG } from '../../lambdas/adapters/route53-zone.js';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { formatNetwork } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { QuotaGuard } from '../../lambdas/services/quota-guard.js';
import { L, SYNC_CFG, startSyncEnv, type SyncEnv } from '../sync/sync-env.js';
import { call, snapshot } from './support.js';

const cfg = SYNC_CFG;
/** The zone's apex SOA and NS: in Route 53's count, not in the plan. */
const APEX = 2;
const planned = (listings: Listing[]) => [...planZone(cfg, effectiveListings(cfg, listings, Date.now() / 1000))].length;

const W1 = L('spam', '192.0.2.1');
const W2 = L('spam', '198.51.100.0/24');
const W3 = L('proxy', '203.0.113.9');
const HOLE = L('spam', '198.51.100.7', { exclusion: true });
// The quota is exactly what W1 and W2 plan to: both fit, anything more does not.
const LIMIT = APEX + planned([W1, W2]);

let env: SyncEnv;
let api: RunningAdapter;
let route53: Route53Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  env = await startSyncEnv({ r53: { maxRRSetsPerZone: LIMIT, throttle: false } });
  doc = DynamoDBDocumentClient.from(env.ddb.client);
  route53 = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, ...ROUTE53_CLIENT_CONFIG });
  // A fresh count for every write and nothing held: what Route 53 says is what the guard sees (the
  // tests wait for the sync between writes). The cache and the hold have their own tests.
  const guard = new QuotaGuard(new Route53Quota(route53, env.zoneId), { ttlMs: 0, holdMs: 0 });
  api = await startHttpAdapter(createApiHandler({ cfg, table: env.table, journal: env.journal, quotaGuard: guard, log: { error: () => undefined } }), {});
}, 60_000);
afterAll(async () => {
  await api?.close();
  route53?.destroy();
  await env?.stop();
});

const item = (l: Listing) => ({ list: l.list, network: formatNetwork(l.network), reason: 'quota test' });
const post = (path: string, l: Listing, headers: Record<string, string> = {}) => call(api.url, 'POST', path, { items: [item(l)] }, headers);
const KEY = { 'idempotency-key': 'w3-once' };
const zoneCount = () => env.r53.rrsets(env.zoneId).length;

describe('quota guard on API writes', () => {
  it('accepts writes up to the limit exactly; the zone ends at the limit and nothing fails at Route 53', async () => {
    expect((await post('/v1/listings', W1)).status).toBe(200);
    await env.poller.idle();
    expect(zoneCount()).toBe(APEX + planned([W1]));
    const r = await post('/v1/listings', W2);
    expect(r.status, r.text).toBe(200);
    await env.poller.idle();
    expect(zoneCount()).toBe(LIMIT);
    expect(env.failures).toEqual([]);
  });

  it('refuses a listing past the limit with 422, the numbers, and the tables unchanged', async () => {
    const before = [await snapshot(doc, env.names.listings), await snapshot(doc, env.names.journal)];
    const r = await post('/v1/listings', W3, KEY);
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.code).toBe('zone-quota-exceeded');
    const adds = planned([W1, W2, W3]) - planned([W1, W2]);
    expect(adds).toBeGreaterThan(0);
    const msg: string = r.json.error.message;
    expect(msg).toContain(`holds ${LIMIT.toLocaleString('en-US')} of its ${LIMIT.toLocaleString('en-US')} rrsets`);
    expect(msg).toContain(`would add ${adds.toLocaleString('en-US')}`);
    expect(msg).toContain('the table is unchanged');
    expect([await snapshot(doc, env.names.listings), await snapshot(doc, env.names.journal)]).toEqual(before);
    expect(await env.table.get(W3.list, W3.network)).toBeUndefined();
  });

  it('refuses an exclusion that splits a wildcard past the limit', async () => {
    const adds = planned([W1, W2, HOLE]) - planned([W1, W2]);
    expect(adds).toBeGreaterThan(0);
    const r = await post('/v1/exclusions', HOLE);
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.message).toContain(`would add ${adds}`);
    expect(await env.table.get(HOLE.list, HOLE.network)).toBeUndefined();
  });

  it('at the limit still accepts a write that adds nothing (a new reason: same rrsets) and a delisting', async () => {
    const r = await call(api.url, 'POST', '/v1/listings', { items: [{ ...item(W1), reason: 'new reason' }] });
    expect(r.status, r.text).toBe(200);
    expect(r.json.items[0].status).toBe('updated');
    await env.poller.idle();
    expect(zoneCount()).toBe(LIMIT);
    expect((await post('/v1/delistings', W1)).status).toBe(200);
    await env.poller.idle();
    expect(zoneCount()).toBe(APEX + planned([W2]));
    // Room again (W3 is a host like W1). The refused request was not stored under its key: the same
    // key now runs it.
    expect(APEX + planned([W2, W3])).toBeLessThanOrEqual(LIMIT);
    const again = await post('/v1/listings', W3, KEY);
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.json.items[0].status).toBe('created');
  });
});
