// What the parts of DnsblPublisher share: how they create functions, record cdk-nag
// acknowledgements, and grant table access.
//
// The parts (PublisherStorage, ExportDistribution, AlarmTopic, ZoneSync, OperatorApi,
// PublisherMonitoring) are constructs of their own: typed props, handles on their resources, the
// cdk-nag acknowledgements next to the resources they concern. They create their CloudFormation
// resources in the publisher's scope (the `scope` their constructor is given), with the ids those
// resources had when DnsblPublisher was one class. Logical ids, and the ids CDK derives from construct
// paths (the Lambda permissions of schedules and API methods, the stream's event source mapping, the
// API deployment), are therefore those deployed stacks already have: an update after the split
// replaces no table, bucket, API or alarm (test/cdk/template-snapshot.test.ts holds the template to
// the one synthesized before the split). A new part with no deployed resources (the public side)
// can create its resources in its own scope.
import { Duration, RemovalPolicy, Stack, Token, aws_cloudwatch as cw, aws_cloudwatch_actions as cwActions, aws_dynamodb as dynamodb, aws_iam as iam, type aws_lambda as lambda, type aws_lambda_nodejs as nodejs, type aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionSpec } from './zone-canary.js';

/** Records an acknowledged cdk-nag finding on a construct, with its reason (DnsblPublisher.acknowledgements). */
export type Acknowledge = (scope: Construct, id: string, reason: string) => void;

/** Builds a function with the publisher's common settings (bundling, log group, role, tracing, environment). */
export type MakeFunction = (spec: FunctionSpec) => nodejs.NodejsFunction;

/** Lower-cases and drops a trailing dot; refuses tokens (the zone name must be known at synth). */
export function normalizeZoneName(name: string): string {
  if (Token.isUnresolved(name)) throw new Error('zoneName must be a literal string, not a token');
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The logical id of a construct's CloudFormation resource, resolved (for cdk-nag finding ids). */
export function logicalIdOf(c: Construct): string {
  const child = c.node.defaultChild;
  if (!child) throw new Error(`no default child under ${c.node.path}`);
  return Stack.of(c).resolve((child as unknown as { logicalId: string }).logicalId) as string;
}

/** One statement of a function's role policy, with a Sid naming what it is for. */
export function allow(fn: lambda.Function, sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }));
}

/** The ARN of a table's index. */
export const indexArn = (tableArn: string, name: string): string => `${tableArn}/index/${name}`;

export const LISTINGS_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
/** Journal: lock (conditional put, delete), state and idempotency items (get, put), audit trail (query). */
export const JOURNAL_RW = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
/** The zone writers also write and clear the sync intent ("STATE"/"sync-intent#<zone>#<n>") in batches. */
export const JOURNAL_RW_SYNC_INTENT = [...JOURNAL_RW, 'dynamodb:BatchWriteItem'];
/**
 * Published table: regions read with Query/BatchGetItem, the seeded marker with GetItem, the census
 * with UpdateItem, rows recorded with BatchWriteItem (puts and deletes). Reconcile also scans it and
 * writes the seeded marker (PutItem).
 */
export const PUBLISHED_RW = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];

/**
 * A table with the publisher's defaults: string keys, on demand, point-in-time recovery, AWS-managed
 * encryption, deletion protection (and retention) unless the removal policy is DESTROY.
 */
export function publisherTable(
  scope: Construct,
  id: string,
  props: { keys: { partitionKey: string; sortKey: string }; removalPolicy: RemovalPolicy; timeToLiveAttribute?: string; stream?: dynamodb.StreamViewType },
): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: props.keys.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: props.keys.sortKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    ...(props.stream ? { stream: props.stream } : {}),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
    ...(props.timeToLiveAttribute ? { timeToLiveAttribute: props.timeToLiveAttribute } : {}),
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: props.removalPolicy,
  });
}

/**
 * A queue that is itself an on-failure destination (what failed every retry): encrypted, TLS only,
 * kept 14 days; `why` is its cdk-nag acknowledgement for having no dead-letter queue of its own.
 */
export function onFailureQueue(scope: Construct, id: string, removalPolicy: RemovalPolicy, acknowledge: Acknowledge, why: string): sqs.Queue {
  const q = new sqs.Queue(scope, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14), removalPolicy });
  acknowledge(q, 'AwsSolutions-SQS3', why);
  return q;
}

/** An alarm to the topic (and back to OK) when one datapoint is above the threshold; missing data is fine. */
export function topicAlarm(scope: Construct, id: string, props: { zoneName: string; description: string; metric: cw.IMetric; threshold: number; topic: sns.ITopic }): cw.Alarm {
  const a = new cw.Alarm(scope, id, {
    alarmDescription: `DNSBL ${props.zoneName}: ${props.description}`,
    metric: props.metric,
    threshold: props.threshold,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  const action = new cwActions.SnsAction(props.topic);
  a.addAlarmAction(action);
  a.addOkAction(action);
  return a;
}
