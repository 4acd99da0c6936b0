// What the zone answers for an address: the single source of truth that both the Route 53
// planner and the rbldnsd renderer are held to.
//
// For each list, the most specific listing of that list covering the address answers; if it is an
// exclusion the list does not answer. Expired listings do not exist (the sweeper deletes them; the
// export skips them). Several answering lists give several A values and TXT strings. Nothing
// answering means NXDOMAIN. IPv6 queries for IPv4-mapped (::ffff:a.b.c.d) and 6to4
// (2002:aabb:ccdd::/48) addresses are answered from the IPv4 data only with ipv4ViaIpv6 set (as
// rbldnsd always does); by default only the test points are answered through IPv6 (see ZoneConfig).
// The RFC 5782 test point 127.0.0.2 is listed in every list; 127.0.0.0/8 can hold nothing else.
import { contains, embeddedIpv4, FAMILY_BITS, type Family, type Network } from './ip.js';
import { isActive, type ListDef, type Listing, renderTxt, testPointListings, type ZoneConfig } from './listing.js';

export interface ListAnswer {
  readonly list: string;
  readonly code: string;
  readonly txt: string;
}

/** Answers in list order; empty means "not listed" (NXDOMAIN). */
export type Answer = readonly ListAnswer[];

export function answerKey(answer: Answer): string {
  return answer.map((a) => `${a.code}\u0000${a.txt}`).join('\u0001');
}

/** The answer a set of per-list winning listings gives (undefined or exclusion = that list is silent). */
export function answerOf(lists: readonly ListDef[], winners: ReadonlyArray<Listing | undefined>): ListAnswer[] {
  const out: ListAnswer[] = [];
  lists.forEach((list, i) => {
    const w = winners[i];
    if (w && !w.exclusion) out.push({ list: list.name, code: list.code, txt: renderTxt(list, w) });
  });
  return out;
}

/**
 * The configuration rbldnsd mirrors answer by: they answer IPv4-mapped and 6to4 names from their
 * IPv4 data whatever ipv4ViaIpv6 says (in a zone with an IPv4 dataset rbldnsd does so; the real
 * rbldnsd shows it in test/dns-harness/rbldnsd.test.ts), and every list's TXT text (route53Txt is
 * about Route 53 only).
 */
export function mirrorConfig(cfg: ZoneConfig): ZoneConfig {
  return { ...cfg, ipv4ViaIpv6: true };
}

/** The records the Route 53 zone holds for an answer (A values, TXT texts), each value once. */
export interface ZoneRecords {
  readonly a: readonly string[];
  readonly txt: readonly string[];
}

/**
 * What the Route 53 zone answers for `answer`: every answering list's return code, and the texts of
 * the lists that publish TXT there (ListDef.route53Txt; an A-only list's text is only in the API,
 * look-ups and the rbldnsd export, whose mirrors answer every list's text). A name with A values
 * and no text answers TXT questions with NODATA.
 */
export function zoneRecords(cfg: Pick<ZoneConfig, 'lists'>, answer: Answer): ZoneRecords {
  const aOnly = new Set(cfg.lists.filter((l) => l.route53Txt === false).map((l) => l.name));
  return {
    a: [...new Set(answer.map((x) => x.code))],
    txt: [...new Set(answer.filter((x) => !aOnly.has(x.list)).map((x) => x.txt))],
  };
}

/** The listings that take part in answers at `nowSeconds`: active ones plus the test points. */
export function effectiveListings(cfg: ZoneConfig, listings: Iterable<Listing>, nowSeconds: number): Listing[] {
  const names = new Set(cfg.lists.map((l) => l.name));
  const out = testPointListings(cfg);
  for (const l of listings) if (names.has(l.list) && isActive(l, nowSeconds)) out.push(l);
  return out;
}

/**
 * Reference evaluator: deliberately simple (a linear scan), used by tests to judge the planner,
 * the renderer and the real DNS servers. `listings` must already be effective (see above).
 */
export function answerFor(cfg: ZoneConfig, listings: readonly Listing[], family: Family, address: bigint): Answer {
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    const viaIpv4 = cfg.ipv4ViaIpv6 === true || (v4 !== undefined && v4 >> 24n === 127n);
    if (v4 !== undefined) return viaIpv4 ? answerFor(cfg, listings, 4, v4) : [];
  }
  const host: Network = { family, start: address, prefix: FAMILY_BITS[family] };
  const winners: Array<Listing | undefined> = cfg.lists.map(() => undefined);
  const index = new Map(cfg.lists.map((l, i) => [l.name, i]));
  for (const l of listings) {
    const i = index.get(l.list);
    if (i === undefined || !contains(l.network, host)) continue;
    const cur = winners[i];
    if (!cur || l.network.prefix > cur.network.prefix) winners[i] = l;
  }
  return answerOf(cfg.lists, winners);
}
