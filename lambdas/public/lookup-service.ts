// The public look-up: one address -> per list, listed or not, the public reason, since, expiry, the
// range it is listed in, the list's delisting policy, and what the zone's DNS answers now.
//
// Only what the TXT record already publishes, and when: never the listing's source, the operator,
// versions, exclusions, or anything about other addresses. Evidence (when the deployment keeps
// it): how many reports of each kind and when the last was seen, never who reported it, event ids,
// samples or details (core/evidence-summary.ts builds that view field by field). One address per query (a network is
// refused: no browsing through ranges). Test points and special-purpose space get an explanation.
import type { ListingsTable } from '../adapters/listings-table.js';
import type { DnsAnswer, EvidenceReader, ZoneProbe } from '../api/deps.js';
import { selfDelistPolicy, type SelfDelistMode } from '../core/delist-policy.js';
import { publicEvidence, type PublicEvidence } from '../core/evidence-summary.js';
import { InputError } from '../core/input-error.js';
import { FAMILY_BITS, formatNetwork, type Network, networkKey, parseNetwork, queryName, specialPurposeRange } from '../core/ip.js';
import { isActive, isTestPoint, type Listing, TEST_POINT, type ZoneConfig } from '../core/listing.js';
import { answerFor, effectiveListings, zoneRecords } from '../core/semantics.js';

/** The longest look-up input accepted (the longest IPv6 spelling with an IPv4 tail is 45). */
export const MAX_IP_INPUT = 64;

export interface PublicListView {
  readonly list: string;
  readonly code: string;
  readonly listed: boolean;
  readonly reason?: string;
  readonly since?: string;
  readonly expires?: string | null;
  /** The listed network when it is wider than the address (the range it is listed in). */
  readonly range?: string;
  readonly delisting: { readonly mode: SelfDelistMode; readonly limit?: { count: number; days: number }; readonly dnsProof: boolean };
}

export interface PublicLookup {
  readonly query: string;
  readonly address: string;
  readonly listed: boolean;
  /** "test-point", "loopback" or "reserved" with an explanation key's parameters. */
  readonly special?: { readonly kind: 'test-point' | 'loopback' | 'reserved'; readonly range?: string; readonly name?: string; readonly ref?: string };
  readonly lists: readonly PublicListView[];
  readonly dns: { readonly name: string; readonly status: DnsAnswer['status']; readonly a: readonly string[]; readonly txt: readonly string[]; readonly matchesListing?: boolean };
  readonly negativeTtl: number;
  /** Reports about the address: counts by kind and the last seen, nothing else. */
  readonly evidence?: PublicEvidence;
}

export interface LookupDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly zoneProbe?: ZoneProbe;
  /** The evidence table; omitted: no evidence is shown. */
  readonly evidence?: EvidenceReader;
  readonly now?: () => Date;
}

/** One address in any spelling core accepts (IPv4-mapped IPv6 is the IPv4 address); a network is refused. */
export function parsePublicAddress(input: unknown, field = 'ip'): Network {
  if (typeof input !== 'string' || input.trim() === '') throw new InputError(`${field} is missing: give one IPv4 or IPv6 address, e.g. 192.0.2.1`, field);
  if (input.length > MAX_IP_INPUT) throw new InputError(`${field} is ${input.length} characters long; an address has at most ${MAX_IP_INPUT}`, field);
  const text = input.trim();
  const n = parseNetwork(text, { field, maxWidth4: 0, maxWidth6: 0 });
  if (n.prefix !== FAMILY_BITS[n.family]) {
    throw new InputError(
      `${field} ${JSON.stringify(text)} is a network; give the one address of your mail server (the look-up shows one address at a time)`,
      field,
    );
  }
  return n;
}

export async function publicLookup(deps: LookupDeps, input: unknown): Promise<PublicLookup> {
  const address = parsePublicAddress(input);
  const { cfg } = deps;
  const nowSeconds = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const names = cfg.lists.map((l) => l.name);
  const name = queryName(address.family, address.start, cfg.zone);
  const dnsPromise: Promise<DnsAnswer> = deps.zoneProbe?.query(name) ?? Promise.resolve({ status: 'unavailable', a: [], txt: [], servers: [] });
  const [covering, evidence] = await Promise.all([
    isTestPoint(address) ? [] : deps.table.covering(address, names, address.family === 4 ? 8 : 32).then((ls) => ls.filter((l) => names.includes(l.list))),
    deps.evidence && !isTestPoint(address) ? deps.evidence.aggregates([address]).then((m) => publicEvidence(m.get(networkKey(address)))) : undefined,
  ]);
  const effective = effectiveListings(cfg, covering, nowSeconds);
  const answer = answerFor(cfg, effective, address.family, address.start);
  const lists: PublicListView[] = cfg.lists.map((list) => {
    const policy = selfDelistPolicy(list);
    const delisting = {
      mode: policy.mode,
      ...(policy.mode === 'auto' ? { limit: { count: policy.maxPerPeriod, days: policy.periodDays } } : {}),
      dnsProof: policy.dnsProof,
    };
    const decider = deciding(effective, list.name, address);
    const a = answer.find((x) => x.list === list.name);
    if (!a || !decider) return { list: list.name, code: list.code, listed: false, delisting };
    return {
      list: list.name,
      code: list.code,
      listed: true,
      reason: decider.reason,
      since: decider.createdAt,
      expires: decider.expiresAt === undefined ? null : new Date(decider.expiresAt * 1000).toISOString(),
      ...(decider.network.prefix < FAMILY_BITS[decider.network.family] ? { range: formatNetwork(decider.network) } : {}),
      delisting,
    };
  });
  const d = await dnsPromise;
  const records = zoneRecords(cfg, answer);
  const sameSet = (x: readonly string[], y: readonly string[]) => JSON.stringify([...x].sort()) === JSON.stringify([...y].sort());
  return {
    query: String(input).trim(),
    address: formatNetwork(address),
    listed: answer.length > 0,
    ...specialOf(address),
    lists,
    dns: {
      name,
      status: d.status,
      a: [...d.a],
      txt: [...d.txt],
      ...(d.status === 'unavailable' ? {} : { matchesListing: sameSet(d.a, records.a) && sameSet(d.txt, records.txt) }),
    },
    negativeTtl: cfg.negativeTtl,
    ...(evidence ? { evidence } : {}),
  };
}

/** The most specific active entry of `list` covering the address (undefined or an exclusion: not listed). */
function deciding(effective: readonly Listing[], list: string, address: Network): Listing | undefined {
  let best: Listing | undefined;
  for (const l of effective) {
    if (l.list !== list || l.network.family !== address.family) continue;
    const bits = BigInt(FAMILY_BITS[address.family] - l.network.prefix);
    if (address.start >> bits !== l.network.start >> bits) continue;
    if (!best || l.network.prefix > best.network.prefix) best = l;
  }
  return best && !best.exclusion && isActive(best, 0) ? best : undefined;
}

function specialOf(n: Network): { special?: PublicLookup['special'] } {
  if (n.family === 4 && n.start === TEST_POINT.start) return { special: { kind: 'test-point' } };
  if (isTestPoint(n)) return { special: { kind: 'loopback', range: '127.0.0.0/8' } };
  const r = specialPurposeRange(n);
  return r ? { special: { kind: 'reserved', range: formatNetwork(r.network), name: r.name, ref: r.ref } } : {};
}
