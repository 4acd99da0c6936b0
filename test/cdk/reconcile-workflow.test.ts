// The reconcile workflow construct on its own (a stand-in function, no bundling): a standard state
// machine Plan -> Map (one slice at a time, retried, failures caught) -> Finish, logged and traced;
// the schedule starts executions; the "no full pass" alarm; the operator grant.
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { allowOperatorReconcile, LAMBDA_SERVICE_ERRORS, ReconcileWorkflow, reconcileReadRate } from '../../lib/reconcile-workflow.js';
import { SLICE_RETRY } from '../../lambdas/services/reconcile-retry.js';

function synth(props: { schedule?: events.Schedule; maxAge?: Duration } = {}) {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const fn = new lambda.Function(stack, 'Reconcile', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  const api = new lambda.Function(stack, 'Api', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  const acks: string[] = [];
  const wf = new ReconcileWorkflow(stack, 'Wf', {
    zoneName: 'bl.example.org', reconcileFunction: fn, alarmTopic: new sns.Topic(stack, 'T'), tracing: true,
    logRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY, acknowledge: (_s, id) => acks.push(id), ...props,
  });
  allowOperatorReconcile(api, wf.stateMachine, (_s, id) => acks.push(id));
  const template = Template.fromStack(stack);
  const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
  const body = JSON.parse((sm.Properties.DefinitionString['Fn::Join'][1] as unknown[]).map((x) => (typeof x === 'string' ? x : 'ARN')).join(''));
  return { template, sm, body, acks, stack };
}

describe('reconcile workflow', () => {
  it('is a standard state machine Plan -> Slices (Map, one at a time) -> Finish, logged and traced', () => {
    const { sm, body } = synth();
    expect(sm.Properties.StateMachineType).toBe('STANDARD');
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.Properties.LoggingConfiguration.Level).toBe('ALL');
    expect(body.StartAt).toBe('Plan');
    expect(body.States.Plan.Next).toBe('Slices');
    expect(body.States.Slices.Next).toBe('Finish');
    expect(body.States.Finish.End).toBe(true);
    const map = body.States.Slices;
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBe(1);
    expect(map.ItemsPath).toBe('$.slices');
    expect(map.ItemSelector).toMatchObject({ action: 'slice', 'slice.$': '$$.Map.Item.Value', 'passId.$': '$.passId', 'dryRun.$': '$.dryRun' });
    expect(map.ResultPath).toBe('$.reports');
    expect(body.States.Plan.Parameters).toEqual({ action: 'plan', 'input.$': '$' });
    expect(body.States.Finish.Parameters).toEqual({ action: 'finish', 'plan.$': '$' });
  });

  it('retries a slice on Lambda service errors and on the lock busy / throttling with backoff, and catches the rest as a failed slice', () => {
    const { body } = synth();
    const slice = body.States.Slices.ItemProcessor.States.Slice;
    expect(slice.Retry).toEqual([
      { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
      { ErrorEquals: [...SLICE_RETRY.errors], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 },
    ]);
    expect(SLICE_RETRY.errors).toContain('ZoneLockBusy');
    expect(slice.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'SliceFailed' }]);
    const failed = body.States.Slices.ItemProcessor.States.SliceFailed;
    expect(failed.Parameters).toEqual({ 'slice.$': 'States.JsonToString($.slice.slice)', 'failed.$': '$.error.Cause' });
    for (const s of ['Plan', 'Finish']) expect(body.States[s].Retry[0].ErrorEquals).toEqual(LAMBDA_SERVICE_ERRORS);
  });

  it('starts an execution on the schedule, and alarms when no full pass completed in twice its rate', () => {
    const { template } = synth({ schedule: events.Schedule.rate(Duration.minutes(20)) });
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(20 minutes)');
    expect(rule.Properties.Targets[0].Arn.Ref).toMatch(/StateMachine/);
    expect(JSON.parse(rule.Properties.Targets[0].Input)).toEqual({ dryRun: false });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReconcileFullPassCompleted', Namespace: 'DnsblPublisher', Period: 2400, Threshold: 1,
      ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', Statistic: 'Sum',
    });
    const custom = synth({ maxAge: Duration.hours(3) }).template;
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ReconcileFullPassCompleted', Period: 10800 });
    expect(() => synth({ maxAge: Duration.seconds(90) })).toThrow(/whole number of minutes/);
  });

  it('lets the operator API start and read executions of this state machine only, and tells it the ARN', () => {
    const { template, acks } = synth();
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes('Api'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Action: unknown; Resource: unknown }>);
    const start = statements.find((s) => s.Sid === 'ReconcileStart')!;
    expect(start.Action).toBe('states:StartExecution');
    expect(JSON.stringify(start.Resource)).toMatch(/StateMachine/);
    const describe = statements.find((s) => s.Sid === 'ReconcileDescribe')!;
    expect(describe.Action).toBe('states:DescribeExecution');
    expect(JSON.stringify(describe.Resource)).toMatch(/execution:/);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.RECONCILE_STATE_MACHINE_ARN);
    expect(fn).toBeDefined();
    expect(acks.every((a) => a.startsWith('AwsSolutions-IAM5'))).toBe(true);
  });

  it('turns the read share into reconcile\'s rate (half the account\'s 10/s by default) and refuses a share outside (0, 1]', () => {
    expect(reconcileReadRate()).toBe(5);
    expect(reconcileReadRate(0.25)).toBe(2.5);
    for (const bad of [0, -0.1, 1.5, Number.NaN]) expect(() => reconcileReadRate(bad)).toThrow(/reconcileReadShare/);
  });
});
