// A sync test bed: DynamoDB Local with its real stream, the Route 53 stand-in, and the stream
// handler invoked by the poller exactly as Lambda's event source mapping would.
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { listingKey, toItem } from '../../lambdas/adapters/listing-item.js';
import { Journal } from '../../lambdas/adapters/journal.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { PublishedTable } from '../../lambdas/adapters/published-table.js';
import { PublisherState } from '../../lambdas/adapters/publisher-state.js';
import { SyncIntent } from '../../lambdas/adapters/sync-intent.js';
import { ROUTE53_CLIENT_CONFIG, Route53Zone } from '../../lambdas/adapters/route53-zone.js';
import { ZoneLock, type ZoneLockOptions } from '../../lambdas/adapters/zone-lock.js';
import { rrsetKey, type RRSet } from '../../lambdas/core/rrset.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { createStreamSyncHandler } from '../../lambdas/handlers/stream-sync.js';
import { ensureTables, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { createStreamPoller, type StreamPoller } from '../../local/dynamodb/stream-poller.js';
import { startRoute53StandIn, type Route53StandIn, type Route53StandInOptions } from '../../local/route53/index.js';
import { testZone } from '../support/zones.js';

export interface SyncEnv {
  cfg: ZoneConfig;
  ddb: DynamoDbLocal;
  r53: Route53StandIn;
  zoneId: string;
  table: ListingsTable;
  published: PublishedTable;
  intent: SyncIntent;
  journal: Journal;
  lock: ZoneLock;
  /** Names of the three tables. */
  names: { listings: string; journal: string; published: string };
  zone: Route53Zone;
  poller: StreamPoller;
  handler: ReturnType<typeof createStreamSyncHandler>;
  failures: unknown[];
  /** Wraps the handler: throw here to simulate a crash after the handler did its work. */
  crash: { afterSync?: () => boolean; beforeSync?: () => boolean };
  planned(now: number): Promise<Map<string, RRSet>>;
  /** plan(published table): what the zone must hold at every moment (the sync's invariant). */
  publishedPlanned(): Promise<Map<string, RRSet>>;
  actual(): Map<string, RRSet>;
  stop(): Promise<void>;
}

export const SYNC_CFG: ZoneConfig = testZone(
  [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} ({ip})' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: 'proxy {reason}' },
  ],
  { nameservers: ['ns1.example.net'] },
);

/** A listing of `net` in `list` for the sync tests. */
export const L = (list: string, net: string, extra: Partial<Listing> = {}): Listing => ({
  list, network: parseNetwork(net), reason: 'test', source: 'test', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', exclusion: false, ...extra,
});

let tableCounter = 0;

export async function startSyncEnv(
  opts: {
    r53?: Route53StandInOptions;
    batchSize?: number;
    now?: () => number;
    ddb?: DynamoDbLocal;
    noPoller?: boolean;
    chunkRegions?: number;
    /** Wraps the zone the handler writes through (e.g. to pause it). */
    wrapZone?: (zone: Route53Zone) => Route53Zone;
    lockOptions?: ZoneLockOptions;
    /** The Route 53 client's request timeout (default 2 s). */
    requestTimeoutMs?: number;
    /** The handler records its progress for the status (PublisherState.recordSync). */
    recordProgress?: boolean;
  } = {},
): Promise<SyncEnv> {
  const cfg = SYNC_CFG;
  const ownDdb = !opts.ddb;
  const ddb = opts.ddb ?? (await startDynamoDbLocal());
  const names = { listings: `listings${++tableCounter}${process.pid}`, journal: `journal${tableCounter}${process.pid}`, published: `published${tableCounter}${process.pid}` };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const r53 = await startRoute53StandIn(opts.r53 ?? {});
  const zoneId = await r53.createZone(cfg.zone);
  const route53 = new Route53Client({
    endpoint: r53.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // As the Lambdas' client, with a shorter timeout so injected timeouts cost the tests little.
    ...ROUTE53_CLIENT_CONFIG,
    requestHandler: { ...ROUTE53_CLIENT_CONFIG.requestHandler, connectionTimeout: 1_000, requestTimeout: opts.requestTimeoutMs ?? 2_000 },
  });
  const table = new ListingsTable(doc, names.listings);
  const journal = new Journal(doc, names.journal);
  const published = new PublishedTable(doc, names.published);
  const intent = new SyncIntent(doc, names.journal, cfg.zone);
  const zone = new Route53Zone(route53, zoneId, cfg.zone);
  const now = opts.now ?? (() => Date.now() / 1000);
  const lock = new ZoneLock(doc, names.journal, cfg.zone, opts.lockOptions);
  const handler = createStreamSyncHandler({
    cfg,
    table,
    published,
    intent,
    zone: opts.wrapZone ? opts.wrapZone(zone) : zone,
    nowSeconds: now,
    lock,
    ...(opts.chunkRegions ? { chunkRegions: opts.chunkRegions } : {}),
    ...(opts.recordProgress ? { progress: new PublisherState(journal, cfg.zone) } : {}),
  });
  const crash: SyncEnv['crash'] = {};
  const failures: unknown[] = [];
  const poller = createStreamPoller({
    endpoint: ddb.endpoint,
    tableName: names.listings,
    batchSize: opts.batchSize ?? 100,
    startingPosition: 'TRIM_HORIZON',
    maximumRetryAttempts: -1,
    handler: async (event: DynamoDBStreamEvent) => {
      if (crash.beforeSync?.()) throw new Error('simulated crash before sync');
      const r = await handler(event, { getRemainingTimeInMillis: () => 120_000 });
      if (crash.afterSync?.()) throw new Error('simulated crash after sync');
      return r;
    },
    onFailure: async (info) => {
      failures.push(info);
    },
  });
  if (!opts.noPoller) await poller.start();
  const env: SyncEnv = {
    cfg, ddb, r53, zoneId, table, published, intent, journal, lock, names, zone, poller, handler, failures, crash,
    async planned(at: number) {
      const listings = [];
      for await (const l of table.scanAll()) listings.push(l);
      const m = new Map<string, RRSet>();
      for (const r of planZone(cfg, effectiveListings(cfg, listings, at))) m.set(rrsetKey(r), normal(r));
      return m;
    },
    async publishedPlanned() {
      const listings = [];
      for await (const l of published.scanAll()) listings.push(l);
      const m = new Map<string, RRSet>();
      // Published rows count until replaced, expired or not: plan them as of time 0.
      for (const r of planZone(cfg, effectiveListings(cfg, listings, 0))) m.set(rrsetKey(r), normal(r));
      return m;
    },
    actual() {
      const m = new Map<string, RRSet>();
      for (const r of r53.rrsets(zoneId)) {
        if (!['A', 'TXT', 'CAA'].includes(r.type)) continue;
        const rr = normal({ name: r.name, type: r.type as RRSet['type'], ttl: r.ttl, values: r.values });
        m.set(rrsetKey(rr), rr);
      }
      return m;
    },
    async stop() {
      if (!opts.noPoller) await poller.stop();
      await r53.close();
      if (ownDdb) await ddb.stop();
    },
  };
  return env;
}

function normal(r: RRSet): RRSet {
  return { ...r, values: [...r.values].sort() };
}

/** The differences between two zones, as readable lines (empty = identical). */
export function zoneDiff(want: Map<string, RRSet>, got: Map<string, RRSet>): string[] {
  const out: string[] = [];
  for (const [k, r] of want) {
    const g = got.get(k);
    if (!g) out.push(`missing ${k} ${r.values.join(' ')}`);
    else if (JSON.stringify(g) !== JSON.stringify(r)) out.push(`differs ${k}: ${g.values.join(' ')} != ${r.values.join(' ')}`);
  }
  for (const k of got.keys()) if (!want.has(k)) out.push(`extra ${k}`);
  return out;
}

/**
 * Drains the stream as Lambda would, from where the last drain of this env stopped: batches of at
 * most `batchSize` records, each cut into handler invocations of `pick(n)` records (random batch
 * sizes over one stream; a failed invocation reports its record, so the rest is redelivered).
 */
export async function drain(env: SyncEnv, opts: { batchSize: number; pick?: (n: number) => number }): Promise<{ invocations: number }> {
  const checkpointFile = `${process.env.TMPDIR ?? '/tmp'}/drain-${env.names.listings}.json`;
  let invocations = 0;
  const poller = createStreamPoller({
    endpoint: env.ddb.endpoint,
    tableName: env.names.listings,
    batchSize: opts.batchSize,
    startingPosition: 'TRIM_HORIZON',
    checkpointFile,
    maximumRetryAttempts: -1,
    handler: async (event: DynamoDBStreamEvent) => {
      let rest = event.Records;
      while (rest.length > 0) {
        const k = Math.max(1, Math.min(rest.length, opts.pick ? opts.pick(rest.length) : rest.length));
        invocations++;
        if (env.crash.beforeSync?.()) throw new Error('simulated crash before sync');
        const r = await env.handler({ Records: rest.slice(0, k) }, { getRemainingTimeInMillis: () => 120_000 });
        if (env.crash.afterSync?.()) throw new Error('simulated crash after sync');
        if (r.batchItemFailures.length > 0) return r;
        rest = rest.slice(k);
      }
      return { batchItemFailures: [] };
    },
    onFailure: async (info) => {
      env.failures.push(info);
    },
  });
  await poller.start();
  try {
    await poller.idle();
  } finally {
    await poller.stop();
  }
  return { invocations };
}

/** A stream record of `l` shaped as DynamoDB Streams delivers it (INSERT/MODIFY carry the new image). */
export function streamRecord(l: Listing, eventName: 'INSERT' | 'MODIFY' | 'REMOVE', seq: string): DynamoDBRecord {
  const key = listingKey(l.list, l.network);
  return {
    eventID: seq, eventName, eventSource: 'aws:dynamodb', awsRegion: 'us-east-1',
    dynamodb: {
      Keys: { pk: { S: key.pk }, sk: { S: key.sk } }, SequenceNumber: seq, StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(eventName === 'REMOVE' ? {} : { NewImage: marshall(toItem(l, 1), { removeUndefinedValues: true }) as never }),
    },
  };
}

/** The zone with some of its methods replaced (to pause it, to drop a lease, to garble an answer). */
export function overriding(zone: Route53Zone, methods: Partial<Pick<Route53Zone, 'apply' | 'apexSoa' | 'readNames'>>): Route53Zone {
  return new Proxy(zone, {
    get(target, prop, receiver) {
      const own = (methods as Record<string | symbol, unknown>)[prop];
      if (own) return own;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** One DynamoDB Local for a test file: started before its tests, stopped after. */
export function useDynamoDbLocal(): () => DynamoDbLocal {
  let ddb: DynamoDbLocal | undefined;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await ddb?.stop();
  });
  return () => ddb!;
}
