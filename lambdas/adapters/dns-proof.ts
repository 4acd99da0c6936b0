// DNS proof of control for a delisting request: does `<domain>` resolve (A/AAAA) to the listed
// address, and does `_dnsbl-delist.<domain>` carry the request's token in a TXT record? Asked of
// the given servers (DELIST_PROOF_DNS_SERVERS, "ip[:port]" comma-separated), else the system
// resolver. Tests point it at a real BIND.
import * as dns from 'node:dns/promises';

export const PROOF_DNS_SERVERS_ENV = 'DELIST_PROOF_DNS_SERVERS';

export interface ProofResolver {
  addresses(name: string): Promise<string[]>;
  txt(name: string): Promise<string[]>;
}

export class DnsProofResolver implements ProofResolver {
  private readonly resolver: dns.Resolver;

  constructor(servers?: readonly string[], timeoutMs = 2000) {
    this.resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
    if (servers && servers.length > 0) this.resolver.setServers([...servers]);
  }

  async addresses(name: string): Promise<string[]> {
    const [a, aaaa] = await Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]);
    return [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
  }

  async txt(name: string): Promise<string[]> {
    try {
      return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch {
      return [];
    }
  }
}
