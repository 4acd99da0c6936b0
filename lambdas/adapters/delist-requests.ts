// The public portal's delisting requests and self-delisting counts, in the journal table.
//
//   pk = "DREQ#<id>"            sk = "DREQ"   one request (ttl: see below)
//     gsi1 "byTime": gsi1pk = "DREQ#REVIEW", gsi1sk = "<createdAt>#<id>" while an operator must
//     decide (sparse: removed with the decision), so GET /v1/requests is one query.
//   pk = "SELFDL#<networkKey>"  sk = <list>   the times the address was self-delisted in the list
//
// Only the SHA-256 of a confirmation token is stored; the token is in the mail alone. Confirming is
// one conditional update (status "unconfirmed", the same hash, not expired) that also removes the
// hash: a token works once, and a replay or a guess changes nothing. The contact address is
// removed as soon as the request no longer needs it (outcome mailed); every request expires through
// DynamoDB TTL: a day after an unconfirmed request's token expired, 30 days after a decision.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Network, networkKey } from '../core/ip.js';
import { JOURNAL_GSI } from './table-schema.js';

export type RequestStatus = 'unconfirmed' | 'confirmed' | 'done' | 'in-review' | 'approved' | 'denied';

export interface ListOutcome {
  readonly list: string;
  /** delisted: removed at once; queued: for review; refused: cannot be done here; approved/denied: after review. */
  readonly outcome: 'delisted' | 'queued' | 'refused' | 'approved' | 'denied';
  readonly why?: string;
  /** The listing the decision was about (a range for "range"). */
  readonly network?: string;
  readonly lockedUntil?: string;
}

export interface DelistRequest {
  readonly id: string;
  readonly address: string;
  readonly lists: readonly string[];
  /** Gone once the request no longer needs it. */
  readonly contact?: string;
  readonly statement: string;
  readonly domain?: string;
  /** The TXT value expected at _dnsbl-delist.<domain> when a list asks for DNS proof. */
  readonly proofToken?: string;
  readonly lang: string;
  readonly createdAt: string;
  readonly status: RequestStatus;
  readonly tokenExpiresAt: number;
  readonly outcomes?: readonly ListOutcome[];
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly denyReason?: string;
  readonly confirmedAt?: string;
}

export const UNCONFIRMED_TTL_SECONDS = 86_400;
export const DECIDED_TTL_SECONDS = 30 * 86_400;
export const REVIEW_TTL_SECONDS = 30 * 86_400;
const REVIEW_PK = 'DREQ#REVIEW';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const key = (id: string) => ({ pk: `DREQ#${id}`, sk: 'DREQ' });

function fromItem(item: Record<string, unknown>): DelistRequest {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ttl: _ttl, tokenHash: _h, ...rest } = item;
  return rest as unknown as DelistRequest;
}

export class DelistRequests {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async create(r: DelistRequest, tokenHash: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key(r.id), ...r, tokenHash, ttl: r.tokenExpiresAt + UNCONFIRMED_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<DelistRequest | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key(id), ConsistentRead: true }));
    return r.Item ? fromItem(r.Item) : undefined;
  }

  /** Whether `token` is the request's current token (constant-time compare of the hashes). */
  async tokenMatches(id: string, token: string): Promise<boolean> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key(id), ConsistentRead: true, ProjectionExpression: 'tokenHash' }));
    const stored = r.Item?.tokenHash;
    if (typeof stored !== 'string') return false;
    const a = Buffer.from(stored, 'hex');
    const b = Buffer.from(hashToken(token), 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Uses the token: unconfirmed -> confirmed (and listed for review until the outcome is recorded,
   * so a confirmation that dies half-way is seen by an operator). false when the token is wrong,
   * used or expired: nothing changed.
   */
  async claim(id: string, token: string, nowSeconds: number, nowIso: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(id),
          ConditionExpression: '#s = :unconfirmed AND tokenHash = :h AND tokenExpiresAt > :now',
          UpdateExpression: 'SET #s = :confirmed, confirmedAt = :at, gsi1pk = :rev, gsi1sk = :gsk, #ttl = :ttl REMOVE tokenHash',
          ExpressionAttributeNames: { '#s': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':unconfirmed': 'unconfirmed',
            ':confirmed': 'confirmed',
            ':h': hashToken(token),
            ':now': nowSeconds,
            ':at': nowIso,
            ':rev': REVIEW_PK,
            ':gsk': `${nowIso}#${id}`,
            ':ttl': nowSeconds + REVIEW_TTL_SECONDS,
          },
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** Records the outcome of a confirmed request: "done" (nothing left for an operator) or "in-review". */
  async recordOutcome(id: string, status: 'done' | 'in-review', outcomes: readonly ListOutcome[], nowSeconds: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(id),
        ConditionExpression: '#s = :confirmed',
        UpdateExpression:
          status === 'done' ? 'SET #s = :st, outcomes = :o, #ttl = :ttl REMOVE gsi1pk, gsi1sk, contact' : 'SET #s = :st, outcomes = :o',
        ExpressionAttributeNames: { '#s': 'status', ...(status === 'done' ? { '#ttl': 'ttl' } : {}) },
        ExpressionAttributeValues: { ':confirmed': 'confirmed', ':st': status, ':o': outcomes, ...(status === 'done' ? { ':ttl': nowSeconds + DECIDED_TTL_SECONDS } : {}) },
      }),
    );
  }

  /** An operator's decision on a request in review; false when it is not in review (any more). */
  async decide(id: string, status: 'approved' | 'denied', outcomes: readonly ListOutcome[], by: string, nowIso: string, nowSeconds: number, denyReason?: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(id),
          ConditionExpression: '#s = :review',
          UpdateExpression: `SET #s = :st, outcomes = :o, decidedBy = :by, decidedAt = :at, #ttl = :ttl${denyReason !== undefined ? ', denyReason = :why' : ''} REMOVE gsi1pk, gsi1sk`,
          ExpressionAttributeNames: { '#s': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':review': 'in-review',
            ':st': status,
            ':o': outcomes,
            ':by': by,
            ':at': nowIso,
            ':ttl': nowSeconds + DECIDED_TTL_SECONDS,
            ...(denyReason !== undefined ? { ':why': denyReason } : {}),
          },
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** Forgets the contact address (the outcome was mailed: the request no longer needs it). */
  async forgetContact(id: string): Promise<void> {
    await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: key(id), UpdateExpression: 'REMOVE contact', ConditionExpression: 'attribute_exists(pk)' })).catch((e: Error) => {
      if (e.name !== 'ConditionalCheckFailedException') throw e;
    });
  }

  /** Requests waiting for an operator (confirmed, or in review), oldest first. */
  async awaitingReview(limit = 100): Promise<DelistRequest[]> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: JOURNAL_GSI.byTime.name,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': REVIEW_PK },
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map(fromItem);
  }

  async selfDelistings(list: string, address: Network): Promise<string[]> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: `SELFDL#${networkKey(address)}`, sk: list }, ConsistentRead: true }));
    return Array.isArray(r.Item?.times) ? (r.Item.times as string[]) : [];
  }

  /** Adds a self-delisting (kept: the last 20, enough for any limit up to 20 per period). */
  async recordSelfDelisting(list: string, address: Network, atIso: string): Promise<void> {
    const times = [...(await this.selfDelistings(list, address)), atIso].slice(-20);
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: `SELFDL#${networkKey(address)}`, sk: list, times } }));
  }
}
