// Per-client limits for the public side, with progressive back-off: a token bucket per (kind,
// client); a client that empties its bucket is blocked for `baseBlockSeconds`, doubled for every
// further violation within `strikeMemorySeconds` of the last one (up to `maxBlockSeconds`). A
// blocked client is answered 429 with Retry-After and spends no work; it is not blocked longer for
// asking while blocked, only for emptying its bucket again after the block.
//
// In memory, per process (a Lambda container, the local stack): in AWS, API Gateway throttling and
// the WAF rate-based rule hold the fleet-wide line; this one makes a flood from one client cheap to
// refuse in every container and works the same on the local stack. Bounded: at most `maxClients`
// entries, the least recently seen dropped first.

export interface RateRule {
  /** Bucket size: requests allowed in a burst. */
  readonly burst: number;
  /** Refill: requests per second sustained. */
  readonly perSecond: number;
}

export interface LimiterOptions {
  readonly rules: Readonly<Record<string, RateRule>>;
  readonly baseBlockSeconds?: number;
  readonly maxBlockSeconds?: number;
  readonly strikeMemorySeconds?: number;
  readonly maxClients?: number;
  /** Milliseconds (tests pass a fake clock). */
  readonly now?: () => number;
}

interface Entry {
  tokens: number;
  last: number;
  strikes: number;
  lastStrike: number;
  blockedUntil: number;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/** Default public limits per client: look-ups and pages, and delisting requests/confirmations. */
export const DEFAULT_PUBLIC_RULES: Readonly<Record<'lookup' | 'request', RateRule>> = {
  lookup: { burst: 30, perSecond: 1 },
  request: { burst: 5, perSecond: 1 / 60 },
};

export class ClientLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: LimiterOptions) {
    this.now = opts.now ?? Date.now;
  }

  take(kind: string, client: string): Verdict {
    const rule = this.opts.rules[kind];
    if (!rule) return { ok: true };
    const now = this.now();
    const id = `${kind}\u0000${client}`;
    let e = this.entries.get(id);
    if (e) this.entries.delete(id); // re-inserted below: Map order is the LRU order
    else e = { tokens: rule.burst, last: now, strikes: 0, lastStrike: 0, blockedUntil: 0 };
    this.entries.set(id, e);
    if (this.entries.size > (this.opts.maxClients ?? 50_000)) this.entries.delete(this.entries.keys().next().value!);
    if (e.blockedUntil > now) return { ok: false, retryAfterSeconds: Math.ceil((e.blockedUntil - now) / 1000) };
    e.tokens = Math.min(rule.burst, e.tokens + ((now - e.last) / 1000) * rule.perSecond);
    e.last = now;
    if (e.tokens >= 1) {
      e.tokens -= 1;
      return { ok: true };
    }
    const memory = (this.opts.strikeMemorySeconds ?? 3600) * 1000;
    e.strikes = now - e.lastStrike > memory ? 1 : e.strikes + 1;
    e.lastStrike = now;
    const base = this.opts.baseBlockSeconds ?? Math.max(1, Math.ceil(1 / rule.perSecond));
    const seconds = Math.min(this.opts.maxBlockSeconds ?? 3600, base * 2 ** (e.strikes - 1));
    e.blockedUntil = now + seconds * 1000;
    return { ok: false, retryAfterSeconds: seconds };
  }
}
