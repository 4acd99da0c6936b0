// dnsbl reconcile [--dry-run] [--network N] [--no-wait]: starts a reconcile pass through the API
// (POST /v1/reconcile) and, unless --no-wait, polls GET /v1/reconcile/{passId} until it ends,
// printing the report. Exit: 0 the pass completed every slice; 1 the API refused; 2 bad
// arguments; 3 the API is unreachable, the pass failed or left slices failed.
import { formatNetwork } from '../core/ip.js';
import { parseListableNetwork } from '../core/listing.js';
import type { ApiClient } from './client.js';
import { EXIT, UsageError } from './command.js';

interface ReconcileCtx {
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
  err(text: string): void;
}

interface PassStatus {
  passId: string;
  status: string;
  executionArn?: string;
  error?: string;
  report?: {
    slices?: number;
    failedSlices?: number;
    rrsetsRead?: number;
    zoneReads?: number;
    drift?: number;
    repaired?: number;
    publishedDrift?: number;
    durationMs?: number;
    full?: boolean;
    dryRun?: boolean;
    failures?: Array<{ slice: string; failed: string }>;
  };
}

/** How often the status is polled (tests shorten it). */
export const POLL = { ms: 2000 };

export const reconcileCommand = {
  args: 'reconcile [--dry-run] [--network N] [--no-wait]',
  options: ['dry-run', 'network', 'no-wait'] as const,
  summary: 'check (and repair) the Route 53 zone against the table',
  help:
    'Starts a reconcile pass: the zone, slice by slice, is compared with the table and repaired (with --dry-run only\n' +
    'measured). --network N limits it to one network\'s subtree. Waits for the pass and prints its report unless\n' +
    '--no-wait (then prints the pass id; GET /v1/reconcile/<id> tells its state).',
  async run(ctx: ReconcileCtx, positionals: string[], v: { 'dry-run'?: boolean; network?: string; 'no-wait'?: boolean }): Promise<number> {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; usage: dnsbl reconcile [--dry-run] [--network N] [--no-wait]`);
    let network: string | undefined;
    if (v.network !== undefined) {
      try {
        network = formatNetwork(parseListableNetwork(v.network, 'network'));
      } catch (e) {
        throw new UsageError(`--network ${JSON.stringify(v.network)}: ${(e as Error).message}`);
      }
    }
    const client = await ctx.client();
    const started = await client.post<{ passId: string; executionArn?: string }>('/v1/reconcile', { dryRun: v['dry-run'] === true, ...(network ? { network } : {}) });
    const { passId } = started.json;
    if (v['no-wait']) {
      ctx.out(ctx.json ? JSON.stringify(started.json, null, 2) : `reconcile pass ${passId} started${started.json.executionArn ? ` (${started.json.executionArn})` : ''}`);
      return EXIT.ok;
    }
    if (!ctx.json) ctx.err(`reconcile pass ${passId} started; waiting for it (Ctrl-C stops waiting, not the pass)`);
    let s: PassStatus;
    for (;;) {
      s = await client.get<PassStatus>(`/v1/reconcile/${passId}`);
      if (s.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, POLL.ms));
    }
    const r = s.report;
    if (ctx.json) ctx.out(JSON.stringify(s, null, 2));
    else if (s.status !== 'SUCCEEDED' || !r) ctx.out(`reconcile pass ${passId} ${s.status}${s.error ? `: ${s.error}` : ''}`);
    else {
      ctx.out(`reconcile pass ${passId}${r.dryRun ? ' (dry run)' : ''}${network ? ` of ${network}` : ''}: ${r.slices} slices, ${r.rrsetsRead} rrsets read in ${r.zoneReads} requests, ${(r.durationMs ?? 0) / 1000} s`);
      ctx.out(`drift ${r.drift}, repaired ${r.repaired}, published-table rows fixed ${r.publishedDrift}${r.failedSlices ? `, FAILED SLICES ${r.failedSlices}` : ''}`);
      for (const f of r.failures ?? []) ctx.out(`  ${f.slice}: ${f.failed}`);
    }
    return s.status === 'SUCCEEDED' && !r?.failedSlices ? EXIT.ok : EXIT.unavailable;
  },
};
