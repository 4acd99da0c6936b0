// Listings -> the Route 53 rrsets that make the zone answer exactly as semantics.ts says,
// under real DNS wildcard rules (RFC 4592).
//
// The name tree has one node per label: IPv4 nodes are octets (depth 1..4), IPv6 nodes are
// nibbles (depth 1..32). For a node X, base(X) is the answer of the listings that contain all of X.
// Each node is decided locally, from base(X), base(parent), whether listings lie strictly inside X,
// and whether X is "shared" (see below):
//   leaf (a query name):   A+TXT at X        if base(X) is listed and (it differs from the parent's
//                                            or X is shared)
//                          marker at X       if base(X) is not listed but the parent's is
//   inner node:            A+TXT at *.X      if base(X) is listed and (it differs from the parent's,
//                                            or something lies inside X, or X is shared)
//                          marker at X       if base(X) is not listed but the parent's is
// The marker (a CAA record, never an A or TXT) makes X exist so that the parent's wildcard stops
// there: X itself then gets NODATA and everything below it NXDOMAIN; clients read both as "not
// listed". The "something lies inside" rule is the empty-non-terminal guard: a node that exists
// because of deeper records must carry its own wildcard or its other children would be NXDOMAIN.
//
// IPv4 and IPv6 share the zone, and the labels 0-9 are both octets and nibbles. An IPv4 node whose
// labels are all single digits is "shared": its wildcard would also answer IPv6 names below it. So a
// listed shared node gets markers on its children a-f and makes its children 0-9 exist, down to the
// IPv4 leaves, which never carry a wildcard. IPv6 records never sit at depth <= 4 (no IPv6 listing
// is wider than /32), so names at depth <= 4 belong to the IPv4 plan and deeper names to the IPv6
// plan; the two plans never touch each other's names.
//
// With ipv4ViaIpv6 set, IPv4 listings are mirrored into ::ffff:0:0/96 and 2002::/16 (rbldnsd answers
// those IPv6 queries from its IPv4 data); the mirrors keep the IPv4 TXT text. The test points are
// always mirrored.
//
// "A+TXT" is A alone for a list published A-only (ListDef.route53Txt false), and two answers
// "differ" only in what the zone publishes: for such a list, a different text is the same answer.
//
// Because every decision is local, a change to one network only changes the records inside that
// network plus the wildcards of its ancestors (planRegion), and the full plan (planZone) is the same
// function applied to the whole tree: a property test holds the two together.
//
// How it is fast (1,000,000 listings in seconds, see README "Benchmarks"): the listings are placed
// in typed tables sorted once (plan-entries.ts), a node's entries are a contiguous run found by
// galloping search, the walk is one loop with a reused frame per depth (no generator per node),
// answers are compared in place, and texts are rendered when a record needs them (a small cache
// serves repeats). test/core/zone-plan-fast.test.ts holds it to the previous, plainer planner.
import { contains, type Family, ipv4Mirrors, type Network, networkEnd, supernet } from './ip.js';
import { LOOPBACK, type Listing, type ZoneConfig } from './listing.js';
import {
  type Base,
  type EntryTable,
  type FamilyShape,
  mergeTables,
  newTable,
  PlanListings,
  pushEntry,
  SHAPES,
  sortTable,
  startWords,
} from './plan-entries.js';
import type { RRSet } from './rrset.js';

/** Names with at most this many labels below the zone belong to the IPv4 plan. */
export const IPV4_MAX_DEPTH = 4;
const NIBBLE_ONLY_LABELS = ['a', 'b', 'c', 'd', 'e', 'f'];

/** Whether an IPv4 network is also answered through IPv6 (always for the test points). */
function mirrored(cfg: ZoneConfig, n: Network): boolean {
  return n.family === 4 && (cfg.ipv4ViaIpv6 === true || contains(LOOPBACK, n));
}

// The walk's hot helpers live beside it: under tsx (bench, tests) a call into another module goes
// through a getter each time and is not inlined.
/** The label value (octet or nibble) of entry `e` at `depth` (1 = next to the zone apex). */
function labelAt(t: EntryTable, e: number, depth: number): number {
  const bit = (depth - 1) * t.shape.labelBits;
  const word = t.words[e * t.shape.words + (bit >>> 5)]!;
  return (word >>> (32 - t.shape.labelBits - (bit & 31))) & ((1 << t.shape.labelBits) - 1);
}

/**
 * The end of the run of entries from `lo` (below `hi`) whose label at `depth` is `label`. Labels
 * grow along a sorted range, so the run is found by galloping then bisecting: a node with a
 * million entries under one child (the ::ffff:0:0/96 mirrors share 24 nibbles) costs a few
 * dozen label reads per level instead of a million.
 */
function runEnd(t: EntryTable, lo: number, hi: number, depth: number, label: number): number {
  let step = 1;
  let inRun = lo; // known to have the label (or lo itself, when the caller checked it)
  let past = hi;
  while (inRun + step < hi) {
    if (labelAt(t, inRun + step, depth) !== label) {
      past = inRun + step;
      break;
    }
    inRun += step;
    step *= 2;
  }
  // The run ends in (inRun, past]: bisect.
  let a = inRun + 1;
  let b = past;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (labelAt(t, m, depth) === label) a = m + 1;
    else b = m;
  }
  return a;
}

/** A node of the name tree about to be planned, with its entries t[lo, hi) strictly inside it. */
interface Visit {
  readonly depth: number;
  readonly name: string;
  readonly base: Base;
  /** IPv4 node whose labels are all single digits (see the top of the file). */
  readonly shared: boolean;
  readonly lo: number;
  readonly hi: number;
}

/** A node whose children are being visited, in label order. */
interface Frame {
  depth: number;
  name: string;
  base: Base;
  listed: boolean;
  shared: boolean;
  /** Next entry not yet handed to a child, and the end of the node's entries. */
  pos: number;
  hi: number;
  /** The lowest child label not yet visited. */
  cursor: number;
  /** Visit the children 0-9 even without entries (a listed shared node). */
  forceDigits: boolean;
  /** Entries covering whole children (covers[0, coverCount)) and the first child label past each. */
  covers: number[];
  coverEnds: number[];
  coverCount: number;
}

/**
 * Plans the records of a subtree, depth first in label order: the node itself (unless `withSelf`
 * is false, for the zone apex) and everything below it. Iterative with one reused frame per depth,
 * so a record costs no chain of nested generators and a node no allocation beyond its name.
 */
function* subtree(p: PlanListings, t: EntryTable, start: Visit, parentBase: Base, withSelf: boolean): Generator<RRSet> {
  const shape = t.shape;
  const frames: Frame[] = [];
  let top = -1;
  // Records of the node being entered, yielded before the walk moves on (a reused buffer).
  const buffer: RRSet[] = [];
  let buffered = 0;
  const out = { push: (r: RRSet): void => void (buffer[buffered++] = r) };
  const push = (depth: number, name: string, base: Base, listed: boolean, shared: boolean, lo: number, hi: number, forceDigits: boolean): void => {
    const f = (frames[++top] ??= {
      depth: 0, name: '', base: [], listed: false, shared: false, pos: 0, hi: 0, cursor: 0, forceDigits: false, covers: [], coverEnds: [], coverCount: 0,
    });
    f.depth = depth;
    f.name = name;
    f.base = base;
    f.listed = listed;
    f.shared = shared;
    f.pos = lo;
    f.hi = hi;
    f.cursor = 0;
    f.forceDigits = forceDigits;
    f.coverCount = 0;
  };
  /** The node's own records (into `out`), and its frame if it has children to visit. */
  const enter = (depth: number, name: string, base: Base, listed: boolean, changed: boolean, shared: boolean, lo: number, hi: number): void => {
    if (depth === shape.maxDepth) {
      if (listed && (changed || shared)) p.answerRRSets(out, name, base);
      else if (!listed && changed) out.push(p.marker(name));
      return;
    }
    const hasInner = hi > lo;
    if (listed && (changed || hasInner || shared)) p.answerRRSets(out, `*.${name}`, base);
    if (!listed && changed) out.push(p.marker(name));
    const forceDigits = listed && shared;
    if (forceDigits) for (const l of NIBBLE_ONLY_LABELS) out.push(p.marker(`${l}.${name}`));
    if (hasInner || forceDigits) push(depth, name, base, listed, shared, lo, hi, forceDigits);
  };
  const startListed = p.listed(start.base);
  if (withSelf) enter(start.depth, start.name, start.base, startListed, !p.sameAnswer(start.base, parentBase), start.shared, start.lo, start.hi);
  else push(start.depth, start.name, start.base, startListed, start.shared, start.lo, start.hi, false);
  while (top >= 0) {
    if (buffered > 0) {
      for (let k = 0; k < buffered; k++) yield buffer[k]!;
      buffered = 0;
    }
    const f = frames[top]!;
    const childDepth = f.depth + 1;
    const childPrefix = childDepth * shape.labelBits;
    // Covers that end at or before the cursor cover no child still to come.
    let kept = 0;
    for (let k = 0; k < f.coverCount; k++) {
      if (f.coverEnds[k]! <= f.cursor) continue;
      f.covers[kept] = f.covers[k]!;
      f.coverEnds[kept++] = f.coverEnds[k]!;
    }
    f.coverCount = kept;
    let c = f.pos < f.hi ? labelAt(t, f.pos, childDepth) : 0x10000;
    if (kept > 0 || (f.forceDigits && f.cursor < 10)) c = Math.min(c, f.cursor);
    if (c === 0x10000) {
      top--;
      continue;
    }
    // Entries are sorted, so a child's entries are contiguous: first those covering it whole
    // (starting at it), then those strictly inside it.
    while (f.pos < f.hi && labelAt(t, f.pos, childDepth) === c && t.prefix[f.pos]! <= childPrefix) {
      f.covers[f.coverCount] = f.pos;
      f.coverEnds[f.coverCount++] = c + 2 ** (childPrefix - t.prefix[f.pos]!);
      f.pos++;
    }
    const lo = f.pos;
    if (f.pos < f.hi && labelAt(t, f.pos, childDepth) === c) f.pos = runEnd(t, f.pos, f.hi, childDepth, c);
    f.cursor = c + 1;
    const name = shape.labels[c]! + f.name;
    if (f.coverCount === 0) {
      // Nothing starts here: the child answers as its parent.
      enter(childDepth, name, f.base, f.listed, false, f.shared && c < 10, lo, f.pos);
      continue;
    }
    const base = f.base.slice();
    for (let k = 0; k < f.coverCount; k++) {
      const l = t.listing[f.covers[k]!]!;
      base[p.listOf[l]!] = l;
    }
    enter(childDepth, name, base, p.listed(base), !p.sameAnswer(base, f.base), f.shared && c < 10, lo, f.pos);
  }
  for (let k = 0; k < buffered; k++) yield buffer[k]!;
}

function zoneName(cfg: ZoneConfig): string {
  return `${cfg.zone}.`;
}

/**
 * The whole zone's listing records (apex SOA/NS are Route 53's own and not included).
 * `listings` must be the effective set (semantics.effectiveListings). Yields rrsets one at a time;
 * memory is the listings' tables (a few dozen bytes per entry), not the records.
 */
export function* planZone(cfg: ZoneConfig, listings: Iterable<Listing>): Generator<RRSet> {
  const p = new PlanListings(cfg);
  for (const l of listings) p.add(l);
  let count4 = 0;
  for (const l of p.listings) if (l.network.family === 4) count4++;
  const v4 = newTable(SHAPES[4], count4);
  const native6 = newTable(SHAPES[6], p.listings.length - count4);
  const v4Start = [0];
  p.listings.forEach((l, i) => {
    if (l.network.family === 6) return pushEntry(native6, startWords(native6.shape, l.network.start), l.network.prefix, i);
    v4Start[0] = Number(l.network.start);
    pushEntry(v4, v4Start, l.network.prefix, i);
  });
  const sorted4 = sortTable(v4);
  // The mirrors of sorted IPv4 entries come out sorted: ::ffff:a.b.c.d and 2002:aabb:ccdd:: both
  // grow with the IPv4 address.
  const mapped = newTable(SHAPES[6], sorted4.length);
  const sixToFour = newTable(SHAPES[6], sorted4.length);
  const loopback = Number(LOOPBACK.start >> 24n);
  for (let e = 0; e < sorted4.length; e++) {
    const s = sorted4.words[e]!;
    const prefix = sorted4.prefix[e]!;
    if (cfg.ipv4ViaIpv6 !== true && !(s >>> 24 === loopback && prefix >= LOOPBACK.prefix)) continue;
    pushEntry(mapped, [0, 0, 0xffff, s], 96 + prefix, sorted4.listing[e]!);
    pushEntry(sixToFour, [(0x20020000 | (s >>> 16)) >>> 0, ((s & 0xffff) << 16) >>> 0, 0, 0], 16 + prefix, sorted4.listing[e]!);
  }
  const v6 = mergeTables(SHAPES[6], [mapped, sortTable(native6), sixToFour]);
  const empty = p.emptyBase();
  for (const t of [sorted4, v6]) {
    const root: Visit = { depth: 0, name: zoneName(cfg), base: empty, shared: t.shape.family === 4, lo: 0, hi: t.length };
    yield* subtree(p, t, root, empty, false);
  }
}
/** Which names a region plan decides: everything it does not name is left alone. */
export interface Scope {
  /** A root name and every name below it, limited to the plan's family's depths. */
  readonly subtrees: ReadonlyArray<{ readonly root: string; readonly family: Family }>;
  /** Single names (ancestor wildcards). */
  readonly names: readonly string[];
}

export interface RegionPlan {
  readonly scope: Scope;
  readonly rrsets: RRSet[];
}

export interface RegionContext {
  /** Effective listings (all lists) whose network contains the region or is equal to it. */
  readonly covering: readonly Listing[];
  /** Effective listings strictly inside the region. */
  readonly inside: readonly Listing[];
  /** Whether any effective listing (any list, any family) lies strictly inside `network`. */
  readonly hasInner: (network: Network) => boolean;
}

function zoneDepth(name: string, zone: string): number {
  const rest = name.slice(0, -(zone.length + 2));
  return rest === '' ? 0 : rest.split('.').length;
}

/** True when `name` is decided by `scope` (names are lower-case FQDNs with trailing dot). */
export function inScope(scope: Scope, name: string, zone: string): boolean {
  if (scope.names.includes(name)) return true;
  for (const s of scope.subtrees) {
    if (name !== s.root && !name.endsWith(`.${s.root}`)) continue;
    const depth = zoneDepth(name, zone);
    if (s.family === 4 ? depth <= IPV4_MAX_DEPTH : depth > IPV4_MAX_DEPTH) return true;
  }
  return false;
}

function labelsOf(shape: FamilyShape, start: bigint, depth: number): string[] {
  const out: string[] = [];
  for (let d = 1; d <= depth; d++) {
    const v = Number((start >> BigInt(shape.bits - d * shape.labelBits)) & ((1n << BigInt(shape.labelBits)) - 1n));
    out.push(shape.labels[v]!.slice(0, -1));
  }
  return out;
}

function nameOf(cfg: ZoneConfig, labels: readonly string[]): string {
  return labels.length === 0 ? zoneName(cfg) : `${[...labels].reverse().join('.')}.${zoneName(cfg)}`;
}

/** A listing's network as placed in one family's tree (a mirror keeps its IPv4 listing). */
interface RegionEntry {
  readonly start: bigint;
  readonly prefix: number;
  /** Index into PlanListings. */
  readonly listing: number;
}

function compareRegionEntries(a: RegionEntry, b: RegionEntry): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.prefix - b.prefix || a.listing - b.listing;
}

function entryEnd(e: RegionEntry, bits: number): bigint {
  return e.start + (1n << BigInt(bits - e.prefix)) - 1n;
}

/**
 * Plans the records that depend on one network, given the listings around it. Applying the
 * returned rrsets to every name in `scope` (and deleting what is in scope but not returned) turns a
 * zone planned for the old listings into the zone planned for the new ones.
 */
export function planRegion(cfg: ZoneConfig, region: Network, ctx: RegionContext): RegionPlan[] {
  const p = new PlanListings(cfg);
  const entries: Record<Family, RegionEntry[]> = { 4: [], 6: [] };
  for (const l of [...ctx.covering, ...ctx.inside]) {
    const listing = p.add(l);
    if (listing === undefined) continue;
    entries[l.network.family].push({ start: l.network.start, prefix: l.network.prefix, listing });
    if (mirrored(cfg, l.network)) for (const m of ipv4Mirrors(l.network)) entries[6].push({ start: m.start, prefix: m.prefix, listing });
  }
  entries[4].sort(compareRegionEntries);
  entries[6].sort(compareRegionEntries);
  const plans = [planFamilyRegion(p, cfg, SHAPES[region.family], region, region, entries[region.family], ctx)];
  for (const mirror of mirrored(cfg, region) ? ipv4Mirrors(region) : []) {
    plans.push(planFamilyRegion(p, cfg, SHAPES[6], mirror, region, entries[6], ctx));
  }
  return plans;
}

function planFamilyRegion(
  p: PlanListings,
  cfg: ZoneConfig,
  shape: FamilyShape,
  region: Network,
  original: Network,
  entries: readonly RegionEntry[],
  ctx: RegionContext,
): RegionPlan {
  const end = networkEnd(region);
  const covering = entries.filter((e) => e.prefix <= region.prefix && e.start <= region.start && entryEnd(e, shape.bits) >= end);
  const inside = entries.filter((e) => e.prefix > region.prefix && e.start >= region.start && e.start <= end);
  const rrsets: RRSet[] = [];
  const names: string[] = [];
  const subtrees: Array<{ root: string; family: Family }> = [];
  const mask = (prefix: number): bigint => (region.start >> BigInt(shape.bits - prefix)) << BigInt(shape.bits - prefix);
  const baseAt = (prefix: number): Base =>
    p.withWinners(p.emptyBase(), covering.filter((e) => e.prefix <= prefix).map((e) => e.listing));
  // An ancestor of a mirror region, translated back to the IPv4 network it stands for.
  const toOriginal = (node: Network): Network =>
    region === original ? node : supernet(original, original.prefix - (region.prefix - node.prefix));
  const alignedDepth = Math.floor(region.prefix / shape.labelBits);
  const aligned = region.prefix % shape.labelBits === 0;
  const ancestorDepth = aligned ? alignedDepth - 1 : alignedDepth;
  let parentBase: Base = p.emptyBase();
  for (let depth = 1; depth <= ancestorDepth; depth++) {
    const prefix = depth * shape.labelBits;
    const base = baseAt(prefix);
    if (p.listed(base)) {
      const labels = labelsOf(shape, region.start, depth);
      const wildcard = `*.${nameOf(cfg, labels)}`;
      names.push(wildcard);
      const node: Network = { family: shape.family, start: mask(prefix), prefix };
      const shared = shape.family === 4 && labels.every((l) => l.length === 1);
      if (!p.sameAnswer(base, parentBase) || shared || ctx.hasInner(toOriginal(node))) p.answerRRSets(rrsets, wildcard, base);
    }
    parentBase = base;
  }
  // The subtree roots: the region's own node, or the children of its node that it covers.
  const rootPrefix = aligned ? region.prefix : (alignedDepth + 1) * shape.labelBits;
  const count = 1 << (rootPrefix - region.prefix);
  const rootShift = BigInt(shape.bits - rootPrefix);
  const regionBase = baseAt(region.prefix);
  for (let i = 0; i < count; i++) {
    const start = region.start + (BigInt(i) << rootShift);
    const rootEnd = start + (1n << rootShift) - 1n;
    const labels = labelsOf(shape, start, rootPrefix / shape.labelBits);
    const covers = inside.filter((e) => e.prefix <= rootPrefix && e.start <= start && entryEnd(e, shape.bits) >= rootEnd);
    const inner = inside.filter((e) => e.prefix > rootPrefix && e.start >= start && e.start <= rootEnd);
    const base = covers.length > 0 ? p.withWinners(regionBase, covers.map((e) => e.listing)) : regionBase;
    const name = nameOf(cfg, labels);
    subtrees.push({ root: name, family: shape.family });
    const table = newTable(shape, inner.length);
    for (const e of inner) pushEntry(table, startWords(shape, e.start), e.prefix, e.listing);
    const root: Visit = {
      depth: labels.length,
      name,
      base,
      shared: shape.family === 4 && labels.every((l) => l.length === 1),
      lo: 0,
      hi: table.length,
    };
    rrsets.push(...subtree(p, table, root, parentBase, true));
  }
  return { scope: { subtrees, names }, rrsets };
}
