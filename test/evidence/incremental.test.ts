// "Policy evaluation is incremental (per event, per affected prefix), not a scan" (issue 14), on
// DynamoDB Local: the DynamoDB calls and the items they return for one event are counted with an
// empty table, and again after 10,000 level-1 listings (half of them in the event's own /16, outside
// the prefixes its escalation considers) and 10,000 evidence aggregates were loaded. The counts
// must not move, and no call may be a Scan.
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNetwork, networkKey, type Network } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { LEVEL1_SOURCE } from '../../lambdas/core/evidence-policy.js';
import { type EvidenceEnv, startEvidenceEnv, T0 } from './support.js';

const H = 3600;
const N = 10_000;
let env: EvidenceEnv;

beforeAll(async () => {
  env = await startEvidenceEnv();
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

interface Tally {
  calls: Record<string, number>;
  itemsRead: number;
}

/** Counts every DynamoDB call made through the env's client while `f` runs, and the items they returned. */
async function counted<T>(f: () => Promise<T>): Promise<{ result: T; tally: Tally }> {
  const tally: Tally = { calls: {}, itemsRead: 0 };
  const name = `count-${Math.random()}`;
  env.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const cmd = String(context.commandName ?? 'unknown');
      tally.calls[cmd] = (tally.calls[cmd] ?? 0) + 1;
      const out = await next(args);
      const o = out.output as { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]> };
      tally.itemsRead += (o.Items?.length ?? 0) + (o.Item ? 1 : 0) + Object.values(o.Responses ?? {}).reduce((n, r) => n + (Array.isArray(r) ? r.length : 0), 0);
      return out;
    },
    { step: 'initialize', name },
  );
  try {
    return { result: await f(), tally };
  } finally {
    env.doc.middlewareStack.remove(name);
  }
}

const v4 = (a: number, b: number, c: number, d: number): Network => ({ family: 4, start: BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d), prefix: 32 });

function level1(n: Network): Listing {
  const at = new Date((T0 - H) * 1000).toISOString();
  return { list: 'spam', network: n, reason: 'evidence: spamtrap x1', source: LEVEL1_SOURCE, createdAt: at, updatedAt: at, expiresAt: T0 + 100 * H, exclusion: false };
}

/** One event for a new address, as a feed sends it. */
const oneEvent = (ip: string, id: string) => env.intake().submit([{ ip, kind: 'spamtrap', observedAt: T0 - 60, id, reporter: 'trapnet' }], 'feed');

describe('evidence intake: the cost of one event does not grow with the tables', () => {
  it('makes the same DynamoDB calls, reading the same items, for one event before and after 10,000 listings and aggregates', async () => {
    env.clock.now = T0;
    // A first event warms the per-container caches (the prefix census records /32 once).
    await oneEvent('41.5.201.10', 'warm-up');
    // 41.7.0.0/16 and 41.9.0.0/16: fresh, alike; the load goes into 41.9.0.0/16 outside 41.9.200.0/22.
    const before = await counted(() => oneEvent('41.7.201.10', 'first'));
    expect(before.result.writes).toEqual([{ list: 'spam', network: '41.7.201.10', status: 'created' }]);

    const inSameSlash16 = Array.from({ length: N / 2 }, (_, i) => level1(v4(41, 9, Math.floor(i / 250), (i % 250) + 1)));
    const elsewhere = Array.from({ length: N / 2 }, (_, i) => level1(v4(42 + (i % 50), Math.floor(i / 50), 7, 9)));
    await env.table.putMany([...inSameSlash16, ...elsewhere], 8);
    // Aggregates as the store keeps them (one item per address).
    const aggs = [...inSameSlash16, ...elsewhere].map((l) => ({
      PutRequest: { Item: { pk: `A#${networkKey(l.network)}`, sk: 'A', rev: 1, recent: [{ id: `seed-${formatNetwork(l.network)}`, t: T0 - H, k: 'spamtrap', r: 'trapnet' }], counts: { spamtrap: 1 }, reporters: ['trapnet'], offences: {}, first: T0 - H, last: T0 - H } },
    }));
    for (let i = 0; i < aggs.length; i += 25) {
      await env.doc.send(new BatchWriteCommand({ RequestItems: { [env.store.tableName]: aggs.slice(i, i + 25) } }));
    }
    // The same shape of event, with a full table: its /16 holds 5,000 listings, none in its /22.
    const after = await counted(() => oneEvent('41.9.201.10', 'second'));
    expect(after.result.writes).toEqual([{ list: 'spam', network: '41.9.201.10', status: 'created' }]);

    expect(after.tally.calls).toEqual(before.tally.calls);
    expect(after.tally.itemsRead).toBe(before.tally.itemsRead);
    expect(Object.keys(after.tally.calls).filter((c) => /Scan/.test(c))).toEqual([]);
    // A handful of calls, whatever the table holds (evidence, aggregate, policy reads, one write).
    const total = Object.values(after.tally.calls).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(40);
    console.log(`one event: ${total} DynamoDB calls ${JSON.stringify(after.tally.calls)}, ${after.tally.itemsRead} items read`);
  }, 110_000);

  it('reads the listings of the affected prefixes only: one more listing inside the event\'s /22 is read, one outside is not', async () => {
    env.clock.now = T0;
    const base = await counted(() => oneEvent('41.11.201.10', 'third'));
    await env.table.putMany([level1(v4(41, 13, 202, 1)), level1(v4(41, 13, 150, 1))]);
    const more = await counted(() => oneEvent('41.13.201.10', 'fourth'));
    // 41.13.202.1 is inside 41.13.200.0/22 (read by the /22 candidate only); 41.13.150.1 is not read.
    expect(more.tally.calls).toEqual(base.tally.calls);
    expect(more.tally.itemsRead).toBe(base.tally.itemsRead + 1);
  }, 60_000);
});
