// The never-list set: addresses automation may never list, whatever the evidence says. Evidence
// about them is still kept (an abuse report naming our own relay is worth reading); it just never
// lists. Made of:
//   - the deployment's own infrastructure (its mail and name servers, its API's addresses …),
//   - configured allow ranges and allow files (one network per line, "#" comments),
//   - what listing.ts refuses for everyone: 127.0.0.0/8 (the RFC 5782 test points), the IPv6 views
//     of IPv4 (::ffff:0:0/96, 2002::/16),
//   - special-purpose space (private, shared, loopback, link-local, multicast, reserved …) as ip.ts
//     knows it from the IANA registries.
// Escalation uses the same set twice: a prefix inside a protected range is never escalated, and the
// protected ranges inside an escalated prefix become exclusions (allow-holes) of the escalated list.
import { InputError } from './input-error.js';
import { contains, formatNetwork, type Network, overlaps, parseNetwork, specialPurposeRange } from './ip.js';
import { validateListable } from './listing.js';

export type ProtectedKind = 'infrastructure' | 'allow' | 'test-point' | 'reserved';

export interface ProtectedRange {
  readonly network: Network;
  readonly kind: ProtectedKind;
  /** Where it came from, e.g. "allow.txt line 3", "infrastructure[0]". */
  readonly origin: string;
}

export interface ProtectedSetConfig {
  readonly infrastructure?: readonly string[];
  readonly allow?: readonly string[];
  /** Allow files, by name, with their text. */
  readonly allowFiles?: ReadonlyArray<{ readonly name: string; readonly text: string }>;
}

const ANY_WIDTH = { maxWidth4: 0, maxWidth6: 0 };

/** One network a line; "#" starts a comment. A bad line throws, naming the file and line. */
export function parseAllowLines(name: string, text: string): Array<{ network: Network; line: number }> {
  const out: Array<{ network: Network; line: number }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const field = `${name} line ${i + 1}`;
    try {
      out.push({ network: parseNetwork(line, { ...ANY_WIDTH, field }), line: i + 1 });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${field}: ${e.message}`, field);
      throw e;
    }
  });
  return out;
}

export function parseAllowFile(name: string, text: string): Network[] {
  return parseAllowLines(name, text).map((l) => l.network);
}

export class ProtectedSet {
  constructor(readonly ranges: readonly ProtectedRange[]) {}

  static build(cfg: ProtectedSetConfig): ProtectedSet {
    const ranges: ProtectedRange[] = [];
    const add = (texts: readonly string[] | undefined, kind: ProtectedKind, field: string) =>
      (texts ?? []).forEach((t, i) => ranges.push({ network: parseNetwork(t, { ...ANY_WIDTH, field: `${field}[${i}]` }), kind, origin: `${field}[${i}]` }));
    add(cfg.infrastructure, 'infrastructure', 'infrastructure');
    add(cfg.allow, 'allow', 'allow');
    for (const f of cfg.allowFiles ?? []) {
      for (const { network, line } of parseAllowLines(f.name, f.text)) ranges.push({ network, kind: 'allow', origin: `${f.name} line ${line}` });
    }
    return new ProtectedSet(ranges);
  }

  /** Why `n` may never be listed by automation, or undefined. */
  why(n: Network): string | undefined {
    for (const r of this.ranges) {
      if (overlaps(r.network, n)) return `${formatNetwork(n)} ${contains(r.network, n) ? 'is in' : 'overlaps'} ${formatNetwork(r.network)}, ${r.kind === 'infrastructure' ? "the deployment's own infrastructure" : 'an allow range'} (${r.origin})`;
    }
    try {
      validateListable(n);
    } catch (e) {
      if (e instanceof InputError) return e.message;
      throw e;
    }
    const s = specialPurposeRange(n);
    if (s) return `${formatNetwork(n)} is in ${formatNetwork(s.network)}, ${s.name} (${s.ref})`;
    return undefined;
  }

  /**
   * Why a prefix may not be escalated: it lies inside a configured range, or is not listable or
   * public space. A configured range inside it does not block it: that range becomes a hole.
   */
  whyPrefix(n: Network): string | undefined {
    const r = this.ranges.find((x) => contains(x.network, n));
    if (r) return `${formatNetwork(n)} is in ${formatNetwork(r.network)} (${r.origin})`;
    const holes = this.holesIn(n);
    return holes.length === 0 ? this.why(n) : new ProtectedSet([]).why(n);
  }

  isProtected(n: Network): boolean {
    return this.why(n) !== undefined;
  }

  /** The configured ranges (infrastructure and allow) strictly inside or overlapping `n`: its allow-holes when `n` is escalated. */
  holesIn(n: Network): Network[] {
    return this.ranges.filter((r) => overlaps(r.network, n) && !contains(r.network, n)).map((r) => r.network);
  }

  /** Configured networks only (for counting: abusers inside them do not count towards escalation). */
  networks(): Network[] {
    return this.ranges.map((r) => r.network);
  }
}
