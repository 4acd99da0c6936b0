// The evidence table: every event as reported, and one aggregate per address that the policy reads.
//
// evidence table (no stream, no index; TTL attribute "ttl"):
//   pk = "E#<networkKey>#<shard>"  sk = "<event id>"   an event (ip, kind, t, reporter, detail,
//        receivedAt, ttl = t + the evidence TTL). shard = a hash of the id mod EVIDENCE_SHARDS, so a
//        trap hammering one address spreads over EVIDENCE_SHARDS partitions (1,000 writes/s each).
//        Written with BatchWriteItem (25 a call, several calls at once): the same id overwrites the
//        same item, so a batch sent twice stores each event once.
//   pk = "A#<networkKey>"          sk = "A"            the address's aggregate: its recent events
//        ({id, t, k, r}: the newest MAX_RECENT within the TTL, which is all a policy window needs),
//        counts by kind, first/last seen, reporters (at most MAX_REPORTERS), the start times of its
//        automatic listings per list (repeat offences), rev (optimistic lock), ttl = last + TTL.
//        Merged per batch and address with a conditional put on rev, so two intakes racing on one
//        address both land; an event id already in `recent` is not counted again.
import { createHash } from 'node:crypto';
import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { EvidenceEvent } from '../core/evidence.js';
import { formatNetwork, type Network, networkKey, parseNetworkKey } from '../core/ip.js';
import { batchWriteAll } from './batch-write.js';
import type { AuditEvent } from './journal.js';

export const EVIDENCE_SHARDS = 4;
export const MAX_RECENT = 200;
export const MAX_REPORTERS = 20;
export const MAX_OFFENCES = 20;

export interface RecentEvent {
  readonly id: string;
  readonly t: number;
  readonly k: string;
  readonly r: string;
}

export interface EvidenceAggregate {
  readonly address: Network;
  readonly rev: number;
  readonly recent: readonly RecentEvent[];
  readonly counts: Readonly<Record<string, number>>;
  readonly first?: number;
  readonly last?: number;
  readonly reporters: readonly string[];
  /** List -> start times of its automatic listings. */
  readonly offences: Readonly<Record<string, readonly number[]>>;
}

/** CreateTable input for the evidence table (DynamoDB Local; the CDK construct declares the same). */
export function evidenceTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
  };
}

export const EVIDENCE_TABLE_ENV = 'EVIDENCE_TABLE';

function shardOf(id: string): number {
  return createHash('sha1').update(id).digest()[0]! % EVIDENCE_SHARDS;
}

const aggKey = (n: Network) => ({ pk: `A#${networkKey(n)}`, sk: 'A' });

function emptyAggregate(address: Network): EvidenceAggregate {
  return { address, rev: 0, recent: [], counts: {}, reporters: [], offences: {} };
}

function fromAggItem(item: Record<string, unknown>): EvidenceAggregate {
  return {
    address: parseNetworkKey(String(item.pk).slice(2)),
    rev: Number(item.rev ?? 0),
    recent: (item.recent as RecentEvent[] | undefined) ?? [],
    counts: (item.counts as Record<string, number> | undefined) ?? {},
    ...(item.first !== undefined ? { first: Number(item.first) } : {}),
    ...(item.last !== undefined ? { last: Number(item.last) } : {}),
    reporters: (item.reporters as string[] | undefined) ?? [],
    offences: (item.offences as Record<string, number[]> | undefined) ?? {},
  };
}

/** The aggregate after `events` (all of this address): pure, so the merge can be retried. */
export function mergeAggregate(agg: EvidenceAggregate, events: readonly EvidenceEvent[], nowSeconds: number, ttlSeconds: number): EvidenceAggregate {
  const known = new Set(agg.recent.map((e) => e.id));
  const counts: Record<string, number> = { ...agg.counts };
  const recent = [...agg.recent];
  const reporters = [...agg.reporters];
  let first = agg.first;
  let last = agg.last;
  for (const e of events) {
    if (known.has(e.id)) continue;
    known.add(e.id);
    recent.push({ id: e.id, t: e.observedAt, k: e.kind, r: e.reporter });
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    if (!reporters.includes(e.reporter) && reporters.length < MAX_REPORTERS) reporters.push(e.reporter);
    if (first === undefined || e.observedAt < first) first = e.observedAt;
    if (last === undefined || e.observedAt > last) last = e.observedAt;
  }
  const kept = recent.filter((e) => e.t > nowSeconds - ttlSeconds).sort((a, b) => b.t - a.t || (a.id < b.id ? -1 : 1)).slice(0, MAX_RECENT);
  return { ...agg, recent: kept, counts, reporters, ...(first !== undefined ? { first } : {}), ...(last !== undefined ? { last } : {}) };
}

export interface OperatorDelisting {
  readonly at: number;
  readonly actor: string;
}

export class EvidenceStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly opts: { ttlSeconds: number; parallel?: number },
  ) {}

  get ttlSeconds(): number {
    return this.opts.ttlSeconds;
  }

  /** Stores the events (idempotent by id), batched and sharded. */
  async putEvents(events: readonly EvidenceEvent[], receivedAt: number): Promise<void> {
    const requests = events.map((e) => ({
      PutRequest: {
        Item: {
          pk: `E#${networkKey(e.ip)}#${shardOf(e.id)}`,
          sk: e.id,
          ip: formatNetwork(e.ip),
          kind: e.kind,
          t: e.observedAt,
          reporter: e.reporter,
          ...(e.detail !== undefined ? { detail: e.detail } : {}),
          receivedAt,
          ttl: e.observedAt + this.opts.ttlSeconds,
        },
      },
    }));
    await batchWriteAll(this.doc, this.tableName, requests, { parallel: this.opts.parallel ?? 8 });
  }

  /** Aggregates of the addresses (BatchGetItem of 100, consistent); absent ones are empty. */
  async aggregates(addresses: readonly Network[]): Promise<Map<string, EvidenceAggregate>> {
    const out = new Map<string, EvidenceAggregate>();
    for (const a of addresses) out.set(networkKey(a), emptyAggregate(a));
    const keys = [...new Map(addresses.map((a) => [networkKey(a), aggKey(a)])).values()];
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const chunk = keys.slice(next, next + 100);
        next += 100;
        let request: Record<string, { Keys: Array<Record<string, unknown>>; ConsistentRead: boolean }> | undefined = { [this.tableName]: { Keys: chunk, ConsistentRead: true } };
        for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
          const r = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of r.Responses?.[this.tableName] ?? []) {
            const agg = fromAggItem(item);
            out.set(networkKey(agg.address), agg);
          }
          request = r.UnprocessedKeys as typeof request;
          if (request && Object.keys(request).length > 0) await new Promise((res) => setTimeout(res, Math.min(1000, 25 * 2 ** attempt)));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.parallel ?? 8, Math.ceil(keys.length / 100)) }, worker));
    return out;
  }

  /** Writes `agg` if its stored rev is still `agg.rev`; false when someone else wrote it meanwhile. */
  async putAggregate(agg: EvidenceAggregate): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...aggKey(agg.address),
            rev: agg.rev + 1,
            recent: agg.recent,
            counts: agg.counts,
            reporters: agg.reporters,
            offences: agg.offences,
            ...(agg.first !== undefined ? { first: agg.first } : {}),
            ...(agg.last !== undefined ? { last: agg.last, ttl: agg.last + this.opts.ttlSeconds } : {}),
          },
          ...(agg.rev === 0 ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': agg.rev } }),
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** Applies `change` to the address's aggregate until its conditional put lands; the stored result. */
  async updateAggregate(address: Network, change: (agg: EvidenceAggregate) => EvidenceAggregate, first?: EvidenceAggregate): Promise<EvidenceAggregate> {
    let cur = first;
    for (let attempt = 0; attempt < 50; attempt++) {
      if (!cur || attempt > 0) cur = (await this.aggregates([address])).get(networkKey(address))!;
      const next = change(cur);
      if (await this.putAggregate(next)) return { ...next, rev: next.rev + 1 };
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
    throw new Error(`the evidence aggregate of ${formatNetwork(address)} kept changing under 50 attempts`);
  }

  /** Records the start of an automatic listing of the address in `list` (a repeat offence later). */
  recordOffence(address: Network, list: string, at: number, first?: EvidenceAggregate): Promise<EvidenceAggregate> {
    return this.updateAggregate(
      address,
      (agg) => ({ ...agg, offences: { ...agg.offences, [list]: [...(agg.offences[list] ?? []), at].slice(-MAX_OFFENCES) } }),
      first,
    );
  }

  /** The stored events of an address, newest first (every shard), at most `limit`. */
  async events(address: Network, limit = 100): Promise<EvidenceEvent[]> {
    const out: EvidenceEvent[] = [];
    for (let s = 0; s < EVIDENCE_SHARDS; s++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const r = await this.doc.send(
          new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `E#${networkKey(address)}#${s}` }, ExclusiveStartKey: startKey }),
        );
        for (const i of r.Items ?? []) {
          out.push({ id: String(i.sk), ip: address, kind: String(i.kind), observedAt: Number(i.t), reporter: String(i.reporter), ...(i.detail !== undefined ? { detail: String(i.detail) } : {}) });
        }
        startKey = r.LastEvaluatedKey;
      } while (startKey);
    }
    return out.sort((a, b) => b.observedAt - a.observedAt).slice(0, limit);
  }

  /** Every aggregate (a scan: for dry runs and re-evaluation passes, not the intake), at most `max`. */
  async *scanAggregates(max = 1_000_000): AsyncGenerator<EvidenceAggregate> {
    let startKey: Record<string, unknown> | undefined;
    let n = 0;
    do {
      const r = await this.doc.send(
        new ScanCommand({ TableName: this.tableName, FilterExpression: 'sk = :a', ExpressionAttributeValues: { ':a': 'A' }, ExclusiveStartKey: startKey }),
      );
      for (const i of r.Items ?? []) {
        if (n++ >= max) return;
        yield fromAggItem(i);
      }
      startKey = r.LastEvaluatedKey;
    } while (startKey);
  }
}

/**
 * The latest delisting of `network` in `list` by anyone but automation and the sweeper (an operator,
 * or a self-delisting), read newest first from the journal's audit trail of the network.
 */
export async function lastOperatorDelisting(doc: DynamoDBDocumentClient, journalTable: string, network: Network, list: string, isAutomation: (actor: string) => boolean): Promise<OperatorDelisting | undefined> {
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < 10; page++) {
    const r = await doc.send(
      new QueryCommand({
        TableName: journalTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `H#${networkKey(network)}` },
        ScanIndexForward: false,
        Limit: 50,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (r.Items ?? []) as unknown as AuditEvent[]) {
      if (item.list !== list || item.action !== 'delist' || isAutomation(item.actor)) continue;
      return { at: Math.floor(Date.parse(item.at) / 1000), actor: item.actor };
    }
    startKey = r.LastEvaluatedKey;
    if (!startKey) break;
  }
  return undefined;
}

/**
 * The evidence table as lookup, history and the portal read it; undefined when the environment
 * names none. A reader writes nothing, so the TTL it carries is never used.
 */
export function evidenceReaderFromEnv(env: NodeJS.ProcessEnv, doc: DynamoDBDocumentClient): Pick<EvidenceStore, 'aggregates'> | undefined {
  const tableName = env[EVIDENCE_TABLE_ENV];
  return tableName ? new EvidenceStore(doc, tableName, { ttlSeconds: 0 }) : undefined;
}
