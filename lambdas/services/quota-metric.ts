// The zone's rrset quota as CloudWatch metrics (embedded metric format, namespace DnsblPublisher,
// dimension Zone): RRSetQuotaUsedPercent (the alarm at 80% reads it), RRSets and RRSetQuota.
import type { ZoneQuota } from '../adapters/route53-quota.js';

export const QUOTA_METRIC = { namespace: 'DnsblPublisher', usedPercent: 'RRSetQuotaUsedPercent', count: 'RRSets', limit: 'RRSetQuota' } as const;

export function usedPercent(q: ZoneQuota): number {
  return Math.round((10_000 * q.count) / q.limit) / 100;
}

/** One EMF document (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
export function quotaMetrics(zone: string, q: ZoneQuota, nowMs: number): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: QUOTA_METRIC.namespace,
          Dimensions: [['Zone']],
          Metrics: [
            { Name: QUOTA_METRIC.usedPercent, Unit: 'Percent' },
            { Name: QUOTA_METRIC.count, Unit: 'Count' },
            { Name: QUOTA_METRIC.limit, Unit: 'Count' },
          ],
        },
      ],
    },
    Zone: zone,
    [QUOTA_METRIC.usedPercent]: usedPercent(q),
    [QUOTA_METRIC.count]: q.count,
    [QUOTA_METRIC.limit]: q.limit,
  };
}
