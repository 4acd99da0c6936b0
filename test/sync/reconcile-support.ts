// Shared by the sliced reconcile pass tests: a corpus over many first labels, tampering with the
// stand-in's zone, the pass's dependencies, and the published table compared with the table.
import { ChangeResourceRecordSetsCommand, type Change as R53Change, Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { isActive, type Listing } from '../../lambdas/core/listing.js';
import type { RRSet } from '../../lambdas/core/rrset.js';
import type { DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { L, startSyncEnv, type SyncEnv } from './sync-env.js';

export const now = () => Date.now() / 1000;

/** Listings over many first labels: IPv4 in shared digit labels and not, wide ranges, IPv6, mirrors' space. */
export function corpus(): Listing[] {
  const out: Listing[] = [];
  for (let i = 0; i < 40; i++) out.push(L(i % 3 ? 'spam' : 'proxy', `${[1, 2, 5, 9, 10, 44, 192, 203][i % 8]}.${i}.${(i * 7) % 256}.${i + 1}`));
  out.push(L('spam', '1.2.0.0/16'), L('proxy', '5.0.0.0/8'), L('spam', '192.0.2.0/24'), L('spam', '192.0.2.0/28', { exclusion: true }));
  out.push(L('spam', '10.20.0.0/20'), L('proxy', '203.0.113.0/25'));
  for (let i = 0; i < 12; i++) out.push(L('spam', `2001:db8:${i.toString(16)}::/48`), L('proxy', `2a00:${(i * 3).toString(16)}::1`));
  out.push(L('spam', 'a000::/32'), L('spam', '9000::1'));
  return out;
}

export async function tamper(env: SyncEnv, changes: R53Change[]): Promise<void> {
  const client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: env.zoneId, ChangeBatch: { Changes: changes } }));
}

/** A sync environment holding corpus() in the table and, synced by its stream, in the zone. */
export async function startCorpusEnv(ddb: DynamoDbLocal): Promise<SyncEnv> {
  const env = await startSyncEnv({ ddb, r53: { throttle: false } });
  await env.table.putMany(corpus());
  await env.poller.idle();
  return env;
}

export function deps(env: SyncEnv, zone = env.zone) {
  const doc = DynamoDBDocumentClient.from(env.ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  return { cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, zone, nowSeconds: now, lock: () => new ZoneLock(doc, env.names.journal, env.cfg.zone) };
}

export async function publishedVsTable(env: SyncEnv): Promise<string[]> {
  const want = new Map<string, Listing>();
  for await (const l of env.table.scanAll()) if (isActive(l, now())) want.set(`${l.list}#${l.network.start}/${l.network.prefix}`, l);
  const out: string[] = [];
  for await (const p of env.published.scanAll()) {
    const k = `${p.list}#${p.network.start}/${p.network.prefix}`;
    const w = want.get(k);
    if (!w) out.push(`extra ${k}`);
    else if (w.reason !== p.reason || w.exclusion !== p.exclusion) out.push(`differs ${k}`);
    want.delete(k);
  }
  for (const k of want.keys()) out.push(`missing ${k}`);
  return out;
}

export const A = (name: string, value: string, action: 'CREATE' | 'DELETE' | 'UPSERT' = 'CREATE'): R53Change => ({
  Action: action,
  ResourceRecordSet: { Name: name, Type: 'A', TTL: 300, ResourceRecords: [{ Value: value }] },
});

export const del = (r: RRSet): R53Change => ({
  Action: 'DELETE',
  ResourceRecordSet: { Name: r.name, Type: r.type, TTL: r.ttl, ResourceRecords: r.values.map((Value) => ({ Value })) },
});
