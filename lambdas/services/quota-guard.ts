// Refuses a write that would plan the zone past its rrset quota, before anything is written, instead
// of letting its stream records fail at Route 53 ("Exceeded limit MAX_RRSETS_BY_ZONE") and pile up in
// the failure queue.
//
// The quota (Route 53's count and limit) is read at most every `ttlMs` per container: one
// GetHostedZoneLimit per write would spend the account's 10 requests/s that the zone writer needs.
// A cached count is stale in one direction only while this container writes: the zone grows by what
// the stream applies. So every write this container accepted is added on top of the cached count
// for `holdMs` (longer than the cache and the stream's lag), counting it twice for a while rather
// than not at all. Writes through other containers in the same window are not seen: the guard is a
// fence for the operator, not an exact lock; Route 53 still enforces the limit itself.
import type { ZoneQuota, ZoneQuotaSource } from '../adapters/route53-quota.js';

export const QUOTA_CACHE_MS = 30_000;
/** How long an accepted write's rrsets are counted on top of the cached count. */
export const QUOTA_HOLD_MS = 90_000;
/** How long a quota read may take inside an API request before the write goes on unguarded. */
export const QUOTA_READ_MS = 3_000;

export interface QuotaCheck {
  /** The quota as last read (undefined: it could not be read, the write was let through). */
  quota?: ZoneQuota;
  /** Rrsets this container's recent writes add on top of quota.count. */
  held: number;
  /** Why the quota could not be read. */
  unreadable?: string;
}

export class QuotaExceeded extends Error {
  constructor(
    readonly quota: ZoneQuota,
    readonly held: number,
    readonly adds: number,
  ) {
    super(`the zone would exceed its rrset quota: ${quota.count + held} of ${quota.limit} in use, this write adds ${adds}`);
    this.name = 'QuotaExceeded';
  }
}

export class QuotaGuard {
  private cached?: { quota: ZoneQuota; at: number };
  private reading?: Promise<ZoneQuota>;
  private readonly holds: Array<{ adds: number; at: number }> = [];

  constructor(
    private readonly source: ZoneQuotaSource,
    private readonly opts: { ttlMs?: number; holdMs?: number; now?: () => number; onUnreadable?: (reason: string) => void } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** The quota, read again when the cached one is older than ttlMs (one read at a time). */
  async quota(): Promise<ZoneQuota> {
    const now = this.now();
    if (this.cached && now - this.cached.at < (this.opts.ttlMs ?? QUOTA_CACHE_MS)) return this.cached.quota;
    this.reading ??= this.source
      .read({ deadline: Date.now() + QUOTA_READ_MS })
      .then((quota) => {
        this.cached = { quota, at: this.now() };
        return quota;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  /** Rrsets accepted by this container within holdMs. */
  held(): number {
    const since = this.now() - (this.opts.holdMs ?? QUOTA_HOLD_MS);
    while (this.holds.length > 0 && this.holds[0]!.at < since) this.holds.shift();
    return this.holds.reduce((s, h) => s + h.adds, 0);
  }

  /**
   * Throws QuotaExceeded when `adds` more rrsets would take the zone past its limit; otherwise holds
   * them (see above). A quota that cannot be read lets the write through: refusing every write while
   * Route 53 is slow would be worse than a write that later fails at the limit, which the alarm at
   * 80% is there to prevent.
   */
  async admit(adds: number): Promise<QuotaCheck> {
    let quota: ZoneQuota;
    try {
      quota = await this.quota();
    } catch (e) {
      const reason = `${(e as Error).name}: ${(e as Error).message}`;
      this.opts.onUnreadable?.(reason);
      return { held: this.held(), unreadable: reason };
    }
    const held = this.held();
    if (adds > 0 && quota.count + held + adds > quota.limit) throw new QuotaExceeded(quota, held, adds);
    if (adds > 0) this.holds.push({ adds, at: this.now() });
    return { quota, held };
  }
}
