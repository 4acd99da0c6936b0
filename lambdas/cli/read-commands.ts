// dnsbl lists / lookup / history / browse: what the API says about the lists, an address, a network's
// audit trail and one list's entries (walked page by page).
import { formatNetwork, parseNetwork } from '../core/ip.js';
import { validateListName } from '../core/listing.js';
import type { ApiClient } from './client.js';
import { type Command, EXIT, local, need, positiveInt, showTime } from './command.js';

export interface ListingView {
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

export function listingLine(l: ListingView): string {
  const kind = l.exclusion ? 'exclusion' : 'listing';
  return `  ${l.list.padEnd(10)} ${l.network.padEnd(20)} ${kind.padEnd(9)} since ${showTime(l.since)}  expires ${showTime(l.expiresAt)}${l.expired ? ' (expired)' : ''}  v${l.version}  source ${l.source}  reason ${JSON.stringify(l.reason)}`;
}

export interface EvidenceView {
  counts: Record<string, number>;
  total: number;
  firstSeen: string;
  lastSeen: string;
  reporters: string[];
}

/** The evidence lines of lookup and history. */
export function evidenceLines(e: EvidenceView): string[] {
  const kinds = Object.entries(e.counts).map(([k, n]) => `${n} ${k}`).join(', ');
  return [
    `evidence: ${e.total} event${e.total === 1 ? '' : 's'} (${kinds}), first seen ${showTime(e.firstSeen)}, last seen ${showTime(e.lastSeen)}`,
    `  reporters ${e.reporters.join(', ')}`,
  ];
}

export const listsCommand: Command = {
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
};

export const lookupCommand: Command = {
  args: 'lookup <address or network>',
  options: [],
  summary: 'what covers an address, what it answers, and what the zone answers now',
  help:
    'Shows every listing and exclusion covering the address (or inside the network), the computed answer, the live DNS answer,\n' +
    'and for an address the evidence about it (counts by kind, first/last seen, reporters).',
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
      evidence?: EvidenceView;
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
    if (r.evidence) for (const line of evidenceLines(r.evidence)) ctx.out(line);
    return EXIT.ok;
  },
};

export const historyCommand: Command = {
  args: 'history <network> [--limit N]',
  options: ['limit'],
  summary: 'the audit trail of a network',
  help: 'Every change of the network in every list, oldest first: who, when, what, why; for an address also its evidence.',
  async run(ctx, p, v) {
    need(p, 1, this.args);
    const n = local(() => parseNetwork(p[0]!, { field: 'network', maxWidth4: 0, maxWidth6: 0 }));
    const max = positiveInt(v.limit, 'limit', 1_000_000) ?? Infinity;
    const client = await ctx.client();
    type Event = { at: string; action: string; list: string; actor: string; reason: string; note?: string; before?: Record<string, unknown>; after?: Record<string, unknown> };
    const events: Event[] = [];
    let evidence: EvidenceView | undefined;
    let cursor: string | undefined;
    do {
      const r = await client.get<{ events: Event[]; cursor?: string; evidence?: EvidenceView }>('/v1/history', { network: formatNetwork(n), cursor, limit: '1000' });
      events.push(...r.events);
      evidence ??= r.evidence;
      cursor = r.cursor;
    } while (cursor && events.length < max);
    const shown = events.slice(0, Number.isFinite(max) ? max : undefined);
    if (ctx.json) ctx.out(JSON.stringify({ network: formatNetwork(n), events: shown, ...(evidence ? { evidence } : {}) }, null, 2));
    else {
      if (shown.length === 0) ctx.out(`${formatNetwork(n)}: no history`);
      for (const e of shown) {
        ctx.out(`${showTime(e.at)}  ${e.action.padEnd(9)} ${e.list.padEnd(10)} by ${e.actor}  reason ${JSON.stringify(e.reason)}${e.note ? `  (${e.note})` : ''}`);
      }
      if (evidence) for (const line of evidenceLines(evidence)) ctx.out(line);
    }
    return EXIT.ok;
  },
};

export const browseCommand: Command = {
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
};

export async function walkList(
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

