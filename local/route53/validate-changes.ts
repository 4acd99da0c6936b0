// ChangeResourceRecordSets semantics: the per-request limits, then every change checked in order
// against the zone as the earlier changes of the same batch leave it. Problems are collected
// (Route 53 reports several at once) and any problem rejects the whole batch; only a clean batch
// yields writes. Nothing here touches the zone.
import { isAtOrBelow, labelsToKey, NameError, parseName } from './names.js';
import { valueProblem } from './record-values.js';
import type { RRSetWrite, StoredRRSet, Zone } from './zone-store.js';

export type ChangeAction = 'CREATE' | 'DELETE' | 'UPSERT';

export interface RequestedChange {
  action: ChangeAction;
  name: string; // as sent
  type: string;
  ttl: number;
  values: string[];
}

export const MAX_RECORDS_PER_REQUEST = 1000;
export const MAX_CHARACTERS_PER_REQUEST = 32000;

/** ResourceRecord elements and Value characters of a request; UPSERT counts both twice. */
export function batchCost(changes: readonly RequestedChange[]): { records: number; characters: number } {
  let records = 0;
  let characters = 0;
  for (const c of changes) {
    const factor = c.action === 'UPSERT' ? 2 : 1;
    records += c.values.length * factor;
    characters += c.values.reduce((n, v) => n + v.length, 0) * factor;
  }
  return { records, characters };
}

export type BatchResult = { ok: true; writes: RRSetWrite[] } | { ok: false; messages: string[] };

export function validateChangeBatch(zone: Zone, changes: readonly RequestedChange[], maxRRSets: number): BatchResult {
  const cost = batchCost(changes);
  const limits: string[] = [];
  if (cost.records > MAX_RECORDS_PER_REQUEST) limits.push(`Number of records limit of ${MAX_RECORDS_PER_REQUEST} exceeded.`);
  if (cost.characters > MAX_CHARACTERS_PER_REQUEST) limits.push(`RDATA character limit of ${MAX_CHARACTERS_PER_REQUEST} exceeded.`);
  if (limits.length > 0) return { ok: false, messages: limits };

  const messages: string[] = [];
  // The zone as the batch has changed it so far: name -> type -> rrset, or null when deleted.
  // Indexed by name so that checking a change costs the same however large the batch is.
  const overlay = new Map<string, Map<string, StoredRRSet | null>>();
  const current = (name: string, type: string): StoredRRSet | undefined => {
    const mine = overlay.get(name);
    return mine?.has(type) ? (mine.get(type) ?? undefined) : zone.get(name, type);
  };
  const typesAt = (name: string): Set<string> => {
    const types = new Set(zone.at(name).map((r) => r.type));
    for (const [t, r] of overlay.get(name) ?? []) {
      if (r) types.add(t);
      else types.delete(t);
    }
    return types;
  };
  const actionsSeen = new Map<string, ChangeAction[]>();

  for (const c of changes) {
    let labels: string[];
    try {
      labels = parseName(c.name);
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      // A bad owner name has no "Invalid Resource Record" wrapper (that is for values).
      messages.push(`FATAL problem: ${e.problem} (${e.message}) encountered with '${c.name}'`);
      continue;
    }
    const name = labelsToKey(labels);
    if (labels.some((l, i) => l.includes('*') && !(i === 0 && l === '*'))) {
      // Stricter than Route 53, which would keep such a '*' as a literal character: in a DNSBL
      // zone it is always a mistake.
      messages.push(`Invalid wildcard: '*' is allowed only as the whole leftmost label, encountered with '${c.name}'`);
      continue;
    }
    if (!isAtOrBelow(name, zone.name)) {
      messages.push(`RRSet with DNS name ${name} is not permitted in zone ${zone.name}`);
      continue;
    }

    const valueMessages: string[] = [];
    const distinct = new Set<string>();
    for (const v of c.values) {
      const problem = valueProblem(c.type, v);
      if (problem) valueMessages.push(problem);
      if (distinct.has(v)) valueMessages.push(`Duplicate Resource Record: '${v}'`);
      distinct.add(v);
    }
    if (c.type === 'CNAME' && c.values.length > 1) {
      valueMessages.push(`RRSet of type CNAME with DNS name ${name} has more than one resource record`);
    }
    if (c.type === 'SOA' && name !== zone.name) {
      valueMessages.push(`RRSet of type SOA with DNS name ${name} is not permitted because only the zone apex may have an SOA record`);
    }
    if (c.type === 'SOA' && c.values.length !== 1) valueMessages.push('A HostedZone must contain exactly one SOA record.');
    if (valueMessages.length > 0) {
      messages.push(...valueMessages);
      continue;
    }

    // One rrset may appear twice only as DELETE then CREATE (the pre-UPSERT way to replace it).
    const rk = `${name}|${c.type}`;
    const prior = actionsSeen.get(rk) ?? [];
    actionsSeen.set(rk, [...prior, c.action]);
    if (prior.length > 0 && !(prior.length === 1 && prior[0] === 'DELETE' && c.action === 'CREATE')) {
      messages.push(`The request contains an invalid set of changes for a resource record set '${c.type} ${name}'`);
      continue;
    }

    const cur = current(name, c.type);
    const what = `resource record set [name='${name}', type='${c.type}']`;
    if (c.action === 'CREATE' && cur) {
      messages.push(`Tried to create ${what} but it already exists`);
      continue;
    }
    if (c.action === 'DELETE') {
      if (!cur) {
        messages.push(`Tried to delete ${what} but it was not found`);
        continue;
      }
      if (!sameContents(cur, c)) {
        messages.push(`Tried to delete ${what} but the values provided do not match the current values`);
        continue;
      }
    } else {
      // RFC 1034 §3.6.2: a CNAME owner has no other data.
      const others = [...typesAt(name)].filter((t) => t !== c.type);
      if (c.type === 'CNAME' && others.length > 0) {
        messages.push(`RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`);
        continue;
      }
      if (c.type !== 'CNAME' && others.includes('CNAME')) {
        // (The double space is Route 53's.)
        messages.push(`RRSet of type ${c.type} with DNS name ${name} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone ${zone.name}`);
        continue;
      }
    }
    const mine = overlay.get(name) ?? new Map<string, StoredRRSet | null>();
    mine.set(c.type, c.action === 'DELETE' ? null : { name, type: c.type, ttl: c.ttl, values: [...c.values] });
    overlay.set(name, mine);
  }

  // The apex must keep its SOA and NS (they may be replaced, not removed).
  if (!current(zone.name, 'SOA')) messages.push('A HostedZone must contain exactly one SOA record.');
  if (!current(zone.name, 'NS')) messages.push('A HostedZone must contain at least one NS record for the zone itself.');

  let count = zone.rrsetCount;
  const writes: RRSetWrite[] = [];
  for (const [name, types] of overlay) {
    for (const [type, rrset] of types) {
      count += (rrset ? 1 : 0) - (zone.get(name, type) !== undefined ? 1 : 0);
      writes.push({ name, type, rrset });
    }
  }
  if (count > maxRRSets) messages.push(`Exceeded limit MAX_RRSETS_BY_ZONE for zone: ${zone.id}`);

  if (messages.length > 0) return { ok: false, messages };
  return { ok: true, writes };
}

function sameContents(a: StoredRRSet, b: RequestedChange): boolean {
  if (a.ttl !== b.ttl || a.values.length !== b.values.length) return false;
  const set = new Set(a.values);
  return b.values.every((v) => set.has(v));
}
