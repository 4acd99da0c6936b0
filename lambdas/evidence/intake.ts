// The evidence intake: a batch of events -> the evidence table -> the policy of every list, for the
// addresses the batch names and the prefixes around them (incremental: no scan) -> listing writes.
//
// Listings are written through the operator API's own write service (POST /v1/listings,
// /v1/delistings, /v1/exclusions of lambdas/api/listings.ts, called in process): the same
// validation, quota guard, conditional writes, version counters and audit trail as an operator's
// write. Every write carries ifVersion (0 for a new entry, the version read for an extension), so
// an operator changing the entry meanwhile wins: the write is refused and left alone. The audit
// event's actor names the evidence ("evidence-policy: <event ids>"), its reason the counts.
//
// Escalation (lambdas/core/escalation.ts) is re-evaluated for the candidate prefixes of every
// address whose level-1 state changed: the level-1 listings inside a prefix are one consistent
// range query of the listings table. Escalated listings expire when the count they rest on would
// fall below the rule, so the sweeper de-escalates them with no scan.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type EvidenceAggregate, type EvidenceStore, mergeAggregate } from '../adapters/evidence-store.js';
import type { ListingsTable, StoredListing } from '../adapters/listings-table.js';
import { ApiError } from '../api/errors.js';
import type { ApiDeps } from '../api/deps.js';
import { writeRoutes } from '../api/listings.js';
import type { RouteHandler } from '../api/router.js';
import {
  LEVEL2_SOURCE,
  LEVEL3_SOURCE,
  level2Candidates,
  level2Decision,
  level3Decision,
  maximal,
  type Member,
} from '../core/escalation.js';
import { type EvidenceEvent, type EvidenceProblem, validateEvents } from '../core/evidence.js';
import {
  configuredKinds,
  type Decision,
  DEFAULT_EVIDENCE_TTL_DAYS,
  evaluate,
  type EvidencePolicyConfig,
  isAutomaticSource,
  LEVEL1_SOURCE,
} from '../core/evidence-policy.js';
import { contains, formatNetwork, type Network, networkEnd, networkKey, supernet } from '../core/ip.js';
import { isActive } from '../core/listing.js';
import type { Pfx2As } from '../core/pfx2as.js';
import type { ProtectedSet } from '../core/protected-set.js';

export interface ListPolicy {
  readonly list: string;
  readonly policy: EvidencePolicyConfig;
}

/** One listing change automation wants. */
export interface PlannedWrite {
  readonly op: 'list' | 'extend' | 'delist' | 'exclude';
  readonly list: string;
  readonly network: Network;
  readonly level: 1 | 2 | 3;
  readonly reason: string;
  readonly expiresAt?: number;
  /** The version the entry had when planned (0: none). */
  readonly ifVersion: number;
  readonly eventIds: readonly string[];
}

export interface WriteOutcome {
  readonly list: string;
  readonly network: string;
  readonly status: string;
  readonly note?: string;
}

/** Writes listings the way operators do. */
export interface ListingWriter {
  upsert(items: readonly PlannedWrite[], actor: string): Promise<WriteOutcome[]>;
  remove(items: readonly PlannedWrite[], actor: string): Promise<WriteOutcome[]>;
}

export interface IntakeDeps {
  readonly policies: readonly ListPolicy[];
  readonly store: EvidenceStore;
  readonly table: ListingsTable;
  readonly writer: ListingWriter;
  readonly protectedSet: ProtectedSet;
  /** The latest operator (or self-) delisting of the network in the list. */
  readonly operatorDelisting: (network: Network, list: string) => Promise<number | undefined>;
  readonly pfx2as?: Pfx2As;
  readonly now?: () => Date;
  /** Addresses evaluated at the same time (default 16). */
  readonly concurrency?: number;
}

export interface AddressOutcome {
  readonly list: string;
  readonly network: string;
  readonly action: Decision['action'];
  readonly score: number;
  readonly reporters: number;
  readonly expiresAt?: string;
  readonly why?: string;
}

export interface IntakeReport {
  readonly accepted: number;
  readonly rejected: readonly EvidenceProblem[];
  readonly decisions: readonly AddressOutcome[];
  readonly writes: readonly WriteOutcome[];
  readonly escalations: readonly EscalationOutcome[];
}

export interface EscalationOutcome {
  readonly list: string;
  readonly network: string;
  readonly level: 2 | 3;
  readonly escalate: boolean;
  readonly count: number;
  readonly needed: number;
  readonly reason: string;
}

export interface PlannedView {
  readonly op: PlannedWrite['op'];
  readonly level: 1 | 2 | 3;
  readonly list: string;
  readonly network: string;
  readonly reason: string;
  readonly expiresAt?: string;
}

export interface DryRunReport {
  readonly evaluated: number;
  readonly truncated: boolean;
  /** "<list>:<action>" -> addresses. */
  readonly summary: Readonly<Record<string, number>>;
  /** Level-1 listings, extensions and delistings it would write (the first 1,000). */
  readonly changes: readonly PlannedView[];
  /** Escalations and de-escalations it would write (the first 1,000). */
  readonly escalations: readonly PlannedView[];
  readonly escalationChecks: readonly EscalationOutcome[];
}

export const AUTOMATION_ACTOR = 'evidence-policy';
export const isAutomationActor = (actor: string) => actor.startsWith(AUTOMATION_ACTOR) || actor === 'sweeper';

async function pool<T, R>(items: readonly T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

function actorFor(eventIds: readonly string[]): string {
  if (eventIds.length === 0) return AUTOMATION_ACTOR;
  const shown = eventIds.slice(0, 5).join(',');
  return `${AUTOMATION_ACTOR}: events ${shown}${eventIds.length > 5 ? ` (+${eventIds.length - 5})` : ''}`.slice(0, 300);
}

export class EvidenceIntake {
  constructor(private readonly deps: IntakeDeps) {}

  private nowSeconds(): number {
    return Math.floor((this.deps.now?.() ?? new Date()).getTime() / 1000);
  }

  kinds(): Set<string> {
    return configuredKinds(this.deps.policies.map((p) => p.policy));
  }

  private ttlSeconds(): number {
    return Math.max(...this.deps.policies.map((p) => (p.policy.evidenceTtlDays ?? DEFAULT_EVIDENCE_TTL_DAYS) * 86_400));
  }

  /** A batch of raw events from `caller`: validate, store, evaluate, write. */
  async submit(items: readonly unknown[], caller: string): Promise<IntakeReport> {
    const now = this.nowSeconds();
    const { events, problems } = validateEvents(items, { kinds: this.kinds(), nowSeconds: now, caller, maxAgeSeconds: this.ttlSeconds() });
    if (events.length === 0) return { accepted: 0, rejected: problems, decisions: [], writes: [], escalations: [] };
    const r = await this.ingest(events, now);
    return { accepted: events.length, rejected: problems, ...r };
  }

  /** Validated events: store them, merge the aggregates, and apply the policies. */
  async ingest(events: readonly EvidenceEvent[], now = this.nowSeconds()): Promise<Omit<IntakeReport, 'accepted' | 'rejected'>> {
    const { store } = this.deps;
    await store.putEvents(events, now);
    const byAddress = new Map<string, { address: Network; events: EvidenceEvent[] }>();
    for (const e of events) {
      const k = networkKey(e.ip);
      const g = byAddress.get(k) ?? { address: e.ip, events: [] };
      g.events.push(e);
      byAddress.set(k, g);
    }
    const groups = [...byAddress.values()];
    const first = await store.aggregates(groups.map((g) => g.address));
    const ttl = store.ttlSeconds;
    const aggs = await pool(groups, this.deps.concurrency ?? 16, (g) =>
      store.updateAggregate(g.address, (a) => mergeAggregate(a, g.events, now, ttl), first.get(networkKey(g.address))),
    );
    return this.apply(aggs, now);
  }

  /** Evaluates and writes for these aggregates (the intake, or a re-evaluation after a policy change). */
  async apply(aggs: readonly EvidenceAggregate[], now = this.nowSeconds()): Promise<Omit<IntakeReport, 'accepted' | 'rejected'>> {
    const { decisions, writes: planned } = await this.planLevel1(aggs, now);
    const writes = await this.write(planned);
    const applied = new Set(writes.filter((w) => ['created', 'updated', 'delisted'].includes(w.status)).map((w) => `${w.list}|${w.network}`));
    // Repeat offences: the start of each new automatic listing.
    const started = planned.filter((p) => p.op === 'list' && applied.has(`${p.list}|${formatNetwork(p.network)}`));
    // The aggregate just written is the offence's starting point (a read saved; a stale one is re-read).
    const written = new Map(aggs.map((a) => [networkKey(a.address), a]));
    await pool(started, this.deps.concurrency ?? 16, (p) => this.deps.store.recordOffence(p.network, p.list, now, written.get(networkKey(p.network))));
    const changed = planned.filter((p) => applied.has(`${p.list}|${formatNetwork(p.network)}`));
    const esc = await this.planEscalation(changed, now);
    const escWrites = await this.write(esc.writes);
    return { decisions, writes: [...writes, ...escWrites], escalations: esc.outcomes };
  }

  /**
   * De-escalation by the same rule after someone else's delisting: an operator (or a reviewed
   * request) removed level-1 listings, so the prefixes around them may no longer hold enough
   * abusers. Their escalations are planned again from the table and written (an escalation that
   * still holds is left as it is; one whose count fell below the rule is delisted). Fits
   * ApiDeps.onDelisted.
   */
  async afterDelisting(removed: readonly { list: string; network: Network }[], caller: string, now = this.nowSeconds()): Promise<{ writes: WriteOutcome[]; escalations: EscalationOutcome[] }> {
    // The intake's own delistings were planned with their escalations already.
    if (isAutomationActor(caller)) return { writes: [], escalations: [] };
    const escalating = new Set(this.deps.policies.filter((p) => p.policy.escalation).map((p) => p.list));
    const changed: PlannedWrite[] = removed
      .filter((r) => escalating.has(r.list))
      .map((r) => ({ op: 'delist', list: r.list, network: r.network, level: 1, reason: 'delisted', ifVersion: 0, eventIds: [] }));
    if (changed.length === 0) return { writes: [], escalations: [] };
    const esc = await this.planEscalation(changed, now);
    return { writes: await this.write(esc.writes), escalations: esc.outcomes };
  }

  /** Level-1 decisions and the writes they need (nothing written). */
  async planLevel1(aggs: readonly EvidenceAggregate[], now: number, policies = this.deps.policies): Promise<{ decisions: AddressOutcome[]; writes: PlannedWrite[] }> {
    const keys = policies.flatMap((p) => aggs.map((a) => ({ list: p.list, network: a.address })));
    const current = await this.deps.table.getMany(keys);
    const decisions: AddressOutcome[] = [];
    const writes: PlannedWrite[] = [];
    const jobs = keys.map((k, i) => ({ k, cur: current[i], agg: aggs[i % aggs.length]!, policy: policies[Math.floor(i / aggs.length)]!.policy }));
    await pool(jobs, this.deps.concurrency ?? 16, async ({ k, cur, agg, policy }) => {
      const live = cur && isActive(cur, now) ? cur : undefined;
      const why = this.deps.protectedSet.why(k.network);
      const input = {
        events: agg.recent.map((e) => ({ id: e.id, kind: e.k, t: e.t, reporter: e.r })),
        ...(live ? { current: { source: live.source, exclusion: live.exclusion, since: Math.floor(Date.parse(live.createdAt) / 1000), version: live.version, ...(live.expiresAt !== undefined ? { expiresAt: live.expiresAt } : {}) } } : {}),
        offences: agg.offences[k.list] ?? [],
        ...(why !== undefined ? { protectedBy: why } : {}),
        now,
      };
      let d = evaluate(policy, input);
      if (d.action === 'list') {
        const at = await this.deps.operatorDelisting(k.network, k.list);
        if (at !== undefined) d = evaluate(policy, { ...input, operatorDelistedAt: at });
      }
      decisions.push({
        list: k.list,
        network: formatNetwork(k.network),
        action: d.action,
        score: d.score,
        reporters: d.reporters,
        ...('expiresAt' in d ? { expiresAt: iso(d.expiresAt) } : {}),
        ...(d.action === 'protected' ? { why: d.why } : d.action === 'grace' ? { why: `an operator delisted it; grace until ${iso(d.until)}` } : {}),
      });
      const version = cur?.version ?? 0;
      if (d.action === 'list' || d.action === 'extend') {
        writes.push({ op: d.action, list: k.list, network: k.network, level: 1, reason: d.reason, expiresAt: d.expiresAt, ifVersion: version, eventIds: d.eventIds });
      } else if (d.action === 'delist') {
        writes.push({ op: 'delist', list: k.list, network: k.network, level: 1, reason: `evidence policy: ${d.reason}`, ifVersion: version, eventIds: d.eventIds });
      }
    });
    return { decisions, writes };
  }

  /**
   * Escalation for the candidate prefixes of the changed level-1 entries. `override` replaces the
   * table's level-1 state of some addresses (a dry run's projection: a member, or null = gone).
   */
  async planEscalation(changed: readonly PlannedWrite[], now: number, policies = this.deps.policies, override?: ReadonlyMap<string, Member | null>): Promise<{ writes: PlannedWrite[]; outcomes: EscalationOutcome[] }> {
    const writes: PlannedWrite[] = [];
    const outcomes: EscalationOutcome[] = [];
    const excluded = this.deps.protectedSet.networks();
    for (const { list, policy } of policies) {
      const esc = policy.escalation;
      if (!esc) continue;
      const mine = changed.filter((c) => c.list === list && c.level === 1);
      if (mine.length === 0) continue;
      const eventIds = [...new Set(mine.flatMap((m) => m.eventIds))];
      const members = async (p: Network): Promise<Member[]> => {
        const out: Member[] = [];
        for await (const l of this.deps.table.within(p)) {
          if (l.list !== list || l.exclusion || !isActive(l, now)) continue;
          if (override?.has(networkKey(l.network))) continue;
          out.push({ network: l.network, ...(l.expiresAt !== undefined ? { expiresAt: l.expiresAt } : {}) });
        }
        for (const m of override?.values() ?? []) if (m && contains(p, m.network)) out.push(m);
        return out;
      };
      if (esc.level2) {
        const cfg = esc.level2;
        const byPrefix = new Map<string, Network>();
        for (const m of mine) {
          const announced = this.deps.pfx2as?.covering(m.network).map((e) => e.network) ?? [];
          for (const p of level2Candidates(m.network, cfg, announced)) byPrefix.set(networkKey(p), p);
        }
        const candidates = [...byPrefix.values()].filter((p) => this.deps.protectedSet.whyPrefix(p) === undefined);
        // One range read per outermost candidate (the /16 of an address's /24../16 chain), the
        // nested candidates counted from it in memory: a batch spread over a /16 reads it once.
        const within = await membersByCover(candidates, members, this.deps.concurrency ?? 16);
        const decided = candidates.map((p) => level2Decision(p, within(p), cfg, now, excluded));
        const up = maximal(decided.filter((d) => d.escalate).map((d) => d.network));
        const upKeys = new Set(up.map(networkKey));
        const existing = await this.deps.table.getMany(decided.map((d) => ({ list: cfg.list, network: d.network })));
        decided.forEach((d, i) => {
          outcomes.push({ list: cfg.list, network: formatNetwork(d.network), level: 2, escalate: d.escalate, count: d.count, needed: d.needed, reason: d.reason });
          const cur = existing[i];
          const live = cur && isActive(cur, now) ? cur : undefined;
          if (live && (live.exclusion || live.source !== LEVEL2_SOURCE)) return; // an operator's entry
          if (upKeys.has(networkKey(d.network))) {
            if (!live || live.expiresAt !== d.expiresAt || live.reason !== d.reason) {
              writes.push({ op: live ? 'extend' : 'list', list: cfg.list, network: d.network, level: 2, reason: d.reason, expiresAt: d.expiresAt!, ifVersion: cur?.version ?? 0, eventIds });
            }
            for (const hole of this.deps.protectedSet.holesIn(d.network)) {
              writes.push({ op: 'exclude', list: cfg.list, network: hole, level: 2, reason: 'never listed: allow range or own infrastructure', ifVersion: -1, eventIds });
            }
          } else if (live) {
            writes.push({ op: 'delist', list: cfg.list, network: d.network, level: 2, reason: `de-escalated: ${d.reason}`, ifVersion: live.version, eventIds });
          }
        });
      }
      if (esc.level3 && this.deps.pfx2as) {
        const cfg = esc.level3;
        const asns = new Set<string>();
        for (const m of mine) for (const a of this.deps.pfx2as.lookup(m.network)?.origins ?? []) asns.add(a);
        for (const asn of asns) {
          const prefixes = this.deps.pfx2as.prefixesOf(asn).filter((p) => this.deps.protectedSet.whyPrefix(p) === undefined);
          const all: Member[] = [];
          for (const p of prefixes) all.push(...(await members(p)));
          const d = level3Decision(asn, prefixes, this.deps.pfx2as.addressesOf(asn), all, cfg, now, excluded);
          outcomes.push({ list: cfg.list, network: `AS${asn}`, level: 3, escalate: d.escalate, count: d.count, needed: d.needed, reason: d.reason });
          const existing = await this.deps.table.getMany(prefixes.map((p) => ({ list: cfg.list, network: p })));
          prefixes.forEach((p, i) => {
            const cur = existing[i];
            const live = cur && isActive(cur, now) ? cur : undefined;
            if (live && (live.exclusion || live.source !== LEVEL3_SOURCE)) return;
            if (d.escalate) {
              if (!live || live.expiresAt !== d.expiresAt || live.reason !== d.reason) {
                writes.push({ op: live ? 'extend' : 'list', list: cfg.list, network: p, level: 3, reason: d.reason, expiresAt: d.expiresAt!, ifVersion: cur?.version ?? 0, eventIds });
              }
              for (const hole of this.deps.protectedSet.holesIn(p)) {
                writes.push({ op: 'exclude', list: cfg.list, network: hole, level: 3, reason: 'never listed: allow range or own infrastructure', ifVersion: -1, eventIds });
              }
            } else if (live) {
              writes.push({ op: 'delist', list: cfg.list, network: p, level: 3, reason: `de-escalated: ${d.reason}`, ifVersion: live.version, eventIds });
            }
          });
        }
      }
    }
    return { writes: dedupe(writes), outcomes };
  }

  /**
   * What `policies` (the current ones where not given) would do to the current evidence, writing
   * nothing: the level-1 changes of every address with evidence (a scan of the aggregates, at most
   * `limit`), and the escalations those changes would bring.
   */
  async dryRun(policies: readonly ListPolicy[], opts: { limit?: number } = {}): Promise<DryRunReport> {
    const now = this.nowSeconds();
    const limit = opts.limit ?? 100_000;
    const aggs: EvidenceAggregate[] = [];
    for await (const a of this.deps.store.scanAggregates(limit + 1)) aggs.push(a);
    const truncated = aggs.length > limit;
    if (truncated) aggs.length = limit;
    const summary: Record<string, number> = {};
    const writes: PlannedWrite[] = [];
    for (let i = 0; i < aggs.length; i += 1000) {
      const r = await this.planLevel1(aggs.slice(i, i + 1000), now, policies);
      for (const d of r.decisions) summary[`${d.list}:${d.action}`] = (summary[`${d.list}:${d.action}`] ?? 0) + 1;
      writes.push(...r.writes);
    }
    const override = new Map<string, Member | null>();
    for (const w of writes) override.set(networkKey(w.network), w.op === 'delist' ? null : { network: w.network, ...(w.expiresAt !== undefined ? { expiresAt: w.expiresAt } : {}) });
    const esc = await this.planEscalation(writes, now, policies, override);
    const view = (w: PlannedWrite) => ({ op: w.op, level: w.level, list: w.list, network: formatNetwork(w.network), reason: w.reason, ...(w.expiresAt !== undefined ? { expiresAt: iso(w.expiresAt) } : {}) });
    return {
      evaluated: aggs.length,
      truncated,
      summary,
      changes: writes.slice(0, 1000).map(view),
      escalations: esc.writes.slice(0, 1000).map(view),
      escalationChecks: esc.outcomes.slice(0, 1000),
    };
  }

  /**
   * Applies planned writes through the operator write service, grouped by actor (the evidence).
   * The holes (allow ranges, own infrastructure) are written, and their writes confirmed, before
   * the escalated listings they cut: written together, the listing's stream record could reach the
   * zone sync first and an allow-listed address inside a new escalation answered "listed" until the
   * hole's record followed (the local-stack lifecycle test caught it under load). DynamoDB Streams
   * promises order per item only; a hole and its /24../16 share the /16's partition key, so their
   * records share a shard, in write order.
   */
  async write(planned: readonly PlannedWrite[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    const phases = [planned.filter((p) => p.op === 'exclude'), planned.filter((p) => p.op === 'list' || p.op === 'extend'), planned.filter((p) => p.op === 'delist')];
    for (const phase of phases) {
      const byActor = new Map<string, PlannedWrite[]>();
      for (const p of phase) {
        const a = actorFor(p.eventIds);
        byActor.set(a, [...(byActor.get(a) ?? []), p]);
      }
      for (const [actor, items] of byActor) {
        for (let i = 0; i < items.length; i += 1000) {
          const chunk = items.slice(i, i + 1000);
          out.push(...(await (chunk[0]!.op === 'delist' ? this.deps.writer.remove(chunk, actor) : this.deps.writer.upsert(chunk, actor))));
        }
      }
    }
    return out;
  }
}

/**
 * The members inside each candidate prefix, reading only the outermost candidates (each once,
 * `concurrency` at a time): `within(p)` is the slice of its cover's members that start in p, sorted
 * by start (level2Decision keeps those contained in p).
 */
export async function membersByCover(candidates: readonly Network[], read: (p: Network) => Promise<Member[]>, concurrency: number): Promise<(p: Network) => Member[]> {
  // Outermost first; a candidate inside an earlier one is not a cover. Bucketed by the /8 (IPv4)
  // or /16 (IPv6) around them, so finding a candidate's cover is not a walk over every cover.
  const bucket = (n: Network) => networkKey(supernet(n, Math.min(n.prefix, n.family === 4 ? 8 : 16)));
  const covers = new Map<string, Network[]>();
  const coverOf = (p: Network) => covers.get(bucket(p))?.find((c) => contains(c, p));
  for (const p of [...candidates].sort((a, b) => a.prefix - b.prefix)) {
    if (coverOf(p)) continue;
    covers.set(bucket(p), [...(covers.get(bucket(p)) ?? []), p]);
  }
  const roots = [...covers.values()].flat();
  const read2 = new Map<string, Member[]>();
  await pool(roots, concurrency, async (r) => {
    read2.set(networkKey(r), (await read(r)).sort((a, b) => (a.network.start < b.network.start ? -1 : a.network.start > b.network.start ? 1 : 0)));
  });
  return (p) => {
    const cover = coverOf(p);
    const all = cover ? read2.get(networkKey(cover))! : [];
    const end = networkEnd(p);
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.network.start < p.start) lo = mid + 1;
      else hi = mid;
    }
    let stop = lo;
    while (stop < all.length && all[stop]!.network.start <= end) stop++;
    return all.slice(lo, stop);
  };
}

function dedupe(writes: readonly PlannedWrite[]): PlannedWrite[] {
  const seen = new Map<string, PlannedWrite>();
  for (const w of writes) seen.set(`${w.list}|${networkKey(w.network)}|${w.op === 'exclude'}`, w);
  return [...seen.values()];
}

// ---------------------------------------------------------------- the operator write service

/**
 * A ListingWriter over the operator API's write routes (lambdas/api/listings.ts), called in
 * process: one request per batch (at most 1,000 items), the caller being the evidence actor. A
 * 409 found before writing (an entry changed since it was planned) refuses the whole request: the
 * items it did not refuse are sent again, once, and the refused ones are reported "conflict".
 */
export function apiListingWriter(apiDeps: ApiDeps): ListingWriter {
  const routes = writeRoutes(apiDeps);
  const route = (path: string): RouteHandler => routes.find((r) => r.path === path)!.handler;
  const listings = route('/v1/listings');
  const exclusions = route('/v1/exclusions');
  const delistings = route('/v1/delistings');
  const call = async (handler: RouteHandler, path: string, items: ReadonlyArray<Record<string, unknown>>, actor: string): Promise<Array<{ status: string; list: string; network: string; note?: string }>> => {
    const event = {
      httpMethod: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: {},
      body: JSON.stringify({ items }),
      isBase64Encoded: false,
      requestContext: { identity: { userArn: actor } },
    } as unknown as APIGatewayProxyEvent;
    try {
      const res = await handler({ event, caller: actor, requestId: `evidence-${Date.now()}` });
      return (JSON.parse(res.body) as { items: Array<{ status: string; list: string; network: string; note?: string }> }).items;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.items) return e.items as Array<{ status: string; list: string; network: string }>;
      if (e instanceof ApiError) {
        // Validation refused the batch (e.g. the quota guard): every item is reported with the reason.
        return items.map((i) => ({ list: String(i.list), network: String(i.network), status: 'refused', note: `${e.code}: ${e.message}`.slice(0, 300) }));
      }
      throw e;
    }
  };
  const send = async (handler: RouteHandler, path: string, items: ReadonlyArray<Record<string, unknown>>, actor: string): Promise<WriteOutcome[]> => {
    let res = await call(handler, path, items, actor);
    const again = items.filter((_, i) => res[i]?.status === 'not-applied');
    if (again.length > 0 && again.length < items.length) {
      const second = await call(handler, path, again, actor);
      let j = 0;
      res = res.map((r) => (r.status === 'not-applied' ? second[j++]! : r));
    }
    return res.map((r) => ({ list: r.list, network: r.network, status: r.status, ...(r.note ? { note: r.note } : {}) }));
  };
  const upsertItem = (p: PlannedWrite) => ({
    list: p.list,
    network: formatNetwork(p.network),
    reason: p.reason,
    source: p.level === 1 ? LEVEL1_SOURCE : p.level === 2 ? LEVEL2_SOURCE : LEVEL3_SOURCE,
    ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
    ...(p.ifVersion >= 0 ? { ifVersion: p.ifVersion } : {}),
  });
  return {
    async upsert(items, actor) {
      const lists = items.filter((i) => i.op !== 'exclude');
      const holes = items.filter((i) => i.op === 'exclude');
      return [
        ...(lists.length ? await send(listings, '/v1/listings', lists.map(upsertItem), actor) : []),
        ...(holes.length ? await send(exclusions, '/v1/exclusions', holes.map(upsertItem), actor) : []),
      ];
    },
    async remove(items, actor) {
      return send(delistings, '/v1/delistings', items.map((p) => ({ list: p.list, network: formatNetwork(p.network), reason: p.reason, ifVersion: p.ifVersion })), actor);
    },
  };
}

/** Whether a stored entry is automation's (evidence) rather than an operator's. */
export function isAutomatic(l: Pick<StoredListing, 'source'>): boolean {
  return isAutomaticSource(l.source);
}
