// How an authoritative server answers from a set of rrsets (RFC 1034 4.3.2, RFC 4592 wildcards).
// Used to show "what the zone answers now" from records read back from Route 53, and by tests to
// judge plans before real servers check them too.
import type { RRSet } from './rrset.js';

export interface Resolution {
  readonly rcode: 'NOERROR' | 'NXDOMAIN';
  /** Values of the asked type (empty with NOERROR = NODATA). */
  readonly values: readonly string[];
  /** The owner name the answer came from (the wildcard's, if synthesized). */
  readonly source?: string;
}

export class ZoneIndex {
  private readonly byName = new Map<string, Map<string, RRSet>>();
  private readonly existing = new Set<string>();

  constructor(
    private readonly zone: string,
    rrsets: Iterable<RRSet>,
  ) {
    for (const r of rrsets) this.add(r);
  }

  private add(r: RRSet): void {
    const name = r.name.toLowerCase();
    let types = this.byName.get(name);
    if (!types) this.byName.set(name, (types = new Map()));
    types.set(r.type, r);
    // A name exists if it or anything below it has records (empty non-terminals exist too).
    let n = name;
    const apex = `${this.zone}.`;
    while (n.length >= apex.length && !this.existing.has(n)) {
      this.existing.add(n);
      if (n === apex) break;
      n = n.slice(n.indexOf('.') + 1);
    }
  }

  resolve(qname: string, type: string): Resolution {
    const name = qname.toLowerCase().endsWith('.') ? qname.toLowerCase() : `${qname.toLowerCase()}.`;
    if (this.existing.has(name)) {
      return { rcode: 'NOERROR', values: this.byName.get(name)?.get(type)?.values ?? [], source: name };
    }
    // Closest encloser: the deepest existing ancestor; only its own wildcard may answer.
    let encloser = name;
    const apex = `${this.zone}.`;
    while (encloser !== apex) {
      encloser = encloser.slice(encloser.indexOf('.') + 1);
      if (this.existing.has(encloser)) break;
    }
    const wildcard = `*.${encloser}`;
    if (this.byName.has(wildcard)) {
      return { rcode: 'NOERROR', values: this.byName.get(wildcard)?.get(type)?.values ?? [], source: wildcard };
    }
    return { rcode: 'NXDOMAIN', values: [] };
  }
}
