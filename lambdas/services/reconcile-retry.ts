// The retry rule of a reconcile slice, shared by the Step Functions workflow (lib/reconcile-workflow.ts)
// and the in-process runner (reconcile-runner.ts), so both retry the same errors the same way.

/** A slice that could not take the zone lock: the workflow retries it later. */
export class ZoneLockBusyError extends Error {
  constructor() {
    super('zone lock busy: another writer holds it');
    this.name = 'ZoneLockBusy';
  }
}

/**
 * Errors (Lambda's errorType is the error's name) tried again with backoff: the lock busy, a lease
 * lost, Route 53 still throttling or busy after the adapter's own retries. Anything else fails the
 * slice, which the pass records (Catch) before going on.
 */
export const SLICE_RETRY = {
  errors: ['ZoneLockBusy', 'LeaseLostError', 'Throttling', 'ThrottlingException', 'PriorRequestNotComplete', 'ServiceUnavailable', 'TimeoutError'],
  intervalSeconds: 5,
  backoffRate: 2,
  maxAttempts: 5,
} as const;
