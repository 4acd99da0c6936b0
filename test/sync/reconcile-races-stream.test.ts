// A reconcile slice that runs while the stream is behind the table records the listings it reads in
// the published table, but repairs only its own names. The stream record that arrives afterwards
// must still write the listing's names outside the slice: the zone is compared with the plan BEFORE
// any further reconcile. (With the published table ahead of the stream, a writer planning only
// from it would see nothing to do, and the listed range would answer NXDOMAIN outside the slice.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { inProcessSteps, runPass } from '../../lambdas/services/reconcile-runner.js';
import { drain, L, startSyncEnv, type SyncEnv, useDynamoDbLocal, zoneDiff } from './sync-env.js';
import { deps, now, publishedVsTable } from './reconcile-support.js';

const ddb = useDynamoDbLocal();

describe('a reconcile slice ahead of the stream', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb: ddb(), r53: { throttle: false }, noPoller: true });
    await env.table.putMany([L('spam', '10.9.9.9'), L('proxy', '2001:db8::1'), L('spam', '192.0.2.0/24')]);
    await drain(env, { batchSize: 100 });
    // Seeds the published table: the stream writer now plans from it.
    await runPass(inProcessSteps(deps(env), { sliceListings: 4 }));
    expect(await env.published.isSeeded()).toBe(true);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 120_000);
  afterAll(async () => env?.stop());

  it('a range listed, a pass over one network inside it, then the stream: the whole range answers', async () => {
    const range = L('spam', '10.1.0.0/16', { reason: 'whole range' });
    const inner = L('proxy', '10.1.200.7');
    await env.table.put(range, null);
    await env.table.put(inner, null);
    await runPass(inProcessSteps(deps(env), { network: '10.1.2.0/24', sliceListings: 4 }));
    await drain(env, { batchSize: 100 });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(await publishedVsTable(env)).toEqual([]);
  });

  it('a range changed and another delisted, a pass over one network inside each, then the stream', async () => {
    const cur = await env.table.get('spam', L('spam', '10.1.0.0/16').network);
    await env.table.put(L('spam', '10.1.0.0/16', { reason: 'changed reason' }), cur!.version);
    const old = await env.table.get('spam', L('spam', '192.0.2.0/24').network);
    await env.table.delete('spam', old!.network, old!.version);
    await runPass(inProcessSteps(deps(env), { network: '10.1.77.0/24', sliceListings: 4 }));
    await runPass(inProcessSteps(deps(env), { network: '192.0.2.128/25', sliceListings: 4 }));
    await drain(env, { batchSize: 100 });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(await publishedVsTable(env)).toEqual([]);
  });

  it('a listing synced by the stream that the index does not show yet keeps its records through a pass', async () => {
    // Listed and synced (the stream has run), but the index the slices read from lags the table.
    const hidden = [L('spam', '44.3.0.0/16', { reason: 'hidden range' }), L('proxy', '44.7.7.7', { reason: 'hidden host' }), L('spam', '2001:db8:77::/48', { reason: 'hidden v6' })];
    for (const l of hidden) await env.table.put(l, null);
    await drain(env, { batchSize: 100 });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    const same = (a: { list: string; network: { start: bigint; prefix: number } }, b: typeof a) => a.list === b.list && a.network.start === b.network.start && a.network.prefix === b.network.prefix;
    const lagging = new Proxy(env.table, {
      get(target, prop, receiver) {
        if (prop === 'startingIn') return async (...a: Parameters<ListingsTable['startingIn']>) => (await target.startingIn(...a)).filter((l) => !hidden.some((h) => same(h, l)));
        if (prop === 'firstStartingIn')
          return async (...a: Parameters<ListingsTable['firstStartingIn']>) => {
            const [lists, family, lo, hi, keep] = a;
            return target.firstStartingIn(lists, family, lo, hi, (l) => !hidden.some((h) => same(h, l)) && keep(l));
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const r = await runPass(inProcessSteps({ ...deps(env), table: lagging }, { sliceListings: 4 }));
    expect(r.failedSlices).toBe(0);
    // Compared before anything else runs: nothing of the hidden listings was deleted.
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(await publishedVsTable(env)).toEqual([]);
  });
});
