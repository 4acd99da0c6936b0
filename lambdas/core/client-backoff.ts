// A client's back-off as the portal's containers share it (lambdas/public/shared-limiter.ts uses it,
// lambdas/adapters/client-backoff-table.ts stores it): the record and the port of its store.

/** A client's back-off as another container may have recorded it (milliseconds since the epoch). */
export interface BackoffState {
  readonly strikes: number;
  readonly lastStrike: number;
  readonly blockedUntil: number;
}

export interface BackoffStore {
  /** The client's shared record, if any (possibly stale: callers check the times). */
  read(kind: string, client: string): Promise<BackoffState | undefined>;
  /**
   * Stores `state` unless the stored record blocks longer; returns the record that is stored now.
   * `expiresAtMs`: when the record may be forgotten (a TTL).
   */
  write(kind: string, client: string, state: BackoffState, expiresAtMs: number): Promise<BackoffState>;
}
