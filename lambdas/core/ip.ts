// IPv4/IPv6 addresses and CIDR networks in one canonical form.
// Everything is a bigint so that both families share the same arithmetic.
import { InputError } from './input-error.js';

export type Family = 4 | 6;

export interface Network {
  readonly family: Family;
  /** First address of the network (host bits are always zero). */
  readonly start: bigint;
  /** Prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
}

export const FAMILY_BITS: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };

export interface ParseOptions {
  /** Widest IPv4 prefix accepted (default 8: nothing wider than a /8). */
  maxWidth4?: number;
  /** Widest IPv6 prefix accepted (default 32). */
  maxWidth6?: number;
  /** Field name used in error messages. */
  field?: string;
}

const IPV4_MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96

function show(input: string): string {
  // JSON.stringify makes control characters visible in messages.
  return JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
}

function checkCharacters(input: string, field: string | undefined): void {
  if (input.length === 0) throw new InputError(`${field ?? 'address'} is empty`, field);
  if (input.length > 64) throw new InputError(`${show(input)} is too long to be an IP address or network`, field);
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      throw new InputError(`${show(input)} contains whitespace at position ${i + 1}; remove it`, field);
    }
    if (c < 0x20 || c >= 0x7f) {
      throw new InputError(`${show(input)} contains a control or non-ASCII character at position ${i + 1}`, field);
    }
  }
  if (input.includes('%')) {
    throw new InputError(`${show(input)} has a zone id (%…); zone ids are not allowed`, field);
  }
}

function parseIpv4Value(text: string, original: string, field: string | undefined): bigint {
  const parts = text.split('.');
  if (parts.length !== 4) throw new InputError(`${show(original)} is not an IPv4 address`, field);
  let value = 0n;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) throw new InputError(`${show(original)} is not an IPv4 address`, field);
    if (part.length > 1 && part.startsWith('0')) {
      throw new InputError(
        `${show(original)} has an octet with a leading zero ("${part}"), which is ambiguous (octal or decimal); write it without leading zeros`,
        field,
      );
    }
    const n = Number(part);
    if (n > 255) throw new InputError(`${show(original)} is not an IPv4 address (octet ${part} is over 255)`, field);
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6Value(text: string, original: string, field: string | undefined): bigint {
  const bad = (why?: string): InputError =>
    new InputError(`${show(original)} is not an IPv6 address${why ? ` (${why})` : ''}`, field);
  if (!/^[0-9a-fA-F:.]+$/.test(text)) throw bad();
  let groups: number[] = [];
  let tail = text;
  const lastColon = tail.lastIndexOf(':');
  if (tail.slice(lastColon + 1).includes('.')) {
    // A dotted IPv4 tail stands for the last two groups.
    const v4 = parseIpv4Value(tail.slice(lastColon + 1), original, field);
    tail = `${tail.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const doubleColon = tail.indexOf('::');
  if (doubleColon !== tail.lastIndexOf('::')) throw bad('more than one "::"');
  const parseGroups = (s: string): number[] => {
    if (s === '') return [];
    return s.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad(`bad group "${g}"`);
      return parseInt(g, 16);
    });
  };
  if (doubleColon >= 0) {
    const head = parseGroups(tail.slice(0, doubleColon));
    const rest = parseGroups(tail.slice(doubleColon + 2));
    const filled = 8 - head.length - rest.length;
    if (filled < 1) throw bad('"::" stands for no group');
    groups = [...head, ...new Array<number>(filled).fill(0), ...rest];
  } else {
    groups = parseGroups(tail);
    if (groups.length !== 8) throw bad(`${groups.length} groups instead of 8`);
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses an address or a CIDR network into canonical form. IPv4-mapped IPv6 becomes IPv4. */
export function parseNetwork(input: string, options: ParseOptions = {}): Network {
  const field = options.field;
  checkCharacters(input, field);
  const slash = input.indexOf('/');
  const addrText = slash >= 0 ? input.slice(0, slash) : input;
  const prefixText = slash >= 0 ? input.slice(slash + 1) : undefined;
  let family: Family;
  let value: bigint;
  if (addrText.includes(':')) {
    family = 6;
    value = parseIpv6Value(addrText, input, field);
  } else if (/^[0-9.]+$/.test(addrText)) {
    family = 4;
    value = parseIpv4Value(addrText, input, field);
  } else {
    throw new InputError(`${show(input)} is not an IPv4 or IPv6 address`, field);
  }
  const bits = FAMILY_BITS[family];
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
      throw new InputError(`${show(input)} has an invalid prefix length "/${prefixText}"`, field);
    }
    prefix = Number(prefixText);
    if (prefix > bits) {
      throw new InputError(`${show(input)} has prefix /${prefix}, longer than /${bits} for IPv${family}`, field);
    }
  }
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address itself.
  if (family === 6 && value >> 32n === 0xffffn && prefix >= 96) {
    family = 4;
    value = value & 0xffffffffn;
    prefix -= 96;
  }
  const hostBits = BigInt(FAMILY_BITS[family] - prefix);
  const mask = (1n << hostBits) - 1n;
  if ((value & mask) !== 0n) {
    const meant = formatNetwork({ family, start: value & ~mask, prefix });
    throw new InputError(`${show(input)} has host bits set; did you mean ${meant}?`, field);
  }
  const maxWidth = family === 4 ? (options.maxWidth4 ?? 8) : (options.maxWidth6 ?? 32);
  if (prefix < maxWidth) {
    throw new InputError(
      `${show(input)} is wider than /${maxWidth}, the widest IPv${family} network that may be listed`,
      field,
    );
  }
  return { family, start: value, prefix };
}

/** Parses a single address (no prefix); any prefix length is refused. */
export function parseAddress(input: string, field?: string): Network {
  const n = parseNetwork(input, { field, maxWidth4: 0, maxWidth6: 0 });
  if (n.prefix !== FAMILY_BITS[n.family]) {
    throw new InputError(`${show(input)} is a network, not a single address`, field);
  }
  return n;
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    const v = Number(value);
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  // Four 32-bit words, then plain number arithmetic (bigint per group was the cost of formatting).
  const groups: number[] = [];
  for (const shift of [96n, 64n, 32n, 0n]) {
    const word = Number((value >> shift) & 0xffffffffn);
    groups.push(word >>> 16, word & 0xffff);
  }
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text: a plain address for a host, address/prefix otherwise. */
export function formatNetwork(n: Network): string {
  const addr = formatAddress(n.family, n.start);
  return n.prefix === FAMILY_BITS[n.family] ? addr : `${addr}/${n.prefix}`;
}

/** Always address/prefix, as rbldnsd wants for IPv6 (a bare IPv6 prefix is ambiguous there). */
export function formatCidr(n: Network): string {
  return `${formatAddress(n.family, n.start)}/${n.prefix}`;
}

export function networkSize(n: Network): bigint {
  return 1n << BigInt(FAMILY_BITS[n.family] - n.prefix);
}

export function networkEnd(n: Network): bigint {
  return n.start + networkSize(n) - 1n;
}

/** True when `outer` contains `inner` (or they are equal). */
export function contains(outer: Network, inner: Network): boolean {
  return (
    outer.family === inner.family &&
    outer.prefix <= inner.prefix &&
    inner.start >= outer.start &&
    inner.start <= networkEnd(outer)
  );
}

export function overlaps(a: Network, b: Network): boolean {
  return a.family === b.family && a.start <= networkEnd(b) && b.start <= networkEnd(a);
}

export function sameNetwork(a: Network, b: Network): boolean {
  return a.family === b.family && a.start === b.start && a.prefix === b.prefix;
}

/** The network of `prefix` bits that contains `n`. */
export function supernet(n: Network, prefix: number): Network {
  const hostBits = BigInt(FAMILY_BITS[n.family] - prefix);
  return { family: n.family, start: (n.start >> hostBits) << hostBits, prefix };
}

/**
 * A key that sorts networks by start address, then by prefix (wider first):
 * fixed-width hex so that string order equals numeric order (used as a DynamoDB sort key).
 */
export function networkKey(n: Network): string {
  const width = n.family === 4 ? 8 : 32;
  return `${n.family}:${n.start.toString(16).padStart(width, '0')}/${n.prefix.toString().padStart(3, '0')}`;
}

export function parseNetworkKey(key: string): Network {
  const m = /^([46]):([0-9a-f]+)\/([0-9]{3})$/.exec(key);
  if (!m) throw new Error(`bad network key ${key}`);
  return { family: Number(m[1]) as Family, start: BigInt(`0x${m[2]}`), prefix: Number(m[3]) };
}

export function compareNetworks(a: Network, b: Network): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.prefix - b.prefix;
}

/** DNS labels of an address, most significant first (the zone-side end of the name). */
export function addressLabels(family: Family, value: bigint): string[] {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString());
  const out: string[] = [];
  for (let i = 31; i >= 0; i--) out.push(((value >> BigInt(i * 4)) & 0xfn).toString(16));
  return out;
}

/** The RFC 5782 query name for an address: reversed octets or nibbles, then the zone. */
export function queryName(family: Family, value: bigint, zone: string): string {
  return `${addressLabels(family, value).reverse().join('.')}.${zone}`;
}

/** Mapped (::ffff:a.b.c.d) and 6to4 (2002:aabb:ccdd::/48) views of an IPv4 network. */
export function ipv4Mirrors(n: Network): Network[] {
  if (n.family !== 4) return [];
  return [
    { family: 6, start: IPV4_MAPPED_PREFIX | n.start, prefix: 96 + n.prefix },
    { family: 6, start: (0x2002n << 112n) | (n.start << 80n), prefix: 16 + n.prefix },
  ];
}

export const MAPPED_RANGE: Network = { family: 6, start: IPV4_MAPPED_PREFIX, prefix: 96 };
export const SIX_TO_FOUR_RANGE: Network = { family: 6, start: 0x2002n << 112n, prefix: 16 };

/** The IPv4 address an IPv6 query is answered from (mapped or 6to4), as rbldnsd does. */
export function embeddedIpv4(value: bigint): bigint | undefined {
  if (value >> 32n === 0xffffn) return value & 0xffffffffn;
  if (value >> 112n === 0x2002n) return (value >> 80n) & 0xffffffffn;
  return undefined;
}

// ---------------------------------------------------------------- special-purpose address space
//
// Sources (IANA):
//   IPv4 Special-Purpose Address Registry  https://www.iana.org/assignments/iana-ipv4-special-registry/
//   IPv6 Special-Purpose Address Registry  https://www.iana.org/assignments/iana-ipv6-special-registry/
//   IPv4 Address Space Registry (224.0.0.0/4 multicast)  https://www.iana.org/assignments/ipv4-address-space/
//   IPv6 Address Space Registry (only 2000::/3 is global unicast; ff00::/8 multicast)
//                                          https://www.iana.org/assignments/ipv6-address-space/
// Taken: every block the registries mark "Globally Reachable: False", plus multicast, the IPv4
// reserved block and limited broadcast, and IPv6 outside 2000::/3. Left out on purpose:
//   - the documentation blocks (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32,
//     3fff::/20): no network uses them, so a listing there blocks nobody, and they are what
//     examples, the local stack and the tests use;
//   - blocks the registries mark globally reachable inside a non-reachable one (the `public`
//     entries below: anycast services, AS112, AMT, ORCHIDv2, the NAT64 well-known prefix);
//   - 127.0.0.0/8, ::ffff:0:0/96 and 2002::/16, which listing.ts refuses outright (test points,
//     IPv6 views of IPv4).

export interface SpecialRange {
  readonly network: Network;
  /** What it is, e.g. "private-use space". */
  readonly name: string;
  /** Where it is defined, e.g. "RFC 1918". */
  readonly ref: string;
}

const special = (cidr: string, name: string, ref: string): SpecialRange => ({ network: parseNetwork(cidr, { maxWidth4: 0, maxWidth6: 0 }), name, ref });

/** Blocks that are not public unicast space (see the sources above). */
export const SPECIAL_PURPOSE_RANGES: readonly SpecialRange[] = [
  special('0.0.0.0/8', '"this network" space', 'RFC 791'),
  special('0.0.0.0/32', 'the unspecified address, "this host on this network"', 'RFC 1122'),
  special('10.0.0.0/8', 'private-use space', 'RFC 1918'),
  special('100.64.0.0/10', 'shared address space for carrier-grade NAT', 'RFC 6598'),
  special('169.254.0.0/16', 'link-local space', 'RFC 3927'),
  special('172.16.0.0/12', 'private-use space', 'RFC 1918'),
  special('192.0.0.0/24', 'IETF protocol assignments', 'RFC 6890'),
  special('192.88.99.0/24', 'the deprecated 6to4 relay anycast block', 'RFC 7526'),
  special('192.168.0.0/16', 'private-use space', 'RFC 1918'),
  special('198.18.0.0/15', 'benchmarking space', 'RFC 2544'),
  special('224.0.0.0/4', 'multicast space', 'RFC 5771'),
  special('240.0.0.0/4', 'reserved space', 'RFC 1112'),
  special('255.255.255.255/32', 'the limited broadcast address', 'RFC 919'),
  special('::/128', 'the unspecified address', 'RFC 4291'),
  special('::1/128', 'the loopback address', 'RFC 4291'),
  special('64:ff9b:1::/48', 'local-use IPv4/IPv6 translation space', 'RFC 8215'),
  special('100::/64', 'discard-only space', 'RFC 6666'),
  special('100:0:0:1::/64', 'the dummy IPv6 prefix', 'RFC 9780'),
  special('2001::/23', 'IETF protocol assignments', 'RFC 2928'),
  special('5f00::/16', 'segment routing (SRv6) SID space', 'RFC 9602'),
  special('fc00::/7', 'unique-local space', 'RFC 4193'),
  special('fe80::/10', 'link-local space', 'RFC 4291'),
  special('ff00::/8', 'multicast space', 'RFC 4291'),
];

/** Globally reachable blocks inside the ranges above (the registries' exceptions): public. */
export const PUBLIC_EXCEPTIONS: readonly Network[] = [
  '192.0.0.9/32', '192.0.0.10/32', // PCP and TURN anycast (RFC 7723, RFC 8155)
  '64:ff9b::/96', // NAT64 well-known prefix (RFC 6052)
  '2001:1::1/128', '2001:1::2/128', '2001:1::3/128', // PCP, TURN and DNS-SD SRP anycast
  '2001:3::/32', // AMT (RFC 7450)
  '2001:4:112::/48', // AS112-v6 (RFC 7535)
  '2001:20::/28', // ORCHIDv2 (RFC 7343)
].map((c) => parseNetwork(c, { maxWidth4: 0, maxWidth6: 0 }));

const GLOBAL_UNICAST_6 = parseNetwork('2000::/3', { maxWidth6: 0 });
const OUTSIDE_GLOBAL_UNICAST_6: SpecialRange = {
  network: GLOBAL_UNICAST_6,
  name: 'outside 2000::/3, the only IPv6 space allocated for global unicast',
  ref: 'IANA IPv6 Address Space registry',
};

/**
 * The special-purpose block that makes `n` not public unicast space, or undefined when it is
 * public. A network inside a block is "in" it; a wider network overlapping one is reported with
 * it too. When several apply, the most specific block containing `n` is named.
 */
export function specialPurposeRange(n: Network): SpecialRange | undefined {
  if (PUBLIC_EXCEPTIONS.some((e) => contains(e, n))) return undefined;
  let inside: SpecialRange | undefined;
  let overlapping: SpecialRange | undefined;
  for (const r of SPECIAL_PURPOSE_RANGES) {
    if (contains(r.network, n)) {
      if (!inside || r.network.prefix > inside.network.prefix) inside = r;
    } else if (!overlapping && overlaps(r.network, n)) {
      overlapping = r;
    }
  }
  if (inside) return inside;
  if (n.family === 6 && !contains(GLOBAL_UNICAST_6, n)) return OUTSIDE_GLOBAL_UNICAST_6;
  return overlapping;
}
