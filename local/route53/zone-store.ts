// Hosted zones, their rrsets and submitted changes, in memory. Each zone also counts, for every
// name, how many owner names sit at or below it: that is what makes a name "exist" for DNS
// (RFC 1034 §4.3.2: empty non-terminals exist), and it is kept up to date on every change so
// lookups stay O(labels).
import { randomBytes } from 'node:crypto';
import { compareAscii, isAtOrBelow, listingKey, parentKey, type WildcardOrder } from './names.js';

export interface StoredRRSet {
  name: string; // key form
  type: string;
  ttl: number;
  values: string[];
}

/** One rrset's new state after a batch: the rrset, or null for deleted. */
export interface RRSetWrite {
  name: string;
  type: string;
  rrset: StoredRRSet | null;
}

export interface ChangeRecord {
  id: string; // "C..." without the /change/ prefix
  submittedAt: number; // epoch ms
  comment?: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export function newId(prefix: 'Z' | 'C'): string {
  const bytes = randomBytes(20);
  let id = prefix;
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

export class Zone {
  private readonly sets = new Map<string, Map<string, StoredRRSet>>();
  /** name -> number of owner names at or below it (within the zone). */
  private readonly below = new Map<string, number>();
  private readonly sortedCache = new Map<WildcardOrder, StoredRRSet[]>();
  private count = 0;

  constructor(
    readonly id: string,
    readonly name: string, // key form, e.g. "bl.example.org."
    readonly callerReference: string,
    readonly comment: string | undefined,
    readonly nameServers: string[], // delegation set, without trailing dots
    readonly createdAt: number,
  ) {}

  get rrsetCount(): number {
    return this.count;
  }

  get(name: string, type: string): StoredRRSet | undefined {
    return this.sets.get(name)?.get(type);
  }

  /** The rrsets owned by exactly this name (empty for empty non-terminals and absent names). */
  at(name: string): StoredRRSet[] {
    return [...(this.sets.get(name)?.values() ?? [])];
  }

  /** A name exists if it owns an rrset or has a descendant that does. */
  exists(name: string): boolean {
    return (this.below.get(name) ?? 0) > 0;
  }

  /** Applies already-validated writes. */
  apply(writes: readonly RRSetWrite[]): void {
    for (const w of writes) {
      let types = this.sets.get(w.name);
      if (w.rrset) {
        if (!types) {
          types = new Map();
          this.sets.set(w.name, types);
          this.adjustBelow(w.name, +1);
        }
        if (!types.has(w.type)) this.count++;
        types.set(w.type, { ...w.rrset, values: [...w.rrset.values] });
      } else if (types?.delete(w.type)) {
        this.count--;
        if (types.size === 0) {
          this.sets.delete(w.name);
          this.adjustBelow(w.name, -1);
        }
      }
    }
    this.sortedCache.clear();
  }

  private adjustBelow(name: string, delta: number): void {
    for (let n = name; isAtOrBelow(n, this.name); n = parentKey(n)) {
      const v = (this.below.get(n) ?? 0) + delta;
      if (v === 0) this.below.delete(n);
      else this.below.set(n, v);
      if (n === this.name) break;
    }
  }

  /**
   * All rrsets in ListResourceRecordSets' order: the name with its labels reversed, compared as
   * ASCII (a wildcard as the raw `*` unless `order` says otherwise; see listingKey), then type.
   */
  sorted(order: WildcardOrder = 'ascii'): StoredRRSet[] {
    let cached = this.sortedCache.get(order);
    if (!cached) {
      const all: Array<{ k: string; r: StoredRRSet }> = [];
      for (const types of this.sets.values()) for (const r of types.values()) all.push({ k: listingKey(r.name, order), r });
      all.sort((a, b) => compareAscii(a.k, b.k) || compareAscii(a.r.type, b.r.type));
      cached = all.map((x) => x.r);
      this.sortedCache.set(order, cached);
    }
    return cached;
  }
}

export class ZoneStore {
  readonly zones = new Map<string, Zone>(); // insertion order = creation order
  readonly changes = new Map<string, ChangeRecord>();
  /** Where ListResourceRecordSets sorts a wildcard label (Route53StandInOptions.wildcardOrder). */
  listingOrder: WildcardOrder = 'ascii';

  zone(id: string): Zone | undefined {
    return this.zones.get(id);
  }

  /** The zone that answers for a name: the deepest zone apex at or above it (oldest on ties). */
  zoneFor(name: string): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.zones.values()) {
      if (isAtOrBelow(name, z.name) && (!best || z.name.length > best.name.length)) best = z;
    }
    return best;
  }

  recordChange(comment?: string, now = Date.now()): ChangeRecord {
    const rec: ChangeRecord = { id: newId('C'), submittedAt: now, ...(comment ? { comment } : {}) };
    this.changes.set(rec.id, rec);
    return rec;
  }
}
