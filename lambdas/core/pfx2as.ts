// CAIDA's Routeviews prefix-to-AS files (pfx2as): one announced prefix a line,
//   <address> TAB <prefix length> TAB <origin>
// e.g. "192.0.2.0	24	64500". The origin is one AS, or several: "64500_64501" (the prefix is
// announced by several origins, MOAS) or "64500,64501" (an AS set); each of them counts as an origin
// here. Blank lines and "#" comments are skipped. Bad lines are reported, each with its number, and
// the good ones kept.
import { InputError } from './input-error.js';
import { contains, FAMILY_BITS, type Family, formatNetwork, type Network, networkEnd, networkSize, parseNetwork } from './ip.js';

export interface Pfx2AsEntry {
  readonly network: Network;
  readonly origins: readonly string[];
}

export interface Pfx2AsProblem {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}

const ASN = /^[0-9]{1,10}$/;

export class Pfx2As {
  /** Per family and prefix length: start -> entry. */
  private readonly byLength = new Map<Family, Map<number, Map<bigint, Pfx2AsEntry>>>();
  private readonly lengths = new Map<Family, number[]>();
  private readonly byAsn = new Map<string, Network[]>();

  constructor(readonly entries: readonly Pfx2AsEntry[]) {
    for (const e of entries) {
      let fam = this.byLength.get(e.network.family);
      if (!fam) this.byLength.set(e.network.family, (fam = new Map()));
      let m = fam.get(e.network.prefix);
      if (!m) fam.set(e.network.prefix, (m = new Map()));
      m.set(e.network.start, e);
      for (const asn of e.origins) {
        const list = this.byAsn.get(asn) ?? [];
        list.push(e.network);
        this.byAsn.set(asn, list);
      }
    }
    for (const [f, m] of this.byLength) this.lengths.set(f, [...m.keys()].sort((a, b) => b - a));
  }

  /** The most specific announced prefix containing `n`, if any. */
  lookup(n: Network): Pfx2AsEntry | undefined {
    for (const p of this.lengths.get(n.family) ?? []) {
      if (p > n.prefix) continue;
      const bits = BigInt(FAMILY_BITS[n.family] - p);
      const e = this.byLength.get(n.family)!.get(p)!.get((n.start >> bits) << bits);
      if (e) return e;
    }
    return undefined;
  }

  /** Every announced prefix containing `n`, most specific first. */
  covering(n: Network): Pfx2AsEntry[] {
    const out: Pfx2AsEntry[] = [];
    for (const p of this.lengths.get(n.family) ?? []) {
      if (p > n.prefix) continue;
      const bits = BigInt(FAMILY_BITS[n.family] - p);
      const e = this.byLength.get(n.family)!.get(p)!.get((n.start >> bits) << bits);
      if (e) out.push(e);
    }
    return out;
  }

  /** The prefixes an AS originates, without those inside another of its own. */
  prefixesOf(asn: string): Network[] {
    const all = this.byAsn.get(asn) ?? [];
    return all.filter((n) => !all.some((o) => o !== n && o.prefix < n.prefix && contains(o, n)));
  }

  /** Addresses in the AS's prefixes, each counted once. */
  addressesOf(asn: string): bigint {
    const nets = this.prefixesOf(asn).sort((a, b) => (a.family !== b.family ? a.family - b.family : a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let total = 0n;
    let lastEnd: bigint | undefined;
    let lastFamily: Family | undefined;
    for (const n of nets) {
      // prefixesOf leaves no nesting, and aligned prefixes either nest or are disjoint.
      if (lastFamily === n.family && lastEnd !== undefined && n.start <= lastEnd) continue;
      total += networkSize(n);
      lastEnd = networkEnd(n);
      lastFamily = n.family;
    }
    return total;
  }
}

export function parsePfx2As(text: string, name = 'pfx2as'): { table: Pfx2As; problems: Pfx2AsProblem[] } {
  const entries: Pfx2AsEntry[] = [];
  const problems: Pfx2AsProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(/\s+/);
    const fail = (message: string) => problems.push({ line: i + 1, text: raw.slice(0, 120), message: `${name} line ${i + 1}: ${message}` });
    if (cells.length !== 3) return fail(`expected "<address> <prefix length> <origin AS>", got ${cells.length} fields`);
    const [addr, len, origin] = cells as [string, string, string];
    let network: Network;
    try {
      network = parseNetwork(`${addr}/${len}`, { maxWidth4: 0, maxWidth6: 0 });
    } catch (e) {
      if (e instanceof InputError) return fail(e.message);
      throw e;
    }
    const origins = origin.split(/[_,]/);
    if (origins.some((a) => !ASN.test(a) || Number(a) > 4_294_967_295)) return fail(`${JSON.stringify(origin)} is not an AS number (or "_"/"," separated AS numbers)`);
    entries.push({ network, origins: [...new Set(origins.map((a) => String(Number(a))))] });
  });
  return { table: new Pfx2As(entries), problems };
}

export function formatEntry(e: Pfx2AsEntry): string {
  return `${formatNetwork(e.network)} AS${e.origins.join('_')}`;
}
