// The portal's per-client back-off records (lambdas/public/shared-limiter.ts), in the journal table
// next to the delisting requests, each expiring through the table's TTL:
//
//   pk = "BACKOFF#<kind>#<client address>"  sk = "BACKOFF"
//     strikes, lastStrike, blockedUntil (ms since the epoch), ttl (epoch seconds: the end of the
//     block plus the strike memory)
//
// Why the journal and not a table of its own: the portal function already reads and writes it
// (requests, self-delisting counts), it has TTL, and the records are few (one per misbehaving
// client, gone within hours); a table would add a resource, its grants and its alarms for nothing.
// TTL deletes expired items only eventually ("typically within a few days",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so readers
// compare the times themselves.
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BackoffState, BackoffStore } from '../core/client-backoff.js';
import { TTL_ATTRIBUTE } from './table-schema.js';

const key = (kind: string, client: string) => ({ pk: `BACKOFF#${kind}#${client}`, sk: 'BACKOFF' });

function stateOf(item: Record<string, unknown> | undefined): BackoffState | undefined {
  if (!item) return undefined;
  const { strikes, lastStrike, blockedUntil } = item;
  if (typeof strikes !== 'number' || typeof lastStrike !== 'number' || typeof blockedUntil !== 'number') return undefined;
  return { strikes, lastStrike, blockedUntil };
}

export class ClientBackoffTable implements BackoffStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(kind: string, client: string): Promise<BackoffState | undefined> {
    // Eventually consistent (half the read cost): a block written a moment ago elsewhere is seen on
    // the next check at the latest.
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key(kind, client) }));
    return stateOf(r.Item);
  }

  async write(kind: string, client: string, state: BackoffState, expiresAtMs: number): Promise<BackoffState> {
    try {
      // Never shortens a block another container recorded concurrently.
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key(kind, client), ...state, [TTL_ATTRIBUTE]: Math.ceil(expiresAtMs / 1000) },
          ConditionExpression: 'attribute_not_exists(pk) OR blockedUntil < :until',
          ExpressionAttributeValues: { ':until': state.blockedUntil },
        }),
      );
      return state;
    } catch (e) {
      if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key(kind, client), ConsistentRead: true }));
      return stateOf(r.Item) ?? state;
    }
  }
}
