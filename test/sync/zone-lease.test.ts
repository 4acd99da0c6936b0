// One writer, really (issue 10.4): the zone lease is renewed while its holder works, and every
// write is fenced, so a writer paused past its lease sends nothing more, whatever it had planned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route53Zone } from '../../lambdas/adapters/route53-zone.js';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { createStreamSyncHandler } from '../../lambdas/handlers/stream-sync.js';
import { L, overriding, startSyncEnv, streamRecord, type SyncEnv, useDynamoDbLocal, zoneDiff } from './sync-env.js';

const now = () => Date.now() / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ddb = useDynamoDbLocal();

describe('zone lease', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb: ddb(), r53: { throttle: false }, noPoller: true });
  });
  afterAll(async () => env?.stop());

  const doc = () => (env.table as unknown as { doc: ConstructorParameters<typeof ZoneLock>[0] }).doc;

  it('is renewed while held, refuses writes once it may have run out, and is never taken back from the next holder', async () => {
    const a = new ZoneLock(doc(), env.names.journal, 'lease.test', { leaseMs: 1200, renewEveryMs: 200, marginMs: 300 });
    expect(await a.acquire(0)).toBe(true);
    await sleep(1500); // past the first lease: renewal kept it
    expect(() => a.fence()).not.toThrow();
    const b = new ZoneLock(doc(), env.names.journal, 'lease.test', { leaseMs: 1200 });
    expect(await b.acquire(0)).toBe(false);
    await a.release();
    expect(await b.acquire(0)).toBe(true);
    await b.release();

    // A frozen holder (no renewal runs): its own clock refuses writes before the lease can lapse.
    const frozen = new ZoneLock(doc(), env.names.journal, 'lease.test', { leaseMs: 1000, renewEveryMs: 60_000, marginMs: 300 });
    expect(await frozen.acquire(0)).toBe(true);
    expect(() => frozen.fence()).not.toThrow();
    await sleep(750);
    expect(() => frozen.fence()).toThrow(/lease/);
    const next = new ZoneLock(doc(), env.names.journal, 'lease.test', { leaseMs: 5000 });
    expect(await next.acquire(3000)).toBe(true);
    await frozen.renew(); // the late renewal finds the lease taken
    expect(() => frozen.fence()).toThrow(/lease/);
    await frozen.release(); // must not delete the next holder's lease
    const third = new ZoneLock(doc(), env.names.journal, 'lease.test', { leaseMs: 5000 });
    expect(await third.acquire(0)).toBe(false);
    expect(() => next.fence()).not.toThrow();
    await next.release();
  });

  it('a writer paused past its lease sends no change after another took it; the zone ends equal to the plan', async () => {
    const range = L('spam', '10.1.0.0/16', { reason: 'range' });
    const host = L('proxy', '10.1.2.3', { reason: 'host' });
    await env.table.put(range, null);
    await env.table.put(host, null);

    let pause: Promise<void> | undefined;
    let sentByA = 0;
    const pausing = (zone: Route53Zone): Route53Zone =>
      overriding(zone, {
        apply: async (...args) => {
          if (pause) await pause;
          const r = await zone.apply(...args);
          sentByA++;
          return r;
        },
      });
    const deps = { cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, nowSeconds: now };
    // A: a short lease that a frozen process cannot renew.
    const lockA = new ZoneLock(doc(), env.names.journal, env.cfg.zone, { leaseMs: 1500, renewEveryMs: 60_000, marginMs: 400 });
    const handlerA = createStreamSyncHandler({ ...deps, zone: pausing(env.zone), lock: lockA });
    const handlerB = createStreamSyncHandler({ ...deps, zone: env.zone, lock: new ZoneLock(doc(), env.names.journal, env.cfg.zone, { leaseMs: 30_000 }) });
    // Both containers have checked the test points already.
    await handlerB({ Records: [] });
    await handlerA({ Records: [streamRecord(host, 'INSERT', '0')] }).then(async (r) => {
      expect(r.batchItemFailures).toEqual([]);
    });

    let resume!: () => void;
    pause = new Promise((r) => (resume = r));
    const sentBefore = sentByA;
    const a = handlerA({ Records: [streamRecord(range, 'INSERT', '1')] }, { getRemainingTimeInMillis: () => 60_000 });
    await sleep(200); // A holds the lease and is paused before its first zone write
    const b = await handlerB({ Records: [streamRecord(host, 'INSERT', '2')] }, { getRemainingTimeInMillis: () => 60_000 });
    expect(b.batchItemFailures).toEqual([]); // B waited for A's lease to lapse, then wrote
    const appliedBefore = env.r53.stats().changesApplied;
    resume();
    pause = undefined;
    const ra = await a;
    expect(ra.batchItemFailures).toEqual([{ itemIdentifier: '1' }]); // retried whole
    expect(sentByA).toBe(sentBefore);
    expect(env.r53.stats().changesApplied).toBe(appliedBefore);
    // Redelivered (to either container), the batch converges.
    expect((await handlerB({ Records: [streamRecord(range, 'INSERT', '1')] })).batchItemFailures).toEqual([]);
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 60_000);
});
