// The fast planner (typed tables, iterative walk) gives exactly the records, in the same order,
// as the previous planner kept in zone-plan-reference.ts, for zones and for regions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contains, type Network, sameNetwork } from '../../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planRegion, planZone } from '../../lambdas/core/zone-plan.js';
import { CFG as BASE_CFG, listingArb, listingSetArb } from './arbitraries.js';
import * as reference from './zone-plan-reference.js';

const NOW = 1000;

function regionContext(cfg: ZoneConfig, listings: Listing[], region: Network) {
  const eff = effectiveListings(cfg, listings, NOW);
  return {
    covering: eff.filter((l) => contains(l.network, region)),
    inside: eff.filter((l) => contains(region, l.network) && !sameNetwork(region, l.network)),
    hasInner: (n: Network) => eff.some((l) => contains(n, l.network) && l.network.prefix > n.prefix),
  };
}

describe.each([
  ['IPv4 answered through IPv6', { ...BASE_CFG, ipv4ViaIpv6: true }],
  ['IPv4 not answered through IPv6', { ...BASE_CFG, ipv4ViaIpv6: false }],
])('fast planner equals the previous planner, %s', (_name, cfg: ZoneConfig) => {
  it('plans the same zone, record for record and in the same order', () => {
    fc.assert(
      fc.property(listingSetArb(40), (listings) => {
        const eff = effectiveListings(cfg, listings, NOW);
        expect([...planZone(cfg, eff)]).toEqual([...reference.planZone(cfg, eff)]);
      }),
      { numRuns: 400 },
    );
  });

  it('plans the same zone whatever order the listings come in', () => {
    fc.assert(
      fc.property(listingSetArb(40).chain((ls) => fc.shuffledSubarray(ls, { minLength: ls.length })), (listings) => {
        const eff = effectiveListings(cfg, listings, NOW);
        expect([...planZone(cfg, eff)]).toEqual([...reference.planZone(cfg, eff)]);
      }),
      { numRuns: 200 },
    );
  });

  it('plans the same regions', () => {
    fc.assert(
      fc.property(listingSetArb(30), listingArb, (listings, changed) => {
        const region = changed.network;
        const ctx = regionContext(cfg, listings, region);
        expect(planRegion(cfg, region, ctx)).toEqual(reference.planRegion(cfg, region, ctx));
      }),
      { numRuns: 400 },
    );
  });
});
