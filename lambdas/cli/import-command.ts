// dnsbl import: every address/network of a file, checked locally, sent in idempotent batches; an
// interrupted import says how far it got and the command that resumes it.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { validateRawText } from '../api/validate.js';
import { MAX_SOURCE_LENGTH, validateListName } from '../core/listing.js';
import { ApiCallError, InterruptedError } from './client.js';
import { type Command, type Ctx, EXIT, exitCodeOf, expiryFields, local, MAX_BATCH, need, positiveInt, UsageError } from './command.js';
import { parseImport, type ImportEntry, type RejectedLine } from './import-file.js';
import { ALLOW_RESERVED_HINT, type WriteItemResult } from './listing-commands.js';
import { Progress } from './progress.js';

export const importCommand: Command = {
  args: 'import <file> --list LIST [--reason DEFAULT] [--duration 7d | --expires TIME] [--source S] [--allow-reserved] [--from-line N]',
  options: ['list', 'reason', 'expires', 'duration', 'source', 'batch-size', 'allow-reserved', 'from-line'],
  summary: 'list every address/network of a file',
  help: [
    'Lines: an address or CIDR (a trailing "# comment" is allowed), or CSV network,reason[,expires]',
    '(optional header; quotes as in RFC 4180; expires: ISO 8601, epoch seconds or a duration such as 7d),',
    'or a "#" comment. Every line is checked locally first: rejected lines never reach the API. The rest',
    'is sent in batches of at most 1000, each with its own Idempotency-Key (retries cannot apply a batch',
    'twice). Prints a summary: added, updated, unchanged and rejected (with line numbers and reasons).',
    'Special-purpose space is rejected unless --allow-reserved is given.',
    `Exit code ${EXIT.refused} if any line was rejected. If the API cannot be reached, fails, or the import is`,
    `interrupted (Ctrl-C), it stops, says which lines were applied and prints the command that resumes it`,
    `(the same one with --from-line N: lines before N are skipped); exit ${EXIT.unavailable}. Sending a batch again is safe:`,
    're-listing identical content changes nothing.',
  ].join('\n'),
  async run(ctx, p, v) {
    need(p, 1, this.args);
    if (v.list === undefined) throw new UsageError('import needs --list LIST');
    const list = local(() => validateListName(v.list));
    if (v.expires !== undefined && v.duration !== undefined) throw new UsageError('give --expires or --duration, not both');
    const file = p[0]!;
    const batchSize = positiveInt(v['batch-size'], 'batch-size', MAX_BATCH) ?? MAX_BATCH;
    const fromLine = positiveInt(v['from-line'], 'from-line', Number.MAX_SAFE_INTEGER) ?? 1;
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    const now = ctx.now();
    const defaultReason = v.reason ?? `imported from ${basename(file)}`;
    local(() => validateRawText(defaultReason, 'reason', 200));
    expiryFields(v, now);
    const source = local(() => validateRawText(v.source ?? `import:${basename(file)}`.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_SOURCE_LENGTH), 'source', MAX_SOURCE_LENGTH));
    const allowReserved = v['allow-reserved'] === true;
    const all = parseImport(content, {
      defaultReason,
      ...(v.duration !== undefined ? { defaultDuration: v.duration } : {}),
      ...(v.expires !== undefined ? { defaultExpires: v.expires } : {}),
      nowSeconds: Math.floor(now.getTime() / 1000),
      ...(allowReserved ? { allowReserved } : { reservedHint: ALLOW_RESERVED_HINT }),
    });
    if (fromLine > all.lines && all.lines > 0) throw new UsageError(`--from-line ${fromLine} is past the end of ${file} (${all.lines} lines)`);
    // --from-line N (resuming): lines before N were handled by the run that stopped.
    const parsed = { ...all, entries: all.entries.filter((e) => e.line >= fromLine), rejected: all.rejected.filter((r) => r.line >= fromLine) };
    const client = await ctx.client();
    const lists = await client.get<{ lists: Array<{ name: string }> }>('/v1/lists');
    if (!lists.lists.some((l) => l.name === list)) {
      ctx.err(`dnsbl: ${JSON.stringify(list)} is not a configured list; configured lists: ${lists.lists.map((l) => l.name).join(', ')}`);
      return EXIT.refused;
    }
    const summary: ImportSummary = {
      file,
      list,
      lines: parsed.lines,
      skipped: parsed.skipped,
      ...(fromLine > 1 ? { fromLine } : {}),
      added: 0,
      updated: 0,
      unchanged: 0,
      rejected: [...parsed.rejected],
    };
    const progress = new Progress(ctx.io.stderr, parsed.entries.length, `import ${basename(file)}`);
    progress.update(0);
    const runId = randomUUID();
    let done = 0;
    let stopped: { line: number; error: Error } | undefined;
    batches: for (let b = 0; b * batchSize < parsed.entries.length; b++) {
      let batch = parsed.entries.slice(b * batchSize, (b + 1) * batchSize);
      // A 400 names the items it refused (validated locally, so only if the server disagrees, e.g.
      // an expiry that passed meanwhile), a 409 the items in conflict (e.g. a line that is an
      // exclusion in the list): reject those lines and send the rest again.
      for (let round = 0; batch.length > 0; round++) {
        const body = {
          items: batch.map((e) => ({
            list,
            network: e.canonical,
            reason: e.reason,
            source,
            ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}),
            ...(allowReserved ? { allowReserved } : {}),
          })),
        };
        try {
          const r = await client.post<{ items: WriteItemResult[] } & ApiCallError['body']>('/v1/listings', body, `import-${runId}-${b}-${round}`);
          const refused = r.status === 409 ? refusedItems(r.json, batch) : new Map<number, string>();
          const again: typeof batch = [];
          r.json.items.forEach((res, i) => {
            if (res.status === 'created') summary.added++;
            else if (res.status === 'updated') summary.updated++;
            else if (res.status === 'unchanged') summary.unchanged++;
            else if (res.status === 'not-applied') again.push(batch[i]!);
            else summary.rejected.push({ line: batch[i]!.line, text: batch[i]!.canonical, reason: refused.get(i) ?? `${res.status}${res.note ? `: ${res.note}` : ''}` });
          });
          if (again.length > 0 && (again.length === batch.length || round > 3)) throw new ApiCallError(r.status, r.json, `${r.status} ${r.json.error?.code ?? ''}: ${r.json.error?.message ?? ''}`);
          batch = again;
        } catch (e) {
          if (e instanceof ApiCallError && e.status === 400 && round <= 3) {
            const bad = refusedItems(e.body, batch);
            if (bad.size > 0) {
              for (const [i, reason] of bad) summary.rejected.push({ line: batch[i]!.line, text: batch[i]!.canonical, reason });
              batch = batch.filter((_, i) => !bad.has(i));
              continue;
            }
          }
          // Anything else stops the import here: what was confirmed is kept and said, and the
          // batch in flight (applied or not: sending it again is safe) is where to resume.
          stopped = { line: batch[0]!.line, error: e as Error };
          break batches;
        }
      }
      done = Math.min(parsed.entries.length, (b + 1) * batchSize);
      progress.update(done);
    }
    progress.finish();
    summary.rejected.sort((a, b) => a.line - b.line);
    if (stopped) {
      const resume = resumeCommand(ctx.argv, stopped.line);
      const code = exitCodeOf(stopped.error);
      summary.stopped = { atLine: stopped.line, error: stopped.error.message, applied: summary.added + summary.updated + summary.unchanged, notSent: parsed.entries.length - done, resume };
      printImportSummary(ctx, summary);
      if (!ctx.json) {
        const what = stopped.error instanceof InterruptedError ? 'interrupted' : 'stopped';
        ctx.err(`dnsbl: import ${what} at line ${stopped.line}: ${stopped.error.message}`);
        ctx.err(
          `dnsbl: lines ${fromLine}-${stopped.line - 1} are done (${summary.stopped.applied} entries applied, ${summary.rejected.length} rejected); ` +
            `${summary.stopped.notSent} entries from line ${stopped.line} on were not confirmed (sending them again is safe)`,
        );
        ctx.err(`dnsbl: resume with: ${resume}`);
      }
      return code;
    }
    printImportSummary(ctx, summary);
    return summary.rejected.length > 0 ? EXIT.refused : EXIT.ok;
  },
};

/** Items a 400 or 409 refused, by index in the batch, with the message. */
function refusedItems(body: ApiCallError['body'], batch: readonly ImportEntry[]): Map<number, string> {
  const out = new Map<number, string>();
  const problems = [...(body.error?.details ?? []), ...(body.error ? [body.error as { message: string; field?: string }] : [])];
  for (const p of problems) {
    const m = /^items\[(\d+)\]/.exec(p.field ?? '');
    if (m && Number(m[1]) < batch.length && !out.has(Number(m[1]))) out.set(Number(m[1]), `refused by the API: ${p.message}`);
  }
  return out;
}

interface ImportSummary {
  file: string;
  list: string;
  lines: number;
  skipped: number;
  fromLine?: number;
  added: number;
  updated: number;
  unchanged: number;
  rejected: RejectedLine[];
  stopped?: { atLine: number; error: string; applied: number; notSent: number; resume: string };
}

/** Shell-quotes one argument for a command line to paste. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line that resumes an import at `line`: the same arguments with --from-line. */
function resumeCommand(argv: readonly string[], line: number): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--from-line') i++;
    else if (!argv[i]!.startsWith('--from-line=')) args.push(argv[i]!);
  }
  return ['dnsbl', ...args, '--from-line', String(line)].map(shellQuote).join(' ');
}

function printImportSummary(ctx: Ctx, s: ImportSummary): void {
  if (ctx.json) {
    ctx.out(JSON.stringify({ ...s, rejectedCount: s.rejected.length }, null, 2));
    return;
  }
  ctx.out(`${s.file} -> ${s.list}: ${s.lines} lines, ${s.skipped} comments/blank/header${s.fromLine ? `, lines before ${s.fromLine} skipped (--from-line)` : ''}`);
  ctx.out(`added ${s.added}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected.length}${s.stopped ? ` (stopped at line ${s.stopped.atLine})` : ''}`);
  for (const r of s.rejected) ctx.out(`  line ${r.line}: ${r.reason}`);
}

