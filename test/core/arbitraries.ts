// fast-check generators for listing sets that overlap a lot: a few small "hot" areas of the address
// space (including the single-digit IPv4 space that shares labels with IPv6 nibbles).
import fc from 'fast-check';
import { FAMILY_BITS, type Family, type Network } from '../../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../../lambdas/core/listing.js';
import { PROXY, SPAM, testZone } from '../support/zones.js';

/** The dul list's template has the characters rbldnsd and zone files escape. */
export const CFG: ZoneConfig = testZone([SPAM, PROXY, { name: 'dul', code: '127.0.0.10', txtTemplate: 'Dynamic {ip} $ "q" \\ {code}' }]);

/** Hot areas: [family, base, prefix of the area]. */
const AREAS: Array<[Family, bigint, number]> = [
  [4, 0xc0000200n, 22], // 192.0.0.0/22 … octet-aligned and odd prefixes around 192.0.2.0/24
  [4, 0x01020300n, 23], // 1.2.2.0/23: shared digit labels
  [4, 0x0a000000n, 15], // 10.0.0.0/15
  [4, 0x02000000n, 9], // 2.0.0.0/9: wide shared ranges
  [6, 0x20010db8000000000000000000000000n, 116], // 2001:db8::/116 small nibble area
  [6, 0x20010db8000100000000000000000000n, 40], // a wide one
];

export const networkArb: fc.Arbitrary<Network> = fc
  .tuple(fc.integer({ min: 0, max: AREAS.length - 1 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 1000 }))
  .map(([a, r, p]) => {
    const [family, base, areaPrefix] = AREAS[a]!;
    const bits = FAMILY_BITS[family];
    const minPrefix = Math.max(family === 4 ? 8 : 32, areaPrefix - 3);
    const prefix = minPrefix + (p % (bits - minPrefix + 1));
    const areaSize = 1n << BigInt(bits - areaPrefix);
    const offset = r % areaSize;
    const hostBits = BigInt(bits - prefix);
    const start = ((base + offset) >> hostBits) << hostBits;
    return { family, start, prefix };
  });

export const listingArb: fc.Arbitrary<Listing> = fc
  .record({
    list: fc.constantFrom('spam', 'proxy', 'dul'),
    network: networkArb,
    reason: fc.constantFrom('spam source', 'open proxy', 'x', 'a "quoted" $ reason \\', 'same'),
    exclusion: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
    expiresAt: fc.option(fc.integer({ min: 900, max: 1100 }), { nil: undefined }),
  })
  .map((r) => ({ ...r, source: 'test', createdAt: 't', updatedAt: 't' }));

/** A set of listings with unique (list, network), like the table's key. */
export const listingSetArb = (max = 30): fc.Arbitrary<Listing[]> =>
  fc.uniqueArray(listingArb, {
    maxLength: max,
    selector: (l) => `${l.list}|${l.network.family}|${l.network.start}|${l.network.prefix}`,
  });
