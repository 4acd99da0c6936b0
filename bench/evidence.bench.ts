// Benchmark: the evidence path (issue 14, "Scale and proof") on DynamoDB Local, 127.0.0.1 only.
//
//   POWERTOOLS_LOG_LEVEL=ERROR npx tsx bench/evidence.bench.ts [--parts=intake,http,latency,escalation,ddb] [--batches=4]
//                                   [--samples=30] [--fill=65535] [--concurrency=N]
//
//   ddb         DynamoDB Local alone: BatchWriteItem items/s and PutItem/s at the intake's
//               concurrency, the ceiling any code on this machine works under
//   intake      events/s accepted by EvidenceIntake.submit in batches of 1,000: distinct addresses
//               (every event lists a new address) and repeated addresses (1,000 events over 10
//               addresses); DynamoDB calls and write calls per event
//   http        the same through POST /v1/evidence (the operator API's handler behind the HTTP
//               adapter, in this process)
//   latency     on the local stack: POST one event -> the zone's DNS server answers it, p50/p99
//   escalation  a /16 holding `fill` level-1 listings: one more event in it (a new listing, then
//               an extension), and a batch of 1,000 events spread over it: reads, items read, time
//
// Figures on a 2-core machine shared with other work are DynamoDB Local's (a Java emulator): they
// compare runs of this code with each other and with DynamoDB Local's own ceiling (part ddb), and
// say nothing absolute about DynamoDB.
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient as DocClient } from '@aws-sdk/lib-dynamodb';
import { EvidenceStore, lastOperatorDelisting } from '../lambdas/adapters/evidence-store.js';
import { Journal } from '../lambdas/adapters/journal.js';
import { ListingsTable } from '../lambdas/adapters/listings-table.js';
import type { ApiDeps } from '../lambdas/api/deps.js';
import { startHttpAdapter } from '../lambdas/api/http-adapter.js';
import { LEVEL1_SOURCE, validateEvidencePolicy } from '../lambdas/core/evidence-policy.js';
import { formatNetwork, type Network, parseAddress, queryName } from '../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../lambdas/core/listing.js';
import { ProtectedSet } from '../lambdas/core/protected-set.js';
import { apiListingWriter, EvidenceIntake, isAutomationActor, type ListPolicy } from '../lambdas/evidence/intake.js';
import { evidenceRoutes } from '../lambdas/evidence/routes.js';
import { createApiHandler } from '../lambdas/handlers/api.js';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '../local/dynamodb/dynamodb-local.js';
import { startLocalStack } from '../local/local-stack.js';
import { numberArg } from './bench-zones.js';

const PARTS = (process.argv.find((a) => a.startsWith('--parts='))?.slice(8) ?? 'ddb,intake,http,latency,escalation').split(',');
const BATCHES = numberArg('batches', 4);
const SAMPLES = numberArg('samples', 30);
const FILL = numberArg('fill', 65_535);
/** The intake's concurrency and the operator write service's (default: theirs, 16 and 8). */
const CONCURRENCY = numberArg('concurrency', 0);

const CFG: ZoneConfig = {
  zone: 'bl.bench.test',
  lists: [
    {
      name: 'spam',
      code: '127.0.0.2',
      txtTemplate: 'Listed in {list}: {reason}',
      // The local stack's policy (a trap hit lists for a week), with UCEPROTECT level 2 (/24../16).
      evidence: { kinds: { spamtrap: { weight: 3 }, 'abuse-report': { weight: 1 } }, threshold: 3, windowHours: 24, holdHours: 168, escalation: { level2: { list: 'spam-l2' } } },
    },
    { name: 'spam-l2', code: '127.0.0.4', txtTemplate: 'Level 2: {reason}' },
  ],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@example.org',
};
const POLICIES: ListPolicy[] = [{ list: 'spam', policy: validateEvidencePolicy(CFG.lists[0]!.evidence, 'evidence', CFG.lists.map((l) => l.name)) }];

// ---------------------------------------------------------------- counting DynamoDB calls

// On-demand prices in us-east-1 per request unit (https://aws.amazon.com/dynamodb/pricing/on-demand/,
// after the November 2024 reduction: $0.625 per million WRU, $0.125 per million RRU).
const WRU_PRICE = 0.625 / 1e6;
const RRU_PRICE = 0.125 / 1e6;
const WRITES = new Set(['BatchWriteItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand']);

interface ConsumedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

interface Calls {
  byCommand: Record<string, number>;
  itemsRead: number;
  /** Items written (a BatchWriteItem of 25 counts 25, a transaction its items). */
  itemsWritten: number;
  /** Capacity units DynamoDB (Local) reports consumed: reads (RRU) and writes (WRU), GSIs included. */
  rru: number;
  wru: number;
}

function countCalls(doc: DynamoDBDocumentClient, name: string): { take(): Calls } {
  let c: Calls = { byCommand: {}, itemsRead: 0, itemsWritten: 0, rru: 0, wru: 0 };
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const cmd = String(context.commandName ?? 'unknown');
      c.byCommand[cmd] = (c.byCommand[cmd] ?? 0) + 1;
      const input = args.input as { RequestItems?: Record<string, unknown[]>; TransactItems?: unknown[]; ReturnConsumedCapacity?: string };
      if (cmd !== 'DescribeTableCommand' && cmd !== 'CreateTableCommand') input.ReturnConsumedCapacity = 'INDEXES';
      if (cmd === 'BatchWriteItemCommand') c.itemsWritten += Object.values(input.RequestItems ?? {}).reduce((n, r) => n + r.length, 0);
      else if (cmd === 'TransactWriteItemsCommand') c.itemsWritten += input.TransactItems?.length ?? 0;
      else if (WRITES.has(cmd)) c.itemsWritten += 1;
      const out = await next(args);
      const o = out.output as { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]> | unknown[]; ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      const responses = Array.isArray(o.Responses) ? [] : Object.values(o.Responses ?? {});
      c.itemsRead += (o.Items?.length ?? 0) + (o.Item ? 1 : 0) + responses.reduce((n, r) => n + (Array.isArray(r) ? r.length : 0), 0);
      for (const cc of [o.ConsumedCapacity ?? []].flat()) {
        c.rru += cc.ReadCapacityUnits ?? 0;
        c.wru += cc.WriteCapacityUnits ?? 0;
        // Some calls report only the total.
        if (cc.ReadCapacityUnits === undefined && cc.WriteCapacityUnits === undefined) (WRITES.has(cmd) ? (c.wru += cc.CapacityUnits ?? 0) : (c.rru += cc.CapacityUnits ?? 0));
      }
      return out;
    },
    { step: 'initialize', name },
  );
  return {
    take() {
      const r = c;
      c = { byCommand: {}, itemsRead: 0, itemsWritten: 0, rru: 0, wru: 0 };
      return r;
    },
  };
}

const sum = (r: Record<string, number>, keep: (k: string) => boolean = () => true) => Object.entries(r).reduce((n, [k, v]) => n + (keep(k) ? v : 0), 0);

// ---------------------------------------------------------------- set-up

interface Env {
  ddb: DynamoDbLocal;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  intake: EvidenceIntake;
  apiDeps: ApiDeps;
  counter: { take(): Calls };
  names: { listings: string; journal: string; evidence: string };
}

let tag = 0;
async function env(ddb: DynamoDbLocal): Promise<Env> {
  const t = ++tag;
  const names = { listings: `listings-${t}`, journal: `journal-${t}`, evidence: `evidence-${t}` };
  await ensureTables(ddb.client, names);
  const doc = DocClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const table = new ListingsTable(doc, names.listings);
  const journal = new Journal(doc, names.journal);
  const apiDeps: ApiDeps = { cfg: CFG, table, journal, log: { error: () => undefined }, ...(CONCURRENCY > 0 ? { writeConcurrency: CONCURRENCY } : {}) };
  const intake = new EvidenceIntake({
    policies: POLICIES,
    store: new EvidenceStore(doc, names.evidence, { ttlSeconds: 30 * 86_400 }),
    table,
    writer: apiListingWriter(apiDeps),
    protectedSet: ProtectedSet.build({}),
    operatorDelisting: async (n, list) => (await lastOperatorDelisting(doc, names.journal, n, list, isAutomationActor))?.at,
    ...(CONCURRENCY > 0 ? { concurrency: CONCURRENCY } : {}),
  });
  return { ddb, doc, table, intake, apiDeps, counter: countCalls(doc, `benchCountCalls-${t}`), names };
}

/** Deterministic public IPv4 addresses spread over many /8s (one per /24 at most, so no escalation). */
function spreadAddresses(n: number, seed: number): string[] {
  const firsts = [41, 42, 45, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 93, 94, 95];
  const seen = new Set<string>();
  const out: string[] = [];
  let x = seed >>> 0 || 1;
  while (out.length < n) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    const a = firsts[x % firsts.length]!;
    const b = (x >>> 8) & 255;
    const c = (x >>> 16) & 255;
    const s24 = `${a}.${b}.${c}`;
    if (seen.has(s24)) continue;
    seen.add(s24);
    out.push(`${s24}.${1 + ((x >>> 24) % 254)}`);
  }
  return out;
}

const nowS = () => Math.floor(Date.now() / 1000);
let eventSeq = 0;
const event = (ip: string) => ({ ip, kind: 'spamtrap', observedAt: nowS() - 60, id: `bench-${process.pid}-${eventSeq++}`, reporter: 'trapnet' });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---------------------------------------------------------------- parts

async function partDdb(ddb: DynamoDbLocal): Promise<void> {
  const e = await env(ddb);
  const N = 10_000;
  let t = performance.now();
  const items = Array.from({ length: N }, (_, i) => ({ PutRequest: { Item: { pk: `E#x#${i % 4}`, sk: `id-${i}`, ip: '41.0.0.1', kind: 'spamtrap', t: nowS(), reporter: 'r', receivedAt: nowS(), ttl: nowS() + 86_400 } } }));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items.length) {
        const chunk = items.slice(next, (next += 25));
        await e.doc.send(new BatchWriteCommand({ RequestItems: { [e.names.evidence]: chunk } }));
      }
    }),
  );
  const batchRate = N / ((performance.now() - t) / 1000);
  const P = 3000;
  let putRate = 0;
  for (let round = 0; round < 2; round++) {
    // The first round warms the JVM; the second is reported.
    t = performance.now();
    next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < P) {
          const i = next++;
          await e.doc.send(new PutCommand({ TableName: e.names.evidence, Item: { pk: `A#${round}-${i}`, sk: 'A', rev: 1 } }));
        }
      }),
    );
    putRate = P / ((performance.now() - t) / 1000);
  }
  console.log(`DynamoDB Local alone: BatchWriteItem ${fmt(batchRate)} items/s (25 a call, 8 at once); PutItem ${fmt(putRate)} calls/s (16 at once)`);
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function runBatches(name: string, send: (items: unknown[]) => Promise<{ accepted: number }>, counter: { take(): Calls }, batchOf: (b: number) => unknown[], javaPid: number): Promise<void> {
  // One batch first, not timed: warms the caches (prefix census, JIT) as a running Lambda has them.
  await send(batchOf(-1));
  counter.take();
  const cpu0 = { node: cpuSeconds(process.pid), java: cpuSeconds(javaPid), wall: performance.now() };
  const times: number[] = [];
  let accepted = 0;
  for (let b = 0; b < BATCHES; b++) {
    const items = batchOf(b);
    const t = performance.now();
    accepted += (await send(items)).accepted;
    times.push(performance.now() - t);
  }
  const calls = counter.take();
  const wall = (performance.now() - cpu0.wall) / 1000;
  const nodeCpu = (cpuSeconds(process.pid) - cpu0.node) / wall;
  const javaCpu = (cpuSeconds(javaPid) - cpu0.java) / wall;
  const events = BATCHES * 1000;
  const total = times.reduce((a, b) => a + b, 0) / 1000;
  const writeCalls = sum(calls.byCommand, (k) => WRITES.has(k));
  console.log(
    `${name.padEnd(44)} ${fmt(events / total).padStart(7)} events/s  (batch p50 ${fmt(pct(times, 50) / 1000, 2)} s; accepted ${accepted}/${events})  per event: ${fmt(sum(calls.byCommand) / events, 2)} calls, ${fmt(writeCalls / events, 2)} write calls, ${fmt(calls.itemsWritten / events, 2)} items written, ${fmt(calls.itemsRead / events, 2)} items read; ${fmt(calls.wru / events, 2)} WRU + ${fmt(calls.rru / events, 2)} RRU = $${fmt(((calls.wru * WRU_PRICE + calls.rru * RRU_PRICE) / events) * 1e6, 2)} per million events`,
  );
  console.log(`${''.padEnd(44)} CPU while it ran: this process ${fmt(nodeCpu * 100)}%, DynamoDB Local ${fmt(javaCpu * 100)}% (of one core; 2 cores, load average ${fmt(loadavg()[0]!, 1)})`);
  console.log(`${''.padEnd(44)} calls: ${Object.entries(calls.byCommand).sort().map(([k, v]) => `${k.replace('Command', '')} ${fmt(v / events, 2)}`).join(', ')}`);
}

async function partIntake(ddb: DynamoDbLocal, viaHttp: boolean): Promise<void> {
  const e = await env(ddb);
  let send: (items: unknown[]) => Promise<{ accepted: number }> = (items) => e.intake.submit(items, 'bench-feed');
  let close = async () => undefined as unknown;
  if (viaHttp) {
    const api = await startHttpAdapter(createApiHandler({ ...e.apiDeps, evidenceRoutes: evidenceRoutes({ intake: e.intake, policies: POLICIES, cfg: CFG }) }), { port: 0 });
    if (!new URL(api.url).hostname.startsWith('127.')) throw new Error('benchmarks run against 127.0.0.1 only');
    close = () => api.close();
    send = async (items) => {
      const r = await fetch(`${api.url}/v1/evidence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
      const body = (await r.json()) as { accepted: number };
      if (r.status !== 200) throw new Error(`POST /v1/evidence: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
      return body;
    };
  }
  const how = viaHttp ? 'POST /v1/evidence' : 'intake.submit';
  const addrs = spreadAddresses((BATCHES + 1) * 1000, 7);
  await runBatches(`${how}, 1,000 distinct addresses`, send, e.counter, (b) => addrs.slice((b + 1) * 1000, (b + 2) * 1000).map(event), ddb.pid);
  const ten = spreadAddresses(10, 99);
  await runBatches(`${how}, 1,000 events over 10 addresses`, send, e.counter, () => Array.from({ length: 1000 }, (_, i) => event(ten[i % 10]!)), ddb.pid);
  await close();
}

async function partLatency(): Promise<void> {
  const stack = await startLocalStack({ cfg: CFG, ephemeral: true, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: false, exportPort: 0, publicPort: 0, smtpPort: 0, log: () => undefined });
  try {
    const resolver = new Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([`127.0.0.1:${stack.dnsPort}`]);
    const answered = async (name: string) => (await resolver.resolve4(name).catch(() => [] as string[])).includes('127.0.0.2');
    const addrs = spreadAddresses(SAMPLES + 1, 4242);
    const lat: number[] = [];
    const post: number[] = [];
    for (let i = 0; i < addrs.length; i++) {
      const ip = addrs[i]!;
      const a = parseAddress(ip, 'ip');
      const name = queryName(a.family, a.start, CFG.zone);
      const t = performance.now();
      const r = await fetch(`${stack.apiUrl}/v1/evidence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [event(ip)] }) });
      if (r.status !== 200) throw new Error(`POST /v1/evidence: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      const tPost = performance.now() - t;
      while (!(await answered(name))) {
        if (performance.now() - t > 30_000) throw new Error(`${ip} not answered within 30 s`);
        await new Promise((res) => setTimeout(res, 10));
      }
      if (i > 0) {
        lat.push(performance.now() - t);
        post.push(tPost);
      }
    }
    console.log(
      `event -> zone answer (local stack, ${SAMPLES} events one at a time): p50 ${fmt(pct(lat, 50))} ms, p99 ${fmt(pct(lat, 99))} ms, max ${fmt(Math.max(...lat))} ms; of which the POST: p50 ${fmt(pct(post, 50))} ms, p99 ${fmt(pct(post, 99))} ms (the stream poller's batching window is 200 ms)`,
    );
  } finally {
    await stack.stop();
  }
}

async function partEscalation(ddb: DynamoDbLocal): Promise<void> {
  const e = await env(ddb);
  // 46.20.0.0/16, every address but the last listed at level 1 (FILL of them).
  const base = (46 << 24) + (20 << 16);
  const at = new Date().toISOString();
  const expiresAt = nowS() + 7 * 86_400;
  const host = (i: number): Network => ({ family: 4, start: BigInt(base + i), prefix: 32 });
  const listings: Listing[] = Array.from({ length: Math.min(FILL, 65_535) }, (_, i) => ({ list: 'spam', network: host(i), reason: 'evidence: spamtrap x1', source: LEVEL1_SOURCE, createdAt: at, updatedAt: at, expiresAt, exclusion: false }));
  let t = performance.now();
  await e.table.putMany(listings, 8);
  console.log(`escalation: ${fmt(listings.length)} level-1 listings in 46.20.0.0/16 loaded in ${fmt((performance.now() - t) / 1000, 1)} s`);
  e.counter.take();
  const one = async (what: string, items: unknown[]) => {
    t = performance.now();
    const r = await e.intake.submit(items, 'bench-feed');
    const ms = performance.now() - t;
    const c = e.counter.take();
    const esc = r.escalations.filter((x) => x.escalate).length;
    console.log(
      `${what.padEnd(52)} ${fmt(ms / 1000, 2).padStart(6)} s, ${fmt(sum(c.byCommand))} calls (${fmt(c.byCommand.QueryCommand ?? 0)} queries), ${fmt(c.itemsRead)} items read (${fmt(c.rru, 1)} RRU), ${fmt(c.itemsWritten)} items written (${fmt(c.wru, 1)} WRU); ${r.escalations.length} prefixes evaluated, ${esc} escalated`,
    );
  };
  await one('one event, a new address (first escalation)', [event(formatNetwork(host(65_535)))]);
  await one('one event, an address listed (extension)', [event(formatNetwork(host(12_345)))]);
  await one('1,000 events spread over the /16 (extensions)', Array.from({ length: 1000 }, (_, i) => event(formatNetwork(host((i * 65) % 65_535)))));
}

async function main(): Promise<void> {
  console.log(`evidence benchmark: parts ${PARTS.join(', ')}; ${BATCHES} timed batches of 1,000 per figure`);
  const ddb = await startDynamoDbLocal();
  try {
    if (PARTS.includes('ddb')) await partDdb(ddb);
    if (PARTS.includes('intake')) await partIntake(ddb, false);
    if (PARTS.includes('http')) await partIntake(ddb, true);
    if (PARTS.includes('escalation')) await partEscalation(ddb);
  } finally {
    await ddb.stop();
  }
  if (PARTS.includes('latency')) await partLatency();
}

await main();
