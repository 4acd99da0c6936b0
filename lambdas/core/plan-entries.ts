// The planner's working form of the listings: each listing once, with its answer text worked out
// at most once, and per family a table of the networks placed in the name tree, sorted by start
// then prefix (then input order, which is what a stable sort of the input gives).
//
// Why tables of plain numbers: the planner looks at every entry's label at every depth of the
// tree, and at 1,000,000 listings (three million entries with the IPv6 mirrors of IPv4) bigint
// shifts and one object per entry made planning take a minute and a gigabyte. A 128-bit start is
// four 32-bit words here, an IPv4 start one.
import type { Family } from './ip.js';
import type { Listing, ZoneConfig } from './listing.js';
import { renderTxt } from './listing.js';
import { MARKER_TYPE, MARKER_VALUE, type RRSet, txtValue } from './rrset.js';

export interface FamilyShape {
  readonly family: Family;
  readonly bits: number;
  readonly labelBits: number;
  readonly maxDepth: number;
  /** 32-bit words per start address. */
  readonly words: number;
  /** The label text of each label value with its dot (octets in decimal, nibbles in hex): "12.". */
  readonly labels: readonly string[];
}

export const SHAPES: Record<Family, FamilyShape> = {
  4: { family: 4, bits: 32, labelBits: 8, maxDepth: 4, words: 1, labels: Array.from({ length: 256 }, (_, i) => `${i}.`) },
  6: { family: 6, bits: 128, labelBits: 4, maxDepth: 32, words: 4, labels: Array.from({ length: 16 }, (_, i) => `${i.toString(16)}.`) },
};

/** Where planned records go: an array, or the walk's reusable buffer. */
export interface RecordSink {
  push(r: RRSet): unknown;
}

/** Per list, the listing (index into PlanListings) that answers, or NONE. */
export type Base = readonly number[];
export const NONE = -1;
/** Slots of PlanListings' text cache (a power of two) when IPv4 is not mirrored. */
const TEXT_CACHE_SIZE = 1 << 12;

/**
 * The listings of one plan and what they answer. Two nodes whose bases give the same answer
 * (sameAnswer: what the Route 53 zone publishes) answer alike, so the lower one needs no record.
 */
export class PlanListings {
  readonly listings: Listing[] = [];
  /** Index of each listing's list in cfg.lists. */
  readonly listOf: number[] = [];
  /**
   * Recently rendered texts, by listing index modulo the size: the walk meets a listing's records
   * close together (a range's names, a node and its children), so a small cache serves nearly every
   * repeat, and a million texts are not kept alive (keeping them all cost more in garbage
   * collection than rendering again). With IPv4 mirrored into IPv6 each IPv4 text is needed again
   * in two distant subtrees, so there the cache holds every listing's text (sized on first use).
   */
  private recentIndex = new Int32Array(0);
  private recentText: string[] = [];
  /** The TXT record value of recentText (quoted once: a listing's text is published at several names). */
  private recentValue: string[] = [];
  /** Each list's A values when it answers alone. */
  private readonly codeValues: ReadonlyArray<readonly string[]>;
  /** Whether each listing is an exclusion (its list is silent where it wins). */
  private readonly exclusion: boolean[] = [];
  private readonly listIndex: Map<string, number>;
  /** Whether each list publishes TXT records in the zone (ListDef.route53Txt). */
  private readonly publishesTxt: boolean[];

  constructor(private readonly cfg: ZoneConfig) {
    this.listIndex = new Map(cfg.lists.map((l, i) => [l.name, i]));
    this.publishesTxt = cfg.lists.map((l) => l.route53Txt !== false);
    this.codeValues = cfg.lists.map((l) => Object.freeze([l.code]));
  }

  /** Adds a listing; undefined when its list is not configured (it takes no part). */
  add(l: Listing): number | undefined {
    const list = this.listIndex.get(l.list);
    if (list === undefined) return undefined;
    this.listings.push(l);
    this.listOf.push(list);
    this.exclusion.push(l.exclusion);
    return this.listings.length - 1;
  }

  emptyBase(): number[] {
    return this.cfg.lists.map(() => NONE);
  }

  /** A copy of `base` with each given listing winning its list (later ones win). */
  withWinners(base: Base, winners: Iterable<number>): number[] {
    const out = base.slice();
    for (const i of winners) out[this.listOf[i]!] = i;
    return out;
  }

  /** Whether a base answers at all (some list's winner is a listing, not an exclusion). */
  listed(base: Base): boolean {
    for (let k = 0; k < base.length; k++) {
      const i = base[k]!;
      if (i !== NONE && !this.exclusion[i]) return true;
    }
    return false;
  }

  /**
   * Whether two bases give the zone the same answer: per list, both silent, or both answering with
   * the same text (or either text, for a list without TXT in the zone: its A value is the list's).
   * Compared in place rather than through answer strings: the planner asks this for millions of
   * nodes, and a string per node cost seconds of allocation and garbage collection.
   */
  sameAnswer(a: Base, b: Base): boolean {
    if (a === b) return true;
    for (let k = 0; k < a.length; k++) {
      const i = a[k]!;
      const j = b[k]!;
      if (i === j) continue;
      const silentI = i === NONE || this.exclusion[i]!;
      const silentJ = j === NONE || this.exclusion[j]!;
      if (silentI !== silentJ) return false;
      if (silentI || !this.publishesTxt[k]) continue;
      if (this.text(i) !== this.text(j)) return false;
    }
    return true;
  }

  /** The listing's text (ListDef.txtTemplate filled in). */
  private text(i: number): string {
    if (this.recentIndex.length === 0) {
      const size = this.cfg.ipv4ViaIpv6 === true ? 2 ** Math.ceil(Math.log2(Math.max(2, this.listings.length))) : TEXT_CACHE_SIZE;
      this.recentIndex = new Int32Array(size).fill(NONE);
      this.recentText = new Array<string>(size).fill('');
      this.recentValue = new Array<string>(size).fill('');
    }
    const slot = i & (this.recentIndex.length - 1);
    if (this.recentIndex[slot] === i) return this.recentText[slot]!;
    const v = renderTxt(this.cfg.lists[this.listOf[i]!]!, this.listings[i]!);
    this.recentIndex[slot] = i;
    this.recentText[slot] = v;
    this.recentValue[slot] = '';
    return v;
  }

  /** The listing's TXT record value (txtValue of its text), quoted once while cached. */
  private txtRecordValue(i: number): string {
    const text = this.text(i);
    const slot = i & (this.recentIndex.length - 1);
    return (this.recentValue[slot] ||= txtValue(text));
  }

  /**
   * Appends the A and (for lists that publish it) TXT records of a listed base at `name` to `out`.
   * Values arrays may be shared between records (they are read-only).
   */
  answerRRSets(out: RecordSink, name: string, base: Base): void {
    let only = NONE;
    let count = 0;
    for (let k = 0; k < base.length; k++) {
      const i = base[k]!;
      if (i === NONE || this.exclusion[i]) continue;
      only = i;
      count++;
    }
    if (count === 1) {
      const list = this.listOf[only]!;
      out.push({ name, type: 'A', ttl: this.cfg.ttl, values: this.codeValues[list]! });
      if (this.publishesTxt[list]) out.push({ name, type: 'TXT', ttl: this.cfg.ttl, values: [this.txtRecordValue(only)] });
      return;
    }
    const a: string[] = [];
    const txt: string[] = [];
    for (let k = 0; k < base.length; k++) {
      const i = base[k]!;
      if (i === NONE || this.exclusion[i]) continue;
      const list = this.listOf[i]!;
      a.push(this.cfg.lists[list]!.code);
      if (!this.publishesTxt[list]) continue;
      const v = this.txtRecordValue(i);
      if (!txt.includes(v)) txt.push(v);
    }
    out.push({ name, type: 'A', ttl: this.cfg.ttl, values: a });
    if (txt.length > 0) out.push({ name, type: 'TXT', ttl: this.cfg.ttl, values: txt });
  }

  marker(name: string): RRSet {
    return { name, type: MARKER_TYPE, ttl: this.cfg.ttl, values: [MARKER_VALUE] };
  }
}

/** A family's entries, sorted by (start, prefix, listing index). */
export interface EntryTable {
  readonly shape: FamilyShape;
  readonly length: number;
  /** shape.words 32-bit words per entry, most significant first. */
  readonly words: Uint32Array;
  readonly prefix: Uint8Array;
  /** The entry's listing (index into PlanListings). */
  readonly listing: Uint32Array;
}

/** A table's entry count may be below its arrays' size: tables are built in place. */
export function newTable(shape: FamilyShape, capacity: number): EntryTable & { length: number } {
  return {
    shape,
    length: 0,
    words: new Uint32Array(capacity * shape.words),
    prefix: new Uint8Array(capacity),
    listing: new Uint32Array(capacity),
  };
}

export function pushEntry(t: EntryTable & { length: number }, words: ArrayLike<number>, prefix: number, listing: number): void {
  const e = t.length++;
  for (let w = 0; w < t.shape.words; w++) t.words[e * t.shape.words + w] = words[w]!;
  t.prefix[e] = prefix;
  t.listing[e] = listing;
}

/** Start-address words of a bigint start. */
export function startWords(shape: FamilyShape, start: bigint): number[] {
  if (shape.words === 1) return [Number(start)];
  return [Number(start >> 96n), Number((start >> 64n) & 0xffffffffn), Number((start >> 32n) & 0xffffffffn), Number(start & 0xffffffffn)];
}

export function compareEntries(a: EntryTable, i: number, b: EntryTable, j: number): number {
  const n = a.shape.words;
  for (let w = 0; w < n; w++) {
    const x = a.words[i * n + w]!;
    const y = b.words[j * n + w]!;
    if (x !== y) return x - y;
  }
  return a.prefix[i]! - b.prefix[j]! || a.listing[i]! - b.listing[j]!;
}

/**
 * The table sorted (a new table; the input is left as it was). Entries must have been added in
 * listing order: equal (start, prefix) keep it.
 */
export function sortTable(t: EntryTable): EntryTable {
  const order = t.shape.words === 1 ? radixOrder(t) : comparedOrder(t);
  const out = newTable(t.shape, t.length);
  for (const i of order) pushEntry(out, t.words.subarray(i * t.shape.words, (i + 1) * t.shape.words), t.prefix[i]!, t.listing[i]!);
  return out;
}

function comparedOrder(t: EntryTable): number[] {
  const order = Array.from({ length: t.length }, (_, i) => i);
  // Already sorted is the common case for listings read in key order: check before sorting.
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) sorted = compareEntries(t, i - 1, t, i) < 0;
  if (!sorted) order.sort((i, j) => compareEntries(t, i, t, j));
  return order;
}

/**
 * IPv4 entries in order by a stable least-significant-digit radix sort: prefix, then the start's
 * low and high 16 bits. Three counting passes instead of twenty million comparisons for a million
 * entries; stable, so equal networks keep listing order.
 */
function radixOrder(t: EntryTable): Uint32Array {
  let order = new Uint32Array(t.length);
  for (let i = 0; i < t.length; i++) order[i] = i;
  const pass = (digits: number, digit: (e: number) => number): void => {
    const counts = new Uint32Array(digits + 1);
    for (let k = 0; k < order.length; k++) counts[digit(order[k]!) + 1]!++;
    for (let d = 0; d < digits; d++) counts[d + 1]! += counts[d]!;
    const next = new Uint32Array(order.length);
    for (let k = 0; k < order.length; k++) {
      const e = order[k]!;
      next[counts[digit(e)]!++] = e;
    }
    order = next;
  };
  pass(33, (e) => t.prefix[e]!);
  pass(0x10000, (e) => t.words[e]! & 0xffff);
  pass(0x10000, (e) => t.words[e]! >>> 16);
  return order;
}

/** Merges sorted tables of one family into one sorted table. */
export function mergeTables(shape: FamilyShape, tables: readonly EntryTable[]): EntryTable {
  const out = newTable(shape, tables.reduce((n, t) => n + t.length, 0));
  const pos = tables.map(() => 0);
  for (;;) {
    let best = -1;
    for (let k = 0; k < tables.length; k++) {
      if (pos[k]! >= tables[k]!.length) continue;
      if (best < 0 || compareEntries(tables[k]!, pos[k]!, tables[best]!, pos[best]!) < 0) best = k;
    }
    if (best < 0) return out;
    const t = tables[best]!;
    const i = pos[best]!++;
    pushEntry(out, t.words.subarray(i * shape.words, (i + 1) * shape.words), t.prefix[i]!, t.listing[i]!);
  }
}
