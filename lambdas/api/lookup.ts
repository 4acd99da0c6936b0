// GET /v1/lookup?ip=<address or network>
//
// Every entry (listing or exclusion) of every list that covers the query, widest first; for a
// network query also the entries inside it (at most LOOKUP_INSIDE_CAP). For an address: the answer
// computed with core's semantics (answerFor over the covering entries, test points included,
// expired ones not), and what the live zone's servers answer for its RFC 5782 name right now.
// IPv4-mapped queries (::ffff:a.b.c.d) are IPv4 queries (core parses them so). 6to4 queries
// (2002:aabb:ccdd::/48): rbldnsd mirrors always answer them from the IPv4 address they embed; the
// Route 53 zone does so only with ipv4ViaIpv6 (default off), so `answer` is the zone's answer and
// `mirrorAnswer` says what mirrors answer when it differs. For an address, also the evidence about it
// (counts by kind, first/last seen, reporters) when the deployment reads evidence.
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { StoredListing } from '../adapters/listings-table.js';
import { operatorEvidence } from '../core/evidence-summary.js';
import { contains, FAMILY_BITS, formatNetwork, type Network, networkKey, parseNetwork, queryName, SIX_TO_FOUR_RANGE } from '../core/ip.js';
import { isActive, type Listing, testPointListings } from '../core/listing.js';
import { answerFor, effectiveListings, mirrorConfig, zoneRecords } from '../core/semantics.js';
import type { ApiDeps, DnsAnswer } from './deps.js';
import { ApiError, jsonResult } from './errors.js';
import { queryParams } from './request.js';
import type { RequestContext, Route } from './router.js';
import { lookupQuerySchema, parseWith } from './schemas.js';
import { listingView } from './views.js';

export const LOOKUP_INSIDE_CAP = 1000;

/** The IPv4 network a 6to4 network stands for (2002:aabb:ccdd::/48 -> a.b.c.d), if it is one. */
export function sixToFourView(n: Network): Network | undefined {
  if (n.family !== 6 || !contains(SIX_TO_FOUR_RANGE, n)) return undefined;
  const v4prefix = Math.min(32, n.prefix - 16);
  if (v4prefix < 8) return undefined;
  const bits = BigInt(32 - v4prefix);
  const start = (((n.start >> 80n) & 0xffffffffn) >> bits) << bits;
  return { family: 4, start, prefix: v4prefix };
}

function byPrefix(a: Listing, b: Listing): number {
  return a.network.prefix - b.network.prefix || (a.network.start < b.network.start ? -1 : a.network.start > b.network.start ? 1 : 0);
}

export function lookupRoutes(deps: ApiDeps): Route[] {
  const handler = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const parsed = parseWith(lookupQuerySchema, queryParams(ctx.event), 'query');
    if (!parsed.ok) throw ApiError.fromProblems(400, parsed.problems);
    const limits = deps.limits ?? {};
    const widest4 = limits.maxWidth4 ?? 8;
    const widest6 = limits.maxWidth6 ?? 32;
    const query = parseNetwork(parsed.value.ip, { field: 'ip', maxWidth4: widest4, maxWidth6: widest6 });
    const nowSeconds = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
    const via = sixToFourView(query);
    const region = via ?? query;
    const isAddress = query.prefix === FAMILY_BITS[query.family];
    const names = deps.cfg.lists.map((l) => l.name);
    const widest = Math.min(region.family === 4 ? widest4 : widest6, region.prefix);

    const dnsPromise: Promise<DnsAnswer> | undefined = isAddress
      ? (deps.zoneProbe?.query(queryName(query.family, query.start, deps.cfg.zone)) ??
        Promise.resolve({ status: 'unavailable', a: [], txt: [], servers: [], error: 'no DNS servers configured' }))
      : undefined;

    const covering: StoredListing[] = (await deps.table.covering(region, names, widest)).filter((l) => names.includes(l.list));
    const inside: StoredListing[] = [];
    let insideTruncated = false;
    if (!isAddress) {
      for await (const l of deps.table.within(region)) {
        if (l.network.prefix === region.prefix || !names.includes(l.list)) continue;
        if (inside.length >= LOOKUP_INSIDE_CAP) {
          insideTruncated = true;
          break;
        }
        inside.push(l);
      }
    }
    const testPoints = testPointListings(deps.cfg);
    const tpCovering = testPoints.filter((t) => contains(t.network, region));
    const tpInside = isAddress ? [] : testPoints.filter((t) => contains(region, t.network) && t.network.prefix > region.prefix);

    // What the zone answers for the query's own name (a 6to4 name only through ipv4ViaIpv6), and
    // what mirrors answer when that differs.
    const effective = isAddress ? effectiveListings(deps.cfg, covering, nowSeconds) : [];
    const answer = isAddress ? answerFor(deps.cfg, effective, query.family, query.start) : undefined;
    const mirrorAnswer = isAddress && via ? answerFor(mirrorConfig(deps.cfg), effective, query.family, query.start) : undefined;
    const mirrorsDiffer = mirrorAnswer !== undefined && JSON.stringify(mirrorAnswer) !== JSON.stringify(answer);
    const lists = deps.cfg.lists.map((list) => {
      const cov = [...covering, ...tpCovering].filter((l) => l.list === list.name).sort(byPrefix);
      const decider = [...cov].reverse().find((l) => isActive(l, nowSeconds));
      const a = answer?.find((x) => x.list === list.name);
      return {
        list: list.name,
        code: list.code,
        covering: cov.map((l) => listingView(l, nowSeconds)),
        ...(isAddress
          ? { answer: a ? { code: a.code, txt: a.txt } : null, decidedBy: decider ? formatNetwork(decider.network) : null }
          : { inside: [...inside, ...tpInside].filter((l) => l.list === list.name).sort(byPrefix).map((l) => listingView(l, nowSeconds)) }),
      };
    });

    let dnsView: Record<string, unknown> | undefined;
    if (dnsPromise) {
      const d = await dnsPromise;
      // The zone's records: A-only lists (route53Txt false) publish no TXT there.
      const records = zoneRecords(deps.cfg, answer ?? []);
      const computedA = [...records.a].sort();
      const computedTxt = [...records.txt].sort();
      const matches =
        d.status === 'unavailable'
          ? undefined
          : JSON.stringify([...d.a].sort()) === JSON.stringify(computedA) && JSON.stringify([...d.txt].sort()) === JSON.stringify(computedTxt);
      dnsView = {
        name: queryName(query.family, query.start, deps.cfg.zone),
        status: d.status,
        a: [...d.a],
        txt: [...d.txt],
        servers: [...d.servers],
        ...(matches !== undefined ? { matchesComputed: matches } : {}),
        ...(d.error ? { error: d.error } : {}),
      };
    }

    // The evidence about an address (an IPv4-mapped spelling is the IPv4 address).
    const evidence = isAddress && deps.evidence ? operatorEvidence((await deps.evidence.aggregates([query])).get(networkKey(query))) : undefined;
    return jsonResult(200, {
      query: parsed.value.ip,
      network: formatNetwork(query),
      kind: isAddress ? 'address' : 'network',
      ...(via && !mirrorsDiffer ? { answeredFrom: formatNetwork(via) } : {}),
      ...(answer ? { listed: answer.length > 0, answer: answer.map((x) => ({ list: x.list, code: x.code, txt: x.txt })) } : {}),
      ...(via && mirrorsDiffer ? { mirrorsAnswerFrom: formatNetwork(via), mirrorAnswer: mirrorAnswer!.map((x) => ({ list: x.list, code: x.code, txt: x.txt })) } : {}),
      lists,
      ...(!isAddress ? { insideTruncated } : {}),
      ...(dnsView ? { dns: dnsView } : {}),
      ...(evidence ? { evidence } : {}),
    });
  };
  return [{ method: 'GET', path: '/v1/lookup', handler }];
}
