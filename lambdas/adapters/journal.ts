// The journal table: audit trail of every change, idempotency records, and small publisher state.
import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { formatNetwork, type Network, networkKey } from '../core/ip.js';

export type AuditAction =
  | 'list' | 'update' | 'delist' | 'exclude' | 'unexclude' | 'expire' | 'import'
  // the public portal's delisting requests (lambdas/public/delist-service.ts), each with its requestId
  | 'delist-request' | 'delist-mail-sent' | 'delist-confirmed' | 'delist-queued' | 'delist-refused' | 'delist-approved' | 'delist-denied' | 'delist-outcome-mailed';

export interface AuditEvent {
  readonly at: string;
  readonly id: string;
  readonly action: AuditAction;
  readonly list: string;
  readonly network: string;
  /** Who: the IAM principal (ARN), "sweeper", "cli:<user>" … */
  readonly actor: string;
  readonly reason: string;
  readonly before?: Record<string, unknown>;
  readonly after?: Record<string, unknown>;
  /** Free-text remark, e.g. "was an exclusion; now a listing". */
  readonly note?: string;
  /** The public portal's delisting request this event belongs to. */
  readonly requestId?: string;
}

export class Journal {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async audit(network: Network, e: Omit<AuditEvent, 'at' | 'id' | 'network'> & { at?: string }): Promise<AuditEvent> {
    const at = e.at ?? new Date().toISOString();
    const event: AuditEvent = { ...e, at, id: randomUUID(), network: formatNetwork(network) };
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `H#${networkKey(network)}`,
          sk: `${at}#${event.id}`,
          gsi1pk: `AUDIT#${at.slice(0, 10).replace(/-/g, '')}`,
          gsi1sk: `${at}#${event.id}`,
          ...event,
        },
      }),
    );
    return event;
  }

  /** The audit trail of one network (all lists), oldest first, paged by cursor. */
  async history(network: Network, limit = 100, cursor?: string): Promise<{ events: AuditEvent[]; cursor?: string }> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `H#${networkKey(network)}` },
        Limit: limit,
        ExclusiveStartKey: cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>) : undefined,
      }),
    );
    const events = (r.Items ?? []).map(({ pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest }) => rest as unknown as AuditEvent);
    return {
      events,
      cursor: r.LastEvaluatedKey ? Buffer.from(JSON.stringify(r.LastEvaluatedKey)).toString('base64url') : undefined,
    };
  }

  /**
   * Version counters. The version of a (list, network) entry never repeats, even across a delist,
   * an expiry sweep or a TTL deletion: otherwise a writer holding "ifVersion 1" of a listing that
   * was since delisted and listed again (version 1 again) would overwrite the new listing. So the
   * highest version each entry ever had is kept here, one small item per (list, network) ever
   * written ("V#<networkKey>", sk = list; no TTL, no index attributes: never in the audit trail's
   * index nor in history queries), and every listing write sets it in the same transaction
   * (ListingsTable.putAudited): a new version is one more than the larger of the stored version and
   * this counter. It lives in the journal, not in the listings table, because everything reading
   * the listings table (its stream to the zone sync, scans, the export, the canary) must see
   * listings only. Deletions need not touch it, so the sweeper and DynamoDB TTL need no change.
   * Entries deleted before the counter existed restart from their last version unknown (1).
   */
  versionCounterKey(list: string, network: Network): { pk: string; sk: string } {
    return { pk: `V#${networkKey(network)}`, sk: list };
  }

  /** The highest version (list, network) ever had; 0 when none was recorded. */
  async lastVersion(list: string, network: Network): Promise<number> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: this.versionCounterKey(list, network), ConsistentRead: true }));
    return Number(r.Item?.version ?? 0);
  }

  async getState<T>(name: string): Promise<T | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: 'STATE', sk: name }, ConsistentRead: true }));
    return r.Item?.value as T | undefined;
  }

  async putState(name: string, value: unknown): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: 'STATE', sk: name, value } }));
  }

  /** Stored response of an idempotent request, if the key was seen in the last 24 hours. */
  async getIdempotent(key: string): Promise<{ fingerprint: string; response: unknown } | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: `IDEM#${key}`, sk: 'IDEM' }, ConsistentRead: true }));
    if (!r.Item || Number(r.Item.ttl) < Date.now() / 1000) return undefined;
    return { fingerprint: String(r.Item.fingerprint), response: r.Item.response };
  }

  async putIdempotent(key: string, fingerprint: string, response: unknown): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `IDEM#${key}`, sk: 'IDEM', fingerprint, response, ttl: Math.floor(Date.now() / 1000) + 86_400 },
      }),
    );
  }
  /**
   * The item `audit` would write, without writing it: lets a caller put the audit event in the same
   * transaction as the change it records (see ListingsTable.putAudited / deleteAudited).
   */
  auditRecord(network: Network, e: Omit<AuditEvent, 'at' | 'id' | 'network'> & { at?: string }): { event: AuditEvent; item: Record<string, unknown> } {
    const at = e.at ?? new Date().toISOString();
    const event: AuditEvent = { ...e, at, id: randomUUID(), network: formatNetwork(network) };
    const item = {
      pk: `H#${networkKey(network)}`,
      sk: `${at}#${event.id}`,
      gsi1pk: `AUDIT#${at.slice(0, 10).replace(/-/g, '')}`,
      gsi1sk: `${at}#${event.id}`,
      ...event,
    };
    return { event, item };
  }

  /**
   * Claims an idempotency key for a request being executed: succeeds when the key is unused (or its
   * record has expired). The claim itself expires after `holdSeconds`, so a crashed execution does
   * not block the key for a day. Returns false when someone else holds or used the key.
   */
  async claimIdempotent(key: string, fingerprint: string, holdSeconds: number): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `IDEM#${key}`, sk: 'IDEM', fingerprint, pending: true, ttl: now + holdSeconds },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** Gives up a claim (the request failed before it produced a response worth keeping). */
  async releaseIdempotent(key: string, fingerprint: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `IDEM#${key}`, sk: 'IDEM' },
          ConditionExpression: 'fingerprint = :f AND attribute_not_exists(#r)',
          ExpressionAttributeNames: { '#r': 'response' },
          ExpressionAttributeValues: { ':f': fingerprint },
        }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
    }
  }
}
