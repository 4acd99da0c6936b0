// Where the export reads listings from: each list's listings of one family, sorted by networkKey,
// as the rbldnsd renderer needs them.
//
// Chosen: `byListMergeSource` — query the byList index's 16 buckets of the list in parallel (each
// bucket is already sorted by gsi1sk = networkKey) and merge the 16 sorted streams with a heap.
// Memory stays flat whatever the table size: at most two result pages (<= 1 MB each) per bucket are
// held, so the export of 1M listings runs in the same Lambda memory as the export of 1,000, and the
// upload starts with the first page instead of after the whole table was read.
// The alternative, `scanSortSource` (parallel scan of the table, sort in memory), holds every
// listing at once (~0.5-1 KB each as JS objects: ~1 GB of heap for 1M listings) and cannot write a
// byte before the scan is complete; it is kept for the benchmark (bench/export.bench.ts measures both).
import type { ListingsTable } from '../adapters/listings-table.js';
import { compareNetworks, type Family, networkKey } from '../core/ip.js';
import type { ListDef, Listing } from '../core/listing.js';
import type { DatasetSource } from '../core/rbldnsd-render.js';

interface Head<T> {
  key: string;
  value: T;
  it: AsyncIterator<T>;
}

/**
 * Merges streams that are each sorted by `key` into one sorted stream. All streams are primed in
 * parallel; afterwards each advances only when its head was taken.
 */
export async function* mergeSorted<T>(streams: ReadonlyArray<AsyncIterable<T>>, key: (t: T) => string): AsyncGenerator<T> {
  const heap: Head<T>[] = [];
  const less = (a: Head<T>, b: Head<T>) => a.key < b.key;
  const push = (h: Head<T>) => {
    heap.push(h);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const siftDown = () => {
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  try {
    const first = await Promise.all(iterators.map((it) => it.next()));
    first.forEach((r, i) => {
      if (!r.done) push({ key: key(r.value), value: r.value, it: iterators[i]! });
    });
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.value;
      const next = await top.it.next();
      if (next.done) {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown();
        }
      } else {
        top.key = key(next.value);
        top.value = next.value;
        siftDown();
      }
    }
  } finally {
    // Stopped early (error downstream): let every stream clean up.
    await Promise.allSettled(iterators.map((it) => it.return?.()));
  }
}

/** The chosen source: the byList index buckets of the list, merged (see the top of this file). */
export function byListMergeSource(table: Pick<ListingsTable, 'byListBuckets'>): DatasetSource {
  return (list: ListDef, family: Family) => mergeSorted(table.byListBuckets(list.name, family), (l) => networkKey(l.network));
}

/** Groups listings per list and family, each group sorted by network (networkKey order). */
export function sortedGroups(listings: Iterable<Listing>): Map<string, Listing[]> {
  const groups = new Map<string, Listing[]>();
  for (const l of listings) {
    const k = `${l.list}|${l.network.family}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(l);
  }
  for (const g of groups.values()) g.sort((a, b) => compareNetworks(a.network, b.network));
  return groups;
}

/** A source over listings already in memory (tests, the benchmark's reference). */
export function memorySource(listings: Iterable<Listing>): DatasetSource {
  const groups = sortedGroups(listings);
  return (list, family) => groups.get(`${list.name}|${family}`) ?? [];
}

/** The alternative: parallel scan of the whole table (on first use), then sort in memory. */
export function scanSortSource(table: Pick<ListingsTable, 'scanAll'>, segments = 8): DatasetSource {
  let groups: Promise<Map<string, Listing[]>> | undefined;
  const scan = async () => {
    const all: Listing[] = [];
    for await (const l of table.scanAll(segments)) all.push(l);
    return sortedGroups(all);
  };
  return (list, family) =>
    (async function* () {
      groups ??= scan();
      yield* (await groups).get(`${list.name}|${family}`) ?? [];
    })();
}
