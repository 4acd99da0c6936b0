// The product's CloudWatch metrics: one namespace and one dimension set (Zone) for every function.
// The handlers emit them (adapters/zone-metrics.ts, Powertools Metrics); the alarms and the
// dashboard in lib/ read the same names from here.

export const METRICS_NAMESPACE = 'DnsblPublisher';
/** The one dimension every metric carries: the zone apex. */
export const METRICS_DIMENSION = 'Zone';

export const METRIC = {
  // export (handlers/export.ts)
  exportPublished: 'ExportPublished',
  exportDurationMs: 'ExportDurationMs',
  exportBytes: 'ExportBytes',
  // reconcile pass (services/reconcile-pass.ts): DriftFound and ReconcileFullPassCompleted are alarmed
  driftFound: 'DriftFound',
  reconcileSlices: 'ReconcileSlices',
  reconcileRRSetsRead: 'ReconcileRRSetsRead',
  reconcileRepaired: 'ReconcileRepaired',
  reconcileFailedSlices: 'ReconcileFailedSlices',
  reconcilePassDuration: 'ReconcilePassDuration',
  reconcileFullPassCompleted: 'ReconcileFullPassCompleted',
  // canary (services/canary.ts): WrongAnswers is alarmed
  wrongAnswers: 'WrongAnswers',
  checked: 'Checked',
  unsettledAnswers: 'UnsettledAnswers',
  canaryCalls: 'CanaryCalls',
  // zone quota (services/quota-metric.ts): RRSetQuotaUsedPercent is alarmed at 80%
  rrsetQuotaUsedPercent: 'RRSetQuotaUsedPercent',
  rrsets: 'RRSets',
  rrsetQuota: 'RRSetQuota',
} as const;
