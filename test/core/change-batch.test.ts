import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Change, changeCost, diffRRSets, MAX_CHARACTERS, MAX_ELEMENTS, packBatches, repairRefused } from '../../lambdas/core/change-batch.js';
import { refusedChanges } from '../../lambdas/adapters/route53-zone.js';
import { type RRSet, rrsetKey, sameRRSet, txtValue } from '../../lambdas/core/rrset.js';

const rrsetArb: fc.Arbitrary<RRSet> = fc
  .record({
    label: fc.integer({ min: 0, max: 60 }),
    type: fc.constantFrom('A' as const, 'TXT' as const),
    ttl: fc.constantFrom(60, 300),
    n: fc.integer({ min: 1, max: 4 }),
    len: fc.integer({ min: 1, max: 700 }),
  })
  .map(({ label, type, ttl, n, len }) => ({
    name: `${label}.2.0.192.bl.test.`,
    type,
    ttl,
    values: Array.from({ length: n }, (_, i) => (type === 'A' ? `127.0.0.${i + 2}` : txtValue(`${i}`.repeat(len)))),
  }));

const rrsetsArb = fc.uniqueArray(rrsetArb, { selector: rrsetKey, maxLength: 60 });

function apply(current: Map<string, RRSet>, batch: Change[]): void {
  const keys = batch.map((c) => rrsetKey(c.rrset));
  expect(new Set(keys).size, 'an rrset twice in one batch').toBe(keys.length);
  for (const c of batch) {
    const key = rrsetKey(c.rrset);
    if (c.action === 'CREATE') {
      expect(current.has(key), `CREATE of existing ${key}`).toBe(false);
      current.set(key, c.rrset);
    } else if (c.action === 'DELETE') {
      expect(current.has(key) && sameRRSet(current.get(key)!, c.rrset), `inexact DELETE of ${key}`).toBe(true);
      current.delete(key);
    } else current.set(key, c.rrset);
  }
}

describe('change batches', () => {
  it('turn any current zone into any desired one, within the per-request limits', () => {
    fc.assert(
      fc.property(rrsetsArb, rrsetsArb, fc.integer({ min: 8, max: 1000 }), (current, desired, elements) => {
        const limits = { elements, characters: MAX_CHARACTERS };
        const zone = new Map(current.map((r) => [rrsetKey(r), r]));
        const batches = packBatches(diffRRSets(current, desired), limits);
        for (const b of batches) {
          const cost = b.map(changeCost).reduce((a, c) => ({ e: a.e + c.elements, ch: a.ch + c.characters }), { e: 0, ch: 0 });
          expect(cost.e).toBeLessThanOrEqual(limits.elements);
          expect(cost.ch).toBeLessThanOrEqual(limits.characters);
          expect(b.length).toBeGreaterThan(0);
          apply(zone, b);
        }
        expect(new Map([...zone].sort())).toEqual(new Map(desired.map((r) => [rrsetKey(r), r] as const).sort()));
      }),
      { numRuns: 500 },
    );
  });

  it('counts UPSERT twice and fills requests close to the limit', () => {
    const rr = (i: number): RRSet => ({ name: `${i}.bl.test.`, type: 'A', ttl: 300, values: ['127.0.0.2', '127.0.0.3'] });
    expect(changeCost({ action: 'UPSERT', rrset: rr(1) })).toEqual({ elements: 4, characters: 36 });
    expect(changeCost({ action: 'CREATE', rrset: rr(1) })).toEqual({ elements: 2, characters: 18 });
    const creates = packBatches(Array.from({ length: 1000 }, (_, i) => ({ action: 'CREATE' as const, rrset: rr(i) })));
    expect(creates.map((b) => b.length)).toEqual([500, 500]);
    const upserts = packBatches(Array.from({ length: 1000 }, (_, i) => ({ action: 'UPSERT' as const, rrset: rr(i) })));
    expect(upserts.map((b) => b.length)).toEqual([250, 250, 250, 250]);
    const long: RRSet = { name: 'x.bl.test.', type: 'TXT', ttl: 300, values: [txtValue('z'.repeat(3000))] };
    const chars = packBatches(Array.from({ length: 30 }, (_, i) => ({ action: 'CREATE' as const, rrset: { ...long, name: `${i}.bl.test.` } })));
    expect(chars[0]!.length).toBe(10); // 10 x 3,012 characters fit in 32,000
    expect(MAX_ELEMENTS).toBe(1000);
  });

  it('keeps A and TXT of one name in the same request', () => {
    const changes: Change[] = [];
    for (let i = 0; i < 400; i++) {
      for (const type of ['A', 'TXT'] as const) {
        changes.push({ action: 'CREATE', rrset: { name: `${i}.bl.test.`, type, ttl: 1, values: [type === 'A' ? '127.0.0.2' : '"t"'] } });
      }
    }
    for (const b of packBatches(changes, { elements: 333, characters: MAX_CHARACTERS })) {
      const names = new Map<string, number>();
      for (const c of b) names.set(c.rrset.name, (names.get(c.rrset.name) ?? 0) + 1);
      expect([...names.values()].every((n) => n === 2)).toBe(true);
    }
  });
});

describe('repairing a refused request', () => {
  const a = (name: string): RRSet => ({ name, type: 'A', ttl: 300, values: ['127.0.0.2'] });
  const message =
    "[Tried to create resource record set [name='\\052.2.0.192.bl.test.', type='A'] but it already exists, " +
    "Tried to delete resource record set [name='7.2.0.192.bl.test.', type='A'] but it was not found]";

  it('reads the refusals out of Route 53\'s message', () => {
    expect(refusedChanges(message)).toEqual([
      { name: '*.2.0.192.bl.test.', type: 'A', problem: 'exists' },
      { name: '7.2.0.192.bl.test.', type: 'A', problem: 'not-found' },
    ]);
    expect(refusedChanges('Number of records limit of 1000 exceeded.')).toEqual([{ name: '', type: '', problem: 'other' }]);
    expect(refusedChanges("[Tried to delete resource record set [name='x.bl.test.', type='A'] but the values provided do not match the current values]")[0]!.problem).toBe('other');
  });

  it('turns an existing CREATE into UPSERT and drops a DELETE of what is gone, and gives up otherwise', () => {
    const batch: Change[] = [
      { action: 'CREATE', rrset: a('*.2.0.192.bl.test.') },
      { action: 'DELETE', rrset: a('7.2.0.192.bl.test.') },
      { action: 'CREATE', rrset: a('8.2.0.192.bl.test.') },
    ];
    expect(repairRefused(batch, refusedChanges(message))).toEqual([
      { action: 'UPSERT', rrset: a('*.2.0.192.bl.test.') },
      { action: 'CREATE', rrset: a('8.2.0.192.bl.test.') },
    ]);
    expect(repairRefused(batch, [{ name: 'x.', type: 'A', problem: 'other' }])).toBeUndefined();
    expect(repairRefused(batch, [])).toBeUndefined();
  });
});
