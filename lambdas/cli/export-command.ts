// dnsbl export --out FILE: the rbldnsd data file rendered locally from a walk of every list.
import { rename, writeFile } from 'node:fs/promises';
import { compareNetworks, parseNetwork } from '../core/ip.js';
import { type Listing, validateZoneConfig, type ZoneConfig } from '../core/listing.js';
import { nextSerial, renderRbldnsd, type RenderCounts } from '../core/rbldnsd-render.js';
import { type Command, EXIT, need, UsageError } from './command.js';
import { walkList } from './read-commands.js';

export const exportCommand: Command = {
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
};
