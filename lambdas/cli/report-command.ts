// dnsbl report FILE: sends a file of evidence events (JSON lines or CSV, see
// lambdas/evidence/report-file.ts) to POST /v1/evidence in batches of 1,000, with progress,
// per-line errors and a summary. Exit: 0 every line accepted; 1 some lines rejected (locally or
// by the API); 2 bad arguments or an unreadable file; 3 the API is unreachable.
import { readFileSync } from 'node:fs';
import { type EvidenceReply, parseReportFile, sendReport } from '../evidence/report-file.js';
import { ApiCallError, type ApiClient } from './client.js';
import { EXIT, UsageError } from './main.js';
import { Progress, type ProgressStream } from './progress.js';

interface ReportCtx {
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
  err(text: string): void;
  /** Where progress goes (default: standard error). */
  readonly progress?: ProgressStream;
  readFile?(path: string): string;
}

export const reportCommand = {
  args: 'report FILE',
  options: [] as const,
  summary: 'send a file of evidence events (spam-trap hits, abuse reports)',
  help:
    'Sends FILE\'s events to POST /v1/evidence, 1,000 a request. A line is a JSON object\n' +
    '{"ip","kind","observedAt","reporter"?,"detail"?,"id"?} or CSV ip,kind,observedAt[,reporter[,detail]];\n' +
    '"#" comments and blank lines are skipped. Lines the API refuses are reported with their number.',
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
    const bar = new Progress(ctx.progress ?? process.stderr, parsed.events.length, 'report');
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
      for (const r of summary.rejected) ctx.out(r.message);
      const w = Object.entries(summary.writes).map(([k, n]) => `${n} ${k}`).join(', ');
      ctx.out(`${summary.lines} lines: ${summary.accepted} events accepted, ${summary.rejected.length} rejected${w ? `; listings: ${w}` : ''}`);
    }
    return summary.rejected.length > 0 ? EXIT.refused : EXIT.ok;
  },
};
