// A stream that lags behind the table: a batch plans from the newer table and writes rrsets that a
// later batch's plan(before) believes absent. Remembering what was written sends those as UPSERT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecentWrites } from '../../lambdas/core/recent-writes.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { L, startSyncEnv, zoneDiff } from './sync-env.js';


let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

describe('recent writes', () => {
  it('keeps wildcards and markers, forgetting the oldest beyond its capacity and what was deleted', () => {
    const r = new RecentWrites(2);
    const rr = (name: string) => ({ name, type: 'A' as const, ttl: 300, values: ['127.0.0.2'] });
    r.record([{ action: 'CREATE', rrset: rr('*.a.') }, { action: 'UPSERT', rrset: rr('*.b.') }, { action: 'CREATE', rrset: rr('*.c.') }]);
    expect([r.has(rr('*.a.')), r.has(rr('*.b.')), r.has(rr('*.c.'))]).toEqual([false, true, true]);
    r.record([{ action: 'DELETE', rrset: rr('*.b.') }]);
    expect([r.has(rr('*.b.')), r.size]).toEqual([false, 1]);
    // A host's own rrsets belong to one region's plan: not worth the memory.
    r.record([{ action: 'CREATE', rrset: rr('5.2.0.192.') }]);
    expect([r.has(rr('5.2.0.192.')), r.size]).toEqual([false, 1]);
  });

  // Hosts first, then the ranges around them, all in the table before the stream is read.
  const backlog = [L('spam', '192.0.2.5'), L('spam', '2001:db8::5'), L('spam', '192.0.2.0/24'), L('spam', '2001:db8::/48')];

  async function drain(recentWrites?: RecentWrites) {
    const env = await startSyncEnv({ ddb, noPoller: true, batchSize: 1, r53: { throttle: false }, ...(recentWrites ? { recentWrites } : {}) });
    try {
      for (const l of backlog) await env.table.put(l, null);
      await env.poller.start();
      await env.poller.idle();
      const s = env.r53.stats();
      expect(zoneDiff(await env.planned(Date.now() / 1000), env.actual())).toEqual([]);
      return (s.requests.ChangeResourceRecordSets ?? 0) - s.changesApplied;
    } finally {
      await env.stop();
    }
  }

  it('spare the refused requests of a backlog (and the zone ends right either way)', async () => {
    const refusedWithout = await drain(new RecentWrites(0));
    const refusedWith = await drain();
    expect(refusedWithout).toBeGreaterThan(0);
    expect(refusedWith).toBe(0);
  });
});
