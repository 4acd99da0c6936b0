// The evidence policy of a list: when weighted evidence lists an address, how long the listing
// holds, and what automation may never do. Pure: the caller gives the evidence, the entry the list
// holds for the address, the operator's last delisting and the time; the decision comes back.
//
//   list    the weighted evidence in the window reaches the threshold (and comes from enough
//           distinct reporters): listed until last evidence + hold
//   extend  listed by evidence and new evidence came: expiry moves to last evidence + hold
//   delist  listed by evidence, but under this policy its evidence no longer holds it (a dry run of
//           a shorter hold or a dropped kind shows these; expiry itself is the sweeper's job)
//   keep / none   nothing to do (listed and current / not enough evidence)
//   protected     never listed: deployment infrastructure, allow ranges, test points, reserved space
//   operator      an operator's entry (listing or exclusion) is at the address: automation never
//                 overrides it
//   grace         an operator delisted it within the grace period and the evidence since then alone
//                 does not reach the threshold
//
// Repeat offenders: with `repeatOffender`, each automatic listing of the address within
// `memoryDays` multiplies the hold by `factor`, up to `maxHoldHours`.
import { InputError } from './input-error.js';
import { validateEscalation, type EscalationConfig } from './escalation.js';

export interface KindPolicy {
  /** What one event of the kind adds to the score (0 keeps it as evidence that never lists). */
  readonly weight: number;
}

export interface RepeatOffenderPolicy {
  readonly factor: number;
  readonly maxHoldHours: number;
  readonly memoryDays: number;
}

/** `lists[i].evidence` in the configuration. */
export interface EvidencePolicyConfig {
  readonly kinds: Readonly<Record<string, KindPolicy>>;
  /** The weighted sum of evidence in the window that lists an address. */
  readonly threshold: number;
  /** Distinct reporters (of weighted events in the window) needed as well; default 1. */
  readonly minReporters?: number;
  readonly windowHours: number;
  /** Listed until the last evidence + this. */
  readonly holdHours: number;
  readonly repeatOffender?: RepeatOffenderPolicy;
  /** After an operator's delisting, only evidence newer than it can relist within this; default 168 (7 days). */
  readonly operatorGraceHours?: number;
  /** How long evidence is kept (DynamoDB TTL); default 30. */
  readonly evidenceTtlDays?: number;
  readonly escalation?: EscalationConfig;
}

export const DEFAULT_OPERATOR_GRACE_HOURS = 168;
export const DEFAULT_EVIDENCE_TTL_DAYS = 30;
/** The source of every listing automation writes; anything else is an operator's. */
export const EVIDENCE_SOURCE_PREFIX = 'evidence:';
export const LEVEL1_SOURCE = 'evidence:level1';

export function isAutomaticSource(source: string): boolean {
  return source.startsWith(EVIDENCE_SOURCE_PREFIX);
}

const KIND_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const MAX_HOURS = 10 * 366 * 24;

function object(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${field} must be an object`, field);
  return v as Record<string, unknown>;
}

function known(o: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new InputError(`${field}.${k} is not a setting (allowed: ${allowed.join(', ')})`, `${field}.${k}`);
  }
}

export function positive(v: unknown, field: string, max: number, integer = false, allowZero = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0) && v <= max && (!integer || Number.isInteger(v));
  if (!ok) throw new InputError(`${field} must be ${integer ? 'an integer' : 'a number'} ${allowZero ? '>= 0' : '> 0'} and at most ${max}; got ${JSON.stringify(v)}`, field);
  return v as number;
}

/** Checks `lists[i].evidence`; the message names the setting (field), as validateZoneConfig does. */
export function validateEvidencePolicy(value: unknown, field = 'evidence', lists?: readonly string[]): EvidencePolicyConfig {
  const o = object(value, field);
  known(o, field, ['kinds', 'threshold', 'minReporters', 'windowHours', 'holdHours', 'repeatOffender', 'operatorGraceHours', 'evidenceTtlDays', 'escalation']);
  const kindsObj = object(o.kinds, `${field}.kinds`);
  const kinds: Record<string, KindPolicy> = {};
  if (Object.keys(kindsObj).length === 0) throw new InputError(`${field}.kinds must name at least one kind, e.g. {"spamtrap": {"weight": 1}}`, `${field}.kinds`);
  for (const [name, k] of Object.entries(kindsObj)) {
    const f = `${field}.kinds.${name}`;
    if (!KIND_NAME.test(name)) throw new InputError(`${JSON.stringify(name)} is not a kind name (lower-case letters, digits and "-", starting with a letter)`, f);
    const ko = object(k, f);
    known(ko, f, ['weight']);
    kinds[name] = { weight: positive(ko.weight, `${f}.weight`, 1_000_000, false, true) };
  }
  const threshold = positive(o.threshold, `${field}.threshold`, 1_000_000);
  if (!Object.values(kinds).some((k) => k.weight > 0)) throw new InputError(`${field}.kinds: every weight is 0, so nothing can ever reach the threshold`, `${field}.kinds`);
  const windowHours = positive(o.windowHours, `${field}.windowHours`, MAX_HOURS);
  const holdHours = positive(o.holdHours, `${field}.holdHours`, MAX_HOURS);
  const out: { -readonly [K in keyof EvidencePolicyConfig]: EvidencePolicyConfig[K] } = { kinds, threshold, windowHours, holdHours };
  if (o.minReporters !== undefined) out.minReporters = positive(o.minReporters, `${field}.minReporters`, 1000, true);
  if (o.operatorGraceHours !== undefined) out.operatorGraceHours = positive(o.operatorGraceHours, `${field}.operatorGraceHours`, MAX_HOURS, false, true);
  if (o.evidenceTtlDays !== undefined) out.evidenceTtlDays = positive(o.evidenceTtlDays, `${field}.evidenceTtlDays`, 3660);
  const ttlHours = (out.evidenceTtlDays ?? DEFAULT_EVIDENCE_TTL_DAYS) * 24;
  if (ttlHours < windowHours) {
    throw new InputError(`${field}.evidenceTtlDays (${ttlHours / 24}) is shorter than the window (${windowHours} h): evidence would be gone before it counted`, `${field}.evidenceTtlDays`);
  }
  if (o.repeatOffender !== undefined) {
    const f = `${field}.repeatOffender`;
    const r = object(o.repeatOffender, f);
    known(r, f, ['factor', 'maxHoldHours', 'memoryDays']);
    const factor = positive(r.factor, `${f}.factor`, 100);
    if (factor < 1) throw new InputError(`${f}.factor must be at least 1 (a repeat offender is held longer, not shorter)`, `${f}.factor`);
    const maxHoldHours = positive(r.maxHoldHours, `${f}.maxHoldHours`, MAX_HOURS);
    if (maxHoldHours < holdHours) throw new InputError(`${f}.maxHoldHours (${maxHoldHours}) is shorter than holdHours (${holdHours})`, `${f}.maxHoldHours`);
    out.repeatOffender = { factor, maxHoldHours, memoryDays: positive(r.memoryDays, `${f}.memoryDays`, 3660) };
  }
  if (o.escalation !== undefined) out.escalation = validateEscalation(o.escalation, `${field}.escalation`, lists);
  return out;
}

/** Every kind a set of policies accepts. */
export function configuredKinds(policies: Iterable<EvidencePolicyConfig>): Set<string> {
  const s = new Set<string>();
  for (const p of policies) for (const k of Object.keys(p.kinds)) s.add(k);
  return s;
}

// ---------------------------------------------------------------- decisions

/** One piece of evidence about the address, as the policy needs it. */
export interface AddressEvidence {
  readonly id: string;
  readonly kind: string;
  /** Epoch seconds. */
  readonly t: number;
  readonly reporter: string;
}

/** The entry the list holds at exactly the address (live ones only). */
export interface CurrentEntry {
  readonly source: string;
  readonly exclusion: boolean;
  readonly expiresAt?: number;
  /** Epoch seconds it was created. */
  readonly since: number;
  readonly version: number;
}

export interface EvaluateInput {
  readonly events: readonly AddressEvidence[];
  readonly current?: CurrentEntry;
  /** The latest delisting of the address in this list by an operator (epoch seconds). */
  readonly operatorDelistedAt?: number;
  /** Start times of earlier automatic listings of the address in this list (repeat offences). */
  readonly offences?: readonly number[];
  /** Set when the address may never be listed: why. */
  readonly protectedBy?: string;
  readonly now: number;
}

export interface Tally {
  readonly score: number;
  readonly reporters: number;
  readonly counts: Readonly<Record<string, number>>;
  /** Latest weighted evidence (epoch seconds), if any. */
  readonly last?: number;
  /** Ids of the events counted (newest first, at most 20). */
  readonly eventIds: readonly string[];
}

export type Decision =
  | ({ readonly action: 'list' | 'extend'; readonly expiresAt: number; readonly reason: string } & Tally)
  | ({ readonly action: 'delist'; readonly reason: string } & Tally)
  | ({ readonly action: 'keep' | 'none' | 'operator' } & Tally)
  | ({ readonly action: 'protected'; readonly why: string } & Tally)
  | ({ readonly action: 'grace'; readonly until: number } & Tally);

/** Weighted evidence with from < t <= now (a configured kind of weight > 0 only). */
export function tally(policy: EvidencePolicyConfig, events: readonly AddressEvidence[], from: number, now: number): Tally {
  let score = 0;
  let last: number | undefined;
  const reporters = new Set<string>();
  const counts: Record<string, number> = {};
  const counted: AddressEvidence[] = [];
  for (const e of events) {
    const w = policy.kinds[e.kind]?.weight ?? 0;
    if (w <= 0 || e.t <= from || e.t > now) continue;
    score += w;
    reporters.add(e.reporter);
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    if (last === undefined || e.t > last) last = e.t;
    counted.push(e);
  }
  counted.sort((a, b) => b.t - a.t || (a.id < b.id ? -1 : 1));
  // Sums of float weights: a hair under the threshold from rounding is not "below" it.
  score = Math.round(score * 1e9) / 1e9;
  return { score, reporters: reporters.size, counts, eventIds: counted.slice(0, 20).map((e) => e.id), ...(last !== undefined ? { last } : {}) };
}

function reaches(policy: EvidencePolicyConfig, t: Tally): boolean {
  return t.score >= policy.threshold && t.reporters >= (policy.minReporters ?? 1);
}

/** The hold of a listing after `prior` automatic listings in memory. */
export function holdSeconds(policy: EvidencePolicyConfig, prior: number): number {
  const base = policy.holdHours * 3600;
  const r = policy.repeatOffender;
  if (!r || prior <= 0) return Math.round(base);
  return Math.round(Math.min(base * r.factor ** Math.min(prior, 64), r.maxHoldHours * 3600));
}

function priorOffences(policy: EvidencePolicyConfig, offences: readonly number[], before: number, now: number): number {
  const r = policy.repeatOffender;
  if (!r) return 0;
  const since = now - r.memoryDays * 86_400;
  return offences.filter((t) => t >= since && t < before).length;
}

/** The listing's reason, naming the evidence (printable ASCII, well under 200 characters). */
export function evidenceReason(policy: EvidencePolicyConfig, t: Tally): string {
  const kinds = Object.entries(t.counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k} x${n}`)
    .slice(0, 4)
    .join(', ');
  const last = t.last !== undefined ? `, last ${new Date(t.last * 1000).toISOString().slice(0, 16)}Z` : '';
  return `evidence: ${kinds} from ${t.reporters} reporter${t.reporters === 1 ? '' : 's'} in ${policy.windowHours}h${last}`.slice(0, 200);
}

export function evaluate(policy: EvidencePolicyConfig, input: EvaluateInput): Decision {
  const { now } = input;
  const windowStart = now - policy.windowHours * 3600;
  const all = tally(policy, input.events, windowStart, now);
  if (input.protectedBy !== undefined) return { action: 'protected', why: input.protectedBy, ...all };
  const cur = input.current;
  if (cur && (cur.exclusion || !isAutomaticSource(cur.source))) return { action: 'operator', ...all };
  const offences = input.offences ?? [];
  if (cur) {
    // Listed by evidence: held until the last evidence (any in the retained set, not only the
    // window) + the hold this listing got.
    const held = tally(policy, input.events, -Infinity, now);
    if (held.last === undefined) return { action: 'delist', reason: 'no evidence of a configured kind holds it', ...held };
    const target = held.last + holdSeconds(policy, priorOffences(policy, offences, cur.since, now));
    if (target <= now) return { action: 'delist', reason: `its last evidence (${new Date(held.last * 1000).toISOString()}) is older than the hold`, ...held };
    if (cur.expiresAt === undefined || target > cur.expiresAt) return { action: 'extend', expiresAt: target, reason: evidenceReason(policy, reaches(policy, all) ? all : held), ...held };
    return { action: 'keep', ...held };
  }
  if (!reaches(policy, all) || all.last === undefined) return { action: 'none', ...all };
  let basis = all;
  const grace = (policy.operatorGraceHours ?? DEFAULT_OPERATOR_GRACE_HOURS) * 3600;
  const d = input.operatorDelistedAt;
  if (d !== undefined && now < d + grace) {
    const since = tally(policy, input.events, Math.max(d, windowStart), now);
    if (!reaches(policy, since)) return { action: 'grace', until: d + grace, ...all };
    basis = since;
  }
  const expiresAt = basis.last! + holdSeconds(policy, priorOffences(policy, offences, now + 1, now));
  if (expiresAt <= now) return { action: 'none', ...all };
  return { action: 'list', expiresAt, reason: evidenceReason(policy, basis), ...basis };
}
