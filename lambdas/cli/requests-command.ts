// dnsbl requests [list] | approve ID | deny ID --reason TEXT: the public portal's delisting requests
// waiting for an operator (GET /v1/requests, POST /v1/requests/{id}/approve|deny). Approving
// delists the address (a host listing) or excludes exactly the address (inside a listed range);
// both approve and deny mail the requester. Exit: 0 done; 1 the API refused (e.g. not in review);
// 2 bad arguments; 3 the API is unreachable.
import type { ApiClient } from './client.js';
import { EXIT, UsageError } from './main.js';

interface RequestsCtx {
  readonly json: boolean;
  client(): Promise<ApiClient>;
  out(text: string): void;
}

interface Outcome {
  list: string;
  outcome: string;
  why?: string;
  network?: string;
}

interface RequestView {
  id: string;
  address: string;
  lists: string[];
  contact?: string;
  statement: string;
  status: string;
  createdAt: string;
  confirmedAt?: string;
  outcomes?: Outcome[];
  decidedBy?: string;
  denyReason?: string;
}

const USAGE = 'dnsbl requests [list [--limit N]] | approve ID | deny ID --reason TEXT';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function requestLines(r: RequestView): string[] {
  const queued = (r.outcomes ?? []).map((o) => `${o.list}: ${o.outcome}${o.why ? ` (${o.why})` : ''}${o.network && o.network !== r.address ? ` [listed as ${o.network}]` : ''}`);
  return [
    `${r.id}  ${r.address}  ${r.status}  requested ${r.createdAt}${r.confirmedAt ? `, confirmed ${r.confirmedAt}` : ''}`,
    `  contact    ${r.contact ?? '(deleted)'}`,
    `  statement  ${JSON.stringify(r.statement)}`,
    ...(queued.length ? [`  lists      ${queued.join('; ')}`] : []),
    ...(r.decidedBy ? [`  decided by ${r.decidedBy}${r.denyReason ? `: ${JSON.stringify(r.denyReason)}` : ''}`] : []),
  ];
}

export const requestsCommand = {
  args: 'requests [list [--limit N] | approve ID | deny ID --reason TEXT]',
  options: ['reason', 'limit'] as const,
  summary: "review the public portal's delisting requests",
  help:
    'Lists the delisting requests senders confirmed that wait for an operator (contact, statement, why each list\n' +
    'queued it). approve ID delists the address (or, inside a listed range, adds an exclusion for exactly the\n' +
    'address) and mails the requester; deny ID --reason TEXT mails the requester the reason.',
  async run(ctx: RequestsCtx, p: string[], v: { reason?: string; limit?: string }): Promise<number> {
    const [sub = 'list', id, ...rest] = p;
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}; usage: ${USAGE}`);
    const client = await ctx.client();
    if (sub === 'list') {
      if (id !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(id)}; usage: ${USAGE}`);
      if (v.reason !== undefined) throw new UsageError('--reason goes with deny');
      const r = await client.get<{ items: RequestView[] }>('/v1/requests', { limit: v.limit });
      if (ctx.json) ctx.out(JSON.stringify(r, null, 2));
      else if (r.items.length === 0) ctx.out('no requests wait for review');
      else for (const item of r.items) for (const line of requestLines(item)) ctx.out(line);
      return EXIT.ok;
    }
    if (sub !== 'approve' && sub !== 'deny') throw new UsageError(`unknown requests command ${JSON.stringify(sub)}; usage: ${USAGE}`);
    if (!id || !UUID.test(id)) throw new UsageError(`${sub} needs a request id (as "dnsbl requests list" shows it); usage: ${USAGE}`);
    if (v.limit !== undefined) throw new UsageError('--limit goes with list');
    if (sub === 'deny' && (v.reason === undefined || v.reason.trim() === '')) throw new UsageError('deny needs --reason TEXT (the requester is mailed it)');
    if (sub === 'approve' && v.reason !== undefined) throw new UsageError('--reason goes with deny');
    const r = await client.post<RequestView>(`/v1/requests/${id}/${sub}`, sub === 'deny' ? { reason: v.reason } : {});
    if (ctx.json) ctx.out(JSON.stringify(r.json, null, 2));
    else for (const line of requestLines(r.json)) ctx.out(line);
    return EXIT.ok;
  },
};
