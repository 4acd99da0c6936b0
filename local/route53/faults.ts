// Fault injection, so that callers' retry and error paths can be tested: the next N calls of an
// operation fail with a given error or lose their connection, or a seeded random 1 in N requests do.
//
// Connection faults are what a client sees from a network or a server in trouble:
// - 'reset-before': the connection is destroyed without a response before the operation runs
//   (nothing applied); the SDK reports `TimeoutError` with code ECONNRESET ("socket hang up").
// - 'reset-after': the operation runs (a change batch IS applied) and then the connection is
//   destroyed instead of answering: the client cannot tell this from 'reset-before'.
// - 'timeout-before' / 'timeout-after': the same, but the response is held (holdMs) until the client
//   gives up at its request timeout (or the hold ends and the connection is destroyed).
// A retry of a change batch after an '-after' fault meets a zone that already has it: CREATE of an
// existing rrset and DELETE of a missing one are then refused with InvalidChangeBatch.
import { ApiError, MESSAGES } from './errors.js';

export type ErrorFault = 'Throttling' | 'PriorRequestNotComplete' | 'ServiceUnavailable' | 'InvalidChangeBatch';
export type ConnectionFault = 'reset-before' | 'reset-after' | 'timeout-before' | 'timeout-after';
export type FaultCode = ErrorFault | ConnectionFault;

export const CONNECTION_FAULTS: readonly ConnectionFault[] = ['reset-before', 'reset-after', 'timeout-before', 'timeout-after'];

/** Random faults: each request (of `ops`, default all) has a 1 in `oneIn` chance of one of `kinds`. */
export interface RandomFaults {
  oneIn: number;
  /** Seed of the generator (default 1): the same seed and request sequence give the same faults. */
  seed?: number;
  /** Which faults, picked uniformly (default: the four connection faults). */
  kinds?: readonly FaultCode[];
  /** Operation names (e.g. "ChangeResourceRecordSets"); default every operation. */
  ops?: readonly string[];
}

/** The fault due for one request. */
export type Fault = { type: 'error'; error: ApiError } | { type: 'connection'; kind: 'reset' | 'timeout'; when: 'before' | 'after' };

export class Faults {
  private readonly pending = new Map<string, Array<{ code: FaultCode; left: number }>>();
  private randomCfg: RandomFaults | undefined;
  private rng: () => number = () => 0;
  /** Faults injected so far, by code. */
  readonly injected: Record<string, number> = {};

  constructor(random?: RandomFaults) {
    this.random(random);
  }

  /** `op` is an operation name such as "ChangeResourceRecordSets", or "*" for any operation. */
  failNext(op: string, code: FaultCode, times = 1): void {
    const q = this.pending.get(op) ?? [];
    q.push({ code, left: times });
    this.pending.set(op, q);
  }

  /** Starts (or with undefined stops) random faults. */
  random(cfg: RandomFaults | undefined): void {
    if (cfg && !(cfg.oneIn >= 1)) throw new Error(`random faults: oneIn must be >= 1, got ${cfg.oneIn}`);
    this.randomCfg = cfg;
    this.rng = mulberry32(cfg?.seed ?? 1);
  }

  /** Clears the queued faults (random faults go on; random(undefined) stops them). */
  clear(): void {
    this.pending.clear();
  }

  /** The fault due for this call of `op`, if any (consumes it). */
  take(op: string): Fault | undefined {
    const code = this.queued(op) ?? this.drawn(op);
    if (code === undefined) return undefined;
    this.injected[code] = (this.injected[code] ?? 0) + 1;
    return toFault(code);
  }

  private queued(op: string): FaultCode | undefined {
    for (const key of [op, '*']) {
      const q = this.pending.get(key);
      const f = q?.[0];
      if (!q || !f) continue;
      if (--f.left <= 0) q.shift();
      if (q.length === 0) this.pending.delete(key);
      return f.code;
    }
    return undefined;
  }

  private drawn(op: string): FaultCode | undefined {
    const cfg = this.randomCfg;
    if (!cfg || (cfg.ops && !cfg.ops.includes(op))) return undefined;
    // Two draws per request whatever the outcome, so one request's fault does not shift the next's.
    const hit = this.rng() * cfg.oneIn < 1;
    const kinds = cfg.kinds ?? CONNECTION_FAULTS;
    const pick = kinds[Math.floor(this.rng() * kinds.length)];
    return hit ? pick : undefined;
  }
}

function toFault(code: FaultCode): Fault {
  switch (code) {
    case 'Throttling':
      return { type: 'error', error: new ApiError('Throttling', MESSAGES.throttling) };
    case 'PriorRequestNotComplete':
      return { type: 'error', error: new ApiError('PriorRequestNotComplete', MESSAGES.priorRequest) };
    case 'ServiceUnavailable':
      return { type: 'error', error: new ApiError('ServiceUnavailable', MESSAGES.serviceUnavailable) };
    case 'InvalidChangeBatch':
      return { type: 'error', error: new ApiError('InvalidChangeBatch', '[Injected fault: InvalidChangeBatch]') };
    default: {
      const [kind, when] = code.split('-') as ['reset' | 'timeout', 'before' | 'after'];
      return { type: 'connection', kind, when };
    }
  }
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
