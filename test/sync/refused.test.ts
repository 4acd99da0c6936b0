// Refused requests (issue 10.3): Route 53 names problems in its message, but the message is not
// trusted to be complete. When a repair from the message does not clear the refusal, the request's
// names are read and diffed against reality, instead of repairing round after round.
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route53Zone } from '../../lambdas/adapters/route53-zone.js';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { createStreamSyncHandler } from '../../lambdas/handlers/stream-sync.js';
import { L, overriding, startSyncEnv, streamRecord, type SyncEnv, useDynamoDbLocal, zoneDiff } from './sync-env.js';

const now = () => Date.now() / 1000;

const ddb = useDynamoDbLocal();

/** A zone whose refusals name only their first problem (a message Route 53 did not promise to make complete). */
function terse(zone: Route53Zone, seen: string[]): Route53Zone {
  return overriding(zone, {
    apply: async (...args) => {
      try {
        return await zone.apply(...args);
      } catch (e) {
        const err = e as Error;
        seen.push(err.message);
        if (err.name === 'InvalidChangeBatch') {
          const first = /Tried to [^\]]*\][^,\]]*/.exec(err.message);
          err.message = first ? `[${first[0]}]` : err.message;
        }
        throw err;
      }
    },
  });
}

describe('refused requests', () => {
  let env: SyncEnv;
  beforeAll(async () => {
    env = await startSyncEnv({ ddb: ddb(), r53: { throttle: false }, noPoller: true });
  });
  afterAll(async () => env?.stop());

  it('settles a refusal the message describes only in part by reading the names, in a bounded number of requests', async () => {
    const seen: string[] = [];
    const handler = createStreamSyncHandler({
      cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, nowSeconds: now,
      zone: terse(env.zone, seen),
      lock: new ZoneLock((env.table as unknown as { doc: ConstructorParameters<typeof ZoneLock>[0] }).doc, env.names.journal, env.cfg.zone),
    });
    expect((await handler({ Records: [streamRecord(L('spam', '192.0.2.1'), 'INSERT', '1')] })).batchItemFailures).toEqual([]);
    // Behind the publisher's back: the names the next batch creates exist already (with other
    // values), and a record it deletes has other values than planned.
    const hosts = [11, 12, 13, 14, 15, 16].map((i) => L('spam', `198.51.100.${i}`, { reason: 'planned' }));
    const client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new ChangeResourceRecordSetsCommand({
      HostedZoneId: env.zoneId,
      ChangeBatch: { Changes: [
        ...[11, 12, 13, 14, 15, 16].map((i) => ({ Action: 'CREATE' as const, ResourceRecordSet: { Name: `${i}.100.51.198.bl.test.`, Type: 'TXT' as const, TTL: 300, ResourceRecords: [{ Value: '"tampered"' }] } })),
        { Action: 'UPSERT', ResourceRecordSet: { Name: '1.2.0.192.bl.test.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '127.0.0.9' }] } },
      ] },
    }));
    for (const h of hosts) await env.table.put(h, null);
    await env.table.delete('spam', L('spam', '192.0.2.1').network);
    const remove = streamRecord(L('spam', '192.0.2.1'), 'REMOVE', '9');
    const before = { ...env.zone.stats };
    const r = await handler({ Records: [...hosts.map((h, i) => streamRecord(h, 'INSERT', String(10 + i))), remove] });
    expect(r.batchItemFailures).toEqual([]);
    expect(seen.length).toBeGreaterThan(0); // it was refused
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    // First request, one repair from the message, one read of the names, one settling request.
    expect(env.zone.stats.changeCalls - before.changeCalls).toBeLessThanOrEqual(3);
    expect(env.zone.stats.listCalls - before.listCalls).toBeLessThanOrEqual(2);
  });
});
