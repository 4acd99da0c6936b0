// The published table: the listings exactly as the live zone publishes them (see table-schema.ts).
//
// Why it exists: a stream batch must diff against what the zone HOLDS. Rebuilding that from the
// listings table (the table minus the batch's changes) is wrong whenever the table runs ahead of
// the stream: later listings leak into the "before" state and rrsets that either listing alone
// would write are written by neither batch. This table moves only when the zone does, under the
// zone lease, so plan(published) is what the zone holds.
//
// It is read with the listings table's own queries (same keys and partitions, its own prefix
// census), and written in bulk after the zone accepted a batch's changes.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, type WriteRequest } from './batch-write.js';
import { networkKey } from '../core/ip.js';
import type { Listing } from '../core/listing.js';
import { listingKey, toItem } from './listing-item.js';
import { ListingsTable } from './listings-table.js';
import { SEEDED_KEY } from './table-schema.js';

/** One listing's new published state: the listing, or undefined when it is no longer published. */
export interface PublishedChange {
  readonly list: string;
  readonly network: Listing['network'];
  readonly listing: Listing | undefined;
}

/** Attributes of a listings-table item that mean nothing here (no indexes, and no TTL may delete a row). */
const LISTINGS_ONLY = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl'] as const;

export class PublishedTable extends ListingsTable {
  private seededSeen = false;

  /** Whether the table is known to equal the zone. Once true it stays true (cached per container). */
  async isSeeded(): Promise<boolean> {
    if (this.seededSeen) return true;
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: SEEDED_KEY, ConsistentRead: true }));
    this.seededSeen = r.Item?.seeded === true;
    return this.seededSeen;
  }

  async markSeeded(): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...SEEDED_KEY, seeded: true, at: new Date().toISOString() } }));
    this.seededSeen = true;
  }

  /**
   * Records what the zone now publishes for these listings: BatchWriteItem of 25, `parallel` at a
   * time, unprocessed items retried with backoff. `fence` is called before every request (a writer
   * that lost the zone lease must not record anything either). The last change of a listing wins.
   */
  async record(changes: Iterable<PublishedChange>, fence: () => void = () => undefined, parallel = 4): Promise<void> {
    const byKey = new Map<string, PublishedChange>();
    for (const c of changes) byKey.set(`${c.list}#${networkKey(c.network)}`, c);
    const all = [...byKey.values()];
    fence();
    await this.census.add(all.filter((c) => c.listing).map((c) => c.network));
    const requests = all.map((c): WriteRequest => {
      if (!c.listing) return { DeleteRequest: { Key: listingKey(c.list, c.network) } };
      const item: Record<string, unknown> = { ...toItem(c.listing, (c.listing as { version?: number }).version ?? 0) };
      for (const a of LISTINGS_ONLY) delete item[a];
      return { PutRequest: { Item: item } };
    });
    await batchWriteAll(this.doc, this.tableName, requests, { parallel, fence });
  }
}
