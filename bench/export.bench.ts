// Benchmark: export N listings (default 1,000,000; --n=N or BENCH_EXPORT_N) from DynamoDB Local to
// S3 (s3rver in its own process) as the Lambda does, and print wall time, peak RSS, bytes and
// entries per second. Both read strategies are measured: the byList index merge (what the export
// uses) and a parallel scan + in-memory sort. Each export runs in a fresh child process so that
// its peak RSS (VmHWM) is its own, not the loader's.
//
//   npx tsx bench/export.bench.ts --n=100000 [--modes=gsi-merge,scan-sort] [--child-node-options="--max-old-space-size=128"]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { toItem } from '../lambdas/adapters/listing-item.js';

const cfg: ZoneConfig = {
  zone: 'bl.example.org',
  lists: [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see https://bl.example.org/lookup?ip={ip}' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: 'Open proxy {ip}: {reason}' },
  ],
  ttl: 300,
  negativeTtl: 300,
  nameservers: ['ns1.example.net', 'ns2.example.net'],
  hostmaster: 'hostmaster@example.org',
};
const TABLES = { listings: 'bench-listings', journal: 'bench-journal' };
// The SDK's "Node 22 will be required" notice, once per process, would clutter the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const BUCKET = 'exports';
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Peak resident set size of this process so far (Linux), else the sampled peak. */
async function vmHwm(sampled: number): Promise<number> {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return sampled;
}

// ---------------------------------------------------------------- child: one export, measured
async function exportPhase(): Promise<void> {
  const { exportOnce, exportRuntimeFromEnv } = await import('../lambdas/handlers/export.js');
  const x = exportRuntimeFromEnv(process.env);
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const r = await exportOnce(x, { force: true, republish: true });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const entries = r.manifest?.entriesTotal ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      status: r.status,
      seconds,
      entries,
      bytes: r.bytes ?? 0,
      gzipBytes: r.gzipBytes ?? 0,
      baselineRss: baseline,
      peakRss: await vmHwm(peak),
      sampledPeakRss: peak,
      serial: r.serial,
    })}\n`,
  );
  x.s3.destroy();
}

// ---------------------------------------------------------------- parent
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startS3rverProcess(dir: string): Promise<{ endpoint: string; child: ChildProcess }> {
  const port = await freePort();
  const bin = fileURLToPath(new URL('../node_modules/s3rver/bin/s3rver.js', import.meta.url));
  const child = spawn(process.execPath, [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '-s', '--configure-bucket', BUCKET], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(endpoint);
      return { endpoint, child };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error('s3rver did not start');
}

async function load(doc: DynamoDBDocumentClient, n: number): Promise<number> {
  const { mixedListings } = await import('./mixed-listings.js');
  const it = mixedListings(n, cfg.lists.map((l) => l.name), 7);
  let written = 0;
  const t0 = performance.now();
  let lastReport = t0;
  const worker = async () => {
    for (;;) {
      const batch: Array<Record<string, unknown>> = [];
      for (let r = it.next(); !r.done && batch.length < 25; r = batch.length < 25 ? it.next() : r) {
        batch.push({ PutRequest: { Item: toItem(r.value, 1) } });
        if (batch.length === 25) break;
      }
      if (batch.length === 0) return;
      let request: Record<string, Array<Record<string, unknown>>> | undefined = { [TABLES.listings]: batch };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        const r = await doc.send(new BatchWriteCommand({ RequestItems: request as never }));
        request = r.UnprocessedItems as typeof request;
        if (request && Object.keys(request).length > 0) await new Promise((res) => setTimeout(res, Math.min(1000, 20 * 2 ** attempt)));
      }
      written += batch.length;
      const now = performance.now();
      if (now - lastReport > 5000) {
        lastReport = now;
        const rate = written / ((now - t0) / 1000);
        console.log(`  loaded ${written.toLocaleString()} / ${n.toLocaleString()}  (${rate.toFixed(0)} items/s, ETA ${((n - written) / rate).toFixed(0)} s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return (performance.now() - t0) / 1000;
}

async function runChild(mode: string, env: NodeJS.ProcessEnv): Promise<Record<string, number | string>> {
  const self = fileURLToPath(import.meta.url);
  // --child-node-options="--max-old-space-size=128": run the export with a capped heap (a small Lambda).
  const nodeOptions = (arg('child-node-options') ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...process.execArgv, ...nodeOptions, self, '--phase=export'], {
    env: { ...env, EXPORT_READ_MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`export child (${mode}) failed with ${code}: ${out}`);
  return JSON.parse(line) as Record<string, number | string>;
}

async function main(): Promise<void> {
  const n = Number(arg('n') ?? process.env.BENCH_EXPORT_N ?? 1_000_000);
  const { ensureTables, startDynamoDbLocal } = await import('../local/dynamodb/dynamodb-local.js');
  console.log(`export benchmark: ${n.toLocaleString()} listings, ${cfg.lists.length} lists, DynamoDB Local + s3rver on loopback`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-export-'));
  const ddb = await startDynamoDbLocal();
  const s3 = await startS3rverProcess(join(dir, 's3'));
  try {
    await ensureTables(ddb.client, TABLES);
    const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
    console.log(`loading with BatchWrite (8 in flight, 25 items each)…`);
    const loadSeconds = await load(doc, n);
    console.log(`  loaded ${n.toLocaleString()} in ${loadSeconds.toFixed(1)} s (${(n / loadSeconds).toFixed(0)} items/s)`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LISTINGS_TABLE: TABLES.listings,
      JOURNAL_TABLE: TABLES.journal,
      ZONE_CONFIG: JSON.stringify(cfg),
      DYNAMODB_ENDPOINT: ddb.endpoint,
      S3_ENDPOINT: s3.endpoint,
      EXPORT_BUCKET: BUCKET,
      EXPORT_KEY: 'rbldnsd',
    };
    const modes = (arg('modes') ?? 'gsi-merge,scan-sort').split(',');
    const results: Array<[string, Record<string, number | string>]> = [];
    for (const mode of modes) {
      console.log(`exporting (${mode})…`);
      const r = await runChild(mode, env);
      results.push([mode, r]);
      const s = Number(r.seconds);
      console.log(
        `  ${mode.padEnd(10)} ${s.toFixed(1).padStart(6)} s  peak RSS ${mib(Number(r.peakRss))} (at start ${mib(Number(r.baselineRss))})  ` +
          `${mib(Number(r.bytes))} file + ${mib(Number(r.gzipBytes))} gzip  ${Number(r.entries).toLocaleString()} entries  ${(Number(r.entries) / s).toFixed(0)} entries/s`,
      );
    }
    console.log('\nsummary');
    console.log(`  N = ${n.toLocaleString()}; load (BatchWrite) ${loadSeconds.toFixed(1)} s`);
    for (const [mode, r] of results) {
      const s = Number(r.seconds);
      console.log(
        `  ${mode}: wall ${s.toFixed(1)} s, peak RSS ${mib(Number(r.peakRss))}, bytes written ${(Number(r.bytes) + Number(r.gzipBytes)).toLocaleString()} ` +
          `(${mib(Number(r.bytes))} + gzip ${mib(Number(r.gzipBytes))}), ${(Number(r.entries) / s).toFixed(0)} entries/s`,
      );
    }
  } finally {
    s3.child.kill();
    await ddb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--phase=export')) await exportPhase();
else await main();
