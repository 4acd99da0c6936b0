// What the API needs from the outside world; createApiHandler gets these (tests pass their own).
import type { Journal } from '../adapters/journal.js';
import type { ListingsTable } from '../adapters/listings-table.js';
import type { AggregateFacts } from '../core/evidence-summary.js';
import type { Network } from '../core/ip.js';
import type { ListingLimits, ZoneConfig } from '../core/listing.js';
import type { QuotaGuard } from '../services/quota-guard.js';
import type { ErrorLog } from './errors.js';
import type { StatusSources } from './status.js';
import type { ReconcileStarter } from './reconcile.js';
import type { DelistService } from '../public/delist-service.js';
import type { Route } from './router.js';

export interface DnsAnswer {
  readonly status: 'listed' | 'NXDOMAIN' | 'NODATA' | 'unavailable';
  readonly a: readonly string[];
  readonly txt: readonly string[];
  readonly servers: readonly string[];
  readonly error?: string;
}

/** Asks the zone's authoritative servers what they answer for a name right now. */
export interface ZoneProbe {
  query(name: string): Promise<DnsAnswer>;
}

export interface ApiDeps {
  readonly cfg: ZoneConfig;
  readonly table: ListingsTable;
  readonly journal: Journal;
  /** Omitted: lookups report the DNS part as "unavailable". */
  readonly zoneProbe?: ZoneProbe;
  /** Widest networks that may be listed (default /8 and /32). */
  readonly limits?: ListingLimits;
  readonly now?: () => Date;
  readonly log?: ErrorLog;
  /** Items written at the same time in a batch (default 8). */
  readonly writeConcurrency?: number;
  /** Attempts per item when the listing changes under us (default 20). */
  readonly maxAttempts?: number;
  /** Refuses listing/exclusion writes that would take the zone past its rrset quota (omitted: unguarded). */
  readonly quotaGuard?: QuotaGuard;
  /** What GET /v1/status reads besides the journal (omitted parts are reported unknown). */
  readonly status?: StatusSources;
  /** Starts reconcile passes (POST /v1/reconcile); omitted: no reconcile routes. */
  readonly reconcile?: ReconcileStarter;
  /** The public portal's delisting requests (GET/POST /v1/requests…); omitted: no review routes. */
  readonly delist?: DelistService;
  /**
   * The evidence intake's routes (POST /v1/evidence, POST /v1/policy/dry-run: evidenceRoutes() of
   * lambdas/evidence/routes.ts), given by whoever wires the intake; omitted: none. Passed in rather
   * than imported: the AWS handler passes them only when EVIDENCE_TABLE is set, so a deployment
   * without evidence reaches none of its code and needs none of its permissions.
   */
  readonly evidenceRoutes?: readonly Route[];
  /**
   * Runs after listings were delisted through this API (not exclusions), with the caller: the
   * evidence intake re-evaluates the escalations around them (lambdas/evidence/intake.ts
   * afterDelisting). Its failure is logged, not returned: the delisting itself stands, and an
   * escalation left over still expires when its members would have.
   */
  readonly onDelisted?: (removed: readonly { list: string; network: Network }[], caller: string) => Promise<unknown>;
  /** The evidence table (EvidenceStore), read by lookup and history; omitted: they show no evidence. */
  readonly evidence?: EvidenceReader;
}

/** The evidence aggregates of addresses, keyed by networkKey (EvidenceStore.aggregates). */
export interface EvidenceReader {
  aggregates(addresses: readonly Network[]): Promise<ReadonlyMap<string, AggregateFacts>>;
}
