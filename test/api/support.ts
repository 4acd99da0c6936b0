// One API stack per test file: DynamoDB Local (started once), fresh tables, the real adapters, the
// handler behind the HTTP adapter, a fake authoritative DNS server; and small fetch helpers.
import { startTableEnv } from '../support/table-env.js';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { Journal } from '../../lambdas/adapters/journal.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import type { ApiDeps } from '../../lambdas/api/deps.js';
import { DnsZoneProbe } from '../../lambdas/api/dns-probe.js';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { PROXY, SPAM, testZone } from '../support/zones.js';
import { type FakeDns, startFakeDns } from './fake-dns.js';

export const CFG: ZoneConfig = testZone([SPAM, PROXY, { name: 'dul', code: '127.0.0.10', txtTemplate: 'Dynamic {ip}' }]);

export const ALICE = 'arn:aws:iam::123456789012:user/alice';

export interface ApiEnv {
  url: string;
  /** DynamoDB Local's endpoint. */
  endpoint: string;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  journal: Journal;
  names: { listings: string; journal: string };
  dns: FakeDns;
  http: RunningAdapter;
  /** A second stack on the same tables with overrides (e.g. a clock, a DNS probe timeout). */
  withDeps(over: Partial<ApiDeps>): Promise<RunningAdapter>;
  stop(): Promise<void>;
}

export async function startApiEnv(over: Partial<ApiDeps> = {}): Promise<ApiEnv> {
  const { ddb, names, doc, table, journal } = await startTableEnv();
  const dns = await startFakeDns(CFG.zone);
  const adapters: RunningAdapter[] = [];
  const start = async (o: Partial<ApiDeps>) => {
    const handler = createApiHandler({
      cfg: CFG,
      table,
      journal,
      zoneProbe: new DnsZoneProbe({ zone: CFG.zone, servers: [`127.0.0.1:${dns.port}`], timeoutMs: 2000 }),
      log: { error: () => undefined },
      ...over,
      ...o,
    });
    const a = await startHttpAdapter(handler, {
      identity: (req) => ({ userArn: (req.headers['x-test-caller'] as string | undefined) ?? ALICE }),
    });
    adapters.push(a);
    return a;
  };
  const http = await start({});
  return {
    url: http.url,
    endpoint: ddb.endpoint,
    doc,
    table,
    journal,
    names,
    dns,
    http,
    withDeps: start,
    stop: async () => {
      for (const a of adapters) await a.close();
      await dns.stop();
      await ddb.stop();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  opts: { noContentType?: boolean } = {},
): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    // fetch labels a string body text/plain by itself: send bytes to send no Content-Type at all.
    if (opts.noContentType) init.body = new TextEncoder().encode(String(init.body));
    else if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
  }
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, json, text };
}

/** Every item of a table, sorted, and a hash of them: "nothing changed" is equal snapshots. */
export async function snapshot(doc: DynamoDBDocumentClient, tableName: string): Promise<{ count: number; hash: string }> {
  const items: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const r = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
    for (const it of r.Items ?? []) items.push(JSON.stringify(Object.fromEntries(Object.entries(it).sort(([a], [b]) => a.localeCompare(b)))));
    startKey = r.LastEvaluatedKey;
  } while (startKey);
  items.sort();
  return { count: items.length, hash: createHash('sha256').update(items.join('\n')).digest('hex') };
}
