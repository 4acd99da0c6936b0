// The reconcile pass as an AWS Step Functions standard workflow: Plan -> Map over the slices (one at
// a time, each retried with backoff while the zone lock is busy, Route 53 throttles or Lambda has a
// service error; a slice that still fails is recorded and the pass goes on) -> Finish. The
// schedule starts an execution; the operator API starts them on demand. An alarm fires when no full
// pass completed within `maxAge` (the Finish step emits ReconcileFullPassCompleted).
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RECONCILE_STATE_MACHINE_ENV } from '../lambdas/adapters/reconcile-executions.js';
import { DEFAULT_RECONCILE_READ_SHARE, ROUTE53_ACCOUNT_RATE } from '../lambdas/services/reconcile-pass.js';
import { SLICE_RETRY } from '../lambdas/services/reconcile-retry.js';
import { METRIC } from '../lambdas/core/metric-names.js';
import { zoneMetric } from './monitoring.js';

export interface ReconcileWorkflowProps {
  readonly zoneName: string;
  readonly reconcileFunction: lambda.IFunction;
  /** @default rate(15 minutes) */
  readonly schedule?: events.Schedule;
  /** Alarm when no full pass completed for this long. @default 2x the schedule's rate (30 minutes) */
  readonly maxAge?: Duration;
  /** Slices run at the same time (each takes the zone lock, so more only overlaps reads). @default 1 */
  readonly maxConcurrency?: number;
  readonly alarmTopic: sns.ITopic;
  readonly tracing: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly acknowledge: (scope: Construct, id: string, reason: string) => void;
}

/** Route 53 reads per second for a share of the account's rate (validated: more than 0, at most 1). */
export function reconcileReadRate(share: number = DEFAULT_RECONCILE_READ_SHARE): number {
  if (!(share > 0 && share <= 1)) throw new Error(`reconcileReadShare must be more than 0 and at most 1 (got ${share})`);
  return Math.round(ROUTE53_ACCOUNT_RATE * share * 100) / 100;
}

/** Lambda's transient service errors as Step Functions names them (Step Functions best practices, "Handle Lambda service exceptions"). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Minutes of a rate() schedule, if it is one. */
function rateMinutes(s: events.Schedule): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(s.expressionString);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2]!.startsWith('minute') ? n : m[2]!.startsWith('hour') ? n * 60 : n * 1440;
}

export class ReconcileWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
  readonly noFullPassAlarm: cw.Alarm;
  readonly fullPasses: cw.Metric;

  constructor(scope: Construct, id: string, props: ReconcileWorkflowProps) {
    super(scope, id);
    const schedule = props.schedule ?? events.Schedule.rate(Duration.minutes(15));
    const maxAge = props.maxAge ?? Duration.minutes(2 * (rateMinutes(schedule) ?? 60));
    if (maxAge.toSeconds() % 60 !== 0 || maxAge.toSeconds() < 60) throw new Error('reconcileMaxAge must be a whole number of minutes');

    const invoke = (stateId: string, payload: sfn.TaskInput) =>
      new tasks.LambdaInvoke(this, stateId, {
        lambdaFunction: props.reconcileFunction,
        payload,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      }).addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6 });

    const plan = invoke('Plan', sfn.TaskInput.fromObject({ action: 'plan', 'input.$': '$' }));
    const slice = invoke('Slice', sfn.TaskInput.fromJsonPathAt('$'));
    slice.addRetry({
      errors: [...SLICE_RETRY.errors],
      interval: Duration.seconds(SLICE_RETRY.intervalSeconds),
      backoffRate: SLICE_RETRY.backoffRate,
      maxAttempts: SLICE_RETRY.maxAttempts,
    });
    const failed = new sfn.Pass(this, 'SliceFailed', {
      parameters: { 'slice.$': 'States.JsonToString($.slice.slice)', 'failed.$': '$.error.Cause' },
    });
    slice.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
    const slices = new sfn.Map(this, 'Slices', {
      itemsPath: '$.slices',
      itemSelector: { action: 'slice', 'passId.$': '$.passId', 'dryRun.$': '$.dryRun', 'slice.$': '$$.Map.Item.Value' },
      maxConcurrency: props.maxConcurrency ?? 1,
      resultPath: '$.reports',
    }).itemProcessor(slice);
    const finish = invoke('Finish', sfn.TaskInput.fromObject({ action: 'finish', 'plan.$': '$' }));

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `DNSBL ${props.zoneName}: sliced reconcile pass`,
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(slices).next(finish)),
      tracingEnabled: props.tracing,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      // A pass at 1M listings takes about an hour at half the Route 53 rate (README); a day is ample.
      timeout: Duration.hours(24),
    });
    if (!props.tracing) {
      props.acknowledge(this.stateMachine, 'AwsSolutions-SF2', 'X-Ray tracing is off because the construct was given tracing: false (the operator\'s choice, as for the functions).');
    }
    props.acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions use "*": CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets).',
    );
    props.acknowledge(
      this.stateMachine.role,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.reconcileFunction)}.Arn>:*]`,
      'The Lambda tasks invoke the reconcile function, any of its versions (the ":*" of LambdaInvoke\'s grant); no other function.',
    );
    this.rule = new events.Rule(this, 'Schedule', {
      schedule,
      description: `DNSBL ${props.zoneName}: reconcile pass`,
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ dryRun: false }), retryAttempts: 0 })],
    });

    this.fullPasses = zoneMetric(props.zoneName, METRIC.reconcileFullPassCompleted, cw.Stats.SUM, maxAge);
    this.noFullPassAlarm = new cw.Alarm(this, 'NoFullPassAlarm', {
      alarmDescription: `DNSBL ${props.zoneName}: no full reconcile pass completed in ${maxAge.toMinutes()} minutes`,
      metric: this.fullPasses,
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No datapoint at all is exactly what this alarm is about.
      treatMissingData: cw.TreatMissingData.BREACHING,
    });
    const action = new cwActions.SnsAction(props.alarmTopic);
    this.noFullPassAlarm.addAlarmAction(action);
    this.noFullPassAlarm.addOkAction(action);
  }
}


/**
 * Lets the operator API function start reconcile passes on this state machine and read their
 * executions, nothing else (states:StartExecution is authorised on the state machine,
 * states:DescribeExecution on its executions:
 * https://docs.aws.amazon.com/step-functions/latest/dg/concept-create-iam-advanced.html).
 */
export function allowOperatorReconcile(fn: lambda.Function, sm: sfn.StateMachine, acknowledge: ReconcileWorkflowProps['acknowledge']): void {
  fn.addEnvironment(RECONCILE_STATE_MACHINE_ENV, sm.stateMachineArn);
  fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'ReconcileStart', actions: ['states:StartExecution'], resources: [sm.stateMachineArn] }));
  const executions = Stack.of(sm).formatArn({ service: 'states', resource: 'execution', resourceName: `${sm.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'ReconcileDescribe', actions: ['states:DescribeExecution'], resources: [executions] }));
  acknowledge(
    fn.role!,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalIdOf(sm)}.Name>:*]`,
    'The operator API reads the executions (reconcile passes) of this one state machine; their names are pass ids chosen at run time.',
  );
}

function logicalIdOf(c: Construct): string {
  const child = c.node.defaultChild as unknown as { logicalId: string } | undefined;
  if (!child) throw new Error(`no default child under ${c.node.path}`);
  return Stack.of(c).resolve(child.logicalId) as string;
}
