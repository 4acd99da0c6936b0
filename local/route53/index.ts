// A local stand-in for Amazon Route 53: the REST API (2013-04-01, XML) that the real
// @aws-sdk/client-route-53 talks to unchanged, enforcing Route 53's change-batch rules, limits and
// throttling, plus an authoritative DNS server (UDP + TCP) answering for the hosted zones.
// See README.md in this folder for what it implements and where it differs from Route 53.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiContext, createZone, type Stats } from './api-operations.js';
import { createApiServer } from './api-server.js';
import { startDnsServer } from './dns-server.js';
import { type FaultCode, Faults, type RandomFaults } from './faults.js';
import { displayName, type WildcardOrder } from './names.js';
import { loadStore, saveStore } from './persistence.js';
import { TokenBucket } from './token-bucket.js';
import { ZoneStore } from './zone-store.js';

export interface Route53StandInOptions {
  host?: string; // default 127.0.0.1
  apiPort?: number; // 0 = random
  dnsPort?: number; // 0 = random; UDP and TCP on the same port
  /** Load zones from this JSON file at start and save after every accepted change (atomically). */
  dataFile?: string;
  /** Token bucket over all API requests; default { burst: 50, ratePerSecond: 10 }. */
  throttle?: { burst: number; ratePerSecond: number } | false;
  /** A separate bucket counting individual record changes (Change elements); default false. */
  changeThroughput?: { burst: number; ratePerSecond: number } | false;
  /** A change is PENDING, then INSYNC after this delay (default 0 = INSYNC at first GetChange). */
  insyncAfterMs?: number;
  /** A ChangeResourceRecordSets within this many ms of the previous accepted one on the same zone gets PriorRequestNotComplete (default 0 = off). */
  priorRequestWindowMs?: number;
  /** Route 53's default quota of rrsets per hosted zone (default 10,000). */
  maxRRSetsPerZone?: number;
  /**
   * Where ListResourceRecordSets sorts a wildcard label: 'ascii' (default) as the raw `*`, before
   * digits, as Route 53 documents; 'escaped' as its written form `\052`, after digits. Tests use
   * the second to check that callers do not depend on either.
   */
  wildcardOrder?: WildcardOrder;
  /**
   * Injected faults from the start: `random` makes a seeded 1 in N requests fail (by default with a
   * connection reset or timeout, before or after the operation runs; see faults.ts); `holdMs` is how
   * long a timeout fault holds the response before dropping the connection (default 60 s: longer
   * than any client timeout).
   */
  faults?: { random?: RandomFaults; holdMs?: number };
}

export interface Route53StandIn {
  endpoint: string; // http://127.0.0.1:PORT
  dnsPort: number;
  /** Convenience: creates a zone as CreateHostedZone would and returns its id ("Z..."). */
  createZone(name: string): Promise<string>;
  faults: {
    failNext(op: string, code: FaultCode, times?: number): void;
    /** Clears queued faults (not random ones). */
    clear(): void;
    /** Starts (or with undefined stops) random faults. */
    random(cfg: RandomFaults | undefined): void;
    /** Faults injected so far, by code. */
    injected(): Record<string, number>;
  };
  stats(): { requests: Record<string, number>; throttled: number; changesApplied: number; recordChanges: number };
  /** Current contents: names lower-case with trailing dot, wildcard label as "*". */
  rrsets(zoneId: string): Array<{ name: string; type: string; ttl: number; values: string[] }>;
  close(): Promise<void>;
}

export type { FaultCode, RandomFaults, WildcardOrder };

export async function startRoute53StandIn(opts: Route53StandInOptions = {}): Promise<Route53StandIn> {
  const host = opts.host ?? '127.0.0.1';
  const store = opts.dataFile ? loadStore(opts.dataFile) : new ZoneStore();
  store.listingOrder = opts.wildcardOrder ?? 'ascii';
  const throttle = opts.throttle === undefined ? { burst: 50, ratePerSecond: 10 } : opts.throttle;
  const stats: Stats = { requests: {}, throttled: 0, changesApplied: 0, recordChanges: 0 };
  const faults = new Faults(opts.faults?.random);
  let endpoint = '';
  const ctx: ApiContext = {
    store,
    stats,
    insyncAfterMs: opts.insyncAfterMs ?? 0,
    priorRequestWindowMs: opts.priorRequestWindowMs ?? 0,
    maxRRSetsPerZone: opts.maxRRSetsPerZone ?? 10_000,
    changeBucket: opts.changeThroughput ? new TokenBucket(opts.changeThroughput.burst, opts.changeThroughput.ratePerSecond) : undefined,
    lastChangeAt: new Map(),
    persist: () => {
      if (opts.dataFile) saveStore(opts.dataFile, store);
    },
    endpoint: () => endpoint,
    now: () => Date.now(),
  };
  const requestBucket = throttle ? new TokenBucket(throttle.burst, throttle.ratePerSecond) : undefined;

  const api = createApiServer({ ctx, requestBucket, faults, faultHoldMs: opts.faults?.holdMs });
  await new Promise<void>((ok, fail) => {
    api.once('error', fail);
    api.listen(opts.apiPort ?? 0, host, () => {
      api.off('error', fail);
      ok();
    });
  });
  const apiPort = (api.address() as AddressInfo).port;
  endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${apiPort}`;

  let dns;
  try {
    dns = await startDnsServer(store, host, opts.dnsPort ?? 0);
  } catch (e) {
    await closeHttp(api);
    throw e;
  }
  let callerSeq = 0;

  return {
    endpoint,
    dnsPort: dns.port,
    createZone: async (name) => createZone(ctx, name, `standin-${Date.now()}-${++callerSeq}`).zone.id,
    faults: {
      failNext: (op, code, times) => faults.failNext(op, code, times),
      clear: () => faults.clear(),
      random: (cfg) => faults.random(cfg),
      injected: () => ({ ...faults.injected }),
    },
    stats: () => ({ ...stats, requests: { ...stats.requests } }),
    rrsets: (zoneId) => {
      const zone = store.zone(zoneId.replace(/^\/hostedzone\//, ''));
      if (!zone) throw new Error(`no hosted zone ${zoneId}`);
      return zone.sorted().map((r) => ({ name: displayName(r.name), type: r.type, ttl: r.ttl, values: [...r.values] }));
    },
    close: async () => {
      await Promise.all([closeHttp(api), dns.close()]);
    },
  };
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}
