// The sliced reconcile pass against DynamoDB Local (real streams, the stream-sync handler) and the
// Route 53 stand-in: drift of every kind across many slices is repaired exactly, dry-run changes
// nothing, a network-limited pass stays in its subtree, an interrupted pass leaves finished slices
// whole and a re-run completes, and the reads keep to their share of the rate.
import { ChangeResourceRecordSetsCommand, type Change as R53Change, Route53Client } from '@aws-sdk/client-route-53';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingKey, toItem } from '../../lambdas/adapters/listing-item.js';
import { RequestPacer } from '../../lambdas/adapters/request-pacer.js';
import { Route53Zone, ROUTE53_CLIENT_CONFIG } from '../../lambdas/adapters/route53-zone.js';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { isActive, type Listing } from '../../lambdas/core/listing.js';
import { rrsetKey, type RRSet } from '../../lambdas/core/rrset.js';
import { ownsName } from '../../lambdas/core/reconcile-slices.js';
import { inProcessSteps, runPass, type RunnerSteps } from '../../lambdas/services/reconcile-runner.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { L, startSyncEnv, type SyncEnv, zoneDiff } from './sync-env.js';

const now = () => Date.now() / 1000;
let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
}, 60_000);
afterAll(async () => {
  await ddb?.stop();
});

/** Listings over many first labels: IPv4 in shared digit labels and not, wide ranges, IPv6, mirrors' space. */
function corpus(): Listing[] {
  const out: Listing[] = [];
  for (let i = 0; i < 40; i++) out.push(L(i % 3 ? 'spam' : 'proxy', `${[1, 2, 5, 9, 10, 44, 192, 203][i % 8]}.${i}.${(i * 7) % 256}.${i + 1}`));
  out.push(L('spam', '1.2.0.0/16'), L('proxy', '5.0.0.0/8'), L('spam', '192.0.2.0/24'), L('spam', '192.0.2.0/28', { exclusion: true }));
  out.push(L('spam', '10.20.0.0/20'), L('proxy', '203.0.113.0/25'));
  for (let i = 0; i < 12; i++) out.push(L('spam', `2001:db8:${i.toString(16)}::/48`), L('proxy', `2a00:${(i * 3).toString(16)}::1`));
  out.push(L('spam', 'a000::/32'), L('spam', '9000::1'));
  return out;
}

async function tamper(env: SyncEnv, changes: R53Change[]): Promise<void> {
  const client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: env.zoneId, ChangeBatch: { Changes: changes } }));
}

function deps(env: SyncEnv, zone = env.zone) {
  const doc = DynamoDBDocumentClient.from(env.ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  return { cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, zone, nowSeconds: now, lock: () => new ZoneLock(doc, env.names.journal, env.cfg.zone) };
}

async function publishedVsTable(env: SyncEnv): Promise<string[]> {
  const want = new Map<string, Listing>();
  for await (const l of env.table.scanAll()) if (isActive(l, now())) want.set(`${l.list}#${l.network.start}/${l.network.prefix}`, l);
  const out: string[] = [];
  for await (const p of env.published.scanAll()) {
    const k = `${p.list}#${p.network.start}/${p.network.prefix}`;
    const w = want.get(k);
    if (!w) out.push(`extra ${k}`);
    else if (w.reason !== p.reason || w.exclusion !== p.exclusion) out.push(`differs ${k}`);
    want.delete(k);
  }
  for (const k of want.keys()) out.push(`missing ${k}`);
  return out;
}

const A = (name: string, value: string, action: 'CREATE' | 'DELETE' | 'UPSERT' = 'CREATE'): R53Change => ({
  Action: action,
  ResourceRecordSet: { Name: name, Type: 'A', TTL: 300, ResourceRecords: [{ Value: value }] },
});

describe('sliced reconcile pass', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb, r53: { throttle: false } });
    await env.table.putMany(corpus());
    await env.poller.idle();
  }, 120_000);
  afterAll(async () => env?.stop());

  it('repairs drift of every kind across many slices exactly; dry-run first changes nothing', async () => {
    const planned = await env.planned(now());
    const present = [...planned.values()];
    const pick = (re: RegExp, type = 'A'): RRSet => present.find((r) => re.test(r.name) && r.type === type)!;
    const gone = [pick(/^\*\.2\.1\.bl/), pick(/^\d+\.\d+\.\d+\.9\.bl/), pick(/\.8\.b\.d\.0\.1\.0\.0\.2\.bl/), pick(/^c\.5\.bl/, 'CAA')].filter(Boolean);
    expect(gone.length).toBeGreaterThanOrEqual(3);
    const wrong = pick(/^\*\.2\.0\.192\.bl/, 'TXT');
    await tamper(env, [
      ...gone.map((r) => ({ Action: 'DELETE' as const, ResourceRecordSet: { Name: r.name, Type: r.type, TTL: r.ttl, ResourceRecords: r.values.map((Value) => ({ Value })) } })),
      { Action: 'UPSERT', ResourceRecordSet: { Name: wrong.name, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"tampered"' }] } },
      // Strays: outside every listing, at labels no family has, at the apex level and a wildcard.
      A('9.9.9.77.bl.test.', '127.0.0.9'),
      A('256.bl.test.', '127.0.0.9'),
      A('x.1.bl.test.', '127.0.0.9'),
      A('*.bl.test.', '127.0.0.9'),
      A('*.7.bl.test.', '127.0.0.9'),
      A('f.f.f.f.bl.test.', '127.0.0.9'),
    ]);
    // The published table drifted too: a row lost, an orphan row.
    const doc = DynamoDBDocumentClient.from(env.ddb.client);
    const lost = corpus()[3]!;
    await doc.send(new DeleteCommand({ TableName: env.names.published, Key: listingKey(lost.list, lost.network) }));
    const orphan = L('spam', '198.18.0.7');
    const item: Record<string, unknown> = { ...toItem(orphan, 1) };
    for (const a of ['gsi1pk', 'gsi1sk']) delete item[a];
    await doc.send(new PutCommand({ TableName: env.names.published, Item: item }));

    const before = zoneDiff(planned, env.actual());
    expect(before.length).toBe(gone.length + 1 + 6);
    const zoneBefore = JSON.stringify([...env.actual()]);
    const dry = await runPass(inProcessSteps(deps(env), { dryRun: true, sliceListings: 6 }));
    expect(dry.slices).toBeGreaterThan(20);
    expect(dry.drift).toBe(before.length);
    expect(dry.publishedDrift).toBe(2);
    expect(dry.repaired).toBe(0);
    expect(JSON.stringify([...env.actual()])).toBe(zoneBefore);
    expect(await publishedVsTable(env)).toHaveLength(2);

    const fixed = await runPass(inProcessSteps(deps(env), { sliceListings: 6 }));
    expect(fixed.failedSlices).toBe(0);
    expect(fixed.full).toBe(true);
    expect(fixed.repaired).toBe(before.length);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(await publishedVsTable(env)).toEqual([]);
    // Nothing left, and the invariant the stream writer relies on holds.
    const again = await runPass(inProcessSteps(deps(env), { sliceListings: 6 }));
    expect(again.drift).toBe(0);
    expect(again.publishedDrift).toBe(0);
    expect(zoneDiff(await env.publishedPlanned(), env.actual())).toEqual([]);
  }, 120_000);

  it('limits a pass to one network: drift outside it stays', async () => {
    const planned = await env.planned(now());
    const inside = [...planned.values()].find((r) => r.name.endsWith('.10.bl.test.') && r.type === 'A')!;
    const outside = [...planned.values()].find((r) => r.name.endsWith('.44.bl.test.') && r.type === 'A')!;
    const del = (r: RRSet): R53Change => ({ Action: 'DELETE', ResourceRecordSet: { Name: r.name, Type: 'A', TTL: r.ttl, ResourceRecords: r.values.map((Value) => ({ Value })) } });
    await tamper(env, [del(inside), del(outside), A('7.7.7.10.bl.test.', '127.0.0.9')]);
    const r = await runPass(inProcessSteps(deps(env), { network: '10.0.0.0/8', sliceListings: 6 }));
    expect(r.full).toBe(false);
    expect(r.repaired).toBe(2);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([`missing ${rrsetKey(outside)} ${outside.values.join(' ')}`]);
    await expect(runPass(inProcessSteps(deps(env), { network: '10.0.0.0/33' }))).rejects.toThrow(/10\.0\.0\.0\/33|network/);
    await runPass(inProcessSteps(deps(env), {}));
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 120_000);

  it('an interrupted pass leaves finished slices whole, the rest untouched, and a re-run completes', async () => {
    const planned = await env.planned(now());
    // Drift in every part of the zone.
    const victims = [...planned.values()].filter((r) => r.type === 'A').filter((_, i) => i % 5 === 0);
    await tamper(env, victims.map((r) => ({ Action: 'DELETE', ResourceRecordSet: { Name: r.name, Type: 'A', TTL: r.ttl, ResourceRecords: r.values.map((Value) => ({ Value })) } })));
    const steps = inProcessSteps(deps(env), { sliceListings: 6 });
    const doneSlices: Array<Parameters<RunnerSteps['slice']>[1]> = [];
    let crashed = false;
    const interrupted = await runPass({
      ...steps,
      slice: async (plan, ps) => {
        // Crash the first slice with drift once a few have run.
        if (!crashed && doneSlices.length >= 3 && victims.some((v) => ownsName(ps.slice, v.name, env.cfg.zone))) {
          crashed = true;
          throw new Error('slice crashed');
        }
        const r = await steps.slice(plan, ps);
        doneSlices.push(ps);
        return r;
      },
      retryScale: 0,
    });
    expect(interrupted.failedSlices).toBe(1);
    expect(interrupted.full).toBe(false);
    const actual = env.actual();
    const diff = zoneDiff(planned, actual);
    // Every difference left lies outside the slices that ran; each slice that ran is exact.
    for (const line of diff) {
      const name = line.split(' ')[1]!;
      expect(doneSlices.some((ps) => ownsName(ps.slice, name, env.cfg.zone)), line).toBe(false);
    }
    expect(diff.length).toBeGreaterThan(0);
    const rerun = await runPass(inProcessSteps(deps(env), { sliceListings: 6 }));
    expect(rerun.failedSlices).toBe(0);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 120_000);

  it('keeps its Route 53 reads within the configured rate', async () => {
    const route53 = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, ...ROUTE53_CLIENT_CONFIG });
    const times: number[] = [];
    route53.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListResourceRecordSetsCommand') times.push(Date.now());
        return next(args);
      },
      { step: 'initialize' },
    );
    const rate = 20;
    const paced = new Route53Zone(route53, env.zoneId, env.cfg.zone, { readPacer: new RequestPacer(rate), listPageSize: 40 });
    const r = await runPass(inProcessSteps(deps(env, paced), { dryRun: true, sliceListings: 6 }));
    expect(r.zoneReads).toBeGreaterThan(20);
    expect(times.length).toBeGreaterThanOrEqual(r.zoneReads);
    // No window of one second holds more than the rate allows (+1 for the window's edges).
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(rate + 1);
    }
    const spanS = (times.at(-1)! - times[0]!) / 1000;
    expect(spanS).toBeGreaterThanOrEqual((times.length - 1) / rate - 0.05);
  }, 120_000);
});
