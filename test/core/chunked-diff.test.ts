import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Change, diffRRSets } from '../../lambdas/core/change-batch.js';
import { ChunkedDiff } from '../../lambdas/core/chunked-diff.js';
import { type RRSet, rrsetKey, sameRRSet } from '../../lambdas/core/rrset.js';

// A zone of up to 24 names x 2 types; each key has a value or is absent.
const KEYS = Array.from({ length: 24 }, (_, i) => [`${i}.2.0.192.bl.test.`, i % 3 === 0 ? 'TXT' : 'A'] as const);
const zoneArb = fc.array(fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }), { minLength: KEYS.length, maxLength: KEYS.length });
const rrset = (i: number, v: number): RRSet => {
  const [name, type] = KEYS[i]!;
  return { name, type, ttl: 300, values: [type === 'A' ? `127.0.0.${v}` : `"reason ${v}"`] };
};
const restrict = (zone: (number | undefined)[], scope: number[]): RRSet[] => scope.filter((i) => zone[i] !== undefined).map((i) => rrset(i, zone[i]!));
// Regions: each plans an exact set of keys (its scope); neighbouring scopes may overlap.
const scopesArb = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: KEYS.length - 1 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 });
const cutsArb = fc.array(fc.boolean(), { minLength: 12, maxLength: 12 });

/** Applies a change as Route 53 would, failing the test on anything Route 53 refuses. */
function apply(zone: Map<string, RRSet>, c: Change): void {
  const key = rrsetKey(c.rrset);
  if (c.action === 'CREATE') expect(zone.has(key), `CREATE of existing ${key}`).toBe(false);
  if (c.action === 'DELETE') expect(zone.has(key) && sameRRSet(zone.get(key)!, c.rrset), `inexact DELETE of ${key}`).toBe(true);
  if (c.action === 'DELETE') zone.delete(key);
  else zone.set(key, c.rrset);
}

function chunked(scopes: number[][], cuts: boolean[]): number[][][] {
  const chunks: number[][][] = [[]];
  scopes.forEach((s, i) => {
    if (i > 0 && cuts[i]) chunks.push([]);
    chunks[chunks.length - 1]!.push(s);
  });
  return chunks;
}

describe('chunked diff', () => {
  it('gives exactly the changes of one diff of the whole batch, each one accepted, when every chunk sees the same table', () => {
    fc.assert(
      fc.property(zoneArb, zoneArb, scopesArb, cutsArb, (before, now, scopes, cuts) => {
        const zone = new Map(restrict(before, KEYS.map((_, i) => i)).map((r) => [rrsetKey(r), r]));
        const diff = new ChunkedDiff();
        const sent: Change[] = [];
        for (const chunk of chunked(scopes, cuts)) {
          const changes = diff.next(chunk.flatMap((s) => restrict(before, s)), chunk.flatMap((s) => restrict(now, s)));
          for (const c of changes) apply(zone, c);
          sent.push(...changes);
        }
        const all = [...new Set(scopes.flat())];
        const global = diffRRSets(restrict(before, all), restrict(now, all));
        const norm = (cs: Change[]) => cs.map((c) => `${c.action} ${rrsetKey(c.rrset)} ${c.rrset.values}`).sort();
        expect(norm(sent)).toEqual(norm(global));
        // The zone now holds the new plan inside the scopes and the old zone outside them.
        const expected = new Map([...restrict(before, KEYS.map((_, i) => i).filter((i) => !all.includes(i))), ...restrict(now, all)].map((r) => [rrsetKey(r), r]));
        expect(new Map([...zone].sort())).toEqual(new Map([...expected].sort()));
      }),
      { numRuns: 500 },
    );
  });

  it('never sends a change Route 53 refuses, and the last chunk wins, when the table moves between chunks', () => {
    fc.assert(
      fc.property(zoneArb, fc.array(zoneArb, { minLength: 12, maxLength: 12 }), scopesArb, cutsArb, (before, nows, scopes, cuts) => {
        const zone = new Map(restrict(before, KEYS.map((_, i) => i)).map((r) => [rrsetKey(r), r]));
        const diff = new ChunkedDiff();
        const wanted = new Map<string, RRSet>();
        chunked(scopes, cuts).forEach((chunk, k) => {
          const desired = chunk.flatMap((s) => restrict(nows[k]!, s));
          for (const c of diff.next(chunk.flatMap((s) => restrict(before, s)), desired)) apply(zone, c);
          for (const r of desired) wanted.set(rrsetKey(r), r);
        });
        const all = new Set(scopes.flat().map((i) => rrsetKey(rrset(i, 2))));
        for (const key of all) expect(zone.get(key), key).toEqual(wanted.get(key));
      }),
      { numRuns: 500 },
    );
  });
});
