// Route53Quota against the stand-in: the count and limit as read, a transient fault retried, a
// permanent one (unknown zone) not; and the EMF document the quota metric function prints.
import { describe, expect, it } from 'vitest';
import { Route53Quota } from '../../lambdas/adapters/route53-quota.js';
import { ROUTE53_CLIENT_CONFIG } from '../../lambdas/adapters/route53-zone.js';
import { QUOTA_METRIC, quotaMetrics, usedPercent } from '../../lambdas/services/quota-metric.js';
import { rejection, withStandInClient } from './helpers.js';

describe('Route53Quota', () => {
  it('reads count and limit, retries throttling and a dropped connection, not an unknown zone', async () => {
    await withStandInClient({ standIn: { maxRRSetsPerZone: 123 }, client: { ...ROUTE53_CLIENT_CONFIG, requestHandler: { ...ROUTE53_CLIENT_CONFIG.requestHandler, requestTimeout: 500 } }, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      const quota = new Route53Quota(client, zone);
      expect(await quota.read()).toEqual({ count: 2, limit: 123 });
      s.faults.failNext('GetHostedZoneLimit', 'Throttling', 2);
      s.faults.failNext('GetHostedZoneLimit', 'reset-before', 1);
      expect(await quota.read()).toEqual({ count: 2, limit: 123 });
      expect(s.stats().requests['GetHostedZoneLimit']).toBe(5);
      const missing = await rejection(new Route53Quota(client, 'ZNOSUCHZONE').read());
      expect(missing.name).toBe('NoSuchHostedZone');
      expect(s.stats().requests['GetHostedZoneLimit']).toBe(6);
      // A deadline ends the retries.
      s.faults.failNext('GetHostedZoneLimit', 'Throttling', 50);
      const late = await rejection(quota.read({ deadline: Date.now() + 300 }));
      expect(late.name).toBe('Throttling');
    });
  });
});

describe('quota metrics', () => {
  it('emit the used percent, count and limit for the zone in embedded metric format', () => {
    const doc = quotaMetrics('bl.example.org', { count: 8_000, limit: 10_000 }, 1_700_000_000_000) as Record<string, any>;
    const def = doc._aws.CloudWatchMetrics[0];
    expect(def.Namespace).toBe(QUOTA_METRIC.namespace);
    expect(def.Dimensions).toEqual([['Zone']]);
    for (const m of def.Metrics) expect(typeof doc[m.Name], m.Name).toBe('number');
    expect(doc.Zone).toBe('bl.example.org');
    expect(doc[QUOTA_METRIC.usedPercent]).toBe(80);
    expect(usedPercent({ count: 1, limit: 3 })).toBe(33.33);
  });
});
