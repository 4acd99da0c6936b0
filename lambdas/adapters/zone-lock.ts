// One writer per hosted zone: a lease item in the journal table. Route 53 answers a second writer
// with PriorRequestNotComplete and interleaved plans could undo each other, so the stream handler,
// reconcile and sweeper all take this lease before they write.
import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { sleep } from './listings-table.js';

export class ZoneLock {
  readonly owner = randomUUID();
  private readonly key: { pk: string; sk: string };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    zone: string,
    private readonly leaseMs = 120_000,
  ) {
    this.key = { pk: 'STATE', sk: `lock#${zone}` };
  }

  /** Takes (or renews) the lease; waits up to `waitMs` for another holder. */
  async acquire(waitMs: number): Promise<boolean> {
    const until = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...this.key, owner: this.owner, leaseUntil: now + this.leaseMs },
            ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #o = :me',
            ExpressionAttributeNames: { '#o': 'owner' },
            ExpressionAttributeValues: { ':now': now, ':me': this.owner },
          }),
        );
        return true;
      } catch (e) {
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
        if (Date.now() >= until) return false;
        await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  async release(): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key,
          ConditionExpression: '#o = :me',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':me': this.owner },
        }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
    }
  }
}
