// The listings table: point reads and conditional writes, the range queries the incremental
// planner needs, the expiry index and a parallel scan for export and reconcile.
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { contains, FAMILY_BITS, type Network, networkEnd, networkKey, supernet } from '../core/ip.js';
import type { Listing } from '../core/listing.js';
import { byListKey, expiryBucket, fromItem, listingKey, shardBits, shardOf, toItem, WIDE_IPV4_PARTITION } from './listing-item.js';
import { type PrefixLengths, PrefixCensus } from './prefix-census.js';
import { batchWriteAll } from './batch-write.js';
import { BY_LIST_BUCKETS, LISTINGS_GSI } from './table-schema.js';

export type StoredListing = Listing & { version: number };

/** The journal's version counter of an entry (see Journal.versionCounterKey), as read before a write. */
export interface VersionCounter {
  readonly tableName: string;
  readonly key: { pk: string; sk: string };
  /** The highest version the entry ever had (0: none recorded). */
  readonly last: number;
}

/** The version a write stores: above the current one and above every version the entry ever had. */
export function nextVersion(expectedVersion: number | null, last = 0): number {
  return Math.max(expectedVersion ?? 0, last) + 1;
}

/** Thrown when a conditional write finds the listing changed (or present/absent) meanwhile. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

function hex(family: 4 | 6, v: bigint): string {
  return v.toString(16).padStart(family === 4 ? 8 : 32, '0');
}

export class ListingsTable {
  /** Prefix lengths in use: writers add to it before writing, covering reads use it. */
  readonly census: PrefixCensus;

  constructor(
    protected readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {
    this.census = new PrefixCensus(doc, tableName);
  }

  /** The prefix lengths in use (undefined per family until the census is complete). */
  prefixLengths(): Promise<PrefixLengths> {
    return this.census.read();
  }

  async get(list: string, network: Network, consistent = true): Promise<StoredListing | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: listingKey(list, network), ConsistentRead: consistent }),
    );
    return r.Item ? fromItem(r.Item) : undefined;
  }

  /**
   * Writes a listing. `expectedVersion` undefined = unconditional, null = must not exist,
   * a number = must still have that version (optimistic locking: no lost update).
   */
  async put(l: Listing, expectedVersion: number | null | undefined): Promise<StoredListing> {
    const version = (expectedVersion ?? 0) + 1;
    await this.census.add([l.network]);
    const cond =
      expectedVersion === undefined
        ? {}
        : expectedVersion === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectedVersion } };
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: toItem(l, version), ...cond }));
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') {
        throw new ConflictError(`the listing of ${l.network.family === 4 ? 'IPv4' : 'IPv6'} ${networkKey(l.network)} in ${l.list} changed meanwhile`);
      }
      throw e;
    }
    return { ...l, version };
  }

  /**
   * Unconditional bulk write (BatchWriteItem of 25, `parallel` at a time, unprocessed items
   * retried with backoff) without audit events: for seeding and benchmarks, not for operators.
   */
  async putMany(listings: readonly Listing[], parallel = 4): Promise<void> {
    await this.census.add(listings.map((l) => l.network));
    await batchWriteAll(this.doc, this.tableName, listings.map((l) => ({ PutRequest: { Item: { ...toItem(l, 1) } } })), { parallel });
  }

  async delete(list: string, network: Network, expectedVersion?: number): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: listingKey(list, network),
          ...(expectedVersion === undefined
            ? {}
            : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') throw new ConflictError('the listing changed meanwhile');
      throw e;
    }
  }

  private async *query(pk: string, lo: string, hi: string): AsyncGenerator<StoredListing> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': pk, ':lo': lo, ':hi': hi },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const item of r.Items ?? []) yield fromItem(item);
      startKey = r.LastEvaluatedKey;
    } while (startKey);
  }

  /** Every listing (any list) whose network lies within `region`, including the region itself. */
  async *within(region: Network): AsyncGenerator<StoredListing> {
    const f = region.family;
    const bits = shardBits(f);
    const lo = (start: bigint) => `${f}:${hex(f, start)}/`;
    const hi = (end: bigint) => `${f}:${hex(f, end)}/~`;
    if (region.prefix >= bits) {
      for await (const l of this.query(shardOf(region), lo(region.start), hi(networkEnd(region)))) {
        if (l.network.prefix >= region.prefix) yield l;
      }
      return;
    }
    // Wider than a partition (IPv4 only): the wide partition plus every /16 inside.
    for await (const l of this.query(WIDE_IPV4_PARTITION, lo(region.start), hi(networkEnd(region)))) {
      if (l.network.prefix >= region.prefix) yield l;
    }
    for (let i = 0; i < 2 ** (bits - region.prefix); i++) {
      const shard: Network = { family: f, start: region.start + (BigInt(i) << BigInt(FAMILY_BITS[f] - bits)), prefix: bits };
      yield* this.query(shardOf(shard), lo(shard.start), hi(networkEnd(shard)));
    }
  }

  /**
   * Every listing of `lists` whose network starts in [lo, hi] (one family), from the byList index
   * (sorted by networkKey in each bucket, so one range query per list and bucket, whatever the
   * partitions in between), `parallel` queries at a time. Eventually consistent, like the index.
   */
  async startingIn(lists: readonly string[], family: 4 | 6, lo: bigint, hi: bigint, parallel = 8): Promise<StoredListing[]> {
    const out: StoredListing[] = [];
    const pks = lists.flatMap((list) => Array.from({ length: BY_LIST_BUCKETS }, (_, b) => byListKey(list, b)));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pks.length) {
        const pk = pks[next++]!;
        let startKey: Record<string, unknown> | undefined;
        do {
          const r = await this.doc.send(new QueryCommand({ ...this.byListRange(pk, family, lo, hi), ExclusiveStartKey: startKey }));
          for (const item of r.Items ?? []) out.push(fromItem(item));
          startKey = r.LastEvaluatedKey;
        } while (startKey);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, pks.length) }, worker));
    return out;
  }

  /** The byList index query of one bucket for networks starting in [lo, hi]. */
  private byListRange(pk: string, family: 4 | 6, lo: bigint, hi: bigint) {
    return {
      TableName: this.tableName,
      IndexName: LISTINGS_GSI.byList.name,
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':pk': pk, ':lo': `${family}:${hex(family, lo)}/`, ':hi': `${family}:${hex(family, hi)}/~` },
    };
  }

  /**
   * The first listing (in bucket order) starting in [lo, hi] that `accept` takes, read in small
   * pages so that a wide range costs little when it holds one soon.
   */
  async firstStartingIn(lists: readonly string[], family: 4 | 6, lo: bigint, hi: bigint, accept: (l: StoredListing) => boolean): Promise<StoredListing | undefined> {
    for (const list of lists) {
      for (let b = 0; b < BY_LIST_BUCKETS; b++) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const r = await this.doc.send(new QueryCommand({ ...this.byListRange(byListKey(list, b), family, lo, hi), ExclusiveStartKey: startKey, Limit: 25 }));
          for (const item of r.Items ?? []) {
            const l = fromItem(item);
            if (accept(l)) return l;
          }
          startKey = r.LastEvaluatedKey;
        } while (startKey);
      }
    }
    return undefined;
  }

  /** All IPv4 listings wider than /16 (one partition; few in practice). */
  async wide(): Promise<StoredListing[]> {
    const out: StoredListing[] = [];
    for await (const l of this.query(WIDE_IPV4_PARTITION, '4:', '4:~')) out.push(l);
    return out;
  }

  /**
   * Point reads of items by key: BatchGetItem of 100 keys, `parallel` calls at a time, retrying
   * unprocessed keys with backoff. Consistent reads; missing items are simply absent.
   */
  private async batchGet(keys: ReadonlyArray<{ pk: string; sk: string }>, parallel = 8): Promise<StoredListing[]> {
    const found: StoredListing[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, Math.ceil(keys.length / 100)) }, async () => {
        while (next < keys.length) {
          const chunk = keys.slice(next, next + 100);
          next += 100;
          let request: Record<string, { Keys: Array<Record<string, unknown>>; ConsistentRead: boolean }> | undefined = {
            [this.tableName]: { Keys: [...chunk], ConsistentRead: true },
          };
          for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
            const r = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
            for (const item of r.Responses?.[this.tableName] ?? []) found.push(fromItem(item));
            request = r.UnprocessedKeys as typeof request;
            if (request && Object.keys(request).length > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
          }
        }
      }),
    );
    return found;
  }

  /**
   * Listings of the given lists whose network contains `region` (or equals it), from prefix
   * `widest` on: point reads of every candidate supernet. IPv4 supernets wider than /16 live in
   * one partition and are taken from `wide` (see wide()), or read here when it is not given.
   */
  async covering(region: Network, lists: readonly string[], widest: number, wide?: readonly StoredListing[]): Promise<StoredListing[]> {
    const lengths = await this.prefixLengths();
    const all = await this.coveringMany([region], lists, () => widest, wide ?? (region.family === 4 && widest < shardBits(4) ? await this.wide() : []), lengths);
    return all.get(networkKey(region)) ?? [];
  }

  /**
   * covering() for many regions at once: the candidate keys of all regions are deduplicated and
   * read in BatchGetItem calls of 100, several at a time. Keyed by networkKey of the region.
   * Only supernets of a length in `lengths` (the census) are read; all when it is not complete.
   */
  async coveringMany(
    regions: readonly Network[],
    lists: readonly string[],
    widest: (n: Network) => number,
    wide: readonly StoredListing[],
    lengths: PrefixLengths,
  ): Promise<Map<string, StoredListing[]>> {
    const keys = new Map<string, { pk: string; sk: string }>();
    for (const region of regions) {
      const from = region.family === 4 ? Math.max(widest(region), shardBits(4)) : widest(region);
      const inUse = lengths[region.family];
      for (let p = from; p <= region.prefix; p++) {
        if (inUse && !inUse.has(p)) continue;
        const n = supernet(region, p);
        for (const list of lists) {
          const k = listingKey(list, n);
          keys.set(`${k.pk}|${k.sk}`, k);
        }
      }
    }
    const found = await this.batchGet([...keys.values()]);
    const out = new Map<string, StoredListing[]>();
    for (const region of regions) {
      const mine = found.filter((l) => contains(l.network, region));
      if (region.family === 4) {
        for (const l of wide) if (l.network.prefix < shardBits(4) && l.network.prefix >= widest(region) && contains(l.network, region)) mine.push(l);
      }
      out.set(networkKey(region), mine);
    }
    return out;
  }

  /** Whether any listing accepted by `keep` lies strictly inside `n`. */
  async hasInner(n: Network, keep: (l: StoredListing) => boolean): Promise<boolean> {
    for await (const l of this.within(n)) if (l.network.prefix > n.prefix && keep(l)) return true;
    return false;
  }

  /** Listings whose expiry falls in [fromSeconds, toSeconds], read hour by hour from the expiry index. */
  async *expiring(fromSeconds: number, toSeconds: number): AsyncGenerator<StoredListing> {
    for (let h = Math.floor(fromSeconds / 3600) * 3600; h <= toSeconds; h += 3600) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const r = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: LISTINGS_GSI.byExpiry.name,
            KeyConditionExpression: 'gsi2pk = :b AND gsi2sk <= :to',
            ExpressionAttributeValues: { ':b': expiryBucket(h), ':to': `${toSeconds.toString().padStart(12, '0')}#~` },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of r.Items ?? []) {
          const l = fromItem(item);
          if (l.expiresAt !== undefined && l.expiresAt >= fromSeconds) yield l;
        }
        startKey = r.LastEvaluatedKey;
      } while (startKey);
    }
  }

  /**
   * One list's listings of one family as BY_LIST_BUCKETS streams (the byList index buckets), each
   * sorted by networkKey; merge them for the whole list in order (services/export-source.ts). Each
   * stream fetches its next page while the current one is consumed. The index is eventually
   * consistent (typically well under a second behind the table).
   */
  byListBuckets(list: string, family: 4 | 6): AsyncGenerator<StoredListing>[] {
    const query = (bucket: number, startKey?: Record<string, unknown>) =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: LISTINGS_GSI.byList.name,
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :family)',
          ExpressionAttributeValues: { ':pk': byListKey(list, bucket), ':family': `${family}:` },
          ExclusiveStartKey: startKey,
        }),
      );
    const prefetch = (bucket: number, startKey?: Record<string, unknown>) => {
      const p = query(bucket, startKey);
      p.catch(() => undefined); // seen when awaited; a consumer that stops early must not crash the process
      return p;
    };
    const stream = async function* (bucket: number): AsyncGenerator<StoredListing> {
      let page = prefetch(bucket);
      for (;;) {
        const r = await page;
        if (r.LastEvaluatedKey) page = prefetch(bucket, r.LastEvaluatedKey);
        for (const item of r.Items ?? []) yield fromItem(item);
        if (!r.LastEvaluatedKey) return;
      }
    };
    return Array.from({ length: BY_LIST_BUCKETS }, (_, b) => stream(b));
  }

  /** Every listing, read with a parallel scan of `segments` segments. Order is not defined. */
  async *scanAll(segments = 4): AsyncGenerator<StoredListing> {
    const page = async (segment: number, startKey?: Record<string, unknown>) => {
      const r = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: segments,
          ExclusiveStartKey: startKey,
          FilterExpression: 'begins_with(pk, :n)',
          ExpressionAttributeValues: { ':n': 'N#' },
        }),
      );
      return { items: (r.Items ?? []).map(fromItem), next: r.LastEvaluatedKey, segment, done: !r.LastEvaluatedKey };
    };
    const pending = new Map<number, ReturnType<typeof page>>();
    for (let s = 0; s < segments; s++) pending.set(s, page(s));
    while (pending.size > 0) {
      const r = await Promise.race(pending.values());
      pending.delete(r.segment);
      if (!r.done) pending.set(r.segment, page(r.segment, r.next));
      yield* r.items;
    }
  }
  /**
   * (list, network key) of every item of the table, read with a parallel scan that returns only
   * those attributes (the pass's count and orphan check need no more). Order is not defined.
   */
  async *scanKeys(segments = 4): AsyncGenerator<{ list: string; nk: string }> {
    const page = async (segment: number, startKey?: Record<string, unknown>) => {
      const r = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: segments,
          ExclusiveStartKey: startKey,
          ProjectionExpression: 'pk, #l, nk',
          FilterExpression: 'begins_with(pk, :n)',
          ExpressionAttributeNames: { '#l': 'list' },
          ExpressionAttributeValues: { ':n': 'N#' },
        }),
      );
      return { items: (r.Items ?? []).map((i) => ({ list: String(i.list), nk: String(i.nk) })), next: r.LastEvaluatedKey, segment, done: !r.LastEvaluatedKey };
    };
    const pending = new Map<number, ReturnType<typeof page>>();
    for (let s = 0; s < segments; s++) pending.set(s, page(s));
    while (pending.size > 0) {
      const r = await Promise.race(pending.values());
      pending.delete(r.segment);
      if (!r.done) pending.set(r.segment, page(r.segment, r.next));
      yield* r.items;
    }
  }

  /** Point reads of many listings (BatchGetItem, 100 keys a call, consistent); results in input order. */
  async getMany(keys: ReadonlyArray<{ list: string; network: Network }>): Promise<Array<StoredListing | undefined>> {
    const found = new Map((await this.batchGet(keys.map((k) => listingKey(k.list, k.network)))).map((l) => [`${l.list}#${networkKey(l.network)}`, l]));
    return keys.map((k) => found.get(`${k.list}#${networkKey(k.network)}`));
  }

  /**
   * Like `put`, and writes `audit` (an item of the journal table) in the same transaction: the change
   * and its audit event happen together or not at all. With `counter` (the entry's version counter
   * as read before), the version is nextVersion(expectedVersion, counter.last) and the counter is
   * set to it in the same transaction, conditional on still being what was read: versions of an
   * entry never repeat, even after it was deleted (see Journal.versionCounterKey). A failed
   * condition, or a concurrent transaction on the same listing, is a ConflictError (re-read and
   * re-apply).
   */
  async putAudited(
    l: Listing,
    expectedVersion: number | null,
    audit: { tableName: string; item: Record<string, unknown> },
    counter?: VersionCounter,
  ): Promise<StoredListing> {
    const version = nextVersion(expectedVersion, counter?.last);
    await this.census.add([l.network]);
    const cond =
      expectedVersion === null
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectedVersion } };
    await this.transact([
      { Put: { TableName: this.tableName, Item: toItem(l, version), ...cond } },
      { Put: { TableName: audit.tableName, Item: audit.item } },
      ...(counter
        ? [
            {
              Put: {
                TableName: counter.tableName,
                Item: { ...counter.key, version },
                ...(counter.last === 0
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : { ConditionExpression: 'version = :last', ExpressionAttributeValues: { ':last': counter.last } }),
              },
            },
          ]
        : []),
    ]);
    return { ...l, version };
  }

  /** Deletes a listing that must still have `expectedVersion`, with its audit event, atomically. */
  async deleteAudited(
    list: string,
    network: Network,
    expectedVersion: number,
    audit: { tableName: string; item: Record<string, unknown> },
  ): Promise<void> {
    await this.transact([
      {
        Delete: {
          TableName: this.tableName,
          Key: listingKey(list, network),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        },
      },
      { Put: { TableName: audit.tableName, Item: audit.item } },
    ]);
  }

  /**
   * Deletes many listings, each only if it still has its version, each with its audit event (an
   * item of `auditTable`), in transactions of up to 50 listings (100 items, DynamoDB's limit). A
   * listing whose version changed meanwhile is left alone and counted as a conflict; the others of
   * its transaction are sent again without it.
   */
  async deleteManyAudited(
    items: ReadonlyArray<{ listing: StoredListing; audit: Record<string, unknown> }>,
    auditTable: string,
  ): Promise<{ deleted: number; conflicts: number; transactions: number }> {
    const out = { deleted: 0, conflicts: 0, transactions: 0 };
    for (let i = 0; i < items.length; i += 50) {
      let batch = items.slice(i, i + 50);
      for (let attempt = 0; batch.length > 0; attempt++) {
        try {
          await this.doc.send(
            new TransactWriteCommand({
              TransactItems: batch.flatMap((x) => [
                {
                  Delete: {
                    TableName: this.tableName,
                    Key: listingKey(x.listing.list, x.listing.network),
                    ConditionExpression: 'version = :v',
                    ExpressionAttributeValues: { ':v': x.listing.version },
                  },
                },
                { Put: { TableName: auditTable, Item: x.audit } },
              ]),
            }),
          );
          out.deleted += batch.length;
          out.transactions++;
          break;
        } catch (e) {
          const err = e as Error & { CancellationReasons?: Array<{ Code?: string }> };
          const codes = (err.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
          const retryable = ['TransactionConflictException', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'InternalServerError'];
          if (err.name === 'TransactionCanceledException' && codes.length === batch.length * 2) {
            // The deletes are the even items: drop the listings whose condition failed.
            const failed = new Set(batch.map((_, k) => k).filter((k) => codes[2 * k] === 'ConditionalCheckFailed'));
            out.conflicts += failed.size;
            batch = batch.filter((_, k) => !failed.has(k));
            if (failed.size > 0) continue;
          } else if (!retryable.includes(err.name) || attempt >= 10) {
            throw e;
          }
          if (attempt >= 10) throw e;
          await sleep(Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
        }
      }
    }
    return out;
  }

  private async transact(items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<void> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (e) {
      const err = e as Error & { CancellationReasons?: Array<{ Code?: string }> };
      const codes = (err.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      if (
        err.name === 'TransactionConflictException' ||
        (err.name === 'TransactionCanceledException' &&
          codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict') &&
          codes.every((c) => c === 'None' || c === 'ConditionalCheckFailed' || c === 'TransactionConflict'))
      ) {
        throw new ConflictError(`the listing changed meanwhile (${codes.join(', ') || err.name})`);
      }
      throw e;
    }
  }

  /**
   * One page of one bucket of the byList index (a list is spread over BY_LIST_BUCKETS buckets, each
   * sorted by network). `filter` is applied by DynamoDB after `limit` items were read, so a page may
   * hold fewer items (even none) and still have a `next` key.
   */
  async pageByList(
    list: string,
    bucket: number,
    opts: {
      limit: number;
      startKey?: Record<string, unknown>;
      filter?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
    },
  ): Promise<{ items: Array<{ listing: StoredListing; key: Record<string, unknown> }>; next?: Record<string, unknown> }> {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= BY_LIST_BUCKETS) throw new Error(`bad bucket ${bucket}`);
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: LISTINGS_GSI.byList.name,
        KeyConditionExpression: 'gsi1pk = :b',
        ExpressionAttributeValues: { ':b': byListKey(list, bucket), ...(opts.filter?.values ?? {}) },
        ...(opts.filter ? { FilterExpression: opts.filter.expression } : {}),
        ...(opts.filter?.names ? { ExpressionAttributeNames: opts.filter.names } : {}),
        ExclusiveStartKey: opts.startKey,
        Limit: opts.limit,
      }),
    );
    return {
      items: (r.Items ?? []).map((item) => ({
        listing: fromItem(item),
        key: { pk: item.pk, sk: item.sk, gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk },
      })),
      ...(r.LastEvaluatedKey ? { next: r.LastEvaluatedKey } : {}),
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

