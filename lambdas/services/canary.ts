// The canary: the product checks itself. Every few minutes it picks a few addresses, asks Route 53
// what the zone answers for them (TestDNSAnswer, see adapters/route53-answers.ts) and compares with
// what core/semantics.ts says the zone must answer, computed from the table exactly as the look-up
// API computes it (the covering listings, effectiveListings, answerFor). It reports how many it
// checked and which were wrong; the handler publishes WrongAnswers (alarmed when > 0) and Checked.
//
// What it asks about, in this order of priority (interleaved, so that a small budget covers each):
//   1. the RFC 5782 test points: 127.0.0.2 must be listed, 127.0.0.1 must not (and their IPv6
//      forms ::ffff:7f00:2 / ::ffff:7f00:1);
//   2. networks changed recently (the journal's audit trail, byTime index): an address at their start,
//      a random one inside and the two just outside (where a planner off-by-one shows);
//   3. random listed addresses: a random list and byList bucket, a bounded read of one or two pages;
//   4. random addresses, mostly not listed (a stray wildcard shows here).
//
// Budget: TestDNSAnswer shares Route 53's account-wide request rate (10/s, 50 burst) with the zone
// writer, so one run sends at most `maxCalls` requests (default 20): an address costs one (A answered
// NXDOMAIN and none expected, or A already wrong) or two (A, then TXT). A throttled request ends the
// run: the writer needs the rate more than the canary does.
//
// Changes in flight: the canary reads the table, then asks Route 53; a change written meanwhile, a
// change the stream has not yet carried to the zone, or a listing that expired but that the sweeper
// (every minute) has not yet delisted makes the zone differ from the table for a while, rightly. The
// stand-in answers a change at once, but in AWS a change is PENDING until Route 53 has it on every
// name server ("generally within 60 seconds"), after the stream's batching window and any stream lag
// (alarmed separately, by IteratorAge, past 5 minutes). So a wrong answer is counted only when no
// network covering the address changed in the last `settleSeconds` (default 360 s: 5 minutes of
// tolerated stream lag plus 60 s of propagation), checked in the audit trail of every such network,
// and no covering listing expired in that time; otherwise it is reported as `unsettled`. Recently
// changed networks are likewise sampled only once they are older than `settleSeconds`. This costs a
// few DynamoDB reads per wrong answer and no Route 53 request, unlike asking again after a delay,
// which would double the Route 53 cost of every wrong answer and still guess at the delay.
import type { AuditTrail } from '../adapters/audit-trail.js';
import type { ListingsTable, StoredListing } from '../adapters/listings-table.js';
import type { AnswerSource } from '../adapters/route53-answers.js';
import {
  answeringHost,
  interleave,
  judgeA,
  judgeTxt,
  type Random,
  randomAddress,
  type Sample,
  type SampleKind,
  sampleInside,
  sampleKey,
  samplesAround,
  testPointSamples,
  type ZoneAnswer,
} from '../core/answer-check.js';
import { FAMILY_BITS, formatAddress, formatNetwork, type Network, networkKey, parseNetwork, queryName, supernet } from '../core/ip.js';
import type { ZoneConfig } from '../core/listing.js';
import { type Answer, answerFor, effectiveListings, zoneRecords } from '../core/semantics.js';
import { BY_LIST_BUCKETS } from '../adapters/table-schema.js';
import { MetricUnit, zoneMetricsDocument } from '../adapters/zone-metrics.js';
import { METRIC } from '../core/metric-names.js';

export const CANARY_DEFAULTS = {
  maxCalls: 20,
  settleSeconds: 360,
  recentSeconds: 3600,
  recentEvents: 50,
  listedPageSize: 50,
  listedPages: 2,
} as const;

/** Environment variables of the canary function (set by lib/zone-canary.ts; all optional). */
export const CANARY_ENV = { maxCalls: 'CANARY_MAX_CALLS', settleSeconds: 'CANARY_SETTLE_SECONDS' } as const;

export interface CanaryDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly audit: AuditTrail;
  readonly answers: AnswerSource;
  readonly nowSeconds: () => number;
  readonly rng?: Random;
}

export interface CanaryOptions {
  /** TestDNSAnswer requests per run, at most (default 20). */
  readonly maxCalls?: number;
  /** A change younger than this may not be in the zone yet (default 360). */
  readonly settleSeconds?: number;
  /** How far back recently changed networks are taken from (default 3600). */
  readonly recentSeconds?: number;
  /** Audit events read for them, newest first (default 50). */
  readonly recentEvents?: number;
}

export interface CheckedAddress {
  readonly address: string;
  readonly name: string;
  readonly kind: SampleKind;
  readonly because?: string;
  readonly expected: { readonly a: string[]; readonly txt: string[] };
  readonly answered: { readonly a?: ZoneAnswer; readonly txt?: ZoneAnswer };
  readonly problem: string;
}

export interface CanaryReport {
  readonly zone: string;
  /** Addresses whose answer was judged. */
  checked: number;
  /** Judged wrong, with no change in flight to explain it: what the alarm counts. */
  wrong: number;
  /** Wrong, but a covering network changed (or a listing expired) within settleSeconds. */
  unsettled: number;
  /** Questions that got no answer (throttled or failed after their attempts). */
  errors: number;
  /** TestDNSAnswer requests sent. */
  calls: number;
  /** Addresses chosen but not asked about (budget spent, or the run stopped on throttling). */
  notChecked: number;
  checkedByKind: Partial<Record<SampleKind, number>>;
  wrongAnswers: CheckedAddress[];
  unsettledAnswers: CheckedAddress[];
  errorMessages: string[];
}

export async function runCanary(deps: CanaryDeps, opts: CanaryOptions = {}): Promise<CanaryReport> {
  const maxCalls = opts.maxCalls ?? CANARY_DEFAULTS.maxCalls;
  const settle = opts.settleSeconds ?? CANARY_DEFAULTS.settleSeconds;
  const rng = deps.rng ?? Math.random;
  const now = deps.nowSeconds();
  const names = deps.cfg.lists.map((l) => l.name);
  const report: CanaryReport = {
    zone: deps.cfg.zone,
    checked: 0,
    wrong: 0,
    unsettled: 0,
    errors: 0,
    calls: 0,
    notChecked: 0,
    checkedByKind: {},
    wrongAnswers: [],
    unsettledAnswers: [],
    errorMessages: [],
  };

  // ---------------------------------------------------------------- what to ask about
  const changed = await recentlyChanged(deps, now, settle, opts);
  const perNetwork = changed.map((n) => samplesAround(n.network, `changed ${n.text}`, rng));
  // Each group as long as the whole budget: when one runs short, the others fill the run.
  const listed = await randomListed(deps, names, now, maxCalls, rng);
  const random = Array.from({ length: maxCalls }, (_, i) => randomAddress(rng, i % 4 === 3 ? 6 : 4));
  // Every address costs at least one request: more than maxCalls could never be asked about.
  const samples = interleave(testPointSamples(), [interleave([], perNetwork), listed, random]).slice(0, maxCalls);

  // ---------------------------------------------------------------- what the zone must answer
  const hosts = samples.map(answeringHost);
  const covering = await coveringOf(deps.table, hosts, names);
  const effective = (host: Network) => effectiveListings(deps.cfg, covering.get(networkKey(host)) ?? [], now);
  const expected = new Map<string, Answer>(
    samples.map((s, i) => [sampleKey(s), answerFor(deps.cfg, effective(hosts[i]!), s.family, s.address)]),
  );

  // ---------------------------------------------------------------- ask and judge
  const suspects: Array<{ sample: Sample; host: Network; checked: CheckedAddress }> = [];
  let i = 0;
  for (; i < samples.length; i++) {
    if (maxCalls - report.calls < 2) break; // an address may need two requests
    const s = samples[i]!;
    const want = expected.get(sampleKey(s))!;
    const name = queryName(s.family, s.address, deps.cfg.zone);
    const a = await deps.answers.ask(name, 'A', Math.min(3, maxCalls - report.calls - 1));
    report.calls += a.attempts;
    if (!a.answer) {
      report.errors++;
      report.errorMessages.push(`${name} A: ${a.error}`);
      if (a.throttled) break;
      continue;
    }
    const va = judgeA(want, a.answer);
    let txt: ZoneAnswer | undefined;
    let problem = va.ok ? undefined : va.problem;
    if (va.askTxt) {
      const t = await deps.answers.ask(name, 'TXT', Math.max(1, Math.min(3, maxCalls - report.calls)));
      report.calls += t.attempts;
      if (!t.answer) {
        report.errors++;
        report.errorMessages.push(`${name} TXT: ${t.error}`);
        if (t.throttled) break;
        continue;
      }
      txt = t.answer;
      const vt = judgeTxt(zoneRecords(deps.cfg, want).txt, t.answer);
      if (!vt.ok) problem = vt.problem;
    }
    report.checked++;
    report.checkedByKind[s.kind] = (report.checkedByKind[s.kind] ?? 0) + 1;
    if (problem !== undefined) {
      suspects.push({
        sample: s,
        host: hosts[i]!,
        checked: {
          address: formatAddress(s.family, s.address),
          name,
          kind: s.kind,
          ...(s.because ? { because: s.because } : {}),
          expected: { a: [...zoneRecords(deps.cfg, want).a], txt: [...zoneRecords(deps.cfg, want).txt] },
          answered: { a: a.answer, ...(txt ? { txt } : {}) },
          problem,
        },
      });
    }
  }
  report.notChecked = samples.length - i;

  // ---------------------------------------------------------------- changes in flight
  for (const s of suspects) {
    if (await inFlight(deps, s.host, covering.get(networkKey(s.host)) ?? [], now, settle)) {
      report.unsettled++;
      report.unsettledAnswers.push(s.checked);
    } else {
      report.wrong++;
      report.wrongAnswers.push(s.checked);
    }
  }
  return report;
}

/** The CloudWatch embedded-metric-format line the handler logs (namespace DnsblPublisher, dimension Zone). */
export function canaryMetrics(report: CanaryReport, timestamp = Date.now()): Record<string, unknown> {
  return zoneMetricsDocument(
    report.zone,
    [
      [METRIC.wrongAnswers, MetricUnit.Count, report.wrong],
      [METRIC.checked, MetricUnit.Count, report.checked],
      [METRIC.unsettledAnswers, MetricUnit.Count, report.unsettled],
      [METRIC.canaryCalls, MetricUnit.Count, report.calls],
    ],
    timestamp,
  );
}

/** One line for a log: counts, and the wrong answers' addresses and problems. */
export function canarySummary(r: CanaryReport): string {
  const head = `checked ${r.checked}, wrong ${r.wrong}, unsettled ${r.unsettled}, errors ${r.errors}, ${r.calls} TestDNSAnswer calls`;
  return r.wrongAnswers.length === 0 ? head : `${head}: ${r.wrongAnswers.map((w) => `${w.address} (${w.kind}) ${w.problem}`).join('; ')}`;
}

// -------------------------------------------------------------------------------- reads

async function recentlyChanged(
  deps: CanaryDeps,
  now: number,
  settle: number,
  opts: CanaryOptions,
): Promise<Array<{ network: Network; text: string }>> {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const from = now - (opts.recentSeconds ?? CANARY_DEFAULTS.recentSeconds);
  const to = now - settle;
  if (to <= from) return [];
  const events = await deps.audit.between(iso(from), iso(to), opts.recentEvents ?? CANARY_DEFAULTS.recentEvents);
  const seen = new Set<string>();
  const out: Array<{ network: Network; text: string }> = [];
  for (const e of events) {
    let network: Network;
    try {
      network = parseNetwork(e.network, { maxWidth4: 0, maxWidth6: 0 });
    } catch {
      continue;
    }
    const k = networkKey(network);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ network, text: `${e.network} (${e.action} ${e.list} at ${e.at})` });
  }
  return out;
}

/**
 * Random listed addresses: a random list, a random byList bucket, up to two pages of it (a bounded
 * read; a bucket is sorted by network, so this favours a bucket's low addresses, and the random
 * bucket spreads that over the list), then random active listings from what was read and a random
 * address in each. An empty bucket (a small list) moves on to the next bucket and list: at most
 * BY_LIST_BUCKETS queries that find nothing.
 */
async function randomListed(deps: CanaryDeps, lists: readonly string[], now: number, count: number, rng: Random): Promise<Sample[]> {
  if (lists.length === 0 || count <= 0) return [];
  const firstList = Math.floor(rng() * lists.length);
  const firstBucket = Math.floor(rng() * BY_LIST_BUCKETS);
  for (let attempt = 0; attempt < BY_LIST_BUCKETS; attempt++) {
    const list = lists[(firstList + attempt) % lists.length]!;
    const bucket = (firstBucket + attempt) % BY_LIST_BUCKETS;
    const found: StoredListing[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < CANARY_DEFAULTS.listedPages; page++) {
      const r = await deps.table.pageByList(list, bucket, { limit: CANARY_DEFAULTS.listedPageSize, ...(startKey ? { startKey } : {}) });
      for (const { listing } of r.items) {
        if (!listing.exclusion && (listing.expiresAt === undefined || listing.expiresAt > now)) found.push(listing);
      }
      startKey = r.next;
      if (!startKey) break;
    }
    if (found.length === 0) continue;
    const out: Sample[] = [];
    for (let k = 0; k < count && found.length > 0; k++) {
      const [l] = found.splice(Math.floor(rng() * found.length), 1);
      out.push(sampleInside(l!.network, `listed ${l!.list} ${formatNetwork(l!.network)}`, rng));
    }
    return out;
  }
  return [];
}

/** Covering listings of every host, keyed by networkKey: one round of BatchGetItem (the prefix census limits the keys). */
async function coveringOf(table: ListingsTable, hosts: readonly Network[], lists: readonly string[]): Promise<Map<string, StoredListing[]>> {
  if (hosts.length === 0) return new Map();
  const lengths = await table.prefixLengths();
  const wide = hosts.some((h) => h.family === 4) ? await table.wide() : [];
  const found = await table.coveringMany(hosts, lists, () => 0, wide, lengths);
  for (const [k, ls] of found) found.set(k, ls.filter((l) => lists.includes(l.list)));
  return found;
}

/**
 * Whether the zone may rightly still differ for this address: a listing covering it expired within
 * `settle` seconds (the sweeper may not have delisted it yet), or the audit trail of a network
 * covering it (of a prefix length ever listed) has an event since `now - settle`.
 */
async function inFlight(deps: CanaryDeps, host: Network, covering: readonly StoredListing[], now: number, settle: number): Promise<boolean> {
  if (covering.some((l) => l.expiresAt !== undefined && l.expiresAt <= now && l.expiresAt > now - settle)) return true;
  const since = new Date((now - settle) * 1000).toISOString();
  const lengths = (await deps.table.prefixLengths())[host.family];
  const candidates: Network[] = [];
  for (let p = 0; p <= FAMILY_BITS[host.family]; p++) if (!lengths || lengths.has(p)) candidates.push(supernet(host, p));
  for (let k = 0; k < candidates.length; k += 8) {
    const hits = await Promise.all(candidates.slice(k, k + 8).map((n) => deps.audit.changedSince(n, since)));
    if (hits.some(Boolean)) return true;
  }
  return false;
}
