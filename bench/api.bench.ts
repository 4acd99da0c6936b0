// Benchmark: the operator API through the HTTP adapter + DynamoDB Local, on 127.0.0.1 only.
// Prints requests per second and p50/p99 latency (autocannon) for look-ups and single listings.
//
//   npx tsx bench/api.bench.ts [--duration=10] [--connections=8]
//
// The API (HTTP adapter, handler, DynamoDB Local, a loopback DNS responder for the lookup's live
// answer) runs in a child process, so autocannon does not share its event loop. Figures on a
// 2-core machine are dominated by DynamoDB Local (a Java emulator, ~1 operation per ms here); they
// say nothing about DynamoDB itself, but compare runs of this code with each other.
import { fileURLToPath } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Journal } from '../lambdas/adapters/journal.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { DnsZoneProbe } from '../lambdas/api/dns-probe.js';
import { startHttpAdapter } from '../lambdas/api/http-adapter.js';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { createApiHandler } from '../lambdas/handlers/api.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { startFakeDns } from '../test/api/fake-dns.js';
import { TWO_LIST_ZONE, numberArg } from './bench-zones.js';
import { loadAutocannon, serveUntilParentEnds, startServerChild } from './server-child.js';

const CFG: ZoneConfig = TWO_LIST_ZONE;

const arg = numberArg;
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 8);


async function serve(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  const names = { listings: 'bench-listings', journal: 'bench-journal' };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const dns = await startFakeDns(CFG.zone);
  dns.records.set('1.2.0.192.bl.test', { a: ['127.0.0.2'], txt: ['Listed in spam: bench'] });
  const deps = { cfg: CFG, table: new ListingsTable(doc, names.listings), journal: new Journal(doc, names.journal), log: { error: () => undefined } };
  const withDns = await startHttpAdapter(
    createApiHandler({ ...deps, zoneProbe: new DnsZoneProbe({ zone: CFG.zone, servers: [`127.0.0.1:${dns.port}`] }) }),
  );
  const noDns = await startHttpAdapter(createApiHandler(deps));
  // Something to find: a /24 and an address inside it.
  await fetch(`${withDns.url}/v1/listings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ list: 'spam', network: '192.0.2.0/24', reason: 'bench range' }, { list: 'spam', network: '192.0.2.1', reason: 'bench' }] }),
  });
  serveUntilParentEnds({ withDns: withDns.url, noDns: noDns.url }, [() => withDns.close(), () => noDns.close(), () => dns.stop(), () => ddb.stop()]);
}


async function main(): Promise<void> {
  const autocannon = await loadAutocannon();
  const server = await startServerChild<{ withDns: string; noDns: string }>(fileURLToPath(import.meta.url));
  const urls = server.urls;
  for (const u of Object.values(urls)) if (!new URL(u).hostname.startsWith('127.')) throw new Error('benchmarks run against 127.0.0.1 only');

  let n = 0;
  const scenarios: Array<{ name: string; opts: Record<string, unknown> }> = [
    { name: 'GET /v1/lookup (address, with live DNS)', opts: { url: `${urls.withDns}/v1/lookup?ip=192.0.2.1` } },
    { name: 'GET /v1/lookup (address, no DNS probe)', opts: { url: `${urls.noDns}/v1/lookup?ip=192.0.2.1` } },
    {
      name: 'POST /v1/listings (1 item, new network)',
      opts: {
        url: urls.noDns,
        requests: [
          {
            method: 'POST',
            path: '/v1/listings',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req: Record<string, unknown>) => {
              const i = n++;
              return { ...req, body: JSON.stringify({ items: [{ list: 'proxy', network: `45.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, reason: `bench ${i}` }] }) };
            },
          },
        ],
      },
    },
    {
      name: 'POST /v1/listings (1 item, re-list same network)',
      opts: {
        url: urls.noDns,
        requests: [
          {
            method: 'POST',
            path: '/v1/listings',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify({ items: [{ list: 'spam', network: '198.51.100.7', reason: `bench ${n++}` }] }) }),
          },
        ],
      },
    },
  ];
  console.log(`API benchmark: ${CONNECTIONS} connections, ${DURATION} s each, HTTP adapter + DynamoDB Local on 127.0.0.1`);
  console.log(`${'scenario'.padEnd(50)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(9)} ${'non-2xx'.padStart(8)}`);
  for (const s of scenarios) {
    const r = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...s.opts });
    console.log(
      `${s.name.padEnd(50)} ${r.requests.average.toFixed(0).padStart(8)} ${String(r.latency.p50).padStart(8)} ${String(r.latency.p99).padStart(8)} ${String(r.requests.total).padStart(9)} ${String(r.non2xx + r.errors + r.timeouts).padStart(8)}`,
    );
  }
  await server.stop();
}

if (process.argv.includes('--serve')) await serve();
else await main();
