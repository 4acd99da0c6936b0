// Fault injection: make the next N calls of an operation fail with a given error, so callers'
// retry and error paths can be tested deterministically.
import { ApiError, MESSAGES } from './errors.js';

export type FaultCode = 'Throttling' | 'PriorRequestNotComplete' | 'ServiceUnavailable' | 'InvalidChangeBatch';

export class Faults {
  private readonly pending = new Map<string, Array<{ code: FaultCode; left: number }>>();

  /** `op` is an operation name such as "ChangeResourceRecordSets", or "*" for any operation. */
  failNext(op: string, code: FaultCode, times = 1): void {
    const q = this.pending.get(op) ?? [];
    q.push({ code, left: times });
    this.pending.set(op, q);
  }

  clear(): void {
    this.pending.clear();
  }

  /** The injected error for this call of `op`, if one is due (consumes it). */
  take(op: string): ApiError | undefined {
    for (const key of [op, '*']) {
      const q = this.pending.get(key);
      const f = q?.[0];
      if (!q || !f) continue;
      if (--f.left <= 0) q.shift();
      if (q.length === 0) this.pending.delete(key);
      return toError(f.code);
    }
    return undefined;
  }
}

function toError(code: FaultCode): ApiError {
  switch (code) {
    case 'Throttling':
      return new ApiError('Throttling', MESSAGES.throttling);
    case 'PriorRequestNotComplete':
      return new ApiError('PriorRequestNotComplete', MESSAGES.priorRequest);
    case 'ServiceUnavailable':
      return new ApiError('ServiceUnavailable', MESSAGES.serviceUnavailable);
    case 'InvalidChangeBatch':
      return new ApiError('InvalidChangeBatch', '[Injected fault: InvalidChangeBatch]');
  }
}
