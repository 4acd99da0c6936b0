// Route53Zone.readNames against the Route 53 stand-in, under both places a wildcard can sort in
// ListResourceRecordSets: Route 53 documents the raw '*' (before digits) but writes the name back as
// "\052" (which sorts after digits). readNames must return every rrset in its roots' subtrees and at
// its exact names whichever order the service uses, with few calls (they share the account's
// 10 requests/s with the writes).
import type { Route53Client } from '@aws-sdk/client-route-53';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Route53Zone } from '../../lambdas/adapters/route53-zone.js';
import type { RRSet } from '../../lambdas/core/rrset.js';
import type { Route53StandIn, WildcardOrder } from '../../local/route53/index.js';
import { rr, sdkClient, send, startStandIn } from '../route53-standin/helpers.js';

const ZONE = 'bl.test';
const ORDERS: WildcardOrder[] = ['ascii', 'escaped'];

const standIns = new Map<WildcardOrder, { s: Route53StandIn; client: Route53Client }>();
beforeAll(async () => {
  for (const order of ORDERS) {
    const s = await startStandIn({ wildcardOrder: order });
    standIns.set(order, { s, client: sdkClient(s.endpoint) });
  }
});
afterAll(async () => {
  for (const { s, client } of standIns.values()) {
    client.destroy();
    await s.close();
  }
});

/** A new hosted zone holding an A and a TXT at each name (relative names, `*` allowed leftmost). */
async function zoneWith(order: WildcardOrder, names: readonly string[], types: (n: string) => string[] = () => ['A', 'TXT']): Promise<string> {
  const { s, client } = standIns.get(order)!;
  const id = await s.createZone(ZONE);
  const changes = names.flatMap((n) => types(n).map((t) => rr('CREATE', `${n}.${ZONE}.`, t, 300, [VALUE[t] ?? `"${n}"`])));
  for (let i = 0; i < changes.length; i += 500) await send(client, id, changes.slice(i, i + 500));
  return id;
}

function reader(order: WildcardOrder, id: string, listPageSize?: number): Route53Zone {
  return new Route53Zone(standIns.get(order)!.client, id, ZONE, listPageSize ? { listPageSize } : {});
}

const VALUE: Record<string, string> = { A: '127.0.0.2', CAA: '0 issue ";"' };
const fq = (n: string) => `${n}.${ZONE}.`;
const keys = (rs: readonly RRSet[]) => rs.map((r) => `${r.name} ${r.type}`).sort();

/** What readNames must return: every managed rrset at an exact name or at/below a root. */
function expected(order: WildcardOrder, id: string, roots: readonly string[], exact: readonly string[]): string[] {
  const wanted = (name: string) => exact.includes(name) || roots.some((r) => name === r || name.endsWith(`.${r}`));
  return standIns
    .get(order)!
    .s.rrsets(id)
    .filter((r) => ['A', 'TXT', 'CAA'].includes(r.type) && wanted(r.name))
    .map((r) => `${r.name} ${r.type}`)
    .sort();
}

describe('Route53Zone.readNames', () => {
  for (const order of ORDERS) {
    it(`finds wildcards next to digit labels when '*' sorts ${order === 'ascii' ? 'raw (Route 53)' : 'escaped'}`, async () => {
      const id = await zoneWith(order, ['*.2.0.10', '3.2.0.10', '*.0.10', '5.0.10']);
      const zone = reader(order, id);
      const read = () => zone.readNames([fq('3.2.0.10'), fq('5.0.10')], [fq('*.2.0.10'), fq('*.0.10')]);
      const all = ['*.2.0.10', '3.2.0.10', '*.0.10', '5.0.10'].flatMap((n) => [`${fq(n)} A`, `${fq(n)} TXT`]).sort();
      expect(keys(await read())).toEqual(all);
      // Calls: one in Route 53's order. In the other, the first read starts where Route 53's order
      // would put the first target, learns from the page that the order is not that one, and reads
      // the rest; later reads on the same Route53Zone start right.
      const cold = zone.stats.listCalls;
      expect(keys(await read())).toEqual(all);
      const warm = zone.stats.listCalls - cold;
      console.log(`readNames example, '*' ${order}: ${cold} ListResourceRecordSets call(s) cold, ${warm} warm`);
      expect([cold, warm]).toEqual(order === 'ascii' ? [1, 1] : [3, 1]);
    });

    it(`finds absent and present wildcards among many names ('*' ${order}), paging`, async () => {
      // 10.0.0.0/16 with a /24 wildcard at 10.0.7, names in 10.0.1 .. 10.0.9, and a /16 wildcard.
      const names = ['*.0.10', '*.7.0.10'];
      for (let c = 1; c <= 9; c++) for (let d = 0; d < 20; d++) names.push(`${d}.${c}.0.10`);
      const id = await zoneWith(order, names);
      const roots = [fq('3.7.0.10'), fq('250.7.0.10'), fq('5.2.0.10'), fq('9.0.10')];
      const exact = [fq('*.7.0.10'), fq('*.2.0.10'), fq('*.0.10'), fq('*.9.0.10')];
      for (const pageSize of [7, 300]) {
        const zone = reader(order, id, pageSize);
        expect(keys(await zone.readNames(roots, exact))).toEqual(expected(order, id, roots, exact));
        const cold = zone.stats.listCalls;
        expect(keys(await zone.readNames(roots, exact))).toEqual(expected(order, id, roots, exact));
        console.log(`readNames paging, '*' ${order}, pages of ${pageSize}: ${cold} calls cold, ${zone.stats.listCalls - cold} warm`);
      }
    });
  }

  it('reads regions with about as many calls as the pages they span (call counts)', async () => {
    // 2,000 addresses in 10.0.0.0/12 as /32 names plus a /16 and twenty /24 ranges as wildcards
    // (~4,050 rrsets, 14 pages); reads of 5 and of 40 regions (/32s, about half of them listed) with
    // their ancestor wildcards, as the sync's fallback reads them.
    let seed = 7; // mulberry32
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const names = new Set<string>(['*.3.10']);
    for (let i = 0; i < 20; i++) names.add(`*.${rand(256)}.${rand(16)}.10`);
    while (names.size < 2021) names.add(`${rand(256)}.${rand(256)}.${rand(16)}.10`);
    const listed = [...names].filter((n) => !n.startsWith('*'));
    const ids = new Map<WildcardOrder, string>();
    for (const order of ORDERS) ids.set(order, await zoneWith(order, [...names]));
    const counts: string[] = [];
    for (const [size, bound] of [
      [5, 8],
      [40, 16],
    ] as const) {
      const regions = new Set<string>();
      while (regions.size < size) regions.add(rand(2) === 0 ? listed[rand(listed.length)]! : `${rand(256)}.${rand(256)}.${rand(16)}.10`);
      const roots = [...regions].map(fq);
      const exact = [...new Set([...regions].flatMap((r) => {
        const [, c, b] = r.split('.');
        return [`*.${c}.${b}.10`, `*.${b}.10`, '*.10'];
      }))].map(fq);
      for (const order of ORDERS) {
        const id = ids.get(order)!;
        const zone = reader(order, id);
        const want = expected(order, id, roots, exact);
        expect(keys(await zone.readNames(roots, exact))).toEqual(want);
        const cold = zone.stats.listCalls;
        expect(keys(await zone.readNames(roots, exact))).toEqual(want);
        const warm = zone.stats.listCalls - cold;
        counts.push(`${size} regions, '*' ${order}: ${cold} cold, ${warm} warm`);
        expect(Math.max(cold, warm)).toBeLessThanOrEqual(bound);
      }
    }
    console.log(`readNames call counts: ${counts.join('; ')}`);
  });

  it('returns the same as a full listing for random zones and reads, under both wildcard orders (property)', async () => {
    const label = fc.constantFrom('0', '1', '2', '10', 'a', '-1');
    const relName = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([ls, wild]) => (wild ? ['*', ...ls] : ls).join('.'));
    const plainName = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'));
    const types = fc.constantFrom(['A'], ['TXT'], ['A', 'TXT'], ['CAA']);
    // Roots and exact names are mostly taken from the zone's names and their ancestors, so that reads
    // meet the records (a random name rarely would).
    const scenario = fc.uniqueArray(fc.tuple(relName, types), { maxLength: 40, selector: ([n]) => n }).chain((records) => {
      const inZone = records.flatMap(([n]) => n.split('.').map((_, i, ls) => ls.slice(i).join('.')));
      const pick = (other: fc.Arbitrary<string>) => (inZone.length > 0 ? fc.oneof(fc.constantFrom(...inZone), other) : other);
      return fc.tuple(
        fc.constantFrom(...ORDERS),
        fc.constant(records),
        fc.array(pick(plainName).filter((n) => !n.startsWith('*')), { maxLength: 4 }),
        fc.array(pick(relName), { maxLength: 4 }),
      );
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ([order, records, rootNames, exactNames]) => {
        const typeOf = new Map(records);
        const id = await zoneWith(order, records.map(([n]) => n), (n) => typeOf.get(n)!);
        const roots = rootNames.map(fq);
        const exact = exactNames.map(fq);
        const want = expected(order, id, roots, exact);
        for (const pageSize of [1, 3, 300]) {
          const zone = reader(order, id, pageSize);
          // Twice on one reader: the second read runs with what the first learned of the order.
          expect(keys(await zone.readNames(roots, exact))).toEqual(want);
          expect(keys(await zone.readNames(roots, exact))).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
