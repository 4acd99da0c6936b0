// Diffs a sync batch chunk by chunk, so that the first requests go to Route 53 while later chunks
// are still being read from the table.
//
// Each chunk brings what the zone holds for its regions according to the plan before the batch
// (`assumed`) and the plan now (`desired`). Neighbouring regions' scopes may share rrsets (guards
// and markers at common ancestors), so diffing each chunk alone would CREATE a shared rrset twice
// or DELETE what an earlier chunk still wants. This keeps what the earlier chunks wanted and wrote,
// and gives exactly the changes a diff of the whole batch at once would give: an rrset stays if any
// region wants it, and the last region's version wins.
import { type Change, diffRRSets } from './change-batch.js';
import { type RRSet, rrsetKey } from './rrset.js';

export class ChunkedDiff {
  /** Every rrset an earlier chunk desired (the last version). */
  private readonly desiredSoFar = new Map<string, RRSet>();
  /** What the changes sent so far left at each rrset key (null = deleted). */
  private readonly written = new Map<string, RRSet | null>();

  /**
   * The changes for the next chunk, given what was planned for its regions before and now.
   * `upsert` picks new rrsets to UPSERT rather than CREATE (ones that may exist already).
   */
  next(assumed: Iterable<RRSet>, desired: Iterable<RRSet>, upsert?: (r: RRSet) => boolean): Change[] {
    const before = new Map<string, RRSet>();
    for (const r of assumed) before.set(rrsetKey(r), r);
    const now = new Map<string, RRSet>();
    for (const r of desired) now.set(rrsetKey(r), r);

    const current: RRSet[] = [];
    const target: RRSet[] = [...now.values()];
    for (const key of new Set([...before.keys(), ...now.keys()])) {
      const belief = this.written.has(key) ? this.written.get(key) : (this.desiredSoFar.get(key) ?? before.get(key));
      if (!belief) continue;
      current.push(belief);
      // An earlier chunk wants it and this one does not mention it as desired: it stays.
      if (!now.has(key) && this.desiredSoFar.has(key)) target.push(belief);
    }
    const changes = diffRRSets(current, target, upsert);
    for (const c of changes) this.written.set(rrsetKey(c.rrset), c.action === 'DELETE' ? null : c.rrset);
    for (const [key, r] of now) this.desiredSoFar.set(key, r);
    return changes;
  }
}
