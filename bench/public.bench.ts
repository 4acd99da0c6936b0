// Benchmark: the public look-up (JSON and page) through the HTTP adapter + DynamoDB Local, and a
// single-client flood held to its limit while other clients keep being answered.
//
//   npx tsx bench/public.bench.ts [--duration=10] [--connections=8]
//
// The portal runs in a child process (autocannon does not share its event loop). Throughput is
// measured with the per-client limiter off (it would refuse one client's 8 connections); the flood
// runs with the production limits (look-ups: burst 30, 1/s sustained per client, progressive block)
// and clients told apart by X-Forwarded-For (PUBLIC_TRUSTED_PROXIES=1, as behind CloudFront).
import { fileURLToPath } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DelistRequests } from '../lambdas/adapters/delist-requests.js';
import { Journal } from '../lambdas/adapters/journal.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import { DnsZoneProbe } from '../lambdas/api/dns-probe.js';
import { startHttpAdapter } from '../lambdas/api/http-adapter.js';
import { parseNetwork } from '../lambdas/core/ip.js';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { createPublicHandler } from '../lambdas/handlers/public.js';
import { DelistService } from '../lambdas/public/delist-service.js';
import { ClientLimiter, DEFAULT_PUBLIC_RULES } from '../lambdas/public/rate-limit.js';
import { ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { startFakeDns } from '../test/api/fake-dns.js';
import { numberArg, TWO_LIST_ZONE } from './bench-zones.js';
import { loadAutocannon, serveUntilParentEnds, startServerChild } from './server-child.js';

const CFG: ZoneConfig = TWO_LIST_ZONE;
const DURATION = numberArg('duration', 10);
const CONNECTIONS = numberArg('connections', 8);

async function serve(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  const names = { listings: 'bench-listings', journal: 'bench-journal' };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const table = new ListingsTable(doc, names.listings);
  const journal = new Journal(doc, names.journal);
  const now = new Date().toISOString();
  await table.put({ list: 'spam', network: parseNetwork('192.0.2.0/24'), reason: 'bench range', source: 'feed:bench', createdAt: now, updatedAt: now, exclusion: false }, null);
  await table.put({ list: 'spam', network: parseNetwork('192.0.2.1'), reason: 'bench', source: 'trap:bench', createdAt: now, updatedAt: now, exclusion: false }, null);
  const dns = await startFakeDns(CFG.zone);
  dns.records.set(`1.2.0.192.${CFG.zone}`, { a: ['127.0.0.2'], txt: ['bench'] });
  const delist = new DelistService({ cfg: CFG, table, journal, requests: new DelistRequests(doc, names.journal), mailer: { send: async () => undefined }, publicBaseUrl: 'http://127.0.0.1' });
  const base = { cfg: CFG, table, delist, log: { error: () => undefined } };
  const open = await startHttpAdapter(createPublicHandler({ ...base, zoneProbe: new DnsZoneProbe({ zone: CFG.zone, servers: [`127.0.0.1:${dns.port}`] }), limiter: new ClientLimiter({ rules: {} }) }));
  const limited = await startHttpAdapter(createPublicHandler({ ...base, limiter: new ClientLimiter({ rules: DEFAULT_PUBLIC_RULES }), trustedProxies: 1 }));
  serveUntilParentEnds({ open: open.url, limited: limited.url }, [() => open.close(), () => limited.close(), () => dns.stop(), () => ddb.stop()]);
}


async function main(): Promise<void> {
  const autocannon = await loadAutocannon();
  const server = await startServerChild<{ open: string; limited: string }>(fileURLToPath(import.meta.url));
  const urls = server.urls;
  console.log(`public look-up: ${CONNECTIONS} connections, ${DURATION} s each, HTTP adapter + DynamoDB Local on 127.0.0.1`);
  console.log(`${'scenario'.padEnd(46)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(9)} ${'non-2xx'.padStart(8)}`);
  for (const [name, url] of [
    ['GET /api/lookup (JSON, with live DNS)', `${urls.open}/api/lookup?ip=192.0.2.1`],
    ['GET /lookup (page, with live DNS)', `${urls.open}/lookup?ip=192.0.2.1`],
  ] as const) {
    const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
    console.log(`${name.padEnd(46)} ${r.requests.average.toFixed(0).padStart(8)} ${String(r.latency.p50).padStart(8)} ${String(r.latency.p99).padStart(8)} ${String(r.requests.total).padStart(9)} ${String(r.non2xx + r.errors + r.timeouts).padStart(8)}`);
  }
  // Flood from one client while another asks every 500 ms.
  const polite: Array<{ status: number; ms: number }> = [];
  let flooding = true;
  const politeLoop = (async () => {
    while (flooding) {
      const t0 = performance.now();
      const r = await fetch(`${urls.limited}/api/lookup?ip=192.0.2.1`, { headers: { 'x-forwarded-for': '198.51.100.2' } });
      await r.arrayBuffer();
      polite.push({ status: r.status, ms: performance.now() - t0 });
      await new Promise((res) => setTimeout(res, 500));
    }
  })();
  const flood = await autocannon({ url: `${urls.limited}/api/lookup?ip=192.0.2.1`, connections: CONNECTIONS, duration: DURATION, headers: { 'x-forwarded-for': '198.51.100.1' } });
  flooding = false;
  await politeLoop;
  const ok = flood.requests.total - flood.non2xx;
  const sorted = polite.map((p) => p.ms).sort((a, b) => a - b);
  console.log(
    `flood from one client: ${flood.requests.total} requests in ${DURATION} s (${flood.requests.average.toFixed(0)}/s), ${ok} answered 200 ` +
      `(limit: burst ${DEFAULT_PUBLIC_RULES.lookup.burst} + ${DEFAULT_PUBLIC_RULES.lookup.perSecond}/s), ${flood.non2xx} refused 429; p50 ${flood.latency.p50} ms`,
  );
  console.log(`other client meanwhile: ${polite.filter((p) => p.status === 200).length}/${polite.length} answered 200, p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms`);
  await server.stop();
}

if (process.argv.includes('--serve')) await serve();
else await main();
