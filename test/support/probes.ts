// Addresses worth asking a zone about, for a set of listings: the edges of every listing and their
// neighbours, the middle, the IPv4-in-IPv6 views (mapped, 6to4), IPv6 names that share
// single-digit labels with IPv4 ones (2.x.x.x and 2xxx::), and the RFC 5782 test points.
import { FAMILY_BITS, type Family, ipv4Mirrors, networkEnd } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';

export function probeAddresses(listings: readonly Listing[]): Array<[Family, bigint]> {
  const seen = new Set<string>();
  const out: Array<[Family, bigint]> = [];
  const add = (f: Family, a: bigint) => {
    const max = (1n << BigInt(FAMILY_BITS[f])) - 1n;
    if (a < 0n || a > max || seen.has(`${f}:${a}`)) return;
    seen.add(`${f}:${a}`);
    out.push([f, a]);
  };
  for (const a of [0x7f000001n, 0x7f000002n, 0x7f000003n]) add(4, a);
  for (const a of [0xffff7f000001n, 0xffff7f000002n, 0x20027f00000200000000000000000000n]) add(6, a);
  for (const l of listings) {
    const n = l.network;
    const end = networkEnd(n);
    for (const a of [n.start, end, n.start - 1n, end + 1n, n.start + 1n, (n.start + end) / 2n]) {
      add(n.family, a);
      if (n.family === 4 && a >= 0n && a <= 0xffffffffn) for (const m of ipv4Mirrors({ family: 4, start: a, prefix: 32 })) add(6, m.start);
    }
    if (n.family === 4) {
      const octets = [24n, 16n, 8n, 0n].map((s) => Number((n.start >> s) & 0xffn));
      const digits: number[] = [];
      for (const o of octets) {
        if (o > 9) break;
        digits.push(o);
        for (const next of [0xa, 0xf, 0, 7, 9]) {
          const nibbles = [...digits, next];
          let v = 0n;
          for (let i = 0; i < 32; i++) v = (v << 4n) | BigInt(nibbles[i] ?? 1);
          add(6, v);
        }
      }
    }
  }
  return out;
}
