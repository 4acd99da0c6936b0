// Lambda: every 5 minutes, the zone's rrset count and quota (GetHostedZoneLimit, one Route 53
// request) as metrics; the construct alarms at 80% used (lib/zone-quota.ts). A function of its own
// rather than a step of the canary or reconcile: it needs one request and 128 MB, runs on its own
// schedule whatever those do, and keeps route53:GetHostedZoneLimit off their roles.
import { Route53Quota, type ZoneQuota } from '../adapters/route53-quota.js';
import { ENV } from '../adapters/table-schema.js';
import { quotaMetrics, usedPercent } from '../services/quota-metric.js';
import { logger, requireEnv, runtime } from './runtime.js';

export const handler = async (): Promise<ZoneQuota & { usedPercent: number }> => {
  const rt = runtime();
  const quota = await new Route53Quota(rt.route53, requireEnv(ENV.hostedZoneId)).read({ deadline: Date.now() + 20_000 });
  console.log(JSON.stringify(quotaMetrics(rt.cfg.zone, quota, Date.now())));
  logger.info('zone quota', { ...quota, usedPercent: usedPercent(quota) });
  return { ...quota, usedPercent: usedPercent(quota) };
};
