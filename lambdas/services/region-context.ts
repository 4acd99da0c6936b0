// Reads from a listings-shaped table what the incremental planner needs about each changed region:
// the listings covering it, those inside it, and whether anything lies inside its ancestors. Many
// regions in one partition are served from one read of that partition, so bulk imports stay cheap.
//
// Given overrides (listings replaced by other versions, or removed), it also builds the context of
// the table with those overrides applied. The stream sync reads the PUBLISHED table (what the zone
// holds) and overrides it with the batch's new listings: planning both gives the zone change
// without reading the zone (see zone-sync.ts).
import { contains, FAMILY_BITS, type Network, networkKey, overlaps, supernet } from '../core/ip.js';
import { isActive, type Listing, testPointListings, type ZoneConfig } from '../core/listing.js';
import type { RegionContext } from '../core/zone-plan.js';
import { shardBits, shardOf } from '../adapters/listing-item.js';
import type { ListingsTable, StoredListing } from '../adapters/listings-table.js';
import type { PrefixLengths } from '../adapters/prefix-census.js';

/** Regions of one partition at or above this count are served from one read of the partition. */
const SNAPSHOT_THRESHOLD = 4;
/** Partitions read at the same time. */
const CONCURRENCY = 16;

export interface ContextOptions {
  nowSeconds: number;
  /** Widest listable prefixes (what `covering` must look up to). */
  maxWidth4: number;
  maxWidth6: number;
  /**
   * Which stored listings count (default: a configured list, active at nowSeconds). The published
   * table passes "a configured list" only: what it holds is in the zone until it is replaced.
   */
  baseActive?: (l: Listing) => boolean;
  /**
   * Listings keyed by listingId() with the version that replaces the stored one (undefined =
   * removed). Taken as given (the caller filters them). When set, `overridden` contexts are built.
   */
  overrides?: ReadonlyMap<string, Listing | undefined>;
  /**
   * The same for the base context: rows of the source that another writer may have replaced while
   * this read runs (the published table being recorded at the same time), given as they were.
   */
  baseOverrides?: ReadonlyMap<string, Listing | undefined>;
  /** What every region needs, if the caller read it already (once for many calls); read here otherwise. */
  shared?: SharedReads;
}

/** Reads every region's context needs: the prefix census, and the IPv4 listings wider than a partition. */
export interface SharedReads {
  lengths: PrefixLengths;
  /** IPv4 listings wider than /16 (all in one partition), when the census says there may be any. */
  wide: StoredListing[];
}

export async function readShared(table: ListingsTable, maxWidth4: number): Promise<SharedReads> {
  // The prefix lengths in use: covering listings can only have one of them.
  const lengths = await table.prefixLengths();
  const anyWide4 = lengths[4] === undefined || [...lengths[4]].some((p) => p < shardBits(4));
  return { lengths, wide: maxWidth4 < shardBits(4) && anyWide4 ? await table.wide() : [] };
}

export interface RegionContexts {
  /** The table as stored. */
  base: RegionContext;
  /** The table with the overrides applied (when overrides were given). */
  overridden?: RegionContext;
}

export function listingId(l: Pick<Listing, 'list' | 'network'>): string {
  return `${l.list}#${networkKey(l.network)}`;
}

function dedupe<T extends Listing>(listings: Iterable<T>): T[] {
  const m = new Map<string, T>();
  for (const l of listings) m.set(listingId(l), l);
  return [...m.values()];
}

export async function loadRegionContexts(
  table: ListingsTable,
  cfg: ZoneConfig,
  regions: readonly Network[],
  opts: ContextOptions,
): Promise<Map<string, RegionContexts>> {
  const lists = cfg.lists.map((l) => l.name);
  const known = new Set(lists);
  const active = opts.baseActive ?? ((l: Listing) => known.has(l.list) && isActive(l, opts.nowSeconds));
  const widest = (n: Network) => (n.family === 4 ? opts.maxWidth4 : opts.maxWidth6);
  const out = new Map<string, RegionContexts>();
  const testPoints = testPointListings(cfg);
  const overrides = opts.overrides;
  const replacementsOf = (map: ReadonlyMap<string, Listing | undefined>) => [...map.values()].filter((l): l is Listing => l !== undefined && known.has(l.list));
  const replacements = { base: opts.baseOverrides ? replacementsOf(opts.baseOverrides) : [], overridden: overrides ? replacementsOf(overrides) : [] };

  const byShard = new Map<string, Network[]>();
  for (const r of regions) {
    const key = r.prefix >= shardBits(r.family) ? shardOf(r) : `wide:${networkKey(r)}`;
    const group = byShard.get(key) ?? [];
    group.push(r);
    byShard.set(key, group);
  }
  const { lengths, wide } = opts.shared ?? (await readShared(table, opts.maxWidth4));

  // Covering listings of every region not served from a partition snapshot, in few batched reads.
  const single = [...byShard.values()].filter((g) => !(g.length >= SNAPSHOT_THRESHOLD && g[0]!.prefix >= shardBits(g[0]!.family))).flat();
  const coveringOf = await table.coveringMany(single, lists, widest, wide, lengths);

  const one = async (group: Network[]): Promise<void> => {
    const first = group[0]!;
    const bits = shardBits(first.family);
    const snapshot = group.length >= SNAPSHOT_THRESHOLD && first.prefix >= bits;
    const shard = supernet(first, bits);
    const pool: StoredListing[] = [];
    if (snapshot) {
      for await (const l of table.within(shard)) pool.push(l);
      if (first.family === 4) pool.push(...wide.filter((l) => contains(l.network, shard)));
    }
    for (const region of group) {
      let fetched: StoredListing[];
      if (snapshot) fetched = pool;
      else {
        fetched = [...(coveringOf.get(networkKey(region)) ?? [])];
        // A host has nothing inside it: its own listings came with the covering ones.
        if (region.prefix < FAMILY_BITS[region.family]) for await (const l of table.within(region)) fetched.push(l);
      }
      const relevant = (l: Listing) => overlaps(l.network, region) && (contains(l.network, region) || contains(region, l.network));
      // The RFC 5782 test points are not in the table but answer like listings.
      const baseListings: Listing[] = [...dedupe(fetched).filter(active), ...testPoints.filter((l) => overlaps(l.network, region))];
      const build = async (listings: Listing[], exclude: (l: Listing) => boolean, extra: Listing[]): Promise<RegionContext> => {
        const covering = listings.filter((l) => contains(l.network, region));
        const inside = listings.filter((l) => contains(region, l.network) && l.network.prefix > region.prefix);
        const occupied = listings.some((l) => contains(region, l.network));
        // The planner asks only about ancestors below the widest covering listing, at nibble steps.
        const minPrefix = Math.min(...covering.map((l) => l.network.prefix), FAMILY_BITS[region.family]);
        const inner = new Map<string, boolean>();
        for (let p = region.prefix - 1; p >= minPrefix; p--) {
          if (p % 4 !== 0) continue;
          const a = supernet(region, p);
          const strictlyInside = (l: Listing) => contains(a, l.network) && l.network.prefix > p;
          let has: boolean;
          if (occupied || extra.some(strictlyInside)) has = true;
          else if (snapshot && p >= bits) has = listings.some(strictlyInside);
          else has = await table.hasInner(a, (l) => active(l) && !exclude(l));
          inner.set(networkKey(a), has);
          if (has) {
            // Anything inside a narrower ancestor is inside every wider one too.
            for (let q = p - 1; q >= minPrefix; q--) if (q % 4 === 0) inner.set(networkKey(supernet(region, q)), true);
            break;
          }
        }
        return {
          covering,
          inside,
          hasInner: (n: Network) => {
            const v = inner.get(networkKey(n));
            if (v === undefined) throw new Error(`no answer prepared for the inside of ${networkKey(n)}`);
            return v;
          },
        };
      };
      // The stored listings with some replaced (or removed) by other versions.
      const replacing = async (map: ReadonlyMap<string, Listing | undefined> | undefined, all: Listing[]): Promise<RegionContext> => {
        if (!map) return build(snapshot ? baseListings : baseListings.filter(relevant), () => false, []);
        const unchanged = (l: Listing) => !map.has(listingId(l));
        const replaced = all.filter((l) => overlaps(l.network, region) || contains(l.network, region));
        const listings = [...baseListings.filter(unchanged), ...replaced];
        return build(snapshot ? listings : listings.filter(relevant), (l) => !unchanged(l), all);
      };
      const base = await replacing(opts.baseOverrides, replacements.base);
      const overridden = overrides ? await replacing(overrides, replacements.overridden) : undefined;
      out.set(networkKey(region), { base, overridden });
    }
  };
  // Partitions are independent: read them with bounded parallelism.
  const groups = [...byShard.values()];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, groups.length) }, async () => {
      while (next < groups.length) await one(groups[next++]!);
    }),
  );
  return out;
}
