// Lambda: every 5 minutes, the canary asks Route 53 (TestDNSAnswer) about a few addresses and
// compares with what the table says the zone must answer (services/canary.ts). Emits WrongAnswers
// and Checked (EMF, namespace DnsblPublisher, dimension Zone): the WrongAnswers alarm reads this.
import { AuditTrail } from '../adapters/audit-trail.js';
import { Route53Answers } from '../adapters/route53-answers.js';
import { ENV } from '../adapters/table-schema.js';
import { CANARY_ENV, canaryMetrics, type CanaryReport, canarySummary, runCanary } from '../services/canary.js';
import { logger, requireEnv, runtime } from './runtime.js';

const optionalNumber = (name: string): number | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
};

export const handler = async (): Promise<CanaryReport> => {
  const rt = runtime();
  const maxCalls = optionalNumber(CANARY_ENV.maxCalls);
  const settleSeconds = optionalNumber(CANARY_ENV.settleSeconds);
  const report = await runCanary(
    {
      cfg: rt.cfg,
      table: rt.table,
      audit: new AuditTrail(rt.doc, rt.journalTable),
      answers: new Route53Answers(rt.route53, requireEnv(ENV.hostedZoneId)),
      nowSeconds: () => Date.now() / 1000,
    },
    { ...(maxCalls !== undefined ? { maxCalls } : {}), ...(settleSeconds !== undefined ? { settleSeconds } : {}) },
  );
  // CloudWatch embedded metric format: the WrongAnswers alarm reads this.
  console.log(JSON.stringify(canaryMetrics(report)));
  if (report.wrong > 0) logger.error('the zone answers wrong', { summary: canarySummary(report), wrongAnswers: report.wrongAnswers });
  else logger.info('canary', { summary: canarySummary(report) });
  // Nothing could be checked at all (every question failed): fail the invocation so its Errors show.
  if (report.checked === 0 && report.errors > 0) throw new Error(`canary: no answer from Route 53 (${report.errorMessages[0]})`);
  return report;
};
