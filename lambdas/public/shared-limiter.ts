// Per-client progressive back-off across containers: the in-process token bucket (rate-limit.ts)
// stays the fast path, and a client's violations and block are shared through a store (DynamoDB,
// adapters/client-backoff-table.ts), so a client refused in one container is refused in every
// container until its block ends, and its next violation anywhere doubles the block it earned
// anywhere.
//
// Cost, bounded: no I/O while a client is blocked in this process (refused from memory), nor while
// its bucket here is at least half full and it was seen before. One read when a client is first
// seen in this process (it may be blocked elsewhere), and at most one per `recheckMs` while its
// bucket here is below half (a client using its allowance is the one likely to be blocked
// elsewhere). One read and one write per violation. The store failing never refuses anyone: the
// local verdict stands, and the error is reported.
import type { BackoffState, BackoffStore } from '../core/client-backoff.js';
import { type ClientLimiter, type RequestLimiter, type Verdict } from './rate-limit.js';

export type { BackoffStore };

export interface SharedLimiterOptions {
  /** Least time between two reads of one client's record while its bucket is below half. @default 1000 */
  readonly recheckMs?: number;
  /** Clients whose last read time is remembered. @default 50,000 */
  readonly maxClients?: number;
  readonly onError?: (message: string, error: unknown) => void;
}

export class SharedClientLimiter implements RequestLimiter {
  private readonly lastRead = new Map<string, number>();

  constructor(
    readonly local: ClientLimiter,
    private readonly store: BackoffStore,
    private readonly opts: SharedLimiterOptions = {},
  ) {}

  async take(kind: string, client: string): Promise<Verdict> {
    const seenBefore = this.local.state(kind, client) !== undefined;
    const verdict = this.local.take(kind, client);
    const now = this.local.now();
    if (!verdict.ok) return verdict.strikes === undefined ? verdict : this.violation(kind, client, now);
    const st = this.local.state(kind, client);
    if (!st) return verdict; // no rule for this kind
    const id = `${kind}\u0000${client}`;
    const last = this.lastRead.get(id);
    const due = !seenBefore || (st.tokens < st.burst / 2 && (last === undefined || now - last >= (this.opts.recheckMs ?? 1000)));
    if (!due) return verdict;
    const shared = await this.read(kind, client, id, now);
    if (shared && shared.blockedUntil > now) {
      this.local.adopt(kind, client, shared);
      return { ok: false, retryAfterSeconds: Math.ceil((shared.blockedUntil - now) / 1000) };
    }
    return verdict;
  }

  /** This request emptied the client's bucket: the block doubles from the strikes counted anywhere. */
  private async violation(kind: string, client: string, now: number): Promise<Verdict> {
    const id = `${kind}\u0000${client}`;
    const local = this.local.state(kind, client)!;
    const shared = await this.read(kind, client, id, now);
    const sharedStrikes = shared && now - shared.lastStrike <= this.local.strikeMemoryMs ? shared.strikes : 0;
    const strikes = Math.max(local.strikes, sharedStrikes + 1);
    const mine: BackoffState = { strikes, lastStrike: now, blockedUntil: Math.max(local.blockedUntil, now + this.local.blockSeconds(kind, strikes) * 1000) };
    let stored = mine;
    try {
      stored = await this.store.write(kind, client, mine, mine.blockedUntil + this.local.strikeMemoryMs);
    } catch (e) {
      this.opts.onError?.('client back-off: recording a violation failed; the block holds in this process only', e);
    }
    this.local.adopt(kind, client, mine);
    this.local.adopt(kind, client, stored);
    const until = Math.max(mine.blockedUntil, stored.blockedUntil);
    return { ok: false, retryAfterSeconds: Math.ceil((until - now) / 1000), strikes: Math.max(strikes, stored.strikes) };
  }

  private async read(kind: string, client: string, id: string, now: number): Promise<BackoffState | undefined> {
    this.lastRead.delete(id);
    this.lastRead.set(id, now);
    if (this.lastRead.size > (this.opts.maxClients ?? 50_000)) this.lastRead.delete(this.lastRead.keys().next().value!);
    try {
      return await this.store.read(kind, client);
    } catch (e) {
      this.opts.onError?.('client back-off: reading the shared record failed; the local verdict stands', e);
      return undefined;
    }
  }
}
