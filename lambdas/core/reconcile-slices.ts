// A reconcile pass is cut into slices: each slice is one contiguous range of the zone's listing
// order, read, planned, diffed and repaired on its own, so that memory and time per slice are
// bounded by the listings in it, not by the table.
//
// ListResourceRecordSets sorts "by DNS name with the labels reversed" as text, trailing dot included
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html, "Sort
// order"; the stand-in does the same, local/route53/names.ts listingKey). So the names below a node
// P are exactly the keys starting with "<P reversed>." and form one contiguous range, and below P
// the names of one next label l are the keys starting with "<P reversed>.l." — ordered among their
// siblings by comparing "l." as text (labelKey). A slice is therefore:
//   - a node P (path: labels from the zone down, first label = first octet or nibble), and
//   - a range [from, to) of next labels in that order (open at either end when undefined);
//   - the slice marked `self` also owns P's own name and the next labels holding a '*': where a
//     wildcard label sorts is not something to rely on (Route 53 documents the raw '*', 42, but
//     writes it back as "\052", which would sort after the digits), so they are read by name.
// The slices of a node cover all its next labels, so every name of the zone (apex included)
// belongs to exactly one slice, planned or not: a stray record anywhere is found and removed.
//
// A node whose listings exceed the bound is split: its label is taken out of its parent's ranges
// and its own next labels are cut into ranges (recursively). The first label below the zone is both
// an IPv4 octet (0-255) and an IPv6 nibble (0-f): a node's next labels are the union of what its
// families allow (names at depth <= 4 are IPv4 names, deeper ones IPv6; see zone-plan.ts).
//
// What a slice needs from the table (sliceReads): the listings whose network starts in one of its
// address intervals (the next labels in range, per family; IPv4 listings mirrored into IPv6 through
// their preimage), plus those covering the start of each interval and P itself; the self slice also
// needs to know whether anything lies strictly inside P (P's wildcard depends on it), for which it
// reads one active listing there (a witness). planSlice then plans the zone from those listings
// and keeps the names the slice owns: the planner's decisions are local (zone-plan.ts), so these
// are exactly the full plan's records for those names (property-tested).
import { FAMILY_BITS, type Family, type Network, networkEnd } from './ip.js';
import type { Listing, ZoneConfig } from './listing.js';
import { planZone } from './zone-plan.js';
import type { RRSet } from './rrset.js';

export interface ReconcileSlice {
  /** Labels from the zone down ([] = the apex). */
  readonly path: readonly string[];
  /** First next label in range (inclusive, labelKey order); undefined = from the first. */
  readonly from?: string;
  /** First next label after the range (exclusive); undefined = to the last. */
  readonly to?: string;
  /** Also owns the node itself and the next labels holding a '*'. */
  readonly self: boolean;
}

/** Where a next label sorts among its siblings in ListResourceRecordSets' order. */
export function labelKey(label: string): string {
  return `${label}.`;
}

function inRange(slice: ReconcileSlice, label: string): boolean {
  const k = labelKey(label);
  return (slice.from === undefined || k >= labelKey(slice.from)) && (slice.to === undefined || k < labelKey(slice.to));
}

/** Labels of a name below the zone, from the zone down; undefined if the name is not in the zone. */
export function zoneLabels(name: string, zone: string): string[] | undefined {
  const apex = `${zone}.`;
  if (name === apex) return [];
  if (!name.endsWith(`.${apex}`)) return undefined;
  return name.slice(0, -(apex.length + 1)).split('.').reverse();
}

/** The FQDN of a path (labels from the zone down). */
export function pathName(path: readonly string[], zone: string): string {
  return path.length === 0 ? `${zone}.` : `${[...path].reverse().join('.')}.${zone}.`;
}

export function ownsLabels(slice: ReconcileSlice, labels: readonly string[]): boolean {
  if (labels.length < slice.path.length) return false;
  for (let i = 0; i < slice.path.length; i++) if (labels[i] !== slice.path[i]) return false;
  if (labels.length === slice.path.length) return slice.self;
  const next = labels[slice.path.length]!;
  if (next.includes('*')) return slice.self;
  return inRange(slice, next);
}

export function ownsName(slice: ReconcileSlice, name: string, zone: string): boolean {
  const labels = zoneLabels(name, zone);
  return labels !== undefined && ownsLabels(slice, labels);
}

/** Where the listing order enters the slice's range of next labels (the self names are read apart). */
export function rangeStartName(slice: ReconcileSlice, zone: string): string {
  return pathName(slice.from === undefined ? slice.path : [...slice.path, slice.from], zone);
}

/**
 * Whether a name read while paging from rangeStartName lies beyond the slice's range (the read can
 * stop): outside the node, or a next label at or after `to`. Names with a '*' next label sort
 * somewhere inside the node whatever the order, so they never end the range.
 */
export function pastRange(slice: ReconcileSlice, name: string, zone: string): boolean {
  const labels = zoneLabels(name, zone);
  if (labels === undefined || labels.length < slice.path.length) return true;
  for (let i = 0; i < slice.path.length; i++) if (labels[i] !== slice.path[i]) return true;
  if (labels.length === slice.path.length) return false;
  const next = labels[slice.path.length]!;
  return !next.includes('*') && slice.to !== undefined && labelKey(next) >= labelKey(slice.to);
}

// ---- the name tree's families ----------------------------------------------------------------

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const NIBBLE = /^[0-9a-f]$/;

function isOctet(l: string): boolean {
  return OCTET.test(l) && Number(l) <= 255;
}

/** The network a node stands for in a family, if its labels are that family's (any depth). */
export function nodeNetwork(path: readonly string[], family: Family): Network | undefined {
  if (family === 4) {
    if (path.length > 4 || !path.every(isOctet)) return undefined;
    let start = 0n;
    path.forEach((l, i) => (start |= BigInt(Number(l)) << BigInt(24 - 8 * i)));
    return { family: 4, start, prefix: 8 * path.length };
  }
  if (path.length > 32 || !path.every((l) => NIBBLE.test(l))) return undefined;
  let start = 0n;
  path.forEach((l, i) => (start |= BigInt(parseInt(l, 16)) << BigInt(124 - 4 * i)));
  return { family: 6, start, prefix: 4 * path.length };
}

/** The next labels a node can have in each family (none below a leaf). */
function childLabels(path: readonly string[]): Array<{ family: Family; labels: string[] }> {
  const out: Array<{ family: Family; labels: string[] }> = [];
  if (path.length < 4 && nodeNetwork(path, 4)) out.push({ family: 4, labels: Array.from({ length: 256 }, (_, i) => String(i)) });
  if (path.length < 32 && nodeNetwork(path, 6)) out.push({ family: 6, labels: Array.from({ length: 16 }, (_, i) => i.toString(16)) });
  return out;
}

/** The labels of a network's node at its aligned depth (the node that holds it). */
export function networkPath(n: Network): string[] {
  const labelBits = n.family === 4 ? 8 : 4;
  const depth = Math.floor(n.prefix / labelBits);
  const bits = FAMILY_BITS[n.family];
  const out: string[] = [];
  for (let d = 1; d <= depth; d++) {
    const v = Number((n.start >> BigInt(bits - d * labelBits)) & ((1n << BigInt(labelBits)) - 1n));
    out.push(n.family === 4 ? String(v) : v.toString(16));
  }
  return out;
}

// ---- IPv4 mirrors (zone-plan.ts answers ::ffff:0:0/96 and 2002::/16 from the IPv4 data) ---------

const MIRRORS = [
  { base: 0xffffn << 32n, shift: 0n, prefix: 96 },
  { base: 0x2002n << 112n, shift: 80n, prefix: 16 },
] as const;

/** The IPv6 networks an IPv4 network is mirrored to. */
export function mirrorNetworks(n: Network): Network[] {
  if (n.family !== 4) return [];
  return MIRRORS.map((m) => ({ family: 6 as const, start: m.base | (n.start << m.shift), prefix: m.prefix + n.prefix }));
}

/**
 * The IPv4 addresses whose mirrors (in either block) meet the IPv6 interval [lo, hi]: at most one
 * interval per block, since a mirror is monotonic in the address.
 */
export function mirrorPreimages(lo: bigint, hi: bigint): Array<{ lo: bigint; hi: bigint }> {
  const out: Array<{ lo: bigint; hi: bigint }> = [];
  for (const m of MIRRORS) {
    const blockEnd = m.base + (1n << BigInt(128 - m.prefix)) - 1n;
    const a = lo > m.base ? lo : m.base;
    const b = hi < blockEnd ? hi : blockEnd;
    if (a > b) continue;
    out.push({ lo: (a - m.base) >> m.shift, hi: (b - m.base) >> m.shift });
  }
  return out;
}

/**
 * The networks whose listings decide the given names: each name's node (its '*' label dropped), in
 * every family its labels belong to, and for a node in an IPv4 mirror block the IPv4 network it
 * mirrors (when that is at least a /8, the widest IPv4 listing). Reconcile reads the table
 * consistently around these before it changes a name (see reconcile-slice.ts).
 */
export function decidingNetworks(names: Iterable<string>, zone: string): Network[] {
  const out = new Map<string, Network>();
  const add = (n: Network) => out.set(`${n.family}:${n.start}/${n.prefix}`, n);
  for (const name of names) {
    const labels = zoneLabels(name, zone);
    if (!labels || labels.length === 0) continue;
    const path = labels[labels.length - 1] === '*' ? labels.slice(0, -1) : labels;
    if (path.length === 0 || path.some((l) => l.includes('*'))) continue;
    const v4 = nodeNetwork(path, 4);
    if (v4) add(v4);
    const v6 = nodeNetwork(path, 6);
    if (!v6) continue;
    add(v6);
    const end = v6.start + (1n << BigInt(128 - v6.prefix)) - 1n;
    for (const p of mirrorPreimages(v6.start, end)) {
      const size = p.hi - p.lo + 1n;
      const prefix = 32 - (size.toString(2).length - 1);
      // An aligned power-of-two interval is a network; only those of /8 or longer can hold listings' records.
      if ((size & (size - 1n)) === 0n && p.lo % size === 0n && prefix >= 8) add({ family: 4, start: p.lo, prefix });
    }
  }
  return [...out.values()];
}

// ---- what a slice reads ----------------------------------------------------------------------

/** Listings whose network starts in [lo, hi] (and is at least minPrefix long). */
export interface AddressInterval {
  readonly family: Family;
  readonly lo: bigint;
  readonly hi: bigint;
  readonly minPrefix: number;
  /** IPv4 addresses read because their mirrors lie in the slice (the listings belong to another slice). */
  readonly mirror?: true;
}

export interface SliceReads {
  /** Listings starting in these intervals: everything inside the slice's range. */
  readonly intervals: AddressInterval[];
  /** Listings covering these networks: wider ones that reach into the range (or cover the node). */
  readonly covering: Network[];
  /** Self slice only: one active listing starting here (strictly inside the node), if any. */
  readonly witness: AddressInterval[];
}

/** Runs of consecutive values as [lo, hi] pairs. */
function runs(values: readonly number[]): Array<[number, number]> {
  const sorted = [...values].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === v - 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

function withMirrors(iv: AddressInterval): AddressInterval[] {
  if (iv.family !== 6) return [iv];
  // An IPv4 listing of prefix p is placed in IPv6 at prefix p + (96 or 16).
  const pre = mirrorPreimages(iv.lo, iv.hi).map((p, i) => ({ family: 4 as const, lo: p.lo, hi: p.hi, minPrefix: Math.max(0, iv.minPrefix - MIRRORS[i]!.prefix), mirror: true as const }));
  return [iv, ...pre];
}

function coveringWithMirrors(n: Network): Network[] {
  if (n.family !== 6) return [n];
  const out: Network[] = [n];
  for (const m of MIRRORS) {
    // A node inside a mirror block: the IPv4 network it stands for.
    if (n.prefix >= m.prefix && n.start >> BigInt(128 - m.prefix) === m.base >> BigInt(128 - m.prefix)) {
      const v4prefix = Math.min(32, n.prefix - m.prefix);
      const v4start = ((n.start - m.base) >> m.shift) & 0xffffffffn;
      out.push({ family: 4, start: (v4start >> BigInt(32 - v4prefix)) << BigInt(32 - v4prefix), prefix: v4prefix });
    }
  }
  return out;
}

export function sliceReads(slice: ReconcileSlice): SliceReads {
  const intervals: AddressInterval[] = [];
  const covering: Network[] = [];
  const witness: AddressInterval[] = [];
  for (const family of [4, 6] as const) {
    const node = nodeNetwork(slice.path, family);
    if (!node) continue;
    covering.push(...coveringWithMirrors(node));
    const fam = childLabels(slice.path).find((c) => c.family === family);
    if (!fam) continue;
    const labelBits = family === 4 ? 8 : 4;
    const childPrefix = node.prefix + labelBits;
    const shift = BigInt(FAMILY_BITS[family] - childPrefix);
    const values = fam.labels.map((l, i) => ({ l, i })).filter((x) => inRange(slice, x.l)).map((x) => x.i);
    for (const [a, b] of runs(values)) {
      const lo = node.start | (BigInt(a) << shift);
      const hi = (node.start | (BigInt(b) << shift)) + (1n << shift) - 1n;
      intervals.push(...withMirrors({ family, lo, hi, minPrefix: 0 }));
      covering.push(...coveringWithMirrors({ family, start: lo, prefix: childPrefix }));
    }
    if (slice.self) witness.push(...withMirrors({ family, lo: node.start, hi: networkEnd(node), minPrefix: node.prefix + 1 }));
  }
  return { intervals, covering: dedupeNetworks(covering), witness };
}

function dedupeNetworks(ns: readonly Network[]): Network[] {
  const m = new Map<string, Network>();
  for (const n of ns) m.set(`${n.family}:${n.start}/${n.prefix}`, n);
  return [...m.values()];
}

/**
 * Whether a listing's network belongs to the slice (starts in one of its own intervals, not a
 * mirror's): every network belongs to exactly one slice of a pass, which counts its published row.
 */
export function ownsNetwork(reads: SliceReads, n: Network): boolean {
  return reads.intervals.some((iv) => !iv.mirror && startsIn(iv, n));
}

function startsIn(iv: AddressInterval, n: Network): boolean {
  return n.family === iv.family && n.start >= iv.lo && n.start <= iv.hi && n.prefix >= iv.minPrefix;
}

function covers(outer: Network, inner: Network): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && outer.start === (inner.start >> BigInt(FAMILY_BITS[inner.family] - outer.prefix)) << BigInt(FAMILY_BITS[inner.family] - outer.prefix);
}

/**
 * The listings of `all` a slice would read (sliceReads applied in memory, the witness included):
 * what tests and in-memory runs use in place of the table's queries.
 */
export function selectForSlice(reads: SliceReads, all: readonly Listing[], isActive: (l: Listing) => boolean = () => true): Listing[] {
  const out = all.filter((l) => reads.intervals.some((iv) => startsIn(iv, l.network)) || reads.covering.some((c) => covers(l.network, c)));
  const witness = all.find((l) => isActive(l) && reads.witness.some((iv) => startsIn(iv, l.network)));
  if (witness && !out.includes(witness)) out.push(witness);
  return out;
}

/**
 * The records a slice owns, planned from `effective` (effective listings: at least everything
 * selectForSlice/sliceReads selects; more does not change the result).
 */
export function planSlice(cfg: ZoneConfig, slice: ReconcileSlice, effective: Iterable<Listing>): RRSet[] {
  const out: RRSet[] = [];
  for (const r of planZone(cfg, effective)) if (ownsName(slice, r.name, cfg.zone)) out.push(r);
  return out;
}

// ---- cutting a zone into slices ---------------------------------------------------------------

/** How many listings lie at a network (the pass counts the table; mirrors placed by the caller). */
export interface SliceWeight {
  readonly network: Network;
  readonly count: number;
}

/** Weights placed in the name tree: each at its node's path, IPv4 ones also at their mirrors. */
export function placeWeights(weights: Iterable<SliceWeight>): Array<{ path: string[]; count: number }> {
  const out: Array<{ path: string[]; count: number }> = [];
  for (const w of weights) {
    out.push({ path: networkPath(w.network), count: w.count });
    for (const m of mirrorNetworks(w.network)) out.push({ path: networkPath(m), count: w.count });
  }
  return out;
}

interface Node {
  /** Weights at this node or below. */
  total: number;
  /** Weights strictly below (in children). */
  children: Map<string, Node>;
}

function buildTree(placed: Iterable<{ path: string[]; count: number }>): Node {
  const root: Node = { total: 0, children: new Map() };
  for (const w of placed) {
    let n = root;
    n.total += w.count;
    for (const l of w.path) {
      let c = n.children.get(l);
      if (!c) n.children.set(l, (c = { total: 0, children: new Map() }));
      c.total += w.count;
      n = c;
    }
  }
  return root;
}

/**
 * Cuts the zone into slices of at most `bound` listings each where the tree allows (a node whose
 * weight sits at the node itself cannot be cut finer). Adjacent small labels share a range.
 */
export function planSlices(weights: Iterable<SliceWeight>, bound: number): ReconcileSlice[] {
  if (!(bound >= 1)) throw new Error('slice bound must be at least 1');
  const root = buildTree(placeWeights(weights));
  const out: ReconcileSlice[] = [];
  const cut = (path: string[], node: Node): void => {
    const labels = [...node.children.keys()].sort((a, b) => (labelKey(a) < labelKey(b) ? -1 : labelKey(a) > labelKey(b) ? 1 : 0));
    let cur: { from?: string; count: number; self: boolean } = { count: 0, self: true };
    for (const l of labels) {
      const child = node.children.get(l)!;
      if (child.total > bound && child.children.size > 0) {
        out.push({ path, ...(cur.from !== undefined ? { from: cur.from } : {}), to: l, self: cur.self });
        cut([...path, l], child);
        // The range goes on after the child's names ("l" followed by any character above ".").
        cur = { from: `${l}0`, count: 0, self: false };
      } else if (cur.count > 0 && cur.count + child.total > bound) {
        out.push({ path, ...(cur.from !== undefined ? { from: cur.from } : {}), to: l, self: cur.self });
        cur = { from: l, count: child.total, self: false };
      } else cur.count += child.total;
    }
    out.push({ path, ...(cur.from !== undefined ? { from: cur.from } : {}), self: cur.self });
  };
  cut([], root);
  return out;
}

/** The slices inside one network's subtree (for a pass limited to it), cut at that node. */
export function slicesWithin(slices: readonly ReconcileSlice[], network: Network): ReconcileSlice[] {
  const path = networkPath(network);
  const out: ReconcileSlice[] = [];
  let hasSelf = false;
  for (const s of slices) {
    // Slices at or below the network's node: keep those inside it.
    if (s.path.length >= path.length && path.every((l, i) => s.path[i] === l)) {
      out.push(s);
      if (s.path.length === path.length && s.self) hasSelf = true;
    }
  }
  if (out.length > 0 && hasSelf) return out;
  // The node lies inside a range slice (not split): the whole node as one slice.
  return [{ path, self: true }];
}

/** A short name for logs and reports. */
export function sliceLabel(s: ReconcileSlice, zone: string): string {
  return `${pathName(s.path, zone)}[${s.from ?? ''}..${s.to ?? ''})${s.self ? '+self' : ''}`;
}
