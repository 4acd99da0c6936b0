// The shared rrsets (wildcards, markers) this process created or replaced lately, so that a later
// CREATE of one of them is sent as UPSERT instead of being refused.
//
// Why: the stream lags behind the table. A batch plans from the table as it is now, so it also
// writes rrsets shared with listings whose own stream records come later (a wildcard guard at a
// common ancestor, say). When those records arrive, their plan(before) says the rrset is absent
// and their CREATE is refused, costing a request and a resend. Remembering what was written turns
// those into UPSERTs up front. It is only ever a hint: UPSERT is right whether or not the rrset
// exists, and a forgotten or stale entry just means the old refuse-and-repair path.
import type { Change } from './change-batch.js';
import { MARKER_TYPE, type RRSet, rrsetKey } from './rrset.js';

/** Only rrsets that several regions' plans share are worth remembering: wildcards and markers. */
function shared(r: Pick<RRSet, 'name' | 'type'>): boolean {
  return r.name.startsWith('*.') || r.type === MARKER_TYPE;
}

export class RecentWrites {
  /** Insertion-ordered: the oldest entries are forgotten first. */
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 200_000) {}

  /** Records changes Route 53 accepted. */
  record(changes: readonly Change[]): void {
    for (const c of changes) {
      if (!shared(c.rrset)) continue;
      const key = rrsetKey(c.rrset);
      this.keys.delete(key);
      if (c.action !== 'DELETE') this.keys.add(key);
    }
    for (const key of this.keys) {
      if (this.keys.size <= this.capacity) break;
      this.keys.delete(key);
    }
  }

  /** Whether this process wrote the (shared) rrset lately and did not delete it since. */
  has(r: Pick<RRSet, 'name' | 'type'>): boolean {
    return shared(r) && this.keys.has(rrsetKey(r));
  }

  get size(): number {
    return this.keys.size;
  }
}
