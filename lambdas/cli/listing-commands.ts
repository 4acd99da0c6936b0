// dnsbl list / delist / exclude: one listing or exclusion written through the API, checked locally first.
import { validateRawText } from '../api/validate.js';
import { formatNetwork } from '../core/ip.js';
import { MAX_SOURCE_LENGTH, parseListableNetwork, validateListName, validatePublicNetwork } from '../core/listing.js';
import { type Command, type Ctx, EXIT, expiryFields, ifVersion, local, need, requireReason, UsageError } from './command.js';

export const ALLOW_RESERVED_HINT = 'pass --allow-reserved to list it anyway';

export interface WriteItemResult {
  list: string;
  network: string;
  status: string;
  version: number | null;
  note?: string;
}

/** What a write result says, e.g. "created exclusion spam 192.0.2.25 (version 1)". */
export function resultLine(res: WriteItemResult, kind: 'listing' | 'exclusion'): string {
  const what = ['created', 'updated', 'unchanged', 'removed'].includes(res.status) ? ` ${kind}` : '';
  return `${res.status}${what} ${res.list} ${res.network}${res.version !== null ? ` (version ${res.version})` : ''}${res.note ? ` — ${res.note}` : ''}`;
}

export async function writeOne(ctx: Ctx, path: string, item: Record<string, unknown>, kind: 'listing' | 'exclusion'): Promise<number> {
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

export const listCommand: Command = {
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
};

export const delistCommand: Command = {
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
};

export const excludeCommand: Command = {
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
};
