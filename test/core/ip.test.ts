import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareNetworks, contains, embeddedIpv4, formatAddress, formatNetwork, networkKey, parseAddress, parseNetwork,
  parseNetworkKey, queryName,
} from '../../lambdas/core/ip.js';
import { InputError } from '../../lambdas/core/input-error.js';

const err = (input: string, opts = {}) => {
  try {
    parseNetwork(input, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error(`${input} was accepted`);
};

describe('parseNetwork', () => {
  it('parses and canonicalises IPv4, IPv6 and CIDR', () => {
    expect(formatNetwork(parseNetwork('192.0.2.1'))).toBe('192.0.2.1');
    expect(formatNetwork(parseNetwork('192.0.2.0/24'))).toBe('192.0.2.0/24');
    expect(formatNetwork(parseNetwork('2001:DB8:0:0:0:0:0:1'))).toBe('2001:db8::1');
    expect(formatNetwork(parseNetwork('2001:db8::/32'))).toBe('2001:db8::/32');
    expect(formatNetwork(parseNetwork('2001:0db8:0000:0001:0000:0000:0000:0000/64'))).toBe('2001:db8:0:1::/64');
    expect(formatNetwork(parseNetwork('1:0:0:1:0:0:0:1'))).toBe('1:0:0:1::1');
    expect(formatNetwork(parseNetwork('1:0:0:2:0:0:3:4'))).toBe('1::2:0:0:3:4');
    expect(formatNetwork(parseNetwork('::1:2:3:4:5:6:7'))).toBe('0:1:2:3:4:5:6:7');
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(parseNetwork('::ffff:192.0.2.1')).toEqual(parseNetwork('192.0.2.1'));
    expect(parseNetwork('::FFFF:c000:0201')).toEqual(parseNetwork('192.0.2.1'));
    expect(parseNetwork('::ffff:192.0.2.0/120')).toEqual(parseNetwork('192.0.2.0/24'));
  });

  it('rejects bad input with a message naming the input and the problem', () => {
    expect(err('192.0.2.300')).toBe('"192.0.2.300" is not an IPv4 address (octet 300 is over 255)');
    expect(err('010.1.1.1')).toMatch(/"010.1.1.1" has an octet with a leading zero \("010"\)/);
    expect(err('192.0.2.1/24')).toBe('"192.0.2.1/24" has host bits set; did you mean 192.0.2.0/24?');
    expect(err('2001:db8::1/32')).toBe('"2001:db8::1/32" has host bits set; did you mean 2001:db8::/32?');
    expect(err('10.0.0.0/7')).toMatch(/wider than \/8/);
    expect(err('2001::/16')).toMatch(/wider than \/32/);
    expect(err('10.0.0.0/12', { maxWidth4: 16 })).toMatch(/wider than \/16/);
    expect(err('fe80::1%eth0')).toMatch(/zone id/);
    expect(err(' 192.0.2.1')).toMatch(/whitespace at position 1/);
    expect(err('192.0.2.1\n')).toMatch(/control or non-ASCII character at position 10/);
    expect(err('192.0.2.1/033')).toMatch(/invalid prefix length/);
    expect(err('192.0.2.0/33')).toMatch(/longer than \/32/);
    expect(err('1::2::3')).toMatch(/more than one "::"/);
    expect(err('1:2:3:4:5:6:7')).toMatch(/7 groups instead of 8/);
    expect(err('1:2:3:4:5:6:7:8:9')).toMatch(/not an IPv6 address/);
    expect(err('1:2:3:4::5:6:7:8')).toMatch(/"::" stands for no group/);
    expect(err('12345::')).toMatch(/bad group "12345"/);
    expect(err('example.com')).toMatch(/not an IPv4 or IPv6 address/);
    expect(err('')).toMatch(/empty/);
    expect(err('1.2.3')).toMatch(/not an IPv4 address/);
    expect(err('1.2.3.4.5')).toMatch(/not an IPv4 address/);
    expect(() => parseAddress('192.0.2.0/24')).toThrow(/is a network, not a single address/);
  });

  it('round-trips every IPv4 and IPv6 network through text and key', () => {
    const v4 = fc.tuple(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.integer({ min: 8, max: 32 })).map(([a, p]) => ({
      family: 4 as const, start: (a >> BigInt(32 - p)) << BigInt(32 - p), prefix: p,
    }));
    const v6 = fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 32, max: 128 })).map(([a, p]) => ({
      family: 6 as const, start: (a >> BigInt(128 - p)) << BigInt(128 - p), prefix: p,
    }));
    fc.assert(
      fc.property(fc.oneof(v4, v6), (n) => {
        const mapped = n.family === 6 && n.start >> 32n === 0xffffn && n.prefix >= 96;
        fc.pre(!mapped);
        expect(parseNetwork(formatNetwork(n), { maxWidth4: 0, maxWidth6: 0 })).toEqual(n);
        expect(parseNetworkKey(networkKey(n))).toEqual(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders keys exactly as networks compare', () => {
    const net = fc.tuple(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.integer({ min: 0, max: 32 })).map(([a, p]) => ({
      family: 4 as const, start: (a >> BigInt(32 - p)) << BigInt(32 - p), prefix: p,
    }));
    fc.assert(
      fc.property(net, net, (a, b) => {
        const byKey = networkKey(a) < networkKey(b) ? -1 : networkKey(a) > networkKey(b) ? 1 : 0;
        expect(byKey).toBe(Math.sign(compareNetworks(a, b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('builds RFC 5782 query names', () => {
    expect(queryName(4, parseAddress('127.0.0.2').start, 'bl.test')).toBe('2.0.0.127.bl.test');
    expect(queryName(6, 0x20010db8000000000000000000000001n, 'bl.test')).toBe(
      `1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.bl.test`,
    );
    expect(formatAddress(6, 0xffff7f000002n)).toBe('::ffff:7f00:2');
    // The same text as the group-by-group form (RFC 5952: longest zero run of two or more, first on a tie).
    const byGroups = (value: bigint): string => {
      const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
      let best = -1;
      let bestLen = 1;
      for (let i = 0; i < 8; ) {
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLen) [best, bestLen] = [i, j - i];
        i = j === i ? i + 1 : j;
      }
      const hex = groups.map((g) => g.toString(16));
      return best < 0 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
    };
    const sparse = fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xdb8), { minLength: 8, maxLength: 8 }).map((g) => g.reduce((v, x) => (v << 16n) | BigInt(x), 0n));
    fc.assert(fc.property(fc.oneof(sparse, fc.bigInt({ min: 0n, max: (1n << 128n) - 1n })), (v) => {
      expect(formatAddress(6, v)).toBe(byGroups(v));
    }), { numRuns: 1000 });
  });

  it('finds the IPv4 address inside mapped and 6to4 IPv6 addresses', () => {
    expect(embeddedIpv4(0xffffc0000201n)).toBe(0xc0000201n);
    expect(embeddedIpv4(0x2002c000020100000000000000000000n)).toBe(0xc0000201n);
    expect(embeddedIpv4(0x20010db8000000000000000000000001n)).toBeUndefined();
    expect(contains(parseNetwork('192.0.2.0/24'), parseNetwork('192.0.2.7'))).toBe(true);
    expect(contains(parseNetwork('192.0.2.7'), parseNetwork('192.0.2.0/24'))).toBe(false);
  });
});
