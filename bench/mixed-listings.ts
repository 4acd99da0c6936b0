// A reproducible mix of listings resembling a real DNSBL: mostly IPv4 hosts, some ranges of odd
// sizes, IPv6 hosts and prefixes, and exclusions inside ranges.
import type { Network } from '../lambdas/core/ip.js';
import type { Listing } from '../lambdas/core/listing.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* mixedListings(n: number, lists: readonly string[], seed = 1): Generator<Listing> {
  const r = rng(seed);
  const seen = new Set<string>();
  const v4 = (prefix: number): Network => {
    for (;;) {
      const a = Math.floor(r() * 2 ** 32);
      if (a >>> 24 === 127 || a >>> 24 === 0) continue;
      const start = (BigInt(a) >> BigInt(32 - prefix)) << BigInt(32 - prefix);
      return { family: 4, start, prefix };
    }
  };
  const v6 = (prefix: number): Network => {
    let a = 0x2001n;
    for (let i = 0; i < 7; i++) a = (a << 16n) | BigInt(Math.floor(r() * 65536));
    const start = (a >> BigInt(128 - prefix)) << BigInt(128 - prefix);
    return { family: 6, start, prefix };
  };
  let produced = 0;
  while (produced < n) {
    const x = r();
    let network: Network;
    let exclusion = false;
    if (x < 0.7) network = v4(32);
    else if (x < 0.78) network = v4(24);
    else if (x < 0.83) network = v4(20 + Math.floor(r() * 11));
    else if (x < 0.9) network = v6(128);
    else if (x < 0.95) network = v6([48, 56, 64][Math.floor(r() * 3)]!);
    else {
      network = v4(32);
      exclusion = true;
    }
    const list = lists[Math.floor(r() * lists.length)]!;
    const key = `${list}|${network.family}|${network.start}|${network.prefix}`;
    if (seen.has(key)) continue;
    seen.add(key);
    produced++;
    yield {
      list,
      network,
      reason: `evidence ${produced % 997}`,
      source: 'bench',
      createdAt: '2026-11-23T00:00:00Z',
      updatedAt: '2026-11-23T00:00:00Z',
      exclusion,
      ...(r() < 0.1 ? { expiresAt: 4_000_000_000 } : {}),
    };
  }
}
