// The zone's rrset quota, watched: a small function that every 5 minutes reads the zone's record
// count and limit (Route 53 GetHostedZoneLimit, MAX_RRSETS_BY_ZONE) and emits RRSetQuotaUsedPercent
// (lambdas/handlers/zone-quota.ts), and an alarm when the zone is 80% full, well before Route 53
// refuses changes ("Exceeded limit MAX_RRSETS_BY_ZONE") and stream records pile up in the failure
// queue. The API's quota guard refuses single writes past the limit; this alarm gives the operator
// time to raise the quota (a support case) or trim the lists.
//
// IAM: route53:GetHostedZoneLimit on this zone only; the Service Authorization Reference lists the
// hostedzone resource type for it (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html).
import { Duration, aws_cloudwatch as cw, aws_cloudwatch_actions as cwActions, aws_events as events, aws_events_targets as targets, aws_iam as iam, type aws_lambda as lambda, type aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { QUOTA_METRIC } from '../lambdas/services/quota-metric.js';
import { zoneMetric } from './monitoring.js';
import type { FunctionSpec } from './zone-canary.js';

export const ZONE_QUOTA_FUNCTION_ID = 'QuotaMetric';

export interface ZoneQuotaProps {
  readonly zoneName: string;
  readonly hostedZoneArn: string;
  readonly alarmTopic: sns.ITopic;
  /** Builds the function with the stack's common settings (bundling, log group, role, tracing). */
  readonly makeFunction: (spec: FunctionSpec) => lambda.Function;
  /** @default rate(5 minutes) */
  readonly schedule?: events.Schedule;
  /** Used percent at which the alarm fires. @default 80 */
  readonly alarmPercent?: number;
}

export class ZoneQuota extends Construct {
  readonly function: lambda.Function;
  readonly rule: events.Rule;
  readonly alarm: cw.Alarm;
  /** Highest used percent in 15 minutes (three readings at the default schedule). */
  readonly usedPercent: cw.Metric;

  constructor(scope: Construct, id: string, props: ZoneQuotaProps) {
    super(scope, id);
    const alarmPercent = props.alarmPercent ?? 80;
    if (!(alarmPercent > 0 && alarmPercent <= 100)) throw new Error('the quota alarm percent must be above 0 and at most 100');
    this.function = props.makeFunction({
      id: ZONE_QUOTA_FUNCTION_ID,
      entry: 'zone-quota.ts',
      description: `DNSBL ${props.zoneName}: the zone's rrset count against its Route 53 quota, as a metric`,
      memorySize: 128,
      timeout: Duration.seconds(30),
      retryAttempts: 0,
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'Route53ZoneQuota', actions: ['route53:GetHostedZoneLimit'], resources: [props.hostedZoneArn] }),
    );
    this.rule = new events.Rule(this, 'Schedule', {
      schedule: props.schedule ?? events.Schedule.rate(Duration.minutes(5)),
      description: `DNSBL ${props.zoneName}: zone quota`,
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
    this.usedPercent = zoneMetric(props.zoneName, QUOTA_METRIC.usedPercent, cw.Stats.MAXIMUM, Duration.minutes(15));
    this.alarm = new cw.Alarm(this, 'UsedAlarm', {
      alarmDescription: `DNSBL ${props.zoneName}: the hosted zone holds ${alarmPercent}% or more of its Route 53 rrset quota; raise the quota (support case) or trim the lists before writes are refused`,
      metric: this.usedPercent,
      threshold: alarmPercent,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // A missed reading keeps the state: the zone does not shrink because the function failed once.
      treatMissingData: cw.TreatMissingData.MISSING,
    });
    const action = new cwActions.SnsAction(props.alarmTopic);
    this.alarm.addAlarmAction(action);
    this.alarm.addOkAction(action);
  }
}
