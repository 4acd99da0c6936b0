// The public side: the listed sender's look-up page and JSON, and self-service delisting
// (lambdas/handlers/public.ts). Its own REST API, separate from the operator API: no IAM (anyone may
// call it), a throttled stage, and a REGIONAL WAF web ACL on the stage with a rate-based rule per
// client address, so one client's flood is refused before it reaches the function while others are
// answered (the function's own per-client back-off is per container; WAF's count is fleet-wide).
//
// Why not CloudFront in front: a regional web ACL behind CloudFront sees CloudFront's addresses, not
// the client's, and the client-supplied X-Forwarded-For (which CloudFront appends to) is what WAF's
// forwarded-IP option would read: a flood could name a new "client" in every request. A web ACL of
// CLOUDFRONT scope must be created in us-east-1. The page is small and rendered per request (it
// shows the live DNS answer), so a cache would add little; the API's regional endpoint serves it.
// Mail goes out through SES from `mailFrom` (an identity verified in SES).
import {
  Duration,
  RemovalPolicy,
  Stack,
  aws_apigateway as apigw,
  type aws_dynamodb as dynamodb,
  aws_logs as logs,
  aws_wafv2 as wafv2,
  type aws_lambda as lambda,
  type aws_lambda_nodejs as nodejs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { JOURNAL_GSI, LISTINGS_GSI } from '../lambdas/adapters/table-schema.js';
import { MAIL_FROM_ENV, SES_CONFIGURATION_SET_ENV } from '../lambdas/adapters/ses-mailer.js';
import { PUBLIC_BASE_URL_ENV, PUBLIC_TRUSTED_PROXIES_ENV } from '../lambdas/handlers/public.js';
import type { ApiThrottle } from './operator-api.js';
import { type Acknowledge, allow, indexArn, LISTINGS_READ, type MakeFunction } from './publisher-parts.js';

const STAGE = 'public';

export interface PublicPortalProps {
  readonly zoneName: string;
  readonly listingsTable: dynamodb.ITable;
  readonly journalTable: dynamodb.ITable;
  /** Sender of the confirmation and outcome mails, e.g. "DNSBL <delist@bl.example.org>" (an SES identity). */
  readonly mailFrom: string;
  /** The SES identity `mailFrom` sends as (ses:SendEmail is granted on it). @default the domain of mailFrom */
  readonly sesIdentity?: string;
  readonly sesConfigurationSet?: string;
  /** The site's address links in mails start with. @default the API stage's URL */
  readonly baseUrl?: string;
  /** Stage throttling for everyone together. @default 50 requests/s, burst 100 */
  readonly throttle?: ApiThrottle;
  /** WAF rate-based rule: requests per client address in any 5-minute window. @default 300 */
  readonly wafRequestsPer5Minutes?: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly makeFunction: MakeFunction;
  readonly acknowledge: Acknowledge;
}

/** The domain part of "Name <user@domain>" or "user@domain". */
export function mailDomain(mailFrom: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom.trim());
  if (!m) throw new Error(`publicPortal.mailFrom ${JSON.stringify(mailFrom)} is not an address like "DNSBL <delist@bl.example.org>"`);
  return m[1]!.toLowerCase();
}

export class PublicPortal extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly api: apigw.RestApi;
  readonly webAcl: wafv2.CfnWebACL;
  /** The page's address (`<url>lookup?ip=…`). */
  readonly url: string;
  private readonly mailResources: string[];
  private readonly mailEnv: Record<string, string>;

  constructor(scope: Construct, id: string, props: PublicPortalProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const identity = props.sesIdentity ?? mailDomain(props.mailFrom);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    this.api = new apigw.RestApi(this, 'Api', {
      description: `DNSBL ${props.zoneName} public look-up and self-service delisting (no IAM)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false, httpMethod: true, ip: true, protocol: true, requestTime: true, resourcePath: true, responseLength: true, status: true, user: false,
        }),
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
      },
    });
    this.api.node.tryRemoveChild('Endpoint');
    // The stage's URL from the API's id, not api.url: that names the stage, which depends on the
    // methods, which depend on the function whose environment holds this URL.
    this.url = props.baseUrl ?? `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE}/`;

    // What mailing as the portal takes: its links, its sender, ses:SendEmail on its identity (the
    // operator API gets the same through grantOperatorReview).
    this.mailResources = [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity })].concat(
      props.sesConfigurationSet ? [stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: props.sesConfigurationSet })] : [],
    );
    this.mailEnv = {
      [PUBLIC_BASE_URL_ENV]: this.url,
      [MAIL_FROM_ENV]: props.mailFrom,
      ...(props.sesConfigurationSet ? { [SES_CONFIGURATION_SET_ENV]: props.sesConfigurationSet } : {}),
    };
    this.function = props.makeFunction({
      id: 'Public',
      entry: 'public.ts',
      description: `DNSBL ${props.zoneName}: public look-up and self-service delisting`,
      memorySize: 256,
      timeout: Duration.seconds(10),
      // API Gateway's sourceIp is the client's own address: no proxy in front.
      extraEnv: { ...this.mailEnv, [PUBLIC_TRUSTED_PROXIES_ENV]: '0' },
    });
    const fn = this.function;
    const listingsArn = props.listingsTable.tableArn;
    const journalArn = props.journalTable.tableArn;
    // Look-up: covering listings (Query on the table, byList index). Self-service delisting: the
    // delete or exclusion with its audit event (a transaction over both tables).
    allow(fn, 'ListingsReadAndSelfDelist', [...LISTINGS_READ, 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], [listingsArn]);
    allow(fn, 'ListingsQueryByList', ['dynamodb:Query'], [indexArn(listingsArn, LISTINGS_GSI.byList.name)]);
    // Journal: requests (DREQ#), self-delisting counts (SELFDL#), version counters, audit events.
    allow(fn, 'JournalRequests', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:DeleteItem'], [journalArn]);
    allow(fn, 'JournalQueryByTime', ['dynamodb:Query'], [indexArn(journalArn, JOURNAL_GSI.byTime.name)]);
    allow(fn, 'SendDelistMail', ['ses:SendEmail'], this.mailResources);

    const integration = new apigw.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
    const validator = this.api.addRequestValidator('Validator', { requestValidatorName: 'parameters', validateRequestParameters: true });
    const open: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE, requestValidator: validator };
    this.api.root.addMethod('GET', integration, open);
    const proxy = this.api.root.addResource('{proxy+}');
    proxy.addMethod('GET', integration, open);
    proxy.addMethod('POST', integration, open);

    const limit = props.wafRequestsPer5Minutes ?? 300;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'DnsblPublicPortal', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'PerClientRate',
          priority: 0,
          action: { block: { customResponse: { responseCode: 429 } } },
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'DnsblPublicPerClientRate', sampledRequestsEnabled: true },
        },
        {
          name: 'AwsCommonRules',
          priority: 1,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'DnsblPublicCommonRules', sampledRequestsEnabled: true },
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: this.webAcl.attrArn });

    props.acknowledge(this.api, 'AwsSolutions-APIG4', 'The public look-up and self-service delisting are for anyone whose mail bounced: no authorization by design. The stage is throttled, a WAF rate-based rule limits each client address, and a request can only touch the one address it names after its mailbox is proven.');
    props.acknowledge(this.api, 'AwsSolutions-COG4', 'Public pages for unauthenticated senders; a Cognito user pool would defeat their purpose.');
    props.acknowledge(this.api, 'AwsSolutions-APIG2', 'Bodies are validated by the function (zod, size limits, one clear 4xx per problem), which the hostile-request test holds; API Gateway models would duplicate them.');
    props.acknowledge(this.api.deploymentStage, 'AwsSolutions-APIG6', 'Execution logging needs the account-wide API Gateway CloudWatch role, which the operator API manages; access logs are on for this stage.');
  }

  /**
   * Lets the operator API approve and deny the portal's requests (GET/POST /v1/requests): the same
   * delisting service, mailing the requester the outcome through the same SES identity.
   */
  grantOperatorReview(fn: lambda.Function): void {
    for (const [k, v] of Object.entries(this.mailEnv)) fn.addEnvironment(k, v);
    allow(fn, 'MailDelistOutcome', ['ses:SendEmail'], this.mailResources);
  }
}
