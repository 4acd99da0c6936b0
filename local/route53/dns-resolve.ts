// Authoritative lookup over the hosted zones, transport-free: RFC 1034 §4.3.2 with the RFC 4592
// clarifications. A name exists if it owns an rrset or has a descendant that does (so empty
// non-terminals give NODATA, not NXDOMAIN, and block wildcards); a wildcard `*.<closest encloser>`
// answers only for names that do not exist, with the query name as owner. NS rrsets below an apex
// are delegations and produce referrals. CNAMEs are followed inside the same zone.
import { isAtOrBelow, keyLabels, labelsToKey, nameKey, unescapeLabel, WILDCARD_LABEL } from './names.js';
import { parseSoa, toRdata } from './record-values.js';
import type { StoredRRSet, Zone, ZoneStore } from './zone-store.js';

export interface WireRecord {
  name: string;
  type: string;
  class: 'IN';
  ttl: number;
  data: unknown;
}

export interface Resolution {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  authoritative: boolean;
  answers: WireRecord[];
  authorities: WireRecord[];
  additionals: WireRecord[];
}

const MAX_CNAME_CHAIN = 8;

/** Raw (unescaped) presentation of a key, as dns-packet wants names. */
function rawName(key: string): string {
  return keyLabels(key).map(unescapeLabel).join('.') || '.';
}

function records(r: StoredRRSet, owner: string): WireRecord[] {
  return r.values.map((v) => ({ name: owner, type: r.type, class: 'IN', ttl: r.ttl, data: toRdata(r.type, v) }));
}

/** The SOA for negative answers, its TTL capped by the SOA minimum field (RFC 2308 §3). */
function negativeSoa(zone: Zone): WireRecord[] {
  const soa = zone.get(zone.name, 'SOA');
  if (!soa || !soa.values[0]) return [];
  const fields = parseSoa(soa.values[0]);
  return [{ name: rawName(zone.name), type: 'SOA', class: 'IN', ttl: Math.min(soa.ttl, fields.minimum), data: fields }];
}

/** `qname` as dns-packet decoded it (no trailing dot, case as asked); `qtype` e.g. "A" or "ANY". */
export function resolve(store: ZoneStore, qname: string, qtype: string): Resolution {
  const labels = qname === '.' || qname === '' ? [] : qname.split('.').map((l) => l.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  const key = labelsToKey(labels);
  const zone = store.zoneFor(key);
  if (!zone) return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] };
  const result: Resolution = { rcode: 'NOERROR', authoritative: true, answers: [], authorities: [], additionals: [] };
  lookup(zone, key, qname, qtype, result, new Set());
  return result;
}

function lookup(zone: Zone, key: string, owner: string, qtype: string, out: Resolution, visited: Set<string>): void {
  visited.add(key);
  // Walk down from the apex towards the name: stop at a delegation, or where the tree ends.
  const labels = keyLabels(key);
  const apexDepth = keyLabels(zone.name).length;
  let closestEncloser = zone.name;
  let node: string | undefined = key;
  for (let depth = apexDepth + 1; depth <= labels.length; depth++) {
    const n = labels.slice(labels.length - depth).join('.') + '.';
    if (!zone.exists(n)) {
      node = undefined;
      break;
    }
    const ns = zone.get(n, 'NS');
    // The parent side of a cut answers DS itself; everything else at or below the cut is referred.
    if (ns && !(n === key && qtype === 'DS')) return referral(zone, ns, out);
    closestEncloser = n;
  }

  let owned: StoredRRSet[];
  if (node !== undefined) {
    owned = zone.at(key);
  } else {
    const wildcard = `${WILDCARD_LABEL}.${closestEncloser}`;
    if (!zone.exists(wildcard)) {
      out.rcode = 'NXDOMAIN';
      out.authorities = negativeSoa(zone);
      return;
    }
    owned = zone.at(wildcard); // empty if the wildcard is itself an empty non-terminal: NODATA
  }

  if (qtype === 'ANY') {
    for (const r of owned) out.answers.push(...records(r, owner));
    if (owned.length === 0) out.authorities = negativeSoa(zone);
    return;
  }
  const exact = owned.find((r) => r.type === qtype);
  if (exact) {
    out.answers.push(...records(exact, owner));
    return;
  }
  const cname = owned.find((r) => r.type === 'CNAME');
  if (cname) {
    out.answers.push(...records(cname, owner));
    return follow(zone, cname.values[0]!, qtype, out, visited);
  }
  // NODATA (possibly at the end of a CNAME chain): the name exists, the type does not.
  out.authorities = negativeSoa(zone);
}

function follow(zone: Zone, target: string, qtype: string, out: Resolution, visited: Set<string>): void {
  let key: string;
  try {
    key = nameKey(target);
  } catch {
    return;
  }
  // Only in-zone targets are chased, like Route 53; the resolver follows the rest itself.
  if (!isAtOrBelow(key, zone.name) || visited.has(key) || visited.size > MAX_CNAME_CHAIN) return;
  lookup(zone, key, rawName(key), qtype, out, visited);
}

function referral(zone: Zone, ns: StoredRRSet, out: Resolution): void {
  out.authoritative = false;
  out.authorities = records(ns, rawName(ns.name));
  // Glue: addresses of name servers that live at or below the cut (nobody else could give them).
  for (const v of ns.values) {
    let target: string;
    try {
      target = nameKey(v);
    } catch {
      continue;
    }
    if (!isAtOrBelow(target, ns.name)) continue;
    for (const type of ['A', 'AAAA']) {
      const r = zone.get(target, type);
      if (r) out.additionals.push(...records(r, rawName(target)));
    }
  }
}

