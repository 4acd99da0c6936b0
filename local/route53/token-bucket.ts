// A token bucket: `burst` tokens, refilled continuously at `ratePerSecond`. Route 53 meters API
// calls this way (and, separately, record changes).

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly burst: number,
    readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }

  /** Takes `n` tokens if there are that many. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /**
   * Like tryTake, but a full bucket may go into debt for a cost above `burst`: otherwise a single
   * large request could never pass. The debt is paid back by refill before anything else passes.
   */
  tryTakeAllowingDebt(n: number): boolean {
    this.refill();
    if (this.tokens >= n || this.tokens >= this.burst) {
      this.tokens -= n;
      return true;
    }
    return false;
  }
}
