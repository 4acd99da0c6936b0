// Self-service delisting: what a confirmed request from a listed sender may do, per list. Pure.
//
// The rules (issue 13), in the order they are checked:
//   - the list's `selfDelist` is "never": refused (the sender is told to contact the operator);
//   - the address is not listed in the list: nothing to do;
//   - the listing deciding the address is wider than the one host (a range): review. A host inside
//     a listed range is never delisted through self-service (the operator's approval adds an
//     exclusion for exactly that host; see lambdas/public/delist-service.ts);
//   - the listing was made by hand (its source is not one of the list's automated sources): review;
//   - the list's `selfDelist` is "review": review;
//   - evidence arrived after a self-delisting (the address was listed again after it): review until
//     the lockout (`selfDelistLimit.days`) from that relisting has passed;
//   - the address was self-delisted `selfDelistLimit.count` times within `days` already: review;
//   - otherwise: delist now.
// "Evidence" is any relisting after a self-delisting, seen as the listing's createdAt (a relisting
// starts afresh: the self-delisting deleted the listing, and an expired one is replaced, not
// updated; extensions keep it, so the lockout runs from the relisting). The evidence path
// (POST /v1/evidence, lambdas/evidence/intake.ts) relists through the operator API's writer; an
// operator's or an import's relisting counts alike. test/public/evidence-relist.test.ts drives it.
import { FAMILY_BITS, type Network } from './ip.js';
import type { ListDef, Listing } from './listing.js';

export type SelfDelistMode = 'auto' | 'review' | 'never';

export interface SelfDelistPolicy {
  readonly mode: SelfDelistMode;
  readonly maxPerPeriod: number;
  readonly periodDays: number;
  readonly dnsProof: boolean;
  readonly automatedSources: readonly string[];
}

export const DEFAULT_SELF_DELIST: SelfDelistMode = 'review';
export const DEFAULT_SELF_DELIST_LIMIT = { count: 2, days: 30 } as const;
export const DEFAULT_AUTOMATED_SOURCES: readonly string[] = ['trap:', 'feed:', 'import:', 'abuse-report', 'evidence:'];

export function selfDelistPolicy(list: ListDef): SelfDelistPolicy {
  return {
    mode: list.selfDelist ?? DEFAULT_SELF_DELIST,
    maxPerPeriod: list.selfDelistLimit?.count ?? DEFAULT_SELF_DELIST_LIMIT.count,
    periodDays: list.selfDelistLimit?.days ?? DEFAULT_SELF_DELIST_LIMIT.days,
    dnsProof: list.selfDelistDnsProof === true,
    automatedSources: list.automatedSources ?? DEFAULT_AUTOMATED_SOURCES,
  };
}

/** Why a request goes to an operator instead of being applied at once. */
export type ReviewReason = 'policy-review' | 'range' | 'by-hand' | 'limit-reached' | 'relisted-after-self-delist';
/** Why a request cannot be made at all. */
export type RefusalReason = 'never' | 'not-listed';

export type DelistDecision =
  | { readonly outcome: 'delist' }
  | { readonly outcome: 'review'; readonly why: ReviewReason; readonly lockedUntil?: string }
  | { readonly outcome: 'refuse'; readonly why: RefusalReason };

export interface DelistInput {
  readonly policy: SelfDelistPolicy;
  /** The address the request names (one host). */
  readonly address: Network;
  /** The active listing (not exclusion) of the list deciding the address, if any. */
  readonly listing: Pick<Listing, 'network' | 'source' | 'createdAt' | 'exclusion'> | undefined;
  /** ISO times of this address's past self-delistings in this list. */
  readonly selfDelistings: readonly string[];
  readonly now: Date;
}

const DAY_MS = 86_400_000;

export function isAutomatedSource(policy: Pick<SelfDelistPolicy, 'automatedSources'>, source: string): boolean {
  return policy.automatedSources.some((p) => source.startsWith(p));
}

/** Self-delistings within the last `periodDays` before `now`. */
export function recentSelfDelistings(policy: Pick<SelfDelistPolicy, 'periodDays'>, times: readonly string[], now: Date): string[] {
  const from = now.getTime() - policy.periodDays * DAY_MS;
  return times.filter((t) => {
    const ms = Date.parse(t);
    return ms > from && ms <= now.getTime();
  });
}

/**
 * Until when self-service is closed for an address that was listed again (`relistedAt`) within
 * `periodDays` after a self-delisting: `periodDays` from the relisting. undefined when there was no self-delisting
 * before the relisting, or the lockout is over at `now`.
 */
export function selfServiceLockedUntil(policy: Pick<SelfDelistPolicy, 'periodDays'>, selfDelistings: readonly string[], relistedAt: string, now: Date): string | undefined {
  const relisted = Date.parse(relistedAt);
  const period = policy.periodDays * DAY_MS;
  if (!selfDelistings.some((t) => Date.parse(t) <= relisted && Date.parse(t) > relisted - period)) return undefined;
  const until = relisted + period;
  return until > now.getTime() ? new Date(until).toISOString() : undefined;
}

export function decideSelfDelist(input: DelistInput): DelistDecision {
  const { policy, listing } = input;
  if (policy.mode === 'never') return { outcome: 'refuse', why: 'never' };
  if (!listing || listing.exclusion) return { outcome: 'refuse', why: 'not-listed' };
  if (listing.network.prefix < FAMILY_BITS[listing.network.family]) return { outcome: 'review', why: 'range' };
  if (!isAutomatedSource(policy, listing.source)) return { outcome: 'review', why: 'by-hand' };
  if (policy.mode === 'review') return { outcome: 'review', why: 'policy-review' };
  const locked = selfServiceLockedUntil(policy, input.selfDelistings, listing.createdAt, input.now);
  if (locked) return { outcome: 'review', why: 'relisted-after-self-delist', lockedUntil: locked };
  if (recentSelfDelistings(policy, input.selfDelistings, input.now).length >= policy.maxPerPeriod) return { outcome: 'review', why: 'limit-reached' };
  return { outcome: 'delist' };
}
