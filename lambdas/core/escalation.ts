// Escalation levels, as extra lists in the same zone.
//
// Level 2 lists a prefix when enough of its addresses are listed at level 1 (the list whose policy
// this is), and removes it by the same rule. The default rule is UCEPROTECT's, as their policy page
// for level 2 states it (http://www.uceprotect.net/en/index.php?m=3&s=4, the version in force
// 2010-2021) and their removal page repeats it for de-escalation (index.php?m=7&s=7):
//   "Allocations smaller than /26 will be Level 2 listed immediatley if only a single IP gets listed
//    at Level 1, and a /25 if 2 IP's get listed at Level 1 for abuse within 7 days. Starting at /24
//    if more than 4 abuser IP's are Level 1 listed, further escalation can be calculated by
//    following formula: Netmask -1 = Abusers + (Abusers at Netzmask + 1). Thus a /23 get Level 2
//    listed, if more than 9 abuser IP's, a /22 if more than 14 abuser IP's, a /21 if more than 24"
//   removal: "Allocations less than /26 will be removed if NO abusers, and /25 Net's if less than 2
//    abuser are left in Level 1. Starting by /24 Net's which will be removed if 4 or less abusers are
//    left [...] a /23 Net will be removed if 9 or less, a /22 Net if 14 or less, a /21 Net if 24 or
//    less"
// As thresholds (listed at >= t abusers, removed below t): /26 and longer 1 (the page leaves /26
// itself between "smaller than /26" and /25; issue 14 reads it as "/26 or smaller", so do we),
// /25 2, /24 5, /23 10, and t(n-1) = t(n) + t(n+1) from there: /22 15, /21 25, /20 40 … which is
// exactly their worked examples (more than 9, 14, 24).
// Their current page (2024) states another rule (/27 1 impact, /26 2, /25 3, /24 4, then
// "Netmask - 1 = ((netmask value + 1) + (netmask value +3))"), but its own examples do not follow
// from those seeds (it gives /13 303 and /11 651; the recurrence gives 277 and 595), so it is not
// offered until their full table can be checked.
//
// Level 3 lists the prefixes of an origin AS (from a pfx2as file) when
// impacts / addresses in the AS * 100,000 >= score and impacts >= minImpacts.
//
// Expiry: an escalated listing expires when the count it rests on would drop below what it needs,
// given the expiries of the level-1 listings counted (the k-th latest of them, k = what is needed).
// So de-escalation happens through the sweeper as level-1 listings expire, with no scan; a re-
// evaluation (new evidence in the prefix) moves it.
import { InputError } from './input-error.js';
import { contains, type Network, networkSize, supernet } from './ip.js';

export type Level2Rule = 'uceprotect';

export interface Level2Config {
  /** The list escalated prefixes go to (a list of the zone, not the level-1 list). */
  readonly list: string;
  readonly rule?: Level2Rule;
  /** Widest prefix considered (default /16); IPv4 only, as UCEPROTECT. */
  readonly widest?: number;
  /** Narrowest prefix considered (default /24). */
  readonly narrowest?: number;
  /** The longest an escalated listing is held when its members never expire (default 168 h). */
  readonly maxHoldHours?: number;
}

export interface Level3Config {
  readonly list: string;
  readonly score: number;
  readonly minImpacts: number;
  readonly maxHoldHours?: number;
}

export interface EscalationConfig {
  readonly level2?: Level2Config;
  readonly level3?: Level3Config;
}

export const DEFAULT_WIDEST = 16;
export const DEFAULT_NARROWEST = 24;
export const DEFAULT_ESCALATION_HOLD_HOURS = 168;
export const LEVEL2_SOURCE = 'evidence:level2';
export const LEVEL3_SOURCE = 'evidence:level3';

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${field} must be an object`, field);
  return v as Record<string, unknown>;
}

function checkKeys(o: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new InputError(`${field}.${k} is not a setting (allowed: ${allowed.join(', ')})`, `${field}.${k}`);
}

function listRef(v: unknown, field: string, lists: readonly string[] | undefined): string {
  if (typeof v !== 'string' || !/^[a-z][a-z0-9-]{0,30}$/.test(v)) throw new InputError(`${field} must name a list`, field);
  if (lists && !lists.includes(v)) throw new InputError(`${field} ${JSON.stringify(v)} is not a configured list; configured lists: ${lists.join(', ')}`, field);
  return v;
}

function num(v: unknown, field: string, min: number, max: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new InputError(`${field} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}; got ${JSON.stringify(v)}`, field);
  }
  return v;
}

export function validateEscalation(value: unknown, field: string, lists?: readonly string[]): EscalationConfig {
  const o = obj(value, field);
  checkKeys(o, field, ['level2', 'level3']);
  const out: { level2?: Level2Config; level3?: Level3Config } = {};
  if (o.level2 !== undefined) {
    const f = `${field}.level2`;
    const l = obj(o.level2, f);
    checkKeys(l, f, ['list', 'rule', 'widest', 'narrowest', 'maxHoldHours']);
    if (l.rule !== undefined && l.rule !== 'uceprotect') {
      throw new InputError(`${f}.rule ${JSON.stringify(l.rule)} is not a rule; known: "uceprotect" (the default)`, `${f}.rule`);
    }
    const widest = l.widest === undefined ? DEFAULT_WIDEST : num(l.widest, `${f}.widest`, 8, 32, true);
    const narrowest = l.narrowest === undefined ? DEFAULT_NARROWEST : num(l.narrowest, `${f}.narrowest`, 8, 32, true);
    if (widest > narrowest) throw new InputError(`${f}.widest /${widest} is narrower than narrowest /${narrowest}`, `${f}.widest`);
    out.level2 = {
      list: listRef(l.list, `${f}.list`, lists),
      ...(l.rule !== undefined ? { rule: l.rule as Level2Rule } : {}),
      widest,
      narrowest,
      ...(l.maxHoldHours !== undefined ? { maxHoldHours: num(l.maxHoldHours, `${f}.maxHoldHours`, 1, 87_840, false) } : {}),
    };
  }
  if (o.level3 !== undefined) {
    const f = `${field}.level3`;
    const l = obj(o.level3, f);
    checkKeys(l, f, ['list', 'score', 'minImpacts', 'maxHoldHours']);
    out.level3 = {
      list: listRef(l.list, `${f}.list`, lists),
      score: num(l.score, `${f}.score`, 0, 100_000, false),
      minImpacts: num(l.minImpacts, `${f}.minImpacts`, 1, 1_000_000_000, true),
      ...(l.maxHoldHours !== undefined ? { maxHoldHours: num(l.maxHoldHours, `${f}.maxHoldHours`, 1, 87_840, false) } : {}),
    };
    if (out.level2 && out.level2.list === out.level3.list) throw new InputError(`${f}.list is the level-2 list too; give each level its own list`, `${f}.list`);
  }
  return out;
}

/** Level-1 abusers a prefix of this length needs to be listed at level 2 (and keeps it while it has). */
export function level2Threshold(prefix: number, rule: Level2Rule = 'uceprotect'): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`prefix /${prefix} is not an IPv4 prefix length`);
  const memo = new Map<number, number>();
  if (rule !== 'uceprotect') throw new RangeError(`unknown level-2 rule ${String(rule)}`);
  const t = (p: number): number => {
    if (p >= 26) return 1;
    if (p === 25) return 2;
    if (p === 24) return 5;
    if (p === 23) return 10;
    const hit = memo.get(p);
    if (hit !== undefined) return hit;
    const v = t(p + 1) + t(p + 2);
    memo.set(p, v);
    return v;
  };
  return t(prefix);
}

/** The prefixes level 2 considers for an address: aligned supernets from narrowest to widest, and announced prefixes in that span. */
export function level2Candidates(address: Network, cfg: Level2Config, announced: readonly Network[] = []): Network[] {
  if (address.family !== 4) return [];
  const widest = cfg.widest ?? DEFAULT_WIDEST;
  const narrowest = cfg.narrowest ?? DEFAULT_NARROWEST;
  const out: Network[] = [];
  for (let p = narrowest; p >= widest; p--) out.push(supernet(address, p));
  for (const a of announced) {
    if (a.family === 4 && a.prefix >= widest && a.prefix <= narrowest && contains(a, address) && !out.some((o) => o.prefix === a.prefix)) out.push(a);
  }
  return out;
}

/**
 * When a count resting on members with these expiries (Infinity: never) drops below `needed`: the
 * needed-th latest expiry. undefined when fewer than `needed` members are live at `now`.
 */
export function escalationExpiry(expiries: readonly number[], needed: number, now: number): number | undefined {
  if (needed <= 0) return Infinity;
  const live = expiries.filter((e) => e > now).sort((a, b) => b - a);
  return live.length >= needed ? live[needed - 1] : undefined;
}

export interface EscalationDecision {
  readonly network: Network;
  readonly escalate: boolean;
  /** Abusers (level 2) or impacts (level 3) counted. */
  readonly count: number;
  readonly needed: number;
  readonly expiresAt?: number;
  readonly reason: string;
}

/** A member of an escalation count: a level-1 listing (its size in addresses and its expiry). */
export interface Member {
  readonly network: Network;
  /** Epoch seconds; undefined = permanent. */
  readonly expiresAt?: number;
}

function memberExpiries(members: readonly Member[], within: Network, now: number, excluded: readonly Network[]): number[] {
  const out: number[] = [];
  for (const m of members) {
    if (!contains(within, m.network)) continue;
    if (excluded.some((x) => contains(x, m.network))) continue;
    const e = m.expiresAt ?? Infinity;
    if (e <= now) continue;
    const n = Number(networkSize(m.network) > 1_000_000n ? 1_000_000n : networkSize(m.network));
    for (let i = 0; i < n; i++) out.push(e);
  }
  return out;
}

function capped(expiry: number, now: number, maxHoldHours: number | undefined): number {
  return Math.min(expiry, now + (maxHoldHours ?? DEFAULT_ESCALATION_HOLD_HOURS) * 3600);
}

/** Level 2 for one prefix: members are the level-1 listings (anywhere; those inside count). */
export function level2Decision(prefix: Network, members: readonly Member[], cfg: Level2Config, now: number, excluded: readonly Network[] = []): EscalationDecision {
  const needed = level2Threshold(prefix.prefix, cfg.rule);
  const expiries = memberExpiries(members, prefix, now, excluded);
  const at = escalationExpiry(expiries, needed, now);
  const reason = `level 2: ${expiries.length} of its addresses listed at level 1 (${needed} needed for a /${prefix.prefix})`;
  return at === undefined
    ? { network: prefix, escalate: false, count: expiries.length, needed, reason }
    : { network: prefix, escalate: true, count: expiries.length, needed, expiresAt: capped(at, now, cfg.maxHoldHours), reason };
}

/** The impacts an AS of `addresses` addresses needs: at least minImpacts, and impacts/addresses*100,000 >= score. */
export function level3Needed(addresses: bigint, cfg: Pick<Level3Config, 'score' | 'minImpacts'>): number {
  // impacts * 100000 >= score * addresses  <=>  impacts >= ceil(score * addresses / 100000)
  const byScore = Math.ceil((cfg.score * Number(addresses)) / 100_000 - 1e-9);
  return Math.max(cfg.minImpacts, byScore);
}

/** Level 3 for one AS: its prefixes, its size in addresses, and the level-1 listings. */
export function level3Decision(
  asn: string,
  prefixes: readonly Network[],
  addresses: bigint,
  members: readonly Member[],
  cfg: Level3Config,
  now: number,
  excluded: readonly Network[] = [],
): EscalationDecision & { readonly prefixes: readonly Network[]; readonly asn: string } {
  const needed = level3Needed(addresses, cfg);
  const seen = new Set<Member>();
  const expiries: number[] = [];
  for (const p of prefixes) {
    const inside = members.filter((m) => !seen.has(m) && contains(p, m.network));
    for (const m of inside) seen.add(m);
    expiries.push(...memberExpiries(inside, p, now, excluded));
  }
  const score = addresses > 0n ? (expiries.length / Number(addresses)) * 100_000 : 0;
  const at = escalationExpiry(expiries, needed, now);
  const network = prefixes[0] ?? { family: 4 as const, start: 0n, prefix: 0 };
  const reason = `level 3: AS${asn} has ${expiries.length} impacts in ${addresses} addresses (score ${score.toFixed(1)}; ${needed} needed)`;
  return at === undefined
    ? { asn, network, prefixes, escalate: false, count: expiries.length, needed, reason }
    : { asn, network, prefixes, escalate: true, count: expiries.length, needed, expiresAt: capped(at, now, cfg.maxHoldHours), reason };
}

/** Drops every network contained in another of the set (an escalated /22 makes its /24 redundant). */
export function maximal(networks: readonly Network[]): Network[] {
  return networks.filter((n, i) => !networks.some((o, j) => j !== i && contains(o, n) && (o.prefix < n.prefix || j < i)));
}
