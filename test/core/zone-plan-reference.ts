// The planner as it was before the fast tables (commit e93460f), kept only to hold the fast one to
// exactly the same output (test/core/zone-plan-fast.test.ts). Not used by the product.
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
// IPv4 listings are mirrored into ::ffff:0:0/96 and 2002::/16 because rbldnsd answers those IPv6
// queries from its IPv4 data; the mirrors keep the IPv4 TXT text.
//
// Because every decision is local, a change to one network only changes the records inside that
// network plus the wildcards of its ancestors (planRegion), and the full plan (planZone) is the same
// function applied to the whole tree: a property test holds the two together.
import { contains, type Family, ipv4Mirrors, type Network, networkEnd, supernet } from '../../lambdas/core/ip.js';
import { LOOPBACK, type Listing, type ZoneConfig } from '../../lambdas/core/listing.js';
import { type Answer, answerKey, answerOf } from '../../lambdas/core/semantics.js';
import { MARKER_TYPE, MARKER_VALUE, type RRSet, txtValue } from '../../lambdas/core/rrset.js';

/** A listing as placed in one family's tree (a mirror keeps its IPv4 listing for the text). */
interface Entry {
  readonly start: bigint;
  readonly prefix: number;
  readonly listIndex: number;
  readonly listing: Listing;
}

interface FamilyShape {
  readonly family: Family;
  readonly bits: number;
  readonly labelBits: number;
  readonly maxDepth: number;
}

const SHAPES: Record<Family, FamilyShape> = {
  4: { family: 4, bits: 32, labelBits: 8, maxDepth: 4 },
  6: { family: 6, bits: 128, labelBits: 4, maxDepth: 32 },
};

/** Names with at most this many labels below the zone belong to the IPv4 plan. */
export const IPV4_MAX_DEPTH = 4;
const NIBBLE_ONLY_LABELS = ['a', 'b', 'c', 'd', 'e', 'f'];

type Base = ReadonlyArray<Entry | undefined>;

class Planner {
  private readonly listIndex: Map<string, number>;
  constructor(private readonly cfg: ZoneConfig) {
    this.listIndex = new Map(cfg.lists.map((l, i) => [l.name, i]));
  }

  /** Entries of each family for a set of listings, IPv4 mirrored into IPv6, sorted. */
  entries(listings: Iterable<Listing>): Record<Family, Entry[]> {
    const out: Record<Family, Entry[]> = { 4: [], 6: [] };
    for (const l of listings) {
      const listIndex = this.listIndex.get(l.list);
      if (listIndex === undefined) continue;
      out[l.network.family].push({ start: l.network.start, prefix: l.network.prefix, listIndex, listing: l });
      if (this.mirrors(l.network)) {
        for (const m of ipv4Mirrors(l.network)) out[6].push({ start: m.start, prefix: m.prefix, listIndex, listing: l });
      }
    }
    out[4].sort(compareEntries);
    out[6].sort(compareEntries);
    return out;
  }

  /** Whether an IPv4 network is also answered through IPv6 (always for the test points). */
  mirrors(n: Network): boolean {
    return n.family === 4 && (this.cfg.ipv4ViaIpv6 === true || contains(LOOPBACK, n));
  }

  answer(base: Base): Answer {
    return answerOf(
      this.cfg.lists,
      base.map((e) => e?.listing),
    );
  }

  name(labels: readonly string[]): string {
    return labels.length === 0 ? `${this.cfg.zone}.` : `${[...labels].reverse().join('.')}.${this.cfg.zone}.`;
  }

  answerRRSets(name: string, answer: Answer): RRSet[] {
    const a = [...new Set(answer.map((x) => x.code))];
    const txt = [...new Set(answer.map((x) => txtValue(x.txt)))];
    return [
      { name, type: 'A', ttl: this.cfg.ttl, values: a },
      { name, type: 'TXT', ttl: this.cfg.ttl, values: txt },
    ];
  }

  marker(name: string): RRSet {
    return { name, type: MARKER_TYPE, ttl: this.cfg.ttl, values: [MARKER_VALUE] };
  }

  /** Records of node `labels` and everything below it. */
  *node(
    shape: FamilyShape,
    start: bigint,
    labels: string[],
    base: Base,
    parentKey: string,
    inner: readonly Entry[],
  ): Generator<RRSet> {
    const depth = labels.length;
    const answer = this.answer(base);
    const key = answerKey(answer);
    const listed = answer.length > 0;
    const changed = key !== parentKey;
    const shared = shape.family === 4 && labels.every((l) => l.length === 1);
    const name = this.name(labels);
    if (depth === shape.maxDepth) {
      if (listed && (changed || shared)) yield* this.answerRRSets(name, answer);
      else if (!listed && changed) yield this.marker(name);
      return;
    }
    if (listed && (changed || inner.length > 0 || shared)) yield* this.answerRRSets(`*.${name}`, answer);
    if (!listed && changed) yield this.marker(name);
    if (listed && shared) for (const l of NIBBLE_ONLY_LABELS) yield this.marker(`${l}.${name}`);
    yield* this.children(shape, start, labels, base, key, inner, listed && shared);
  }

  /** Visits the children of a node that something inside it touches (all digit children if forced). */
  *children(
    shape: FamilyShape,
    start: bigint,
    labels: string[],
    base: Base,
    key: string,
    inner: readonly Entry[],
    forceDigits: boolean,
  ): Generator<RRSet> {
    const childPrefix = (labels.length + 1) * shape.labelBits;
    const childShift = BigInt(shape.bits - childPrefix);
    const groups = groupByChild(inner, start, childPrefix, childShift);
    if (forceDigits) for (let i = 0; i < 10; i++) if (!groups.has(i)) groups.set(i, { covers: [], inner: [] });
    const indexes = [...groups.keys()].sort((a, b) => a - b);
    for (const i of indexes) {
      const g = groups.get(i)!;
      const childBase = applyCovers(base, g.covers);
      const label = shape.family === 4 ? i.toString() : i.toString(16);
      yield* this.node(shape, start + (BigInt(i) << childShift), [...labels, label], childBase, key, g.inner);
    }
  }
}

function compareEntries(a: Entry, b: Entry): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.prefix - b.prefix;
}

function entryEnd(e: Entry, bits: number): bigint {
  return e.start + (1n << BigInt(bits - e.prefix)) - 1n;
}

interface ChildGroup {
  covers: Entry[];
  inner: Entry[];
}

function groupByChild(inner: readonly Entry[], start: bigint, childPrefix: number, childShift: bigint): Map<number, ChildGroup> {
  const groups = new Map<number, ChildGroup>();
  const get = (i: number): ChildGroup => {
    let g = groups.get(i);
    if (!g) groups.set(i, (g = { covers: [], inner: [] }));
    return g;
  };
  for (const e of inner) {
    const first = Number((e.start - start) >> childShift);
    if (e.prefix > childPrefix) get(first).inner.push(e);
    else {
      const count = 1 << (childPrefix - e.prefix);
      for (let i = first; i < first + count; i++) get(i).covers.push(e);
    }
  }
  return groups;
}

/** Entries are applied in sorted order, so for any one list a later cover is a more specific one. */
function applyCovers(base: Base, covers: readonly Entry[]): Base {
  if (covers.length === 0) return base;
  const out = base.slice();
  for (const e of covers) out[e.listIndex] = e;
  return out;
}

/**
 * The whole zone's listing records (apex SOA/NS are Route 53's own and not included).
 * `listings` must be the effective set (semantics.effectiveListings). Yields rrsets one at a time.
 */
export function* planZone(cfg: ZoneConfig, listings: Iterable<Listing>): Generator<RRSet> {
  const p = new Planner(cfg);
  const entries = p.entries(listings);
  const empty: Base = cfg.lists.map(() => undefined);
  for (const family of [4, 6] as const) {
    yield* p.children(SHAPES[family], 0n, [], empty, answerKey([]), entries[family], false);
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
    out.push(shape.family === 4 ? v.toString() : v.toString(16));
  }
  return out;
}

/**
 * Plans the records that depend on one network, given the listings around it. Applying the
 * returned rrsets to every name in `scope` (and deleting what is in scope but not returned) turns a
 * zone planned for the old listings into the zone planned for the new ones.
 */
export function planRegion(cfg: ZoneConfig, region: Network, ctx: RegionContext): RegionPlan[] {
  const p = new Planner(cfg);
  const all = [...ctx.covering, ...ctx.inside];
  const entries = p.entries(all);
  const plans = [planFamilyRegion(p, cfg, SHAPES[region.family], region, region, entries[region.family], ctx)];
  for (const mirror of p.mirrors(region) ? ipv4Mirrors(region) : []) {
    plans.push(planFamilyRegion(p, cfg, SHAPES[6], mirror, region, entries[6], ctx));
  }
  return plans;
}

function planFamilyRegion(
  p: Planner,
  cfg: ZoneConfig,
  shape: FamilyShape,
  region: Network,
  original: Network,
  entries: readonly Entry[],
  ctx: RegionContext,
): RegionPlan {
  const end = networkEnd(region);
  const covering = entries.filter((e) => e.prefix <= region.prefix && e.start <= region.start && entryEnd(e, shape.bits) >= end);
  const inside = entries.filter((e) => e.prefix > region.prefix && e.start >= region.start && e.start <= end);
  const rrsets: RRSet[] = [];
  const names: string[] = [];
  const subtrees: Array<{ root: string; family: Family }> = [];
  const mask = (prefix: number): bigint => (region.start >> BigInt(shape.bits - prefix)) << BigInt(shape.bits - prefix);
  const baseAt = (prefix: number): Base => {
    const b: Array<Entry | undefined> = cfg.lists.map(() => undefined);
    for (const e of covering) if (e.prefix <= prefix) b[e.listIndex] = e;
    return b;
  };
  // An ancestor of a mirror region, translated back to the IPv4 network it stands for.
  const toOriginal = (node: Network): Network =>
    region === original ? node : supernet(original, original.prefix - (region.prefix - node.prefix));
  const alignedDepth = Math.floor(region.prefix / shape.labelBits);
  const aligned = region.prefix % shape.labelBits === 0;
  const ancestorDepth = aligned ? alignedDepth - 1 : alignedDepth;
  let parentKey = answerKey([]);
  for (let depth = 1; depth <= ancestorDepth; depth++) {
    const prefix = depth * shape.labelBits;
    const answer = p.answer(baseAt(prefix));
    const key = answerKey(answer);
    if (answer.length > 0) {
      const labels = labelsOf(shape, region.start, depth);
      const wildcard = `*.${p.name(labels)}`;
      names.push(wildcard);
      const node: Network = { family: shape.family, start: mask(prefix), prefix };
      const shared = shape.family === 4 && labels.every((l) => l.length === 1);
      if (key !== parentKey || shared || ctx.hasInner(toOriginal(node))) rrsets.push(...p.answerRRSets(wildcard, answer));
    }
    parentKey = key;
  }
  // The subtree roots: the region's own node, or the children of its node that it covers.
  const rootPrefix = aligned ? region.prefix : (alignedDepth + 1) * shape.labelBits;
  const count = 1 << (rootPrefix - region.prefix);
  const rootShift = BigInt(shape.bits - rootPrefix);
  for (let i = 0; i < count; i++) {
    const start = region.start + (BigInt(i) << rootShift);
    const rootEnd = start + (1n << rootShift) - 1n;
    const labels = labelsOf(shape, start, rootPrefix / shape.labelBits);
    const covers = inside.filter((e) => e.prefix <= rootPrefix && e.start <= start && entryEnd(e, shape.bits) >= rootEnd);
    const inner = inside.filter((e) => e.prefix > rootPrefix && e.start >= start && e.start <= rootEnd);
    const base = applyCovers(baseAt(region.prefix), covers);
    subtrees.push({ root: p.name(labels), family: shape.family });
    rrsets.push(...p.node(shape, start, labels, base, parentKey, inner));
  }
  return { scope: { subtrees, names }, rrsets };
}
