// The table far ahead of the stream: bulk writes first, then the stream drained one record per
// invocation and in random batch sizes, and the zone compared with the plan BEFORE any reconcile.
// (Issue 10.1: planning "before" from the table minus the batch let later listings leak into what
// a batch believed the zone held; guards and whole ranges were written by no batch.)
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { reconcileZone } from '../../lambdas/services/reconcile.js';
import { networkArb } from '../core/arbitraries.js';
import { drain, L, startSyncEnv, type SyncEnv, useDynamoDbLocal, zoneDiff } from './sync-env.js';

const now = () => Date.now() / 1000;

const ddb = useDynamoDbLocal();

describe('stream sync with the table ahead of the stream', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb: ddb(), r53: { throttle: false, maxRRSetsPerZone: 1_000_000 }, noPoller: true, chunkRegions: 3 });
  });
  afterAll(async () => env?.stop());

  it('writes the guard wildcard of hosts listed before the stream reached them', async () => {
    await env.table.put(L('spam', '10.20.0.0/16', { reason: 'range' }), null);
    await drain(env, { batchSize: 1 });
    await env.table.put(L('spam', '10.20.3.5', { reason: 'host' }), null);
    await env.table.put(L('spam', '10.20.3.9', { reason: 'host' }), null);
    await drain(env, { batchSize: 1 });
    // 10.20.3.7 is listed by the /16; the hosts make 3.20.10 an empty non-terminal that needs its own wildcard.
    expect(env.actual().get('*.3.20.10.bl.test. A')?.values).toEqual(['127.0.0.2']);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });

  it('writes both of two nested ranges of one list and one reason', async () => {
    await env.table.put(L('spam', '1.2.0.0/20'), null);
    await env.table.put(L('spam', '1.2.0.0/21'), null);
    await drain(env, { batchSize: 1 });
    expect(env.actual().get('*.1.2.1.bl.test. A')?.values).toEqual(['127.0.0.2']);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });

  it('ends equal to the plan before any reconcile, one record per invocation and in random batch sizes', async () => {
    const nets = fc.sample(fc.tuple(networkArb, fc.integer({ min: 0, max: 99 }), fc.constantFrom('spam', 'proxy')), { numRuns: 400, seed: 7 });
    const rnd = fc.sample(fc.integer({ min: 1, max: 1_000_000 }), { numRuns: 5000, seed: 11 });
    let r = 0;
    const pick = (n: number) => 1 + (rnd[r++ % rnd.length]! % n);
    const write = async (from: number, to: number) => {
      for (const [network, dice, list] of nets.slice(from, to)) {
        if (network.family === 4 && network.start >> 24n === 127n) continue;
        const cur = await env.table.get(list, network);
        if (dice < 55) await env.table.put(L(list, '0.0.0.0', { network, reason: `r${dice % 3}` }), cur ? cur.version : null);
        else if (dice < 70 && cur) await env.table.delete(list, network, cur.version);
        else await env.table.put(L(list, '0.0.0.0', { network, reason: 'allow', exclusion: true }), cur ? cur.version : null);
      }
    };
    const before = { ...env.zone.stats };
    await write(0, 300);
    const one = await drain(env, { batchSize: 1 });
    expect(one.invocations).toBeGreaterThan(250);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    await write(300, 400);
    // The same listings again: modifications and deletions of what is published.
    await write(0, 150);
    const { invocations } = await drain(env, { batchSize: 40, pick });
    expect(invocations).toBeGreaterThan(10);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(env.failures).toEqual([]);
    // Planned from the published table: Route 53 refused nothing and was never read for it.
    expect(env.zone.stats.listCalls - before.listCalls).toBe(0);
    // Reconcile has nothing left to repair.
    const rec = await reconcileZone({ cfg: env.cfg, table: env.table, published: env.published, zone: env.zone, nowSeconds: now }, { dryRun: true });
    expect(rec.drift).toBe(0);
  }, 300_000);

  it('keeps 127.0.0.2 listed and 127.0.0.1 unlisted', () => {
    // The test point answers in every list.
    expect(env.actual().get('2.0.0.127.bl.test. A')?.values).toEqual(['127.0.0.2', '127.0.0.3']);
    expect([...env.actual().keys()].some((k) => k.startsWith('1.0.0.127.'))).toBe(false);
    expect(parseNetwork('127.0.0.1').prefix).toBe(32);
  });
});
