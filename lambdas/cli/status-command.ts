// `dnsbl status [--json]`: GET /v1/status as a readable summary (or the JSON as is). Exit 0 whenever
// the API answered: figures it could not read are shown as unknown, with the reason.
import type { ZoneStatus } from '../services/zone-status.js';
import type { ApiClient } from './client.js';

/** Any figure of the status: 'ok', 'never', or 'unknown' with a reason. */
type Figure = { status: string; reason?: string };

const n = (x: number) => x.toLocaleString('en-US');
const count = (x: number, one: string, many: string) => `${n(x)} ${x === 1 ? one : many}`;
const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** "3 s", "4 min", "2 h 5 min", "3 d 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86_400)} d${s % 86_400 >= 3600 ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`;
}

function notOk(f: Figure): string | undefined {
  if (f.status === 'never') return 'never';
  if (f.status === 'unknown') return `unknown (${f.reason ?? 'no reason given'})`;
  return undefined;
}

function passLine(p: ZoneStatus['lastPass']): string {
  if (p.status !== 'ok') return notOk(p)!;
  const scope = p.full ? 'whole zone' : `network ${p.network ?? '?'}`;
  const what = p.dryRun ? `dry run, drift ${n(p.drift)} found` : `drift ${n(p.drift)} found, ${n(p.repaired)} repaired`;
  return `${duration(p.ageSeconds)} ago (${p.finishedAt}), ${scope}, ${what}, ${n(p.slices)} slices, ${n(p.rrsetsRead)} rrsets read in ${duration(p.durationMs / 1000)}`;
}

/** The summary, one line per figure. */
export function statusLines(s: ZoneStatus): string[] {
  const r = s.rrsets;
  const c = s.monthlyCost;
  const sync = s.streamSync;
  const e = s.export;
  const q = s.failureQueue;
  return [
    `zone ${s.zone}  (status at ${s.generatedAt})`,
    `  rrsets          ${r.status === 'ok' ? `${n(r.count)} of ${n(r.limit)} (${r.usedPercent}% of the Route 53 quota)` : notOk(r)}`,
    `  monthly cost    ${c.status === 'ok' ? `${usd(c.usd)} = hosted zone ${usd(c.hostedZoneUsd)} + ${n(c.billableRRSets)} rrsets past 10,000 ${usd(c.rrsetUsd)}; DNS queries extra` : notOk(c)}`,
    `  stream sync     ${sync.status === 'ok' ? `last applied ${duration(sync.ageSeconds)} ago (${count(sync.records, 'record', 'records')}, oldest waited ${duration(sync.lagMs / 1000)})` : notOk(sync)}`,
    `  last pass       ${passLine(s.lastPass)}`,
    `  last full pass  ${passLine(s.lastFullPass)}`,
    `  export          ${e.status === 'ok' ? `serial ${e.serial}, published ${duration(e.ageSeconds)} ago${e.pendingSince ? ` (changes pending since ${e.pendingSince})` : ''}` : notOk(e)}`,
    `  failure queue   ${q.status === 'ok' ? `${count(q.messages, 'message', 'messages')}${q.records !== undefined ? ` (${count(q.records, 'record', 'records')})` : ''}${q.messages > 0 ? ': stream batches given up on; reconcile repairs the zone' : ''}` : notOk(q)}`,
  ];
}

export const statusCommand = {
  args: 'status',
  options: [] as const,
  summary: 'show the zone\'s rrsets, quota, cost, sync lag, reconcile, export and failure queue',
  help:
    'Shows the zone\'s rrsets against the Route 53 quota, the estimated monthly Route 53 cost (hosted zone and records;\n' +
    'queries are billed extra), how long ago the stream sync last applied changes, the last reconcile pass and full\n' +
    'pass with their drift, the export\'s serial and age, and the failure queue\'s depth. Figures that cannot be read\n' +
    'are shown as unknown with the reason. --json prints the API\'s answer as is.',
  /** (main.ts checks that no positional arguments were given.) */
  async run(ctx: { json: boolean; client(): Promise<ApiClient>; out(text: string): void }): Promise<number> {
    const s = await (await ctx.client()).get<ZoneStatus>('/v1/status');
    if (ctx.json) ctx.out(JSON.stringify(s, null, 2));
    else for (const line of statusLines(s)) ctx.out(line);
    return 0;
  },
};
