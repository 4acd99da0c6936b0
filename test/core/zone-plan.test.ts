import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Family, type Network, contains, queryName, sameNetwork } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { answerFor, effectiveListings, zoneRecords } from '../../lambdas/core/semantics.js';
import { inScope, planRegion, planZone } from '../../lambdas/core/zone-plan.js';
import { type RRSet, rrsetKey, txtText, MARKER_TYPE } from '../../lambdas/core/rrset.js';
import { ZoneIndex } from '../../lambdas/core/zone-resolver.js';
import { CFG as BASE_CFG, listingArb, listingSetArb } from './arbitraries.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import { probeAddresses } from '../support/probes.js';
import { aOnlyList } from '../support/zones.js';

const NOW = 1000;

function expectZoneMatchesSemantics(CFG: ZoneConfig, listings: Listing[], rrsets: RRSet[]): void {
  const eff = effectiveListings(CFG, listings, NOW);
  const zone = new ZoneIndex(CFG.zone, rrsets);
  for (const [family, addr] of probeAddresses(listings)) {
    const want = answerFor(CFG, eff, family, addr);
    const qname = queryName(family, addr, CFG.zone);
    const a = zone.resolve(qname, 'A');
    const txt = zone.resolve(qname, 'TXT');
    const got = {
      a: [...a.values].sort(),
      txt: txt.values.map(txtText).sort(),
    };
    const records = zoneRecords(CFG, want);
    const expected = { a: [...records.a].sort(), txt: [...records.txt].sort() };
    expect(got, `${qname}`).toEqual(expected);
    if (want.length === 0) expect(a.rcode === 'NXDOMAIN' || a.values.length === 0).toBe(true);
  }
}

function byKey(rrsets: Iterable<RRSet>): Map<string, RRSet> {
  const m = new Map<string, RRSet>();
  for (const r of rrsets) {
    expect(m.has(rrsetKey(r)), `duplicate ${rrsetKey(r)}`).toBe(false);
    m.set(rrsetKey(r), { ...r, values: [...r.values].sort() });
  }
  return m;
}

function regionContext(CFG: ZoneConfig, listings: Listing[], region: Network) {
  const eff = effectiveListings(CFG, listings, NOW);
  return {
    covering: eff.filter((l) => contains(l.network, region)),
    inside: eff.filter((l) => contains(region, l.network) && !sameNetwork(region, l.network)),
    hasInner: (n: Network) => eff.some((l) => contains(n, l.network) && l.network.prefix > n.prefix),
  };
}

/** The first list ("spam") publishes A records only in Route 53. */
const SPAM_A_ONLY: ZoneConfig = aOnlyList(BASE_CFG, 'spam');

describe.each([
  ['IPv4 answered through IPv6 too', { ...BASE_CFG, ipv4ViaIpv6: true }],
  ['IPv4 not answered through IPv6 (default)', BASE_CFG],
  ['spam published A-only in Route 53', SPAM_A_ONLY],
  ['spam published A-only, IPv4 answered through IPv6 too', { ...SPAM_A_ONLY, ipv4ViaIpv6: true }],
])('zone plan, %s', (_name, CFG: ZoneConfig) => {
  // The A-only rows re-check the same planner with fewer runs (the file stays well under two minutes).
  const RUNS = CFG.lists.some((l) => l.route53Txt === false) ? 120 : 300;
  it('answers exactly as the semantics for random overlapping listings (resolver check)', () => {
    fc.assert(
      fc.property(listingSetArb(25), (listings) => {
        const rrsets = [...planZone(CFG, effectiveListings(CFG, listings, NOW))];
        byKey(rrsets);
        expectZoneMatchesSemantics(CFG, listings, rrsets);
      }),
      { numRuns: RUNS },
    );
  });

  it('plans a change incrementally to exactly what a full plan gives', () => {
    fc.assert(
      fc.property(listingSetArb(20), listingArb, fc.boolean(), (before, changed, remove) => {
        const key = (l: Listing) => `${l.list}|${l.network.family}|${l.network.start}|${l.network.prefix}`;
        let after = before.filter((l) => key(l) !== key(changed));
        if (!remove) after = [...after, changed];
        const oldPlan = byKey(planZone(CFG, effectiveListings(CFG, before, NOW)));
        const newPlan = byKey(planZone(CFG, effectiveListings(CFG, after, NOW)));
        const region = changed.network;
        const applied = new Map(oldPlan);
        for (const plan of planRegion(CFG, region, regionContext(CFG, after, region))) {
          for (const k of [...applied.keys()]) if (inScope(plan.scope, applied.get(k)!.name, CFG.zone)) applied.delete(k);
          for (const r of plan.rrsets) {
            expect(inScope(plan.scope, r.name, CFG.zone), `${r.name} outside its own scope`).toBe(true);
            applied.set(rrsetKey(r), { ...r, values: [...r.values].sort() });
          }
        }
        expect(new Map([...applied].sort())).toEqual(new Map([...newPlan].sort()));
      }),
      { numRuns: RUNS },
    );
  });

  it('costs 2 rrsets (1 A-only) for a /32, a /24 and a /48, and splits a /23 into two wildcards', () => {
    const mirrors = CFG.ipv4ViaIpv6 === true ? 3 : 1;
    // A and TXT at each name, or A alone for a list published A-only.
    const perName = CFG.lists.find((l) => l.name === 'spam')!.route53Txt === false ? 1 : 2;
    const mk = (family: Family, start: bigint, prefix: number): Listing => ({
      list: 'spam', network: { family, start, prefix }, reason: 'r', source: 's', createdAt: 't', updatedAt: 't', exclusion: false,
    });
    const count = (l: Listing) => {
      const base = [...planZone(CFG, effectiveListings(CFG, [], NOW))].length;
      return [...planZone(CFG, effectiveListings(CFG, [l], NOW))].length - base;
    };
    // With ipv4ViaIpv6, IPv4 counts include the two IPv6 mirrors (::ffff:0:0/96 and 2002::/16): 3 names.
    expect(count(mk(4, 0xc0000201n, 32))).toBe(perName * mirrors);
    expect(count(mk(4, 0xc0000200n, 24))).toBe(perName * mirrors);
    expect(count(mk(6, 0x20010db8000000000000000000000000n, 48))).toBe(perName);
    expect(count(mk(6, 0x20010db8000000000000000000000001n, 128))).toBe(perName);
    expect(count(mk(4, 0xc0000000n, 23))).toBe(2 * perName * mirrors);
  });

  it('puts an exclusion inside a wildcard as a marker, never as A or TXT', () => {
    const l = (start: bigint, prefix: number, exclusion: boolean): Listing => ({
      list: 'spam', network: { family: 4, start, prefix }, reason: 'r', source: 's', createdAt: 't', updatedAt: 't', exclusion,
    });
    const rrsets = [...planZone(CFG, effectiveListings(CFG, [l(0xc0000200n, 24, false), l(0xc000024dn, 32, true)], NOW))];
    const at = rrsets.filter((r) => r.name === '77.2.0.192.bl.test.');
    expect(at.map((r) => r.type)).toEqual([MARKER_TYPE]);
    expect(rrsets.some((r) => r.name === '*.2.0.192.bl.test.' && r.type === 'A')).toBe(true);
  });
});
