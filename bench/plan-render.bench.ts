// Benchmark: plan the Route 53 zone and render the rbldnsd file for N mixed listings
// (default 1,000,000). Prints wall and CPU time, peak memory, the machine's load (other work on the
// cores slows every figure), rrsets per listing and per list, and the Route 53 cost.
//   BENCH_N=200000              fewer listings
//   BENCH_IPV4_VIA_IPV6=true    mirror IPv4 listings into ::ffff:0:0/96 and 2002::/16 (default false)
//   BENCH_A_ONLY=spam           publish that list A-only in Route 53 (route53Txt: false)
import { availableParallelism, loadavg } from 'node:os';
import { compareNetworks } from '../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../lambdas/core/listing.js';
import { renderRbldnsd } from '../lambdas/core/rbldnsd-render.js';
import { effectiveListings } from '../lambdas/core/semantics.js';
import { planZone } from '../lambdas/core/zone-plan.js';
import { mixedListings } from './mixed-listings.js';

const N = Number(process.env.BENCH_N ?? process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 1_000_000);
const aOnly = new Set((process.env.BENCH_A_ONLY ?? '').split(',').filter(Boolean));
const cfg: ZoneConfig = {
  zone: 'bl.example.org',
  lists: [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see https://bl.example.org/lookup?ip={ip}' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: 'Open proxy {ip}: {reason}' },
  ].map((l) => (aOnly.has(l.name) ? { ...l, route53Txt: false } : l)),
  ttl: 300,
  negativeTtl: 300,
  nameservers: ['ns1.example.org'],
  hostmaster: 'hostmaster@example.org',
  ipv4ViaIpv6: process.env.BENCH_IPV4_VIA_IPV6 === 'true',
};
const load = () => `load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`;
console.log(
  `${N.toLocaleString()} listings; ipv4ViaIpv6 ${cfg.ipv4ViaIpv6}; A-only lists: ${[...aOnly].join(', ') || 'none'}; ${load()} on ${availableParallelism()} cores`,
);

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function report(name: string, ms: number, cpu: NodeJS.CpuUsage): void {
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${name.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(7)} s (CPU ${cpuS.toFixed(2)} s)   peak RSS ${mb(Math.max(peak, process.memoryUsage().rss))}   ${load()}`,
  );
}

function phase<T>(name: string, f: () => T): T {
  peak = process.memoryUsage().rss;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const v = f();
  report(name, performance.now() - t0, process.cpuUsage(c0));
  return v;
}

const listings: Listing[] = phase(`generate ${N.toLocaleString()} listings`, () => [...mixedListings(N, ['spam', 'proxy'])]);
const baseline = process.memoryUsage().rss;
const eff = effectiveListings(cfg, listings, 1_800_000_000);
let rrsets = 0;
let values = 0;
// Counted cheaply (the count is timed with the plan): A records by the list whose code they carry
// (values shared between records are the same array), a name several lists answer at as "shared".
const byType = { A: 0, TXT: 0, CAA: 0 };
const codeValues = new Map<readonly string[], number>();
const aByList = cfg.lists.map(() => 0);
let aShared = 0;
phase('plan Route 53 zone (streamed)', () => {
  for (const r of planZone(cfg, eff)) {
    rrsets++;
    values += r.values.length;
    byType[r.type]++;
    if (r.type !== 'A') continue;
    if (r.values.length > 1) {
      aShared++;
      continue;
    }
    let list = codeValues.get(r.values);
    if (list === undefined) codeValues.set(r.values, (list = cfg.lists.findIndex((l) => l.code === r.values[0])));
    aByList[list]!++;
  }
});
const v4 = listings.filter((l) => l.network.family === 4).length;
const perList = cfg.lists.map((l) => listings.filter((x) => x.list === l.name).length);
console.log(`  rrsets ${rrsets.toLocaleString()} (${Object.entries(byType).map(([t, n]) => `${t} ${n.toLocaleString()}`).join(', ')}; CAA are markers)`);
console.log(
  `  A rrsets by list: ${cfg.lists.map((l, i) => `${l.name} ${aByList[i]!.toLocaleString()} (${perList[i]!.toLocaleString()} listings${l.route53Txt === false ? ', A-only' : ''})`).join(', ')}, shared ${aShared.toLocaleString()}`,
);
console.log(
  `  rrsets per listing ${(rrsets / N).toFixed(2)} (${v4.toLocaleString()} IPv4 listings${cfg.ipv4ViaIpv6 ? ', mirrored into ::ffff:0:0/96 and 2002::/16' : ''})`,
);
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
const c0 = process.cpuUsage();
let bytes = 0;
let lines = 0;
for await (const chunk of renderRbldnsd(cfg, { serial: 1, nowSeconds: 1_800_000_000 }, (list, family) => sorted.get(`${list.name}|${family}`) ?? [])) {
  bytes += chunk.length;
  lines++;
}
report('render rbldnsd file (streamed)', performance.now() - t0, process.cpuUsage(c0));
console.log(`  ${lines.toLocaleString()} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB; memory above the loaded listings: ${mb(Math.max(peak, process.memoryUsage().rss) - baseline)}`);
clearInterval(sampler);
