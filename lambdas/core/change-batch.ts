// Current rrsets -> desired rrsets as Route 53 change batches that obey every
// ChangeResourceRecordSets rule: at most 1,000 ResourceRecord elements and 32,000 value
// characters per request (UPSERT counts both twice), DELETE with the exact current TTL and values,
// and no rrset twice in one request.
import { nameSortKey, type RRSet, rrsetKey, sameRRSet } from './rrset.js';

export type ChangeAction = 'CREATE' | 'UPSERT' | 'DELETE';

export interface Change {
  readonly action: ChangeAction;
  readonly rrset: RRSet;
}

export const MAX_ELEMENTS = 1000;
export const MAX_CHARACTERS = 32000;

/** The cost of one change in the two per-request budgets. */
export function changeCost(c: Change): { elements: number; characters: number } {
  const factor = c.action === 'UPSERT' ? 2 : 1;
  const characters = c.rrset.values.reduce((n, v) => n + v.length, 0);
  return { elements: c.rrset.values.length * factor, characters: characters * factor };
}

/**
 * The fewest changes from `current` to `desired`. New rrsets are CREATEd (half the cost of UPSERT;
 * the planner reads the zone first, so CREATE is exact), changed ones UPSERTed, stale ones DELETEd
 * with their current contents. Sorted in DNS order so that related names travel together.
 */
export function diffRRSets(
  current: Iterable<RRSet>,
  desired: Iterable<RRSet>,
  /** New rrsets to UPSERT rather than CREATE (when `current` may be stale for them). */
  upsert: (r: RRSet) => boolean = () => false,
): Change[] {
  const cur = new Map<string, RRSet>();
  for (const r of current) cur.set(rrsetKey(r), r);
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const r of desired) {
    const key = rrsetKey(r);
    if (seen.has(key)) throw new Error(`desired rrsets contain ${key} twice`);
    seen.add(key);
    const old = cur.get(key);
    if (!old) changes.push({ action: upsert(r) ? 'UPSERT' : 'CREATE', rrset: r });
    else if (!sameRRSet(old, r)) changes.push({ action: 'UPSERT', rrset: r });
  }
  for (const [key, r] of cur) if (!seen.has(key)) changes.push({ action: 'DELETE', rrset: r });
  // Sort keys computed once per change, not per comparison.
  const keyed = changes.map((c) => ({ c, k: nameSortKey(c.rrset.name) }));
  keyed.sort((a, b) => (a.k === b.k ? a.c.rrset.type.localeCompare(b.c.rrset.type) : a.k < b.k ? -1 : 1));
  return keyed.map((x) => x.c);
}

/**
 * Packs changes into requests within both limits, in order. Changes of one name are kept in one
 * request where they fit, so that a name's A and TXT never disagree between two requests.
 */
export function packBatches(
  changes: readonly Change[],
  limits: { elements: number; characters: number } = { elements: MAX_ELEMENTS, characters: MAX_CHARACTERS },
): Change[][] {
  const batches: Change[][] = [];
  let batch: Change[] = [];
  let elements = 0;
  let characters = 0;
  let i = 0;
  while (i < changes.length) {
    // The group of consecutive changes with the same name.
    let j = i + 1;
    while (j < changes.length && changes[j]!.rrset.name === changes[i]!.rrset.name) j++;
    const group = changes.slice(i, j);
    const cost = group.map(changeCost).reduce((a, c) => ({ elements: a.elements + c.elements, characters: a.characters + c.characters }), {
      elements: 0,
      characters: 0,
    });
    if (cost.elements > limits.elements || cost.characters > limits.characters) {
      // A single name larger than a request: split it change by change (each must fit alone).
      for (const c of group) {
        const one = changeCost(c);
        if (one.elements > limits.elements || one.characters > limits.characters) {
          throw new Error(`change ${c.action} ${rrsetKey(c.rrset)} is larger than one request allows`);
        }
        if (elements + one.elements > limits.elements || characters + one.characters > limits.characters) {
          batches.push(batch);
          batch = [];
          elements = characters = 0;
        }
        batch.push(c);
        elements += one.elements;
        characters += one.characters;
      }
    } else {
      if (elements + cost.elements > limits.elements || characters + cost.characters > limits.characters) {
        batches.push(batch);
        batch = [];
        elements = characters = 0;
      }
      batch.push(...group);
      elements += cost.elements;
      characters += cost.characters;
    }
    i = j;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** A change Route 53 refused because the zone was not as assumed. */
export interface RefusedChange {
  readonly name: string;
  readonly type: string;
  readonly problem: 'exists' | 'not-found' | 'other';
}

/**
 * Turns a refused request into one that reaches the same end state: a CREATE of an rrset that
 * exists becomes an UPSERT, a DELETE of one that is gone is dropped. Undefined when some refusal
 * needs the zone's real contents (e.g. a DELETE whose values differ).
 */
export function repairRefused(batch: readonly Change[], refused: readonly RefusedChange[]): Change[] | undefined {
  if (refused.length === 0 || refused.some((r) => r.problem === 'other')) return undefined;
  const byKey = new Map(refused.map((r) => [`${r.name} ${r.type}`, r.problem]));
  const out: Change[] = [];
  for (const c of batch) {
    const problem = byKey.get(rrsetKey(c.rrset));
    if (problem === 'exists' && c.action === 'CREATE') out.push({ action: 'UPSERT', rrset: c.rrset });
    else if (problem === 'not-found' && c.action === 'DELETE') continue;
    else if (problem !== undefined) return undefined;
    else out.push(c);
  }
  return out;
}
