// The convergence test, shared by convergence-*.test.ts: random listings, ranges, exclusions and
// delistings written far ahead of the stream, drained in random batch sizes while Route 53
// throttles, resets and times out, invocations crash before and after their work, and leases are
// stolen; the zone must then equal the plan BEFORE any reconcile. Each file runs it with its own
// seeds, so the run is split over files that each finish well inside two minutes (and run in
// parallel) instead of one file of several minutes.
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { reconcileZone } from '../../lambdas/services/reconcile.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { networkArb } from '../core/arbitraries.js';
import { drain, L, overriding, startSyncEnv, type SyncEnv, zoneDiff } from './sync-env.js';

const now = () => Date.now() / 1000;

export interface ConvergenceRun {
  /** Seeds of the operations, the batch sizes and the Route 53 faults. */
  seeds: { ops: number; sizes: number; faults: number };
  /** Operations written (the table runs `drainEvery` operations ahead of the stream). */
  operations: number;
  drainEvery: number;
}

export function convergenceSuite(run: ConvergenceRun): void {
  let ddb: DynamoDbLocal;
  let env: SyncEnv;
  let thefts = 0;
  let applies = 0;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    env = await startSyncEnv({
      ddb, batchSize: 50, chunkRegions: 7, noPoller: true,
      // Resets and timeouts, before and after the operation ran, in 1 of 40 requests; wildcards in
      // the order Route 53 documents (the stand-in's default).
      r53: { throttle: { burst: 20, ratePerSecond: 50 }, maxRRSetsPerZone: 1_000_000, faults: { random: { oneIn: 40, seed: run.seeds.faults }, holdMs: 5_000 } },
      requestTimeoutMs: 1_000,
      // Every 23rd request, another writer takes the lease first (as if this one had been paused
      // past it): the fence must stop the request, and the batch is retried whole.
      wrapZone: (zone) =>
        overriding(zone, {
          apply: async (...args) => {
            if (++applies % 23 === 0) {
              thefts++;
              await stealLease(env);
            }
            return zone.apply(...args);
          },
        }),
    });
  });
  afterAll(async () => {
    await env?.stop();
    await ddb?.stop();
  });

  describe(`convergence under throttling, injected failures and crashes (seeds ${JSON.stringify(run.seeds)})`, () => {
    it('ends with zero differences before any reconcile, with the table far ahead of the stream, faults, crashes and lost leases', async () => {
      const rnd = fc.sample(fc.tuple(networkArb, fc.integer({ min: 0, max: 99 }), fc.constantFrom('spam', 'proxy')), { numRuns: run.operations, seed: run.seeds.ops });
      const sizes = fc.sample(fc.integer({ min: 1, max: 50 }), { numRuns: 4000, seed: run.seeds.sizes });
      let s = 0;
      // Crash deterministically: every 5th invocation after its work is done, every 7th before.
      let crashes = 0;
      let afterCalls = 0;
      let beforeCalls = 0;
      env.crash.afterSync = () => ++afterCalls % 5 === 0 && ++crashes > 0;
      env.crash.beforeSync = () => ++beforeCalls % 7 === 0 && ++crashes > 0;
      let ops = 0;
      for (let i = 0; i < rnd.length; i++) {
        const [network, dice, list] = rnd[i]!;
        if (network.family === 4 && network.start >> 24n === 127n) continue;
        if (i % 200 === 0) env.r53.faults.failNext('ChangeResourceRecordSets', i % 400 === 0 ? 'Throttling' : 'ServiceUnavailable', 2);
        const cur = await env.table.get(list, network);
        if (dice < 55) {
          await env.table.put(L(list, '0.0.0.0', { network, reason: `r${dice % 7}`, expiresAt: dice % 11 === 0 ? Math.floor(now()) - 10 : undefined }), cur ? cur.version : null);
        } else if (dice < 75 && cur) {
          await env.table.delete(list, network, cur.version);
        } else {
          await env.table.put(L(list, '0.0.0.0', { network, reason: 'allow', exclusion: true }), cur ? cur.version : null);
        }
        ops++;
        // The stream drained in random batch sizes only every drainEvery operations: the table runs far ahead.
        if (i % run.drainEvery === run.drainEvery - 1) await drain(env, { batchSize: 50, pick: () => sizes[s++ % sizes.length]! });
      }
      await drain(env, { batchSize: 50, pick: () => sizes[s++ % sizes.length]! });
      env.crash.afterSync = undefined;
      env.crash.beforeSync = undefined;
      // Compared BEFORE any reconcile.
      expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
      expect(env.failures).toEqual([]);
      expect(ops).toBeGreaterThan(run.operations * 0.9);
      expect(crashes).toBeGreaterThan(5);
      expect(thefts).toBeGreaterThan(2);
      expect(env.r53.stats().throttled + env.zone.stats.retries).toBeGreaterThan(0);
      const injected = env.r53.faults.injected();
      expect(Object.keys(injected).length).toBeGreaterThan(1); // resets and timeouts both happened
      // And reconcile has nothing to repair.
      const rec = await reconcileZone({ cfg: env.cfg, table: env.table, published: env.published, zone: env.zone, nowSeconds: now }, { dryRun: true });
      console.log(`convergence: ${ops} operations, ${crashes} crashes, ${thefts} lost leases, faults ${JSON.stringify(injected)}, retries ${JSON.stringify(env.zone.stats.retriesByCause)}, reconcile would repair ${rec.drift} rrsets`);
      expect(rec.drift).toBe(0);
    }, 900_000);
  });
}

/** Another writer takes the zone lease from the current holder (whose lease is treated as lapsed) and lets it go. */
async function stealLease(env: SyncEnv): Promise<void> {
  const doc = (env.table as unknown as { doc: DynamoDBDocumentClient }).doc;
  await doc.send(new DeleteCommand({ TableName: env.names.journal, Key: { pk: 'STATE', sk: `lock#${env.cfg.zone}` } }));
  const thief = new ZoneLock(doc, env.names.journal, env.cfg.zone, { leaseMs: 5_000 });
  if (!(await thief.acquire(0))) throw new Error('the thief could not take the lease');
  await thief.release();
  await env.lock.renew(); // the holder's next renewal finds the lease gone
}
