// dnsbl report FILE: sends a file of evidence events (JSON lines or CSV, see
// lambdas/evidence/report-file.ts) to POST /v1/evidence in batches of 1,000, with progress,
// per-line errors and a summary. Exit: 0 every line accepted; 1 some lines rejected (locally or
// by the API); 2 bad arguments or an unreadable file; 3 the API is unreachable.
import { readFileSync } from 'node:fs';
import { type EvidenceReply, parseReportFile, sendReport, type SendSummary } from '../evidence/report-file.js';
import { ApiCallError, type ApiClient } from './client.js';
import { EXIT, UsageError } from './command.js';
import { Progress, type ProgressStream } from './progress.js';

interface ReportCtx {
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
  err(text: string): void;
  /** Where progress goes (default: the CLI's standard error). */
  readonly progress?: ProgressStream;
  readonly io?: { readonly stderr: ProgressStream };
  readFile?(path: string): string;
}

const n = (x: number | undefined) => x ?? 0;

/** The summary a person reads: what was sent, what the policies did with it. */
export function summaryLines(s: SendSummary): string[] {
  const d = s.decisions;
  const others = Object.entries(d).filter(([k]) => !['list', 'extend', 'none', 'keep'].includes(k)).map(([k, v]) => `${v} ${k}`);
  return [
    `${s.lines} lines: ${s.accepted} events accepted, ${s.rejected.length} rejected`,
    `listed ${n(d.list)}, extended ${n(d.extend)}, unchanged ${n(d.keep) + n(d.none)}${others.length ? ` (${others.join(', ')})` : ''}`,
    `escalations: ${s.escalations.escalated} of ${s.escalations.checked} prefixes/ASes checked`,
    ...(Object.keys(s.writes).length ? [`listing writes: ${Object.entries(s.writes).map(([k, v]) => `${v} ${k}`).join(', ')}`] : []),
  ];
}

export const reportCommand = {
  args: 'report FILE',
  options: [] as const,
  summary: 'send a file of evidence events (spam-trap hits, abuse reports)',
  help:
    'Sends FILE\'s events to POST /v1/evidence, 1,000 a request. A line is a JSON object\n' +
    '{"ip","kind","observedAt","reporter"?,"detail"?,"id"?} or CSV ip,kind,observedAt[,reporter[,detail]];\n' +
    '"#" comments and blank lines are skipped. Progress and the lines refused (locally or by the API, with\n' +
    'their numbers) go to stderr; the summary (accepted, rejected, listed/extended, escalations) to stdout.\n' +
    'Exit 1 when any line was refused.',
  async run(ctx: ReportCtx, positionals: string[]): Promise<number> {
    if (positionals.length !== 1) throw new UsageError('usage: dnsbl report FILE');
    const file = positionals[0]!;
    let text: string;
    try {
      text = ctx.readFile ? ctx.readFile(file) : readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const parsed = parseReportFile(text);
    const client = await ctx.client();
    const bar = new Progress(ctx.progress ?? ctx.io?.stderr ?? process.stderr, parsed.events.length, 'report');
    const summary = await sendReport(
      parsed,
      async (items) => {
        try {
          return (await client.post<EvidenceReply>('/v1/evidence', { items })).json;
        } catch (e) {
          // 400 "no good event in the batch": its problems are the per-item errors.
          if (e instanceof ApiCallError && e.status === 400 && e.body.error) {
            const details = e.body.error.details ?? [e.body.error];
            return {
              accepted: 0,
              writes: [],
              rejected: details.map((d) => ({ index: Number(/^items\[(\d+)\]/.exec(d.field ?? '')?.[1] ?? -1), field: d.field ?? '', message: d.message ?? '' })),
            };
          }
          throw e;
        }
      },
      (done) => bar.update(done),
    );
    bar.finish();
    if (ctx.json) ctx.out(JSON.stringify(summary, null, 2));
    else {
      // Per-line errors on stderr with the progress; the summary on stdout.
      for (const r of summary.rejected) ctx.err(r.message);
      for (const line of summaryLines(summary)) ctx.out(line);
    }
    return summary.rejected.length > 0 ? EXIT.refused : EXIT.ok;
  },
};
