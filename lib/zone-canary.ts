// The zone canary: a function that, on an EventBridge schedule, asks Route 53 (TestDNSAnswer) what
// the zone answers for a few addresses and compares with what the table says it must answer
// (lambdas/services/canary.ts), and an alarm when it finds any wrong answer.
//
// IAM: route53:TestDNSAnswer has no resource-level permissions (the Service Authorization Reference,
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html, lists
// no resource type for it), so it is granted on "*"; it only reads answers of public zones. The
// table reads are the covering-listings reads of the look-up (GetItem of the prefix census,
// BatchGetItem, Query of the wide partition), one or two pages of the byList index, and the audit
// trail: the journal's byTime index and the per-network history partitions (Query).
import { Duration, aws_cloudwatch as cw, aws_cloudwatch_actions as cwActions, aws_dynamodb as dynamodb, aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_lambda as lambda, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { JOURNAL_GSI, LISTINGS_GSI } from '../lambdas/adapters/table-schema.js';
import { METRIC } from '../lambdas/core/metric-names.js';
import { CANARY_DEFAULTS, CANARY_ENV } from '../lambdas/services/canary.js';
import { zoneMetric } from './monitoring.js';

/** What a function of the construct is made from (DnsblPublisher's makeFunction). */
export interface FunctionSpec {
  readonly id: string;
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly extraEnv?: Record<string, string>;
  readonly retryAttempts?: number;
}

/** The id the canary function gets (DnsblPublisher's makeFunction leaves its IAM5 finding to this construct). */
export const CANARY_FUNCTION_ID = 'Canary';

export interface ZoneCanaryProps {
  readonly zoneName: string;
  readonly listingsTable: dynamodb.ITable;
  readonly journalTable: dynamodb.ITable;
  readonly alarmTopic: sns.ITopic;
  /** Builds the function with the stack's common settings (bundling, log group, role, tracing). */
  readonly makeFunction: (spec: FunctionSpec) => lambda.Function;
  /** Records an acknowledged cdk-nag finding with its reason. */
  readonly acknowledge: (scope: Construct, id: string, reason: string) => void;
  /** Whether the function is traced with X-Ray (its role then also uses "*" for xray:Put*). */
  readonly tracing: boolean;
  /** @default rate(5 minutes) */
  readonly schedule?: events.Schedule;
  /** TestDNSAnswer requests per run at most (they share Route 53's 10/s account rate). @default 20 */
  readonly maxCalls?: number;
}

export class ZoneCanary extends Construct {
  readonly function: lambda.Function;
  readonly rule: events.Rule;
  readonly alarm: cw.Alarm;
  /** The metric the alarm watches: wrong answers per run (Maximum over 5 minutes). */
  readonly wrongAnswers: cw.Metric;

  constructor(scope: Construct, id: string, props: ZoneCanaryProps) {
    super(scope, id);
    const maxCalls = props.maxCalls ?? CANARY_DEFAULTS.maxCalls;
    if (!Number.isInteger(maxCalls) || maxCalls < 2 || maxCalls > 500) {
      throw new Error('canaryMaxCalls must be an integer from 2 to 500 (TestDNSAnswer requests per run)');
    }
    this.function = props.makeFunction({
      id: CANARY_FUNCTION_ID,
      entry: 'canary.ts',
      description: `DNSBL ${props.zoneName}: checks what Route 53 answers against the table (TestDNSAnswer canary)`,
      memorySize: 256,
      timeout: Duration.minutes(2),
      retryAttempts: 0,
      extraEnv: { [CANARY_ENV.maxCalls]: String(maxCalls) },
    });
    const fn = this.function;
    const allow = (sid: string, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions, resources }));
    const index = (table: dynamodb.ITable, name: string) => `${table.tableArn}/index/${name}`;
    allow('Route53TestDNSAnswer', ['route53:TestDNSAnswer'], ['*']);
    allow('ListingsRead', ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'], [props.listingsTable.tableArn]);
    allow('ListingsQueryByList', ['dynamodb:Query'], [index(props.listingsTable, LISTINGS_GSI.byList.name)]);
    allow('JournalAuditRead', ['dynamodb:Query'], [props.journalTable.tableArn, index(props.journalTable, JOURNAL_GSI.byTime.name)]);
    props.acknowledge(
      fn.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions use "*": route53:TestDNSAnswer (it reads what the public zone answers; ' +
        'the Service Authorization Reference lists no resource type for it)' +
        (props.tracing ? ' and xray:PutTraceSegments/PutTelemetryRecords (X-Ray tracing).' : '.'),
    );

    this.rule = new events.Rule(this, 'Schedule', {
      schedule: props.schedule ?? events.Schedule.rate(Duration.minutes(5)),
      description: `DNSBL ${props.zoneName}: canary`,
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    this.wrongAnswers = zoneMetric(props.zoneName, METRIC.wrongAnswers, cw.Stats.MAXIMUM, Duration.minutes(5));
    this.alarm = new cw.Alarm(this, 'WrongAnswersAlarm', {
      alarmDescription: `DNSBL ${props.zoneName}: the canary found Route 53 answering differently from the table (WrongAnswers > 0)`,
      metric: this.wrongAnswers,
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    const action = new cwActions.SnsAction(props.alarmTopic);
    this.alarm.addAlarmAction(action);
    this.alarm.addOkAction(action);
  }
}
