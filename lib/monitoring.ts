// The publisher's monitoring: the KMS-encrypted alarm topic every alarm publishes to (AlarmTopic,
// created first: the reconcile workflow, canary and quota constructs alarm to it too), and the
// alarms on the zone sync, export, sweeper and API plus the dashboard (PublisherMonitoring, created
// last: it watches every function). (Resources in the publisher's scope: see lib/publisher-parts.ts.)
import {
  type aws_stepfunctions as sfn,
  Aws,
  Duration,
  RemovalPolicy,
  type aws_apigateway as apigw,
  aws_cloudwatch as cw,
  aws_iam as iam,
  aws_kms as kms,
  type aws_lambda as lambda,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRIC, METRICS_DIMENSION, METRICS_NAMESPACE } from '../lambdas/core/metric-names.js';
import { topicAlarm } from './publisher-parts.js';

/** CloudWatch namespace of the metrics the handlers emit (EMF; lambdas/core/metric-names.ts). */
export { METRICS_NAMESPACE };

/** One of the product's metrics of this zone (the names and dimension the handlers emit). */
export function zoneMetric(zoneName: string, metricName: string, statistic: string, period: Duration): cw.Metric {
  return new cw.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { [METRICS_DIMENSION]: zoneName }, statistic, period });
}

export interface AlarmTopicProps {
  readonly zoneName: string;
  /** E-mail address subscribed to the topic. */
  readonly alarmEmail?: string;
}

export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const alarmKey = new kms.Key(scope, 'AlarmTopicKey', {
      description: `Encrypts the DNSBL ${props.zoneName} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(30),
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets them (AWS-managed aws/sns does not).
    alarmKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsUseKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(scope, 'AlarmTopic', {
      displayName: `DNSBL ${props.zoneName} alarms`,
      masterKey: alarmKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
  }
}

export interface PublisherMonitoringProps {
  readonly zoneName: string;
  readonly alarmTopic: sns.ITopic;
  /** The publisher's alarm list: this construct appends its alarms and shows all of them on the dashboard. */
  readonly alarms: cw.Alarm[];
  readonly streamSyncFunction: lambda.Function;
  readonly reconcileFunction: lambda.Function;
  /** The reconcile pass's workflow: its failed, timed-out and aborted executions are what alarm. */
  readonly reconcileStateMachine: sfn.IStateMachine;
  readonly sweeperFunction: lambda.Function;
  readonly exportFunction: lambda.Function;
  readonly apiFunction: lambda.Function;
  readonly onFailureQueue: sqs.IQueue;
  readonly api: apigw.RestApi;
}

export class PublisherMonitoring extends Construct {
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: PublisherMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const alarm = (alarmId: string, description: string, metric: cw.IMetric, threshold: number) => {
      const a = topicAlarm(scope, alarmId, { zoneName: props.zoneName, description, metric, threshold, topic: props.alarmTopic });
      props.alarms.push(a);
      return a;
    };
    const errors = (fn: lambda.Function) => fn.metricErrors({ period, statistic: cw.Stats.SUM });
    const metric = (metricName: string, statistic: string, metricPeriod: Duration) => zoneMetric(props.zoneName, metricName, statistic, metricPeriod);

    const queueDepth = props.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: cw.Stats.MAXIMUM });
    const iteratorAge = props.streamSyncFunction.metric('IteratorAge', { period, statistic: cw.Stats.MAXIMUM, unit: cw.Unit.MILLISECONDS });
    const drift = metric(METRIC.driftFound, cw.Stats.MAXIMUM, Duration.minutes(15));
    const api5xx = props.api.metricServerError({ period, statistic: cw.Stats.SUM });

    alarm('OnFailureQueueAlarm', 'stream records failed all retries and are in the on-failure queue', queueDepth, 0);
    alarm('StreamSyncErrorsAlarm', 'the stream-sync function fails', errors(props.streamSyncFunction), 0);
    alarm('IteratorAgeAlarm', 'the zone lags the listings stream by more than 5 minutes', iteratorAge, 5 * 60 * 1000);
    alarm('DriftAlarm', 'reconcile found the Route 53 zone out of step with the table', drift, 0);
    alarm('ExportErrorsAlarm', 'the export to S3 fails', errors(props.exportFunction), 0);
    alarm('ApiServerErrorsAlarm', 'the operator API answers 5xx', api5xx, 0);
    // A pass that failed, timed out or was aborted, not a function error: a slice that finds the zone
    // lock held throws and is retried by the workflow (SLICE_RETRY), which is not a failure.
    const failedPasses = new cw.MathExpression({
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: props.reconcileStateMachine.metricFailed({ period, statistic: cw.Stats.SUM }),
        timedOut: props.reconcileStateMachine.metricTimedOut({ period, statistic: cw.Stats.SUM }),
        aborted: props.reconcileStateMachine.metricAborted({ period, statistic: cw.Stats.SUM }),
      },
      period,
      label: 'failed reconcile passes',
    });
    alarm('ReconcileErrorsAlarm', 'a reconcile pass failed, timed out or was aborted', failedPasses, 0);
    alarm('SweeperErrorsAlarm', 'the sweeper fails (expired listings stay listed)', errors(props.sweeperFunction), 0);

    const dashboard = new cw.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(6) });
    const fns = [props.streamSyncFunction, props.reconcileFunction, props.sweeperFunction, props.exportFunction, props.apiFunction];
    const label = (fn: lambda.Function) => fn.node.id;
    dashboard.addWidgets(new cw.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24 }));
    dashboard.addWidgets(
      new cw.GraphWidget({ title: 'Stream iterator age (ms)', left: [iteratorAge], width: 8 }),
      new cw.GraphWidget({ title: 'On-failure queue depth', left: [queueDepth], width: 8 }),
      new cw.GraphWidget({ title: 'Reconcile drift', left: [drift], width: 8 }),
    );
    dashboard.addWidgets(
      new cw.GraphWidget({ title: 'Function errors', left: fns.map((f) => errors(f).with({ label: label(f) })), width: 8 }),
      new cw.GraphWidget({
        title: 'Function duration (max)',
        left: fns.map((f) => f.metricDuration({ period, statistic: cw.Stats.MAXIMUM }).with({ label: label(f) })),
        width: 8,
      }),
      new cw.GraphWidget({
        title: 'Function throttles',
        left: fns.map((f) => f.metricThrottles({ period, statistic: cw.Stats.SUM }).with({ label: label(f) })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Operator API',
        left: [props.api.metricCount({ period }), props.api.metricClientError({ period }), api5xx],
        right: [props.api.metricLatency({ period, statistic: cw.Stats.p(99) })],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Export',
        left: [metric(METRIC.exportPublished, cw.Stats.SUM, period)],
        right: [metric(METRIC.exportBytes, cw.Stats.MAXIMUM, period)],
        width: 12,
      }),
    );
    this.dashboard = dashboard;
  }
}
