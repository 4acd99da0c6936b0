// The canary's pure part: which addresses to ask about, and whether what the zone answered is what
// core/semantics.ts says it must answer.
//
// Judging: for a listed address the A values must be exactly the answering lists' codes and the TXT
// values exactly the texts the zone holds for them (semantics.zoneRecords: none for an A-only list),
// both compared as sorted lists; for an address that is not listed the
// name must give no A and no TXT data, as NXDOMAIN or NODATA (NOERROR without data) alike (README,
// "Not listed"). An NXDOMAIN answer to the A question settles the TXT question too (the name does
// not exist, for every type), so the TXT question is asked only after an A answer that was right
// and NOERROR.
import { embeddedIpv4, FAMILY_BITS, type Family, type Network, networkEnd } from './ip.js';
import type { Answer } from './semantics.js';

/** What Route 53 answered for one question: the DNS response code and the answer's values. */
export interface ZoneAnswer {
  /** IANA RCODE name, e.g. NOERROR, NXDOMAIN, SERVFAIL, REFUSED. */
  readonly rcode: string;
  /** A: addresses; TXT: each record's text (its strings joined). */
  readonly values: readonly string[];
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly problem: string };

const sorted = (xs: readonly string[]) => [...xs].sort();
const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const show = (xs: readonly string[]) => (xs.length === 0 ? 'nothing' : sorted(xs).map((x) => JSON.stringify(x)).join(', '));

function judgeOne(type: 'A' | 'TXT', expected: readonly string[], got: ZoneAnswer): Verdict {
  if (got.rcode !== 'NOERROR' && got.rcode !== 'NXDOMAIN') return { ok: false, problem: `${type}: response code ${got.rcode}` };
  if (expected.length === 0) {
    return got.values.length === 0 ? { ok: true } : { ok: false, problem: `${type}: not listed, but the zone answers ${show(got.values)}` };
  }
  if (got.rcode === 'NXDOMAIN') return { ok: false, problem: `${type}: listed (${show(expected)}), but the zone answers NXDOMAIN` };
  if (got.values.length === 0) return { ok: false, problem: `${type}: listed (${show(expected)}), but the zone answers NODATA` };
  return same(expected, got.values) ? { ok: true } : { ok: false, problem: `${type}: expected ${show(expected)}, the zone answers ${show(got.values)}` };
}

/** The A answer alone: right or wrong, and whether the TXT question still has to be asked. */
export function judgeA(expected: Answer, a: ZoneAnswer): Verdict & { readonly askTxt: boolean } {
  const v = judgeOne('A', expected.map((x) => x.code), a);
  return { ...v, askTxt: v.ok && a.rcode === 'NOERROR' };
}

/** The TXT answer, against the texts the zone holds for the address (semantics.zoneRecords). */
export function judgeTxt(expectedTexts: readonly string[], txt: ZoneAnswer): Verdict {
  return judgeOne('TXT', expectedTexts, txt);
}

// ------------------------------------------------------------------------------------ sampling

export type SampleKind = 'test-point' | 'changed-inside' | 'changed-outside' | 'listed' | 'random';

export interface Sample {
  readonly family: Family;
  readonly address: bigint;
  readonly kind: SampleKind;
  /** Why it was chosen: the changed or listed network it is in or next to. */
  readonly because?: string;
}

/** A uniform random number in [0, 1), injectable so tests can seed the canary. */
export type Random = () => number;

export function randomBigInt(rng: Random, below: bigint): bigint {
  if (below <= 1n) return 0n;
  // 52 random bits at a time (a double's mantissa), enough for a 128-bit range in three draws.
  let v = 0n;
  for (let bits = 0n; 1n << bits < below * (1n << 16n); bits += 52n) v = (v << 52n) | BigInt(Math.floor(rng() * 2 ** 52));
  return v % below;
}

/**
 * The RFC 5782 test points of both families: 127.0.0.2 and ::ffff:7f00:2 are listed in every list,
 * 127.0.0.1 and ::ffff:7f00:1 in none.
 */
export function testPointSamples(): Sample[] {
  return [
    { family: 4, address: 0x7f000002n, kind: 'test-point', because: 'RFC 5782: listed' },
    { family: 4, address: 0x7f000001n, kind: 'test-point', because: 'RFC 5782: not listed' },
    { family: 6, address: 0xffff7f000002n, kind: 'test-point', because: 'RFC 5782: listed' },
    { family: 6, address: 0xffff7f000001n, kind: 'test-point', because: 'RFC 5782: not listed' },
  ];
}

/**
 * Addresses in and next to a changed network: its first address, a random one inside (if it is not
 * a host), and the addresses just below and just above it (where an off-by-one in the planner shows).
 */
export function samplesAround(n: Network, because: string, rng: Random): Sample[] {
  const end = networkEnd(n);
  const max = (1n << BigInt(FAMILY_BITS[n.family])) - 1n;
  const out: Sample[] = [{ family: n.family, address: n.start, kind: 'changed-inside', because }];
  if (end > n.start) out.push({ family: n.family, address: n.start + 1n + randomBigInt(rng, end - n.start), kind: 'changed-inside', because });
  if (n.start > 0n) out.push({ family: n.family, address: n.start - 1n, kind: 'changed-outside', because });
  if (end < max) out.push({ family: n.family, address: end + 1n, kind: 'changed-outside', because });
  return out;
}

/** A random address inside a listed network. */
export function sampleInside(n: Network, because: string, rng: Random): Sample {
  return { family: n.family, address: n.start + randomBigInt(rng, networkEnd(n) - n.start + 1n), kind: 'listed', because };
}

const GLOBAL_UNICAST6 = 1n << 125n; // 2000::/3 (top bits 001)

/**
 * A random address a mail server could connect from: IPv4 1.0.0.0–223.255.255.255 without 127/8, or
 * IPv6 in 2000::/3 without 6to4 (which the zone answers from IPv4 data). Most are not listed.
 */
export function randomAddress(rng: Random, family: Family): Sample {
  if (family === 4) {
    for (;;) {
      const a = 0x01000000n + randomBigInt(rng, 0xe0000000n - 0x01000000n);
      if (a >> 24n !== 127n) return { family: 4, address: a, kind: 'random' };
    }
  }
  for (;;) {
    const a = GLOBAL_UNICAST6 + randomBigInt(rng, 1n << 125n);
    if (embeddedIpv4(a) === undefined) return { family: 6, address: a, kind: 'random' };
  }
}

export function sampleKey(s: Pick<Sample, 'family' | 'address'>): string {
  return `${s.family}:${s.address.toString(16)}`;
}

/**
 * One ordered list from several prioritised groups: the first group whole (the test points), then
 * the others taken in turn, one from each, so that a small budget still covers every kind. An
 * address is kept once (its first occurrence).
 */
export function interleave(first: readonly Sample[], groups: ReadonlyArray<readonly Sample[]>): Sample[] {
  const out: Sample[] = [];
  const seen = new Set<string>();
  const add = (s: Sample) => {
    const k = sampleKey(s);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(s);
    }
  };
  first.forEach(add);
  const longest = Math.max(0, ...groups.map((g) => g.length));
  for (let i = 0; i < longest; i++) for (const g of groups) if (i < g.length) add(g[i]!);
  return out;
}

/** The network whose listings decide an address's answer: the IPv4 address an IPv6 one embeds, or itself. */
export function answeringHost(s: Pick<Sample, 'family' | 'address'>): Network {
  const v4 = s.family === 6 ? embeddedIpv4(s.address) : undefined;
  return v4 !== undefined ? { family: 4, start: v4, prefix: 32 } : { family: s.family, start: s.address, prefix: FAMILY_BITS[s.family] };
}
