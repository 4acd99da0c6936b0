// Per-client limits for the public side, with progressive back-off: a token bucket per (kind,
// client); a client that empties its bucket is blocked for `baseBlockSeconds`, doubled for every
// further violation within `strikeMemorySeconds` of the last one (up to `maxBlockSeconds`). A
// blocked client is answered 429 with Retry-After and spends no work; it is not blocked longer for
// asking while blocked, only for emptying its bucket again after the block.
//
// In memory, per process (a Lambda container, the local stack): the fast path. shared-limiter.ts
// carries a client's violations and block across containers (DynamoDB), through state() and
// adopt(); in AWS, API Gateway throttling and the WAF rate-based rule hold the fleet-wide line in
// front. Bounded: at most `maxClients` entries, the least recently seen dropped first.
import type { BackoffState } from '../core/client-backoff.js';

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

/** A refusal caused by this very request emptying the bucket carries the client's strike count. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number; readonly strikes?: number };

/** What a limiter's callers need: take() may be asynchronous (shared-limiter.ts). */
export interface RequestLimiter {
  take(kind: string, client: string): Verdict | Promise<Verdict>;
}

export type { BackoffState };

/** A client's entry as this process sees it. */
export interface ClientState extends BackoffState {
  readonly tokens: number;
  readonly burst: number;
}

/** Default public limits per client: look-ups and pages, and delisting requests/confirmations. */
export const DEFAULT_PUBLIC_RULES: Readonly<Record<'lookup' | 'request', RateRule>> = {
  lookup: { burst: 30, perSecond: 1 },
  request: { burst: 5, perSecond: 1 / 60 },
};

export class ClientLimiter implements RequestLimiter {
  private readonly entries = new Map<string, Entry>();
  readonly now: () => number;

  constructor(private readonly opts: LimiterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** How long a violation is remembered for doubling the next block. */
  get strikeMemoryMs(): number {
    return (this.opts.strikeMemorySeconds ?? 3600) * 1000;
  }

  /** The block after the `strikes`-th violation within the memory: base, doubled each time, capped. */
  blockSeconds(kind: string, strikes: number): number {
    const rule = this.opts.rules[kind];
    if (!rule) return 0;
    const base = this.opts.baseBlockSeconds ?? Math.max(1, Math.ceil(1 / rule.perSecond));
    return Math.min(this.opts.maxBlockSeconds ?? 3600, base * 2 ** (Math.max(1, strikes) - 1));
  }

  /** The client's entry, or undefined when this process has not seen it (or forgot it) or the kind has no rule. */
  state(kind: string, client: string): ClientState | undefined {
    const rule = this.opts.rules[kind];
    const e = this.entries.get(`${kind}\u0000${client}`);
    if (!rule || !e) return undefined;
    return { tokens: e.tokens, burst: rule.burst, strikes: e.strikes, lastStrike: e.lastStrike, blockedUntil: e.blockedUntil };
  }

  /** Takes on a back-off recorded elsewhere where it is later or counts more strikes than this process's. */
  adopt(kind: string, client: string, shared: BackoffState): void {
    const rule = this.opts.rules[kind];
    if (!rule) return;
    const id = `${kind}\u0000${client}`;
    const now = this.now();
    const e = this.entries.get(id) ?? { tokens: rule.burst, last: now, strikes: 0, lastStrike: 0, blockedUntil: 0 };
    this.entries.set(id, e);
    if (shared.lastStrike > e.lastStrike || (shared.lastStrike === e.lastStrike && shared.strikes > e.strikes)) {
      e.strikes = shared.strikes;
      e.lastStrike = shared.lastStrike;
    }
    e.blockedUntil = Math.max(e.blockedUntil, shared.blockedUntil);
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
    e.strikes = now - e.lastStrike > this.strikeMemoryMs ? 1 : e.strikes + 1;
    e.lastStrike = now;
    const seconds = this.blockSeconds(kind, e.strikes);
    e.blockedUntil = now + seconds * 1000;
    return { ok: false, retryAfterSeconds: seconds, strikes: e.strikes };
  }
}
