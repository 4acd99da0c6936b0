// dnsbl policy dry-run POLICY [--limit N]: what a policy change would do to the current evidence,
// writing nothing (POST /v1/policy/dry-run): the addresses it would list, extend and delist, and
// the prefixes it would escalate or de-escalate.
//
// POLICY is a file or inline JSON ("{…}"), one of:
//   {"spam": {<evidence policy>}, …}                 list name -> policy
//   {"policies": {"spam": {…}}}                      the API's body (limit may be given too)
//   a deployment configuration {"lists": [{"name": "spam", "evidence": {…}}, …]} (config.ts's
//   file, or cdk.json's context value): each list's evidence policy is tried
// Lists not named keep their configured policy. Exit: 0 done; 1 the API refused the policy (each
// problem printed with its field); 2 bad arguments or an unreadable/invalid file; 3 the API is
// unreachable.
import { readFileSync } from 'node:fs';
import type { ApiClient } from './client.js';
import { EXIT, positiveInt, UsageError } from './command.js';

interface PolicyCtx {
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
  err(text: string): void;
  readFile?(path: string): string;
}

interface PlannedView {
  op: 'list' | 'extend' | 'delist' | 'exclude';
  level: 1 | 2 | 3;
  list: string;
  network: string;
  reason: string;
  expiresAt?: string;
}

export interface DryRunView {
  evaluated: number;
  truncated: boolean;
  summary: Record<string, number>;
  changes: PlannedView[];
  escalations: PlannedView[];
  escalationChecks: Array<{ list: string; network: string; level: 2 | 3; escalate: boolean; count: number; needed: number; reason: string }>;
}

const USAGE = 'dnsbl policy dry-run POLICY-FILE|JSON [--limit N]';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The `policies` map of the dry-run body from any of the accepted shapes. */
export function policiesOf(doc: unknown, where: string): Record<string, unknown> {
  if (!isObject(doc)) throw new UsageError(`${where} must be a JSON object: {"<list>": <evidence policy>}, {"policies": {…}} or a configuration with "lists"`);
  if ('policies' in doc) {
    if (!isObject(doc.policies)) throw new UsageError(`${where}: "policies" must be an object of list name -> evidence policy`);
    return doc.policies;
  }
  if ('lists' in doc) {
    if (!Array.isArray(doc.lists)) throw new UsageError(`${where}: "lists" must be an array of lists`);
    const out: Record<string, unknown> = {};
    doc.lists.forEach((l, i) => {
      if (!isObject(l) || typeof l.name !== 'string') throw new UsageError(`${where}: lists[${i}] has no name`);
      if (l.evidence !== undefined) out[l.name] = l.evidence;
    });
    if (Object.keys(out).length === 0) throw new UsageError(`${where}: no list has an "evidence" policy`);
    return out;
  }
  return doc;
}

/** The lines a person reads: totals, then every change, escalations last. */
export function dryRunLines(r: DryRunView): string[] {
  const byOp = (xs: PlannedView[], op: PlannedView['op']) => xs.filter((x) => x.op === op).length;
  const line = (w: PlannedView) => {
    const verb = w.level === 1 ? w.op : w.op === 'list' ? 'escalate' : w.op === 'extend' ? 'extend' : w.op === 'delist' ? 'de-escalate' : 'exclude';
    return `  ${verb.padEnd(11)} ${w.list.padEnd(10)} ${w.network.padEnd(20)}${w.expiresAt ? ` until ${w.expiresAt.replace(/\.000Z$/, 'Z')}` : ''}  ${JSON.stringify(w.reason)}`;
  };
  const out = [
    `${r.evaluated} addresses with evidence evaluated${r.truncated ? ' (more have evidence: raise --limit)' : ''}; nothing was written`,
    `would list ${byOp(r.changes, 'list')}, extend ${byOp(r.changes, 'extend')}, delist ${byOp(r.changes, 'delist')}; ` +
      `escalate ${byOp(r.escalations, 'list')}, extend ${byOp(r.escalations, 'extend')}, de-escalate ${byOp(r.escalations, 'delist')}`,
  ];
  const sums = Object.entries(r.summary).sort(([a], [b]) => a.localeCompare(b));
  if (sums.length) out.push(`decisions: ${sums.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (r.changes.length) out.push('changes:', ...r.changes.map(line));
  if (r.escalations.length) out.push('escalations:', ...r.escalations.map(line));
  return out;
}

export const policyCommand = {
  args: 'policy dry-run POLICY-FILE|JSON [--limit N]',
  options: ['limit'] as const,
  summary: 'try an evidence policy change against the current evidence (writes nothing)',
  help:
    'Evaluates the given evidence policies against the current evidence (POST /v1/policy/dry-run) and prints what\n' +
    'would be listed, extended, delisted, escalated and de-escalated. POLICY is a file or inline JSON: {"<list>": policy},\n' +
    '{"policies": {…}}, or a configuration with "lists" (each list\'s "evidence" is tried). Lists not named keep their\n' +
    'configured policy. --limit N evaluates at most N addresses (default 100,000).',
  async run(ctx: PolicyCtx, p: string[], v: { limit?: string }): Promise<number> {
    const [sub, source, ...rest] = p;
    if (sub !== 'dry-run') throw new UsageError(sub === undefined ? `missing arguments; usage: ${USAGE}` : `unknown policy command ${JSON.stringify(sub)}; usage: ${USAGE}`);
    if (source === undefined) throw new UsageError(`dry-run needs a policy file or JSON; usage: ${USAGE}`);
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}; usage: ${USAGE}`);
    const limit = positiveInt(v.limit, 'limit', 1_000_000);
    const inline = source.trimStart().startsWith('{');
    let text: string;
    try {
      text = inline ? source : ctx.readFile ? ctx.readFile(source) : readFileSync(source, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${source}: ${(e as Error).message}`);
    }
    const where = inline ? 'the policy JSON' : source;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${where} is not JSON: ${(e as Error).message}`);
    }
    const policies = policiesOf(doc, where);
    // A limit in the API's body shape ({"policies", "limit"}); --limit wins.
    const fileLimit = isObject(doc) && 'policies' in doc && typeof doc.limit === 'number' ? doc.limit : undefined;
    const body = { policies, ...(limit !== undefined ? { limit } : fileLimit !== undefined ? { limit: fileLimit } : {}) };
    const r = (await (await ctx.client()).post<DryRunView>('/v1/policy/dry-run', body)).json;
    if (ctx.json) ctx.out(JSON.stringify(r, null, 2));
    else for (const line of dryRunLines(r)) ctx.out(line);
    return EXIT.ok;
  },
};
