// What `dnsbl status` and GET /v1/status report: the zone's rrsets against its quota, what the zone
// costs a month, how far the stream sync is behind, the last reconcile passes, the export, and the
// failure queue. Each figure is read on its own: one that cannot be read is "unknown" with the
// reason, never a failed report. Something that never happened (no pass yet) is "never".
import type { FailureQueueDepth } from '../adapters/failure-queue.js';
import type { ZoneQuotaSource } from '../adapters/route53-quota.js';
import type { PublisherState, ReconcilePassRecord, SyncProgressRecord } from '../adapters/publisher-state.js';
import { type ExportState, stateName as exportStateName } from './export.js';
import { usedPercent } from './quota-metric.js';

/**
 * Route 53's prices (https://aws.amazon.com/route53/pricing/): $0.50 a month per hosted zone (the
 * first 25 zones of an account), and $0.0015 a month per record past the first 10,000 in a zone.
 * Queries are billed on top, per million, which the publisher cannot see.
 */
export const ROUTE53_PRICES = { hostedZoneMonthlyUsd: 0.5, includedRRSets: 10_000, rrsetMonthlyUsd: 0.0015 } as const;

export type { FailureQueueDepth };

export type Figure<T> = ({ status: 'ok' } & T) | { status: 'never' } | { status: 'unknown'; reason: string };

/** Where the status reads what the journal does not hold. */
export interface StatusSources {
  quota?: ZoneQuotaSource;
  failureQueue?: { depth(): Promise<FailureQueueDepth> };
}

export interface ZoneStatus {
  zone: string;
  generatedAt: string;
  rrsets: Figure<{ count: number; limit: number; usedPercent: number }>;
  monthlyCost: Figure<{ usd: number; hostedZoneUsd: number; rrsetUsd: number; billableRRSets: number; note: string }>;
  streamSync: Figure<SyncProgressRecord & { ageSeconds: number }>;
  lastPass: Figure<ReconcilePassRecord & { ageSeconds: number }>;
  lastFullPass: Figure<ReconcilePassRecord & { ageSeconds: number }>;
  export: Figure<{ serial: number; publishedAt: string; ageSeconds: number; pendingSince?: string }>;
  failureQueue: Figure<FailureQueueDepth>;
}

export interface StatusDeps {
  zone: string;
  state: Pick<PublisherState, 'syncProgress' | 'lastPass' | 'lastFullPass'>;
  journal: { getState<T>(name: string): Promise<T | undefined> };
  sources: StatusSources;
  now: () => number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The monthly Route 53 bill of one zone holding `rrsets` records (queries extra). */
export function monthlyCost(rrsets: number): { usd: number; hostedZoneUsd: number; rrsetUsd: number; billableRRSets: number } {
  const billableRRSets = Math.max(0, rrsets - ROUTE53_PRICES.includedRRSets);
  const rrsetUsd = round2(billableRRSets * ROUTE53_PRICES.rrsetMonthlyUsd);
  return { usd: round2(ROUTE53_PRICES.hostedZoneMonthlyUsd + rrsetUsd), hostedZoneUsd: ROUTE53_PRICES.hostedZoneMonthlyUsd, rrsetUsd, billableRRSets };
}

/** How long one figure may take before it is reported unknown (the API answers within its 29 s). */
export const FIGURE_TIMEOUT_MS = 5_000;

async function figure<T>(read: () => Promise<({ status: 'ok' } & T) | { status: 'never' }>): Promise<Figure<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${FIGURE_TIMEOUT_MS / 1000} s`), { name: 'Timeout' })), FIGURE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), late]);
  } catch (e) {
    const err = e as Error;
    return { status: 'unknown', reason: `${err.name ?? 'Error'}: ${err.message ?? String(e)}` };
  } finally {
    clearTimeout(timer);
  }
}

export async function zoneStatus(deps: StatusDeps): Promise<ZoneStatus> {
  const now = deps.now();
  const age = (iso: string) => Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const unknown = (reason: string) => ({ status: 'unknown' as const, reason });
  const pass = (read: () => Promise<ReconcilePassRecord | undefined>) =>
    figure<ReconcilePassRecord & { ageSeconds: number }>(async () => {
      const p = await read();
      return p ? { status: 'ok', ...p, ageSeconds: age(p.finishedAt) } : { status: 'never' };
    });
  const quotaSource = deps.sources.quota;
  const queue = deps.sources.failureQueue;
  const [rrsets, streamSync, lastPass, lastFullPass, exported, failureQueue] = await Promise.all([
    quotaSource
      ? figure<{ count: number; limit: number; usedPercent: number }>(async () => {
          const q = await quotaSource.read({ deadline: Date.now() + 3_000 });
          return { status: 'ok', count: q.count, limit: q.limit, usedPercent: usedPercent(q) };
        })
      : unknown('no Route 53 zone configured for this API'),
    figure<SyncProgressRecord & { ageSeconds: number }>(async () => {
      const s = await deps.state.syncProgress();
      return s ? { status: 'ok', ...s, ageSeconds: age(s.syncedAt) } : { status: 'never' };
    }),
    pass(() => deps.state.lastPass()),
    pass(() => deps.state.lastFullPass()),
    figure<{ serial: number; publishedAt: string; ageSeconds: number; pendingSince?: string }>(async () => {
      const e = await deps.journal.getState<ExportState>(exportStateName(deps.zone));
      if (e?.serial === undefined || e.publishedAt === undefined) return { status: 'never' };
      const publishedAt = new Date(e.publishedAt).toISOString();
      const pending = e.pendingSince !== undefined && e.pendingSince > e.publishedAt ? { pendingSince: new Date(e.pendingSince).toISOString() } : {};
      return { status: 'ok', serial: e.serial, publishedAt, ageSeconds: age(publishedAt), ...pending };
    }),
    queue
      ? figure<FailureQueueDepth>(async () => ({ status: 'ok', ...(await queue.depth()) }))
      : unknown('no on-failure queue configured for this API'),
  ]);
  const monthly: ZoneStatus['monthlyCost'] =
    rrsets.status === 'ok'
      ? { status: 'ok', ...monthlyCost(rrsets.count), note: 'hosted zone and records only: DNS queries are billed on top, per million' }
      : unknown(`needs the rrset count, which is unknown (${rrsets.status === 'unknown' ? rrsets.reason : rrsets.status})`);
  return {
    zone: deps.zone,
    generatedAt: new Date(now).toISOString(),
    rrsets,
    monthlyCost: monthly,
    streamSync,
    lastPass,
    lastFullPass,
    export: exported,
    failureQueue,
  };
}
