// dnsbl: the operator CLI. Talks to the API (signed with SigV4 for a deployed API, unsigned for the
// local stack); validates input locally with core first, so bad input never reaches the API.
// Exit codes (EXIT below; README "CLI"): 0 done; 1 the API refused (4xx: invalid, conflict) or an
// import had rejected lines; 2 usage error or input refused locally (nothing sent); 3 the API could
// not be reached, failed (5xx) or the command was interrupted (an import says how far it got and
// how to resume); 4 nothing to remove (delist / exclude --remove of an entry that does not exist).
import { randomUUID } from 'node:crypto';
import { main as mirrorMain } from '../mirror/cli.js';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../core/input-error.js';
import { compareNetworks, formatNetwork, parseNetwork } from '../core/ip.js';
import {
  MAX_SOURCE_LENGTH,
  parseListableNetwork,
  validateListName,
  validatePublicNetwork,
  validateZoneConfig,
  type Listing,
  type ZoneConfig,
} from '../core/listing.js';
import { nextSerial, renderRbldnsd, type RenderCounts } from '../core/rbldnsd-render.js';
import { resolveExpiry, validateRawText } from '../api/validate.js';
import { ApiCallError, ApiClient, ApiUnreachableError, InterruptedError } from './client.js';
import { parseImport, type ImportEntry, type RejectedLine } from './import-file.js';
import { Progress, type ProgressStream } from './progress.js';
import { reconcileCommand } from './reconcile-command.js';
import { requestsCommand } from './requests-command.js';
import type { Credentials } from './sign.js';
import { statusCommand } from './status-command.js';

export const DEFAULT_API = 'http://127.0.0.1:8080';
export const MAX_BATCH = 1000;

/** The exit codes, one meaning each (documented in usage() and README). */
export const EXIT = {
  /** Done as asked. */
  ok: 0,
  /** The API refused (4xx: invalid, conflict, not allowed), or an import had rejected lines. */
  refused: 1,
  /** Bad arguments or input refused locally: nothing was sent. */
  usage: 2,
  /** The API could not be reached or failed (5xx), or the command was interrupted. */
  unavailable: 3,
  /** Nothing to remove: delist / exclude --remove of an entry that does not exist. */
  notFound: 4,
} as const;

const ALLOW_RESERVED_HINT = 'pass --allow-reserved to list it anyway';

export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: Record<string, string | undefined>;
  readonly fetch?: typeof fetch;
  /** For tests; otherwise the AWS default chain (env, profile, SSO, instance role …). */
  readonly credentials?: Credentials;
  readonly now?: () => Date;
  /** Aborted on SIGINT/SIGTERM (bin/dnsbl.ts): requests stop, an import reports how to resume. */
  readonly signal?: AbortSignal;
}

export class UsageError extends Error {}

const OPTIONS = {
  api: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  reason: { type: 'string' },
  expires: { type: 'string' },
  duration: { type: 'string' },
  source: { type: 'string' },
  'if-version': { type: 'string' },
  remove: { type: 'boolean' },
  list: { type: 'string' },
  out: { type: 'string' },
  limit: { type: 'string' },
  'expires-before': { type: 'string' },
  'expires-after': { type: 'string' },
  'batch-size': { type: 'string' },
  'allow-reserved': { type: 'boolean' },
  'from-line': { type: 'string' },
  'dry-run': { type: 'boolean' },
  network: { type: 'string' },
  'no-wait': { type: 'boolean' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

const GLOBAL_OPTIONS = ['api', 'region', 'profile', 'json', 'help'];

interface Command {
  readonly args: string;
  readonly options: readonly (keyof typeof OPTIONS)[];
  readonly summary: string;
  readonly help: string;
  run(ctx: Ctx, positionals: string[], v: Values): Promise<number>;
}

interface Ctx {
  readonly io: CliIo;
  /** The command line as given (for the resume hint of an interrupted import). */
  readonly argv: readonly string[];
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
  err(text: string): void;
  now(): Date;
}

// ---------------------------------------------------------------- helpers

function need(positionals: string[], n: number, usage: string): void {
  if (positionals.length < n) throw new UsageError(`missing arguments; usage: dnsbl ${usage}`);
  if (positionals.length > n) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[n])}; usage: dnsbl ${usage}`);
}

/** Runs a core validation; its InputError is a usage error (exit 2). */
function local<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

function expiryFields(v: Values, now: Date): { expiresAt?: string | number; duration?: string } {
  if (v.expires !== undefined && v.duration !== undefined) throw new UsageError('give --expires or --duration, not both');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (v.duration !== undefined) {
    local(() => resolveExpiry({ duration: v.duration }, '', nowSeconds));
    return { duration: v.duration };
  }
  if (v.expires !== undefined) {
    const value = /^[0-9]+$/.test(v.expires) ? Number(v.expires) : v.expires;
    local(() => resolveExpiry({ expiresAt: value }, '', nowSeconds));
    return { expiresAt: value };
  }
  return {};
}

function ifVersion(v: Values): { ifVersion?: number } {
  if (v['if-version'] === undefined) return {};
  if (!/^[0-9]{1,15}$/.test(v['if-version'])) throw new UsageError(`--if-version ${JSON.stringify(v['if-version'])} is not a version number`);
  return { ifVersion: Number(v['if-version']) };
}

function positiveInt(text: string | undefined, name: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return Number(text);
}

function requireReason(v: Values, command: string): string {
  if (v.reason === undefined) throw new UsageError(`${command} needs --reason "why"`);
  return local(() => validateRawText(v.reason, 'reason', 200));
}

interface WriteItemResult {
  list: string;
  network: string;
  status: string;
  version: number | null;
  note?: string;
}

/** What a write result says, e.g. "created exclusion spam 192.0.2.25 (version 1)". */
function resultLine(res: WriteItemResult, kind: 'listing' | 'exclusion'): string {
  const what = ['created', 'updated', 'unchanged', 'removed'].includes(res.status) ? ` ${kind}` : '';
  return `${res.status}${what} ${res.list} ${res.network}${res.version !== null ? ` (version ${res.version})` : ''}${res.note ? ` — ${res.note}` : ''}`;
}

async function writeOne(ctx: Ctx, path: string, item: Record<string, unknown>, kind: 'listing' | 'exclusion'): Promise<number> {
  const client = await ctx.client();
  const r = await client.post<{ items: WriteItemResult[]; error?: { message: string; details?: Array<{ message: string }> } }>(path, { items: [item] });
  if (ctx.json) ctx.out(JSON.stringify(r.json, null, 2));
  const res = r.json.items[0]!;
  if (r.status === 409) {
    if (!ctx.json) ctx.err(`dnsbl: the API refused: 409 ${(r.json.error as { code?: string } | undefined)?.code ?? 'conflict'}: ${r.json.error?.message ?? 'conflict'}`);
    return EXIT.refused;
  }
  if (!ctx.json) ctx.out(resultLine(res, kind));
  if (res.status === 'not-listed' || res.status === 'not-excluded') {
    // A typo (wrong network, wrong list) must not look like success to a script.
    if (!ctx.json) ctx.err(`dnsbl: ${res.list} has no ${kind} of ${res.network}; nothing was changed (exit ${EXIT.notFound})`);
    return EXIT.notFound;
  }
  return EXIT.ok;
}

function showTime(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.000Z$/, 'Z') : 'never';
}

// ---------------------------------------------------------------- commands

interface ListingView {
  list: string;
  network: string;
  exclusion: boolean;
  reason: string;
  source: string;
  since: string;
  updatedAt: string;
  expiresAt: string | null;
  expired: boolean;
  version: number;
}

function listingLine(l: ListingView): string {
  const kind = l.exclusion ? 'exclusion' : 'listing';
  return `  ${l.list.padEnd(10)} ${l.network.padEnd(20)} ${kind.padEnd(9)} since ${showTime(l.since)}  expires ${showTime(l.expiresAt)}${l.expired ? ' (expired)' : ''}  v${l.version}  source ${l.source}  reason ${JSON.stringify(l.reason)}`;
}

const commands: Record<string, Command> = {
  reconcile: reconcileCommand,
  requests: requestsCommand,
  lists: {
    args: 'lists',
    options: [],
    summary: 'show the configured lists',
    help: 'Shows the configured lists: name, return code and TXT template.',
    async run(ctx, p) {
      need(p, 0, 'lists');
      const r = await (await ctx.client()).get<{ zone: string; lists: Array<{ name: string; code: string; txtTemplate: string }> }>('/v1/lists');
      if (ctx.json) ctx.out(JSON.stringify(r, null, 2));
      else {
        ctx.out(`zone ${r.zone}`);
        for (const l of r.lists) ctx.out(`  ${l.name.padEnd(12)} ${l.code.padEnd(12)} ${l.txtTemplate}`);
      }
      return EXIT.ok;
    },
  },

  list: {
    args: 'list <list> <network> --reason TEXT [--expires TIME | --duration 7d] [--source S] [--if-version N] [--allow-reserved]',
    options: ['reason', 'expires', 'duration', 'source', 'if-version', 'allow-reserved'],
    summary: 'list an address or network',
    help: [
      'Lists (or re-lists) a network. Without --expires/--duration the listing is permanent.',
      'Special-purpose space (private, shared, loopback, link-local, unspecified, multicast, reserved …)',
      'is refused unless --allow-reserved is given. A network that is an exclusion in the list is refused:',
      'remove the exclusion first (dnsbl exclude --remove).',
    ].join('\n'),
    async run(ctx, p, v) {
      need(p, 2, this.args);
      const [list, network] = p as [string, string];
      local(() => validateListName(list));
      const n = local(() => parseListableNetwork(network));
      if (!v['allow-reserved']) local(() => validatePublicNetwork(n, 'network', ALLOW_RESERVED_HINT));
      const reason = requireReason(v, 'list');
      const source = v.source === undefined ? {} : { source: local(() => validateRawText(v.source, 'source', MAX_SOURCE_LENGTH)) };
      return writeOne(
        ctx,
        '/v1/listings',
        { list, network: formatNetwork(n), reason, ...source, ...expiryFields(v, ctx.now()), ...ifVersion(v), ...(v['allow-reserved'] ? { allowReserved: true } : {}) },
        'listing',
      );
    },
  },

  delist: {
    args: 'delist <list> <network> --reason TEXT [--if-version N]',
    options: ['reason', 'if-version'],
    summary: 'remove a listing',
    help: `Removes a listing; the reason is kept in the audit trail. "not-listed" (exit ${EXIT.notFound}) if there is none.`,
    async run(ctx, p, v) {
      need(p, 2, this.args);
      const [list, network] = p as [string, string];
      local(() => validateListName(list));
      const n = local(() => parseListableNetwork(network, 'network', { maxWidth4: 0, maxWidth6: 0 }));
      const reason = requireReason(v, 'delist');
      return writeOne(ctx, '/v1/delistings', { list, network: formatNetwork(n), reason, ...ifVersion(v) }, 'listing');
    },
  },

  exclude: {
    args: 'exclude <list> <network> --reason TEXT [--expires TIME | --duration 7d] [--source S] [--remove]',
    options: ['reason', 'expires', 'duration', 'source', 'remove', 'if-version'],
    summary: 'add (or --remove) an exclusion: a hole in wider listings',
    help: [
      'Adds an exclusion (the list does not answer inside it, even under a wider listing), or removes one with',
      `--remove ("not-excluded", exit ${EXIT.notFound}, if there is none). A network that is itself listed in the list is`,
      'refused: delist it instead. Any space may be excluded (an exclusion only makes the list answer less).',
    ].join('\n'),
    async run(ctx, p, v) {
      need(p, 2, this.args);
      const [list, network] = p as [string, string];
      local(() => validateListName(list));
      const reason = requireReason(v, 'exclude');
      if (v.remove) {
        if (v.expires !== undefined || v.duration !== undefined || v.source !== undefined) throw new UsageError('--remove takes only --reason (and --if-version)');
        const n = local(() => parseListableNetwork(network, 'network', { maxWidth4: 0, maxWidth6: 0 }));
        return writeOne(ctx, '/v1/exclusions/delete', { list, network: formatNetwork(n), reason, ...ifVersion(v) }, 'exclusion');
      }
      const n = local(() => parseListableNetwork(network));
      const source = v.source === undefined ? {} : { source: local(() => validateRawText(v.source, 'source', MAX_SOURCE_LENGTH)) };
      return writeOne(ctx, '/v1/exclusions', { list, network: formatNetwork(n), reason, ...source, ...expiryFields(v, ctx.now()), ...ifVersion(v) }, 'exclusion');
    },
  },

  lookup: {
    args: 'lookup <address or network>',
    options: [],
    summary: 'what covers an address, what it answers, and what the zone answers now',
    help: 'Shows every listing and exclusion covering the address (or inside the network), the computed answer, and the live DNS answer.',
    async run(ctx, p) {
      need(p, 1, this.args);
      local(() => parseNetwork(p[0]!, { field: 'address', maxWidth4: 0, maxWidth6: 0 }));
      type LookupReply = {
        network: string;
        kind: string;
        answeredFrom?: string;
        listed?: boolean;
        answer?: Array<{ list: string; code: string; txt: string }>;
        lists: Array<{ list: string; covering: ListingView[]; inside?: ListingView[]; decidedBy?: string | null }>;
        insideTruncated?: boolean;
        dns?: { name: string; status: string; a: string[]; txt: string[]; matchesComputed?: boolean; error?: string };
      };
      const r = await (await ctx.client()).get<LookupReply>('/v1/lookup', { ip: p[0] });
      if (ctx.json) {
        ctx.out(JSON.stringify(r, null, 2));
        return EXIT.ok;
      }
      if (r.kind === 'address') {
        const via = r.answeredFrom ? ` (answered from ${r.answeredFrom})` : '';
        if (r.listed) {
          ctx.out(`${r.network}${via}: listed`);
          for (const a of r.answer ?? []) ctx.out(`  ${a.list.padEnd(10)} ${a.code.padEnd(12)} ${JSON.stringify(a.txt)}`);
        } else ctx.out(`${r.network}${via}: not listed`);
      } else ctx.out(`${r.network}: network`);
      const covering = r.lists.flatMap((l) => l.covering);
      if (covering.length > 0) {
        ctx.out('covering:');
        for (const l of covering) ctx.out(listingLine(l));
      }
      const inside = r.lists.flatMap((l) => l.inside ?? []);
      if (inside.length > 0) {
        ctx.out(`inside${r.insideTruncated ? ' (first 1000)' : ''}:`);
        for (const l of inside) ctx.out(listingLine(l));
      }
      if (r.dns) {
        const d = r.dns;
        const what =
          d.status === 'listed' ? `A ${d.a.join(' ')}${d.txt.length ? ` TXT ${d.txt.map((t) => JSON.stringify(t)).join(' ')}` : ''}` : d.status;
        const agree = d.matchesComputed === undefined ? '' : d.matchesComputed ? ' (agrees with the table)' : ' (DIFFERS from the table: the zone is not in step yet)';
        ctx.out(`DNS ${d.name}: ${what}${d.error ? ` (${d.error})` : ''}${agree}`);
      }
      return EXIT.ok;
    },
  },

  history: {
    args: 'history <network> [--limit N]',
    options: ['limit'],
    summary: 'the audit trail of a network',
    help: 'Every change of the network in every list, oldest first: who, when, what, why.',
    async run(ctx, p, v) {
      need(p, 1, this.args);
      const n = local(() => parseNetwork(p[0]!, { field: 'network', maxWidth4: 0, maxWidth6: 0 }));
      const max = positiveInt(v.limit, 'limit', 1_000_000) ?? Infinity;
      const client = await ctx.client();
      type Event = { at: string; action: string; list: string; actor: string; reason: string; note?: string; before?: Record<string, unknown>; after?: Record<string, unknown> };
      const events: Event[] = [];
      let cursor: string | undefined;
      do {
        const r = await client.get<{ events: Event[]; cursor?: string }>('/v1/history', { network: formatNetwork(n), cursor, limit: '1000' });
        events.push(...r.events);
        cursor = r.cursor;
      } while (cursor && events.length < max);
      const shown = events.slice(0, Number.isFinite(max) ? max : undefined);
      if (ctx.json) ctx.out(JSON.stringify({ network: formatNetwork(n), events: shown }, null, 2));
      else if (shown.length === 0) ctx.out(`${formatNetwork(n)}: no history`);
      else {
        for (const e of shown) {
          ctx.out(`${showTime(e.at)}  ${e.action.padEnd(9)} ${e.list.padEnd(10)} by ${e.actor}  reason ${JSON.stringify(e.reason)}${e.note ? `  (${e.note})` : ''}`);
        }
      }
      return EXIT.ok;
    },
  },

  browse: {
    args: 'browse <list> [--source S] [--expires-before TIME] [--expires-after TIME] [--limit N]',
    options: ['source', 'expires-before', 'expires-after', 'limit'],
    summary: 'list the entries of one list',
    help: 'Walks one list page by page (filters are applied by the server).',
    async run(ctx, p, v) {
      need(p, 1, this.args);
      local(() => validateListName(p[0]));
      const max = positiveInt(v.limit, 'limit', 100_000_000) ?? Infinity;
      const items = await walkList(await ctx.client(), p[0]!, { source: v.source, expiresBefore: v['expires-before'], expiresAfter: v['expires-after'] }, max);
      if (ctx.json) ctx.out(JSON.stringify({ list: p[0], items }, null, 2));
      else for (const l of items) ctx.out(listingLine(l));
      return EXIT.ok;
    },
  },

  import: {
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
  },

  export: {
    args: 'export --out FILE',
    options: ['out'],
    summary: 'write the rbldnsd data file of every list',
    help: [
      'There is no export endpoint in the API: the file is rendered here with core\'s rbldnsd renderer',
      'from a GET /v1/listings walk of every list (expired entries skipped). It is a snapshot of the',
      'table as the API shows it; the export Lambda\'s file in S3 is what mirrors pull.',
    ].join('\n'),
    async run(ctx, p, v) {
      need(p, 0, this.args);
      if (v.out === undefined) throw new UsageError('export needs --out FILE');
      const client = await ctx.client();
      const z = await client.get<ZoneConfig>('/v1/lists');
      const cfg = validateZoneConfig(z);
      const byKey = new Map<string, Listing[]>();
      let total = 0;
      for (const list of cfg.lists) {
        const items = await walkList(client, list.name, {}, Infinity);
        for (const l of items) {
          const n = parseNetwork(l.network, { maxWidth4: 0, maxWidth6: 0 });
          const listing: Listing = {
            list: l.list,
            network: n,
            reason: l.reason,
            source: l.source,
            createdAt: l.since,
            updatedAt: l.updatedAt,
            exclusion: l.exclusion,
            ...(l.expiresAt ? { expiresAt: Math.floor(Date.parse(l.expiresAt) / 1000) } : {}),
          };
          const key = `${l.list}|${n.family}`;
          (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(listing);
          total++;
        }
      }
      for (const arr of byKey.values()) arr.sort((a, b) => compareNetworks(a.network, b.network));
      const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
      const counts: RenderCounts = { perList: {}, skippedExpired: 0 };
      const tmp = `${v.out}.tmp-${process.pid}`;
      const chunks: string[] = [];
      for await (const s of renderRbldnsd(cfg, { serial: nextSerial(0, nowSeconds), nowSeconds }, (list, family) => byKey.get(`${list.name}|${family}`) ?? [], counts)) {
        chunks.push(s);
      }
      await writeFile(tmp, chunks.join(''));
      await rename(tmp, v.out);
      const summary = { out: v.out, entries: total - counts.skippedExpired, skippedExpired: counts.skippedExpired, perList: counts.perList, renderedFrom: 'GET /v1/listings' };
      if (ctx.json) ctx.out(JSON.stringify(summary, null, 2));
      else ctx.out(`wrote ${v.out}: ${summary.entries} entries (${Object.entries(counts.perList).map(([k, n]) => `${k} ${n}`).join(', ')}), ${counts.skippedExpired} expired skipped; rendered locally from GET /v1/listings`);
      return EXIT.ok;
    },
  },
};

async function walkList(
  client: ApiClient,
  list: string,
  filters: { source?: string; expiresBefore?: string; expiresAfter?: string },
  max: number,
): Promise<ListingView[]> {
  const out: ListingView[] = [];
  let cursor: string | undefined;
  do {
    const r = await client.get<{ items: ListingView[]; cursor?: string }>('/v1/listings', { list, limit: '1000', cursor, ...filters });
    out.push(...r.items);
    cursor = r.cursor;
  } while (cursor && out.length < max);
  return Number.isFinite(max) ? out.slice(0, max) : out;
}

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

/** The exit code for an error that ended a command. */
function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof ApiUnreachableError || e instanceof InterruptedError) return EXIT.unavailable;
  if (e instanceof ApiCallError) return e.status >= 500 ? EXIT.unavailable : EXIT.refused;
  return EXIT.refused;
}

// In its own file (status-command.ts).
commands.status = { ...statusCommand, run: async (ctx, p) => (need(p, 0, 'status'), statusCommand.run(ctx)) };

// ---------------------------------------------------------------- entry

function usage(): string {
  const lines = [
    'usage: dnsbl <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`),
    '',
    'global options:',
    `  --api URL       the API (default $DNSBL_API or ${DEFAULT_API}); https URLs are signed with SigV4`,
    '  --region R      AWS region for signing (default: from the execute-api URL)',
    '  --profile P     AWS profile for credentials (default: the standard chain)',
    '  --json          print JSON',
    '  -h, --help      this help, or a command\'s: dnsbl <command> --help',
    '',
    '  mirror   pull the newest exported rbldnsd file (dnsbl mirror pull --help)',
    '',
    'exit codes:',
    `  ${EXIT.ok}  done`,
    `  ${EXIT.refused}  the API refused (invalid, conflict, not allowed), or an import had rejected lines`,
    `  ${EXIT.usage}  usage error or input refused locally: nothing was sent`,
    `  ${EXIT.unavailable}  the API could not be reached or failed (5xx), or interrupted; an import says how to resume`,
    `  ${EXIT.notFound}  nothing to remove: delist or exclude --remove of an entry that does not exist`,
  ];
  return lines.join('\n');
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `dnsbl mirror pull …` runs on mirrors and has its own options (lambdas/mirror/cli.ts).
  if (argv[0] === 'mirror') return mirrorMain(argv.slice(1));
  const out = (t: string) => void io.stdout.write(`${t}\n`);
  const err = (t: string) => void io.stderr.write(`${t}\n`);
  let values: Values;
  let positionals: string[];
  try {
    const r = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    values = r.values as Values;
    positionals = r.positionals;
  } catch (e) {
    err(`dnsbl: ${(e as Error).message}`);
    err('run dnsbl --help for usage');
    return EXIT.usage;
  }
  const name = positionals[0];
  if (name === undefined) {
    if (values.help) {
      out(usage());
      return EXIT.ok;
    }
    err(usage());
    return EXIT.usage;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    err(`dnsbl: unknown command ${JSON.stringify(name)}`);
    err(usage());
    return EXIT.usage;
  }
  if (values.help) {
    out(`usage: dnsbl ${cmd.args}\n\n${cmd.help}\n\nglobal options: --api URL, --region R, --profile P, --json`);
    return EXIT.ok;
  }
  for (const k of Object.keys(values)) {
    if (!GLOBAL_OPTIONS.includes(k) && !cmd.options.includes(k as keyof typeof OPTIONS)) {
      err(`dnsbl: --${k} is not an option of ${name}; usage: dnsbl ${cmd.args}`);
      return EXIT.usage;
    }
  }
  const api = values.api ?? io.env.DNSBL_API ?? DEFAULT_API;
  let client: ApiClient | undefined;
  const ctx: Ctx = {
    io,
    argv,
    json: values.json === true,
    out,
    err,
    now: () => io.now?.() ?? new Date(),
    async client() {
      if (client) return client;
      let url: URL;
      try {
        url = new URL(api);
      } catch {
        throw new UsageError(`--api ${JSON.stringify(api)} is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api ${JSON.stringify(api)} must be an http(s) URL`);
      const sign = url.protocol === 'https:';
      let credentials = io.credentials;
      if (sign && !credentials) {
        const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
        credentials = fromNodeProviderChain(values.profile ? { profile: values.profile } : {});
      }
      client = new ApiClient({
        api,
        sign,
        ...(values.region ? { region: values.region } : {}),
        ...(credentials ? { credentials } : {}),
        ...(io.fetch ? { fetch: io.fetch } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      if (sign && !client.region) throw new UsageError(`cannot tell the AWS region from ${url.host}; give --region`);
      return client;
    },
  };
  try {
    return await cmd.run(ctx, positionals.slice(1), values);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`dnsbl: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof ApiCallError) {
      if (ctx.json) out(JSON.stringify(e.body, null, 2));
      err(`dnsbl: ${e.status >= 500 ? 'the API failed' : 'the API refused'}: ${e.message}`);
      for (const d of e.body.error?.details ?? []) err(`  ${d.field ?? ''}: ${d.message}`);
      return exitCodeOf(e);
    }
    err(`dnsbl: ${(e as Error).message}`);
    return exitCodeOf(e);
  }
}
