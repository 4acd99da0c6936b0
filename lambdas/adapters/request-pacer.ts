// Spaces requests to at most `ratePerSecond` (no burst): what keeps reconcile's Route 53 reads to
// its share of the account's rate, so that stream-sync's writes keep the rest. Route 53 meters the
// whole account with one token bucket (aws-limits.md: 50 burst, 10/s since mid-2026; "Quotas on
// API requests" in the Route 53 developer guide); a pacer without burst never takes from the burst
// that stream-sync relies on.
import { sleep } from './listings-table.js';

export interface Pacer {
  /** Resolves when the next request may be sent. */
  take(): Promise<void>;
}

export class RequestPacer implements Pacer {
  private next = 0;
  private readonly gapMs: number;

  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be positive');
    this.gapMs = 1000 / ratePerSecond;
  }

  async take(): Promise<void> {
    const t = this.now();
    const at = Math.max(t, this.next);
    this.next = at + this.gapMs;
    if (at > t) await sleep(at - t);
  }
}
