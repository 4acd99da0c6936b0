// The test zones: one builder for the zone configurations the fixtures use (bl.test, name servers
// outside the zone), the lists they share, and the A-only variant several tests derive. The
// benchmarks have their own (bench/bench-zones.ts).
import type { ListDef, ZoneConfig } from '../../lambdas/core/listing.js';

export const SPAM: ListDef = { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} - see https://bl.test/lookup?ip={ip}' };
export const PROXY: ListDef = { name: 'proxy', code: '127.0.0.3', txtTemplate: '{reason}' };

/**
 * bl.test with the given lists; TTL 300, negative TTL 60. The name servers are outside the zone:
 * an in-zone one would need glue, which neither the zone nor the rbldnsd file carries (rbldnsd warns
 * "no glue record(s)", validation refuses it).
 */
export function testZone(lists: readonly ListDef[], overrides: Partial<Omit<ZoneConfig, 'lists'>> = {}): ZoneConfig {
  return {
    zone: 'bl.test',
    lists: [...lists],
    ttl: 300,
    negativeTtl: 60,
    nameservers: ['ns1.example.net', 'ns2.example.net'],
    hostmaster: 'hostmaster@bl.test',
    ...overrides,
  };
}

/** The same zone with one list published in Route 53 as A records only (route53Txt false). */
export function aOnlyList(cfg: ZoneConfig, list: string): ZoneConfig {
  return { ...cfg, lists: cfg.lists.map((l) => (l.name === list ? { ...l, route53Txt: false } : l)) };
}
