// The sliced reconcile pass against DynamoDB Local (real streams, the stream-sync handler) and the
// Route 53 stand-in: drift of every kind across many slices (missing, extra, wrong records; the
// shared 0-9 labels, wildcards, stray names at the apex level) is repaired exactly, with the
// published table; dry-run changes nothing; a network-limited pass stays in its subtree.
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingKey, toItem } from '../../lambdas/adapters/listing-item.js';
import { rrsetKey, type RRSet } from '../../lambdas/core/rrset.js';
import { inProcessSteps, runPass } from '../../lambdas/services/reconcile-runner.js';
import { PASS_STALE_MS, type RunningPassRecord } from '../../lambdas/services/reconcile-pass.js';
import { L, type SyncEnv, useDynamoDbLocal, zoneDiff } from './sync-env.js';
import { A, corpus, del, deps, now, publishedVsTable, startCorpusEnv, tamper } from './reconcile-support.js';

const ddb = useDynamoDbLocal();

describe('sliced reconcile pass', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startCorpusEnv(ddb());
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
      ...gone.map(del),
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
    // The invariant the stream writer relies on holds: the zone is the plan of the published table.
    expect(zoneDiff(await env.publishedPlanned(), env.actual())).toEqual([]);
  }, 240_000);

  it('limits a pass to one network: drift outside it stays', async () => {
    const planned = await env.planned(now());
    const inside = [...planned.values()].find((r) => r.name.endsWith('.10.bl.test.') && r.type === 'A')!;
    const outside = [...planned.values()].find((r) => r.name.endsWith('.44.bl.test.') && r.type === 'A')!;
    await tamper(env, [del(inside), del(outside), A('7.7.7.10.bl.test.', '127.0.0.9')]);
    const r = await runPass(inProcessSteps(deps(env), { network: '10.0.0.0/8', sliceListings: 6 }));
    expect(r.full).toBe(false);
    expect(r.repaired).toBe(2);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([`missing ${rrsetKey(outside)} ${outside.values.join(' ')}`]);
    await expect(runPass(inProcessSteps(deps(env), { network: '10.0.0.0/33' }))).rejects.toThrow(/10\.0\.0\.0\/33|network/);
    await runPass(inProcessSteps(deps(env), {}));
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 120_000);


  it('skips a pass while another is running (one at a time), and not after that one went stale or finished', async () => {
    let marker: RunningPassRecord | undefined = { passId: 'other', startedAt: new Date(Date.now() - 3600_000).toISOString(), heartbeatAt: new Date().toISOString() };
    const sets: RunningPassRecord[] = [];
    const running = { get: async () => marker, set: async (v: RunningPassRecord) => void sets.push((marker = v)) };
    const skipped = await runPass(inProcessSteps({ ...deps(env), running }, { dryRun: true }));
    expect(skipped.skipped).toMatch(/pass other .* is still running/);
    expect(skipped.slices).toBe(0);
    marker = { ...marker!, heartbeatAt: new Date(Date.now() - PASS_STALE_MS - 1000).toISOString() };
    const ran = await runPass(inProcessSteps({ ...deps(env), running }, { dryRun: true, network: '10.0.0.0/8' }));
    expect(ran.skipped).toBeUndefined();
    expect(ran.slices).toBeGreaterThan(0);
    expect(marker).toMatchObject({ passId: ran.passId, finishedAt: ran.finishedAt });
    // Each slice beat the heart of its own pass.
    expect(sets.filter((v) => v.passId === ran.passId && v.heartbeatAt && !v.finishedAt).length).toBe(ran.slices);
    // Finished: the next one runs.
    expect((await runPass(inProcessSteps({ ...deps(env), running }, { dryRun: true, network: '10.0.0.0/8' }))).skipped).toBeUndefined();
  }, 120_000);

  it('takes a listing as the table holds it, not as the lagging index last showed it', async () => {
    // The index still shows an older reason, and a listing the table no longer has.
    const current = (await env.table.get('spam', L('spam', '192.0.2.0/24').network))!;
    const gone = L('spam', '203.0.113.200', { reason: 'deleted meanwhile' });
    const lagging = new Proxy(env.table, {
      get(target, prop, receiver) {
        if (prop === 'startingIn') {
          return async (...a: Parameters<typeof target.startingIn>) => {
            const found = await target.startingIn(...a);
            const stale = found.map((l) => (l.list === current.list && l.network.start === current.network.start && l.network.prefix === current.network.prefix ? { ...l, reason: 'stale reason' } : l));
            return a[1] === 4 && a[2] <= gone.network.start && gone.network.start <= a[3] ? [...stale, { ...gone, version: 1 }] : stale;
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const r = await runPass(inProcessSteps({ ...deps(env), table: lagging }, { sliceListings: 6 }));
    expect(r.failedSlices).toBe(0);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect([...env.actual().values()].some((x) => x.values.some((v) => v.includes('stale reason') || v.includes('deleted meanwhile')))).toBe(false);
  }, 120_000);
});
