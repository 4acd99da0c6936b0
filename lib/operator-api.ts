// The operator API: API Gateway REST (regional, IAM/SigV4 auth on every method, throttled stage,
// access logs, X-Ray) proxying to the api function, and that function's permissions on the tables,
// the zone's quota and the failure queue. (Resources in the publisher's scope: see lib/publisher-parts.ts.)
import {
  Duration,
  RemovalPolicy,
  aws_apigateway as apigw,
  type aws_dynamodb as dynamodb,
  aws_logs as logs,
  type aws_sqs as sqs,
  aws_wafv2 as wafv2,
  type aws_lambda_nodejs as nodejs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FAILURE_QUEUE_URL_ENV } from '../lambdas/adapters/failure-queue.js';
import { JOURNAL_GSI, LISTINGS_GSI } from '../lambdas/adapters/table-schema.js';
import { type Acknowledge, allow, indexArn, JOURNAL_RW, LISTINGS_READ, type MakeFunction } from './publisher-parts.js';

export interface ApiThrottle {
  /** Steady-state requests per second for the whole stage. */
  readonly rateLimit: number;
  /** Burst of requests the stage accepts above the rate. */
  readonly burstLimit: number;
}

export interface OperatorApiProps {
  readonly zoneName: string;
  readonly hostedZoneArn: string;
  readonly listingsTable: dynamodb.ITable;
  readonly journalTable: dynamodb.ITable;
  /** The stream's on-failure queue (the status reads its depth). */
  readonly onFailureQueue: sqs.IQueue;
  readonly throttle: ApiThrottle;
  /** Set the account/region-wide API Gateway CloudWatch Logs role. @default true */
  readonly manageApiGatewayAccountRole?: boolean;
  /** WAF web ACL (REGIONAL scope) ARN associated with the stage. */
  readonly apiWebAclArn?: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly makeFunction: MakeFunction;
  readonly acknowledge: Acknowledge;
}

export class OperatorApi extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    this.function = props.makeFunction({
      id: 'Api',
      entry: 'api.ts',
      description: `DNSBL ${props.zoneName}: operator API`,
      memorySize: 512,
      timeout: Duration.seconds(29),
      extraEnv: { [FAILURE_QUEUE_URL_ENV]: props.onFailureQueue.queueUrl },
    });

    // api: listings and journal read/write (audited transactions of Put and Delete items; the prefix
    // census with UpdateItem). What the zone answers now is asked of its DNS servers, not of Route 53.
    const fn = this.function;
    const listingsArn = props.listingsTable.tableArn;
    const journalArn = props.journalTable.tableArn;
    allow(fn, 'ListingsReadWrite', [...LISTINGS_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [listingsArn]);
    allow(
      fn,
      'ListingsQueryIndexes',
      ['dynamodb:Query'],
      [indexArn(listingsArn, LISTINGS_GSI.byList.name), indexArn(listingsArn, LISTINGS_GSI.byExpiry.name)],
    );
    allow(fn, 'JournalReadWrite', JOURNAL_RW, [journalArn]);
    allow(fn, 'JournalQueryByTime', ['dynamodb:Query'], [indexArn(journalArn, JOURNAL_GSI.byTime.name)]);
    // The quota guard and the status read the zone's rrset count and limit; the status reads the failure queue's depth.
    allow(fn, 'Route53ZoneQuota', ['route53:GetHostedZoneLimit'], [props.hostedZoneArn]);
    allow(fn, 'FailureQueueDepth', ['sqs:GetQueueAttributes'], [props.onFailureQueue.queueArn]);

    this.api = this.makeApi(scope, props);
  }

  private makeApi(scope: Construct, props: OperatorApiProps): apigw.RestApi {
    const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const manageRole = props.manageApiGatewayAccountRole ?? true;
    const api = new apigw.RestApi(scope, 'OperatorApi', {
      description: `DNSBL ${props.zoneName} operator API (IAM auth)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: manageRole,
      ...(manageRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
    });
    // The stack publishes ApiUrl itself; drop the RestApi's auto-named duplicate output.
    api.node.tryRemoveChild('Endpoint');
    const validator = api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigw.LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false });
    const methodOptions: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.IAM, requestValidator: validator };
    api.root.addMethod('ANY', integration, methodOptions);
    api.root.addResource('{proxy+}').addMethod('ANY', integration, methodOptions);
    // The public sender endpoints are not this API's: they get a construct of their own
    // (DnsblPublisher's "public side"), unauthenticated and separately throttled.

    props.acknowledge(
      api,
      'AwsSolutions-COG4',
      'The operator API is for IAM principals (CLI/automation signing with SigV4); every method uses AWS_IAM authorization instead of a Cognito user pool.',
    );
    if (props.apiWebAclArn) {
      new wafv2.CfnWebACLAssociation(scope, 'ApiWebAcl', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: props.apiWebAclArn,
      });
    } else {
      props.acknowledge(
        api.deploymentStage,
        'AwsSolutions-APIG3',
        'Every method requires SigV4-signed requests from IAM principals of this account and the stage is throttled; a WAF web ACL can be attached with apiWebAclArn.',
      );
    }
    if (manageRole) {
      const role = api.node.tryFindChild('CloudWatchRole');
      if (role) {
        props.acknowledge(
          role,
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          'The account-level API Gateway logging role (needed for access and execution logs) uses the AWS-maintained policy that only grants CloudWatch Logs delivery; it is not used by any function.',
        );
      }
    }
    return api;
  }
}
