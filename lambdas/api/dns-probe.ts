// What the live zone answers right now, asked of its authoritative servers over DNS.
//
// Servers: ZONE_DNS_SERVERS ("ip[:port]" comma-separated, "[v6]:port" for IPv6 with a port), e.g.
// "127.0.0.1:5300" on the local stack; unset, the zone's NS records are resolved with the system
// resolver and their addresses used (cached for 5 minutes). A query that takes longer than the
// timeout (2 s) or fails is reported "unavailable" rather than failing the lookup.
import * as dns from 'node:dns/promises';
import type { DnsAnswer, ZoneProbe } from './deps.js';

export const ZONE_DNS_SERVERS_ENV = 'ZONE_DNS_SERVERS';
const NS_CACHE_MS = 5 * 60_000;

/** "127.0.0.1:5300, [::1]:53, 192.0.2.53, 2001:db8::53" -> servers in the form Resolver.setServers takes. */
export function parseDnsServers(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function errorCode(e: unknown): string {
  return (e as { code?: string })?.code ?? (e as Error)?.name ?? 'ERROR';
}

export class DnsZoneProbe implements ZoneProbe {
  private nsCache?: { servers: string[]; until: number };

  constructor(
    private readonly opts: {
      readonly zone: string;
      /** Fixed servers; omitted: the zone's NS addresses. */
      readonly servers?: readonly string[];
      readonly timeoutMs?: number;
    },
  ) {}

  private async servers(): Promise<string[]> {
    if (this.opts.servers && this.opts.servers.length > 0) return [...this.opts.servers];
    if (this.nsCache && this.nsCache.until > Date.now()) return this.nsCache.servers;
    const hosts = await dns.resolveNs(this.opts.zone);
    const addrs = (
      await Promise.all(
        hosts.map(async (h) => [
          ...(await dns.resolve4(h).catch(() => [] as string[])),
          ...(await dns.resolve6(h).catch(() => [] as string[])),
        ]),
      )
    ).flat();
    if (addrs.length === 0) throw new Error(`no addresses for the name servers of ${this.opts.zone} (${hosts.join(', ')})`);
    this.nsCache = { servers: addrs, until: Date.now() + NS_CACHE_MS };
    return addrs;
  }

  async query(name: string): Promise<DnsAnswer> {
    const timeoutMs = this.opts.timeoutMs ?? 2000;
    let servers: string[] = [];
    const started = Date.now();
    try {
      servers = await withTimeout(this.servers(), timeoutMs, 'finding the zone name servers');
      const resolver = new dns.Resolver({ timeout: Math.max(100, timeoutMs - (Date.now() - started)), tries: 1 });
      resolver.setServers(servers);
      const timer = setTimeout(() => resolver.cancel(), Math.max(1, timeoutMs - (Date.now() - started)));
      let a: PromiseSettledResult<string[]>;
      let txt: PromiseSettledResult<string[][]>;
      try {
        [a, txt] = await Promise.allSettled([resolver.resolve4(name), resolver.resolveTxt(name)]);
      } finally {
        clearTimeout(timer);
      }
      const failed = [a, txt].find((r) => r.status === 'rejected' && !['ENOTFOUND', 'ENODATA'].includes(errorCode(r.reason)));
      if (failed && failed.status === 'rejected') {
        const code = errorCode(failed.reason);
        return {
          status: 'unavailable',
          a: [],
          txt: [],
          servers,
          error: code === 'ECANCELLED' || code === 'ETIMEOUT' ? `no answer within ${timeoutMs} ms` : `${code}: ${(failed.reason as Error).message}`,
        };
      }
      const aValues = a.status === 'fulfilled' ? [...a.value].sort() : [];
      const txtValues = txt.status === 'fulfilled' ? txt.value.map((chunks) => chunks.join('')).sort() : [];
      if (aValues.length > 0) return { status: 'listed', a: aValues, txt: txtValues, servers };
      const nx = a.status === 'rejected' && errorCode(a.reason) === 'ENOTFOUND';
      return { status: nx ? 'NXDOMAIN' : 'NODATA', a: [], txt: txtValues, servers };
    } catch (e) {
      return { status: 'unavailable', a: [], txt: [], servers, error: (e as Error).message };
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms ${what}`)), ms);
    }),
  ]);
}
