// Benchmark: plan the Route 53 zone and render the rbldnsd file for N mixed listings
// (default 1,000,000). Prints time, peak memory and rrsets per listing.
import { compareNetworks } from '../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../lambdas/core/listing.js';
import { renderRbldnsd } from '../lambdas/core/rbldnsd-render.js';
import { effectiveListings } from '../lambdas/core/semantics.js';
import { planZone } from '../lambdas/core/zone-plan.js';
import { mixedListings } from './mixed-listings.js';

const N = Number(process.env.BENCH_N ?? process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 1_000_000);
const cfg: ZoneConfig = {
  zone: 'bl.example.org',
  lists: [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see https://bl.example.org/lookup?ip={ip}' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: 'Open proxy {ip}: {reason}' },
  ],
  ttl: 300,
  negativeTtl: 300,
  nameservers: ['ns1.example.org'],
  hostmaster: 'hostmaster@example.org',
};

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function phase<T>(name: string, f: () => T): T {
  peak = process.memoryUsage().rss;
  const t0 = performance.now();
  const v = f();
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(7)} s   peak RSS ${mb(Math.max(peak, process.memoryUsage().rss))}`);
  return v;
}

const listings: Listing[] = phase(`generate ${N.toLocaleString()} listings`, () => [...mixedListings(N, ['spam', 'proxy'])]);
const baseline = process.memoryUsage().rss;
const eff = effectiveListings(cfg, listings, 1_800_000_000);
let rrsets = 0;
let values = 0;
const byType: Record<string, number> = {};
phase('plan Route 53 zone (streamed)', () => {
  for (const r of planZone(cfg, eff)) {
    rrsets++;
    values += r.values.length;
    byType[r.type] = (byType[r.type] ?? 0) + 1;
  }
});
const v4 = listings.filter((l) => l.network.family === 4).length;
console.log(`  rrsets ${rrsets.toLocaleString()} (${Object.entries(byType).map(([t, n]) => `${t} ${n.toLocaleString()}`).join(', ')})`);
console.log(`  rrsets per listing ${(rrsets / N).toFixed(2)} (IPv4 ${v4.toLocaleString()} listings mirrored into ::ffff:0:0/96 and 2002::/16)`);
console.log(`  Route 53 cost past 10,000 rrsets: $${(Math.max(0, rrsets - 10_000) * 0.0015).toFixed(0)}/month; change requests to create (1,000 values each): ${Math.ceil(values / 1000).toLocaleString()} = ${(Math.ceil(values / 1000) / 10 / 60).toFixed(1)} min at 10 req/s`);

const sorted = phase('sort per list/family for rendering', () => {
  const m = new Map<string, Listing[]>();
  for (const l of listings) {
    const k = `${l.list}|${l.network.family}`;
    let a = m.get(k);
    if (!a) m.set(k, (a = []));
    a.push(l);
  }
  for (const a of m.values()) a.sort((x, y) => compareNetworks(x.network, y.network));
  return m;
});
peak = process.memoryUsage().rss;
const t0 = performance.now();
let bytes = 0;
let lines = 0;
for await (const chunk of renderRbldnsd(cfg, { serial: 1, nowSeconds: 1_800_000_000 }, (list, family) => sorted.get(`${list.name}|${family}`) ?? [])) {
  bytes += chunk.length;
  lines++;
}
const ms = performance.now() - t0;
console.log(`${'render rbldnsd file (streamed)'.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(7)} s   peak RSS ${mb(Math.max(peak, process.memoryUsage().rss))}`);
console.log(`  ${lines.toLocaleString()} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB; memory above the loaded listings: ${mb(Math.max(peak, process.memoryUsage().rss) - baseline)}`);
clearInterval(sampler);
