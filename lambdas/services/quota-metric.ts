// The zone's rrset quota as CloudWatch metrics (embedded metric format, namespace DnsblPublisher,
// dimension Zone): RRSetQuotaUsedPercent (the alarm at 80% reads it), RRSets and RRSetQuota.
import type { ZoneQuota } from '../adapters/route53-quota.js';
import { MetricUnit, zoneMetricsDocument } from '../adapters/zone-metrics.js';
import { METRIC, METRICS_NAMESPACE } from '../core/metric-names.js';

export const QUOTA_METRIC = { namespace: METRICS_NAMESPACE, usedPercent: METRIC.rrsetQuotaUsedPercent, count: METRIC.rrsets, limit: METRIC.rrsetQuota } as const;

export function usedPercent(q: ZoneQuota): number {
  return Math.round((10_000 * q.count) / q.limit) / 100;
}

/** One EMF document (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
export function quotaMetrics(zone: string, q: ZoneQuota, nowMs: number): Record<string, unknown> {
  return zoneMetricsDocument(
    zone,
    [
      [QUOTA_METRIC.usedPercent, MetricUnit.Percent, usedPercent(q)],
      [QUOTA_METRIC.count, MetricUnit.Count, q.count],
      [QUOTA_METRIC.limit, MetricUnit.Count, q.limit],
    ],
    nowMs,
  );
}
