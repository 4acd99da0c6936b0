// Which prefix lengths have ever been listed, per family: one small item in the listings table.
//
// The stream handler must find every listing that covers a changed network. Without the census
// that is a point read of every possible supernet (17 for an IPv4 host, 97 for an IPv6 /128); a
// real DNSBL uses a handful of lengths (/32, /24; /128, /64, /48), so the census cuts those reads
// five- to twenty-fold, which is what lets a bulk import keep up with Route 53's write limit.
//
// Rules that keep it safe:
// - Writers add a length BEFORE writing a listing of that length (add() is idempotent and cached
//   per container, since lengths are only ever added). A reader that sees a listing therefore
//   sees its length too.
// - Lengths are never removed, so a cached "present" never goes stale.
// - Readers trust it only when `complete`: set when the table is created empty (local stack, tests)
//   or by reconcile after a full scan (tables that predate the census). Until then every length
//   is read, as before.
import { GetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Network } from '../core/ip.js';
import { CENSUS_KEY } from './table-schema.js';

export interface PrefixLengths {
  /** Lengths of IPv4 and IPv6 listings, or undefined when the census is not complete (use all). */
  readonly 4: ReadonlySet<number> | undefined;
  readonly 6: ReadonlySet<number> | undefined;
}

export class PrefixCensus {
  private readonly known = { 4: new Set<number>(), 6: new Set<number>() };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records the lengths of `networks` (call before writing them). One UpdateItem per family with a new length. */
  async add(networks: Iterable<Pick<Network, 'family' | 'prefix'>>): Promise<void> {
    const fresh = { 4: new Set<number>(), 6: new Set<number>() };
    for (const n of networks) if (!this.known[n.family].has(n.prefix)) fresh[n.family].add(n.prefix);
    for (const family of [4, 6] as const) {
      if (fresh[family].size === 0) continue;
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: CENSUS_KEY,
          UpdateExpression: 'ADD #f :lengths',
          ExpressionAttributeNames: { '#f': `v${family}` },
          ExpressionAttributeValues: { ':lengths': fresh[family] },
        }),
      );
      for (const p of fresh[family]) this.known[family].add(p);
    }
  }

  /** The census as it is now (consistent read). */
  async read(): Promise<PrefixLengths> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: CENSUS_KEY, ConsistentRead: true }));
    const item = r.Item;
    if (!item || item.complete !== true) return { 4: undefined, 6: undefined };
    const lengths = (v: unknown) => new Set<number>(v instanceof Set ? [...v].map(Number) : []);
    return { 4: lengths(item.v4), 6: lengths(item.v6) };
  }

  /**
   * Marks the census complete, adding `seen` (the lengths of a full scan that started after every
   * writer adds its lengths). On an empty table `seen` is empty.
   */
  async markComplete(seen: Iterable<Pick<Network, 'family' | 'prefix'>> = []): Promise<void> {
    await this.add(seen);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: CENSUS_KEY,
        UpdateExpression: 'SET complete = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }
}
