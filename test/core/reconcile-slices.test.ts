import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isActive, type Listing, type ZoneConfig } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { rrsetKey, type RRSet } from '../../lambdas/core/rrset.js';
import {
  mirrorNetworks,
  mirrorPreimages,
  ownsName,
  pastRange,
  planSlice,
  planSlices,
  rangeStartName,
  type ReconcileSlice,
  selectForSlice,
  sliceReads,
  slicesWithin,
} from '../../lambdas/core/reconcile-slices.js';
import { contains, parseNetwork } from '../../lambdas/core/ip.js';
import { CFG, listingSetArb } from './arbitraries.js';

const NOW = 1000;

/** The stand-in's (and Route 53's documented) listing order: labels reversed, trailing dot, raw text. */
function orderKey(name: string): string {
  return name.replace(/\.$/, '').split('.').reverse().join('.') + '.';
}

function weightsOf(listings: readonly Listing[]) {
  return listings.map((l) => ({ network: l.network, count: 1 }));
}

function keyed(rrsets: Iterable<RRSet>): string[] {
  return [...rrsets].map((r) => `${rrsetKey(r)} ${r.ttl} ${[...r.values].sort().join('|')}`).sort();
}

const cfgArb: fc.Arbitrary<ZoneConfig> = fc.boolean().map((mirror) => ({ ...CFG, ipv4ViaIpv6: mirror }));

describe('reconcile slices', () => {
  it('every planned name belongs to exactly one slice, and the per-slice plans united are planZone', () => {
    fc.assert(
      fc.property(cfgArb, listingSetArb(40), fc.integer({ min: 1, max: 12 }), (cfg, listings, bound) => {
        const slices = planSlices(weightsOf(listings), bound);
        const effective = effectiveListings(cfg, listings, NOW);
        const full = [...planZone(cfg, effective)];
        for (const r of full) {
          const owners = slices.filter((s) => ownsName(s, r.name, cfg.zone));
          expect(owners.length, r.name).toBe(1);
        }
        // Each slice planned only from what it would read from the table (plus the test points).
        const united: RRSet[] = [];
        for (const s of slices) {
          const read = selectForSlice(sliceReads(s), listings, (l) => isActive(l, NOW));
          united.push(...planSlice(cfg, s, effectiveListings(cfg, read, NOW)));
        }
        expect(keyed(united)).toEqual(keyed(full));
      }),
      // One run in thousands plans a listed shared range down to its forced leaves for each of up
      // to 40 slices; once (with other work on both cores) the property took 125 s and would now
      // trip the event-loop guard. The runs it reaches in 30 s still check every slice of each.
      { numRuns: 150, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false },
    );
  });

  it('owns any name of the zone (planned or stray) exactly once, and a range read from its start reaches all it owns', () => {
    const label = fc.constantFrom('0', '1', '2', '9', '10', '25', '255', '256', 'a', 'f', 'g', '*', 'x-y', '1-', '00');
    const nameArb = fc.array(label, { minLength: 0, maxLength: 6 }).map((ls) => (ls.length === 0 ? `${CFG.zone}.` : `${[...ls].reverse().join('.')}.${CFG.zone}.`));
    fc.assert(
      fc.property(listingSetArb(30), fc.integer({ min: 1, max: 6 }), fc.uniqueArray(nameArb, { maxLength: 60 }), (listings, bound, names) => {
        const slices = planSlices(weightsOf(listings), bound);
        const sorted = [...names].sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : orderKey(a) > orderKey(b) ? 1 : 0));
        for (const n of names) {
          // "/"-labels are the only gap (see planSlices); none generated here.
          expect(slices.filter((s) => ownsName(s, n, CFG.zone)).length, n).toBe(1);
        }
        for (const s of slices) {
          // Paging from the range's start until pastRange sees every owned name without a '*' label.
          const start = orderKey(rangeStartName(s, CFG.zone));
          const seen = new Set<string>();
          for (const n of sorted) {
            if (orderKey(n) < start) continue;
            if (pastRange(s, n, CFG.zone)) break;
            seen.add(n);
          }
          for (const n of names) {
            if (!ownsName(s, n, CFG.zone) || n.includes('*')) continue;
            if (n === rangeStartName(s, CFG.zone) || orderKey(n) >= start) expect(seen.has(n), `${n} in ${JSON.stringify(s)}`).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps slices within the bound where the tree allows, and merges small labels into shared ranges', () => {
    // 300 hosts in 1.2.3.0/24, 300 in 1.2.4.0/24, and one each in 200 other /8s.
    const listings: Array<{ network: ReturnType<typeof parseNetwork>; count: number }> = [];
    for (let i = 0; i < 300; i++) listings.push({ network: parseNetwork(`1.2.3.${i % 256}/32`), count: 1 }, { network: parseNetwork(`1.2.4.${i % 256}/32`), count: 1 });
    for (let i = 20; i < 220; i++) listings.push({ network: parseNetwork(`${i}.9.9.9/32`), count: 1 });
    const slices = planSlices(listings, 100);
    // The /24s are split down to their hosts' ranges; the small /8s share ranges of ~100.
    expect(slices.some((s) => s.path.join('.') === '1.2.3')).toBe(true);
    expect(slices.filter((s) => s.path.length === 0).length).toBeLessThan(12);
  });

  it('maps IPv6 intervals back to the IPv4 addresses mirrored into them', () => {
    const v4 = parseNetwork('192.0.2.0/24');
    for (const m of mirrorNetworks(v4)) {
      const pre = mirrorPreimages(m.start, m.start + 255n);
      expect(pre.length).toBe(1);
      expect(pre[0]!.lo).toBe(v4.start);
    }
  });

  it('limits a pass to the slices inside a network', () => {
    const listings = Array.from({ length: 50 }, (_, i) => ({ network: parseNetwork(`10.${i}.0.0/16`), count: 3 }));
    const slices = planSlices(listings, 20);
    const net = parseNetwork('10.0.0.0/8');
    const limited = slicesWithin(slices, net);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((s: ReconcileSlice) => s.path[0] === '10')).toBe(true);
    const small = slicesWithin(slices, parseNetwork('10.1.0.0/16'));
    expect(small).toEqual([{ path: ['10', '1'], self: true }]);
    expect(contains(net, parseNetwork('10.1.0.0/16'))).toBe(true);
  });
});
