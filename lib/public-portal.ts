// The public side: the listed sender's look-up page and JSON, and self-service delisting
// (lambdas/handlers/public.ts). Its own REST API, separate from the operator API: no IAM (anyone may
// call it), a throttled stage, CloudFront in front (lib/portal-distribution.ts: the page's address,
// HTTPS only, no caching of answers, security headers, the viewer's address in a header the client
// cannot write), and a REGIONAL WAF web ACL on the stage: only requests carrying the distribution's
// origin-verify secret pass, then a rate-based rule per viewer address (fleet-wide, where the
// function's own per-client back-off is shared through DynamoDB but starts per container).
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
  type aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { JOURNAL_GSI, LISTINGS_GSI } from '../lambdas/adapters/table-schema.js';
import { MAIL_FROM_ENV, SES_CONFIGURATION_SET_ENV } from '../lambdas/adapters/ses-mailer.js';
import { PUBLIC_BASE_URL_ENV, PUBLIC_TRUSTED_PROXIES_ENV } from '../lambdas/handlers/public.js';
import { PUBLIC_CLIENT_IP_HEADER_ENV, VIEWER_IP_HEADER } from '../lambdas/public/viewer-ip.js';
import type { ExportDomain } from './export-distribution.js';
import type { ApiThrottle } from './operator-api.js';
import { ORIGIN_VERIFY_HEADER, PortalDistribution } from './portal-distribution.js';
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
  /** The site's address links in mails start with (your own proxy in front). @default the CloudFront distribution's URL */
  readonly baseUrl?: string;
  /** A custom domain for the portal's distribution (ACM certificate in us-east-1). */
  readonly domain?: ExportDomain;
  /** A web ACL of CLOUDFRONT scope (created in us-east-1) for the portal's distribution, like exportWebAclArn. */
  readonly webAclArn?: string;
  /** The access-log bucket the distribution logs to (the export distribution's). */
  readonly logBucket: s3.IBucket;
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
  /** CloudFront in front of the API (lib/portal-distribution.ts). */
  readonly portalDistribution: PortalDistribution;
  /** The page's address (`<url>lookup?ip=…`). */
  readonly url: string;
  /** The look-up page for TXT templates' `{lookupUrl}` ("{ip}" stands for the address). */
  readonly lookupUrl: string;
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
    this.portalDistribution = new PortalDistribution(this, 'Cdn', {
      zoneName: props.zoneName,
      api: this.api,
      stageName: STAGE,
      logBucket: props.logBucket,
      removalPolicy: props.removalPolicy,
      acknowledge: props.acknowledge,
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
      ...(props.domain ? { domain: props.domain } : {}),
    });
    // Links point at the distribution: the execute-api URL answers nothing without its secret.
    this.url = props.baseUrl ?? this.portalDistribution.url;
    this.lookupUrl = `${this.url.replace(/\/$/, '')}/lookup?ip={ip}`;

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
      // The client is the address CloudFront's function wrote (only CloudFront's requests pass the web
      // ACL); X-Forwarded-For is not trusted (CloudFront appends to what the client wrote).
      extraEnv: { ...this.mailEnv, [PUBLIC_TRUSTED_PROXIES_ENV]: '0', [PUBLIC_CLIENT_IP_HEADER_ENV]: VIEWER_IP_HEADER },
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
          // Direct calls of the execute-api URL: blocked, whatever headers they write.
          name: 'OnlyThroughCloudFront',
          priority: 0,
          action: { block: { customResponse: { responseCode: 403 } } },
          statement: {
            notStatement: {
              statement: {
                byteMatchStatement: {
                  fieldToMatch: { singleHeader: { Name: ORIGIN_VERIFY_HEADER } },
                  positionalConstraint: 'EXACTLY',
                  searchString: this.portalDistribution.originVerifyValue,
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'DnsblPublicNotThroughCloudFront', sampledRequestsEnabled: true },
        },
        {
          // Per viewer: the address CloudFront's function wrote (the request's source is a CloudFront edge).
          name: 'PerClientRate',
          priority: 1,
          action: { block: { customResponse: { responseCode: 429 } } },
          statement: {
            rateBasedStatement: {
              limit,
              aggregateKeyType: 'FORWARDED_IP',
              forwardedIpConfig: { headerName: VIEWER_IP_HEADER, fallbackBehavior: 'NO_MATCH' },
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'DnsblPublicPerClientRate', sampledRequestsEnabled: true },
        },
        {
          name: 'AwsCommonRules',
          priority: 2,
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
