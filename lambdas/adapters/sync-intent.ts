// The sync intent: which regions a zone writer is changing, written before its first Route 53
// request and cleared after the published table records the result (journal table, "STATE" /
// "sync-intent#<zone>#<n>").
//
// Why: between a writer's first zone change and its published-table record, the zone and the
// published table disagree for those regions. If the writer dies there (timeout, crash, lost
// lease), the next writer finds the intent and syncs those regions against the zone as it really
// is (read from Route 53), not against the published table. The intent is split over items of at
// most PART_REGIONS regions so that a batch of any size fits DynamoDB's 400 KB item limit.
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Network, networkKey, parseNetworkKey } from '../core/ip.js';
import { batchWriteAll, type WriteRequest } from './batch-write.js';

/** ~45 bytes a region key: 2,000 regions is ~90 KB, well inside an item. */
const PART_REGIONS = 2000;

export class SyncIntent {
  private readonly prefix: string;
  /** The parts this writer wrote last (so that clear() removes exactly those). */
  private parts = 0;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    zone: string,
  ) {
    this.prefix = `sync-intent#${zone}#`;
  }

  /** Regions an earlier writer left half-synced (empty when none). */
  async read(): Promise<Network[]> {
    const out: Network[] = [];
    let startKey: Record<string, unknown> | undefined;
    let parts = 0;
    do {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': 'STATE', ':p': this.prefix },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of r.Items ?? []) {
        parts++;
        for (const k of (item.regions as string[] | undefined) ?? []) out.push(parseNetworkKey(k));
      }
      startKey = r.LastEvaluatedKey;
    } while (startKey);
    this.parts = Math.max(this.parts, parts);
    return out;
  }

  /** Records the regions about to change (replacing any earlier intent: pass the union). */
  async write(regions: readonly Network[], fence: () => void): Promise<void> {
    const keys = regions.map(networkKey);
    const parts = Math.max(1, Math.ceil(keys.length / PART_REGIONS));
    const at = new Date().toISOString();
    const puts = Array.from({ length: parts }, (_, i): WriteRequest => ({
      PutRequest: { Item: { pk: 'STATE', sk: `${this.prefix}${i}`, regions: keys.slice(i * PART_REGIONS, (i + 1) * PART_REGIONS), at } },
    }));
    // Parts an earlier, larger intent left beyond ours.
    const deletes = Array.from({ length: Math.max(0, this.parts - parts) }, (_, i): WriteRequest => ({ DeleteRequest: { Key: { pk: 'STATE', sk: `${this.prefix}${parts + i}` } } }));
    await this.batch([...puts, ...deletes], fence);
    this.parts = parts;
  }

  async clear(fence: () => void): Promise<void> {
    const n = Math.max(this.parts, 1);
    await this.batch(Array.from({ length: n }, (_, i): WriteRequest => ({ DeleteRequest: { Key: { pk: 'STATE', sk: `${this.prefix}${i}` } } })), fence);
    this.parts = 0;
  }

  private async batch(requests: WriteRequest[], fence: () => void): Promise<void> {
    await batchWriteAll(this.doc, this.tableName, requests, { parallel: 1, fence });
  }
}
