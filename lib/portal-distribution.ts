// CloudFront in front of the portal's REST API (lib/public-portal.ts): the page's public address,
// HTTPS only, no caching of answers (every look-up shows the live DNS answer; only the stylesheet is
// cached), security headers on every response, access logs like the export distribution's.
//
// How the function and the regional WAF know the real client without trusting the client:
//   - A CloudFront Function on viewer request OVERWRITES `x-dnsbl-viewer-ip` with `event.viewer.ip`
//     (the address of the connection CloudFront accepted; a value the client sent is replaced, never
//     appended to as X-Forwarded-For is). The regional web ACL's rate-based rule aggregates on that
//     header (ForwardedIPConfig) and the function's clientOf (lambdas/public/app.ts) counts on it.
//   - Only requests that came through this distribution may carry it: CloudFront adds an origin
//     custom header holding a secret (Secrets Manager, generated at deploy time), and the web ACL's
//     first rule blocks every request whose header is not exactly that secret, so a caller of the
//     execute-api URL cannot name its own client address (nor reach the portal at all).
//   The secret reaches both through CloudFormation dynamic references: "The secretsmanager dynamic
//   reference can be used in all resource properties" ... "the secret value may show up in the service
//   whose resource it's being used in" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html;
//   also https://docs.aws.amazon.com/secretsmanager/latest/userguide/cfn-example_reference-secret.html).
//   It is therefore readable by whoever may read the distribution's or the web ACL's configuration,
//   which is what it protects against anyway; it is never in the template or cdk.out. Updating the
//   secret takes a deploy that touches both resources ("Updating a secret in Secrets Manager doesn't
//   automatically update the secret in CloudFormation", same page).
//   Without the header WAF does not apply a forwarded-IP rule at all ("If the specified header isn't
//   present in the request, AWS WAF doesn't apply the rule to the web request at all",
//   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-wafv2-webacl-forwardedipconfiguration.html),
//   which is why the origin-verify rule comes first and blocks.
//
// No dependency cycle: the origin is the API's regional host name built from the API's id and the
// stage's name (a Ref to the RestApi only), not api.url (which names the stage, which depends on
// the methods, on the function, whose environment holds this distribution's domain).
import {
  Duration,
  type RemovalPolicy,
  Stack,
  aws_apigateway as apigw,
  aws_certificatemanager as acm,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
  type aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { VIEWER_IP_HEADER } from '../lambdas/public/viewer-ip.js';
import type { ExportDomain } from './export-distribution.js';
import type { Acknowledge } from './publisher-parts.js';

export { VIEWER_IP_HEADER };

/** The origin custom header carrying the distribution's secret (checked by the regional web ACL). */
export const ORIGIN_VERIFY_HEADER = 'x-dnsbl-origin-verify';

/**
 * The viewer-request function (cloudfront-js-2.0). Header names in the event are lower case, so the
 * assignment replaces any spelling of a client-sent header; a client-sent origin-verify header is
 * dropped too (CloudFront adds the real one on the way to the origin).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
 */
export const VIEWER_IP_FUNCTION_CODE = [
  'function handler(event) {',
  '  var request = event.request;',
  `  delete request.headers['${ORIGIN_VERIFY_HEADER}'];`,
  `  request.headers['${VIEWER_IP_HEADER}'] = { value: event.viewer.ip };`,
  '  return request;',
  '}',
].join('\n');

/** Same length as a distribution's *.cloudfront.net domain: what the zone configuration is validated with before the domain exists. */
export const PORTAL_LOOKUP_URL_STANDIN = 'https://d000000standin.cloudfront.net/lookup?ip={ip}';

export interface PortalDistributionProps {
  readonly zoneName: string;
  readonly api: apigw.RestApi;
  readonly stageName: string;
  /** The access-log bucket (the export distribution's); logs go under cloudfront-portal/. */
  readonly logBucket: s3.IBucket;
  /** A web ACL of CLOUDFRONT scope (created in us-east-1) for the distribution. */
  readonly webAclArn?: string;
  /** A custom domain (ACM certificate in us-east-1) for the page: TLS 1.2+ for viewers. */
  readonly domain?: ExportDomain;
  readonly removalPolicy: RemovalPolicy;
  readonly acknowledge: Acknowledge;
}

export class PortalDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly viewerIpFunction: cloudfront.Function;
  readonly originVerifySecret: secretsmanager.Secret;
  /** The secret as a CloudFormation dynamic reference (for the web ACL's byte-match rule). */
  readonly originVerifyValue: string;
  /** https://<domain>/ */
  readonly url: string;

  constructor(scope: Construct, id: string, props: PortalDistributionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.originVerifySecret = new secretsmanager.Secret(this, 'OriginVerify', {
      description: `DNSBL ${props.zoneName} portal: the header value proving a request came through its CloudFront distribution`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
    this.originVerifyValue = this.originVerifySecret.secretValue.unsafeUnwrap();
    this.viewerIpFunction = new cloudfront.Function(this, 'ViewerIp', {
      comment: `DNSBL ${props.zoneName} portal: ${VIEWER_IP_HEADER} := viewer address`,
      code: cloudfront.FunctionCode.fromInline(VIEWER_IP_FUNCTION_CODE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    const origin = new origins.HttpOrigin(`${props.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      originPath: `/${props.stageName}`,
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originVerifyValue },
    });
    const functionAssociations = [{ function: this.viewerIpFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }];
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'DNSBL portal: security headers',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        // Confirmation links carry their token: never pass them on as a Referer.
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        // The function's own policy (lambdas/public/app.ts) wins where it sets one.
        contentSecurityPolicy: { contentSecurityPolicy: "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", override: false },
      },
    });
    // The stylesheet may be cached (the function sends max-age=3600); a miss still carries the viewer's address.
    const stylesheetRequests = new cloudfront.OriginRequestPolicy(this, 'StylesheetRequests', {
      comment: 'DNSBL portal stylesheet: only the viewer address header',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(VIEWER_IP_HEADER),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `DNSBL ${props.zoneName} public look-up and self-service delisting`,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // Everything but Host: API Gateway routes on its own host name.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: headers,
        functionAssociations,
        compress: true,
      },
      additionalBehaviors: {
        '/site.css': {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          originRequestPolicy: stylesheetRequests,
          responseHeadersPolicy: headers,
          functionAssociations,
          compress: true,
        },
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront-portal/',
      ...(props.domain
        ? {
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            domainNames: [props.domain.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
          }
        : {}),
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });
    this.url = `https://${props.domain?.domainName ?? this.distribution.distributionDomainName}/`;

    props.acknowledge(this.distribution, 'AwsSolutions-CFR1', 'Senders whose mail bounced are anywhere in the world; a geo restriction would lock some of them out of their own delisting.');
    if (!props.webAclArn) {
      props.acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        'The portal\'s REGIONAL web ACL on the API stage (per-client rate rule on the viewer address this distribution sets, AWS common rules, origin-verify) sees every request that is not a cached stylesheet; a CLOUDFRONT-scope web ACL (us-east-1) can be added with publicPortal.webAclArn.',
      );
    }
    if (!props.domain) {
      props.acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'Without a custom domain CloudFront serves the default *.cloudfront.net certificate, whose security policy cannot be raised; TLS_V1_2_2021 applies as soon as publicPortal.domain is set.',
      );
    }
    props.acknowledge(
      this.originVerifySecret,
      'AwsSolutions-SMG4',
      'Not a credential to data: it only proves a request came through the distribution. CloudFormation resolves it into the distribution and the web ACL at deploy time, so a rotation needs a deploy; rotating it without one would block the portal.',
    );
  }
}

/**
 * The portal's page as the default `{lookupUrl}`: known at synth when the operator names the site
 * (baseUrl, or the distribution's custom domain), else the distribution's domain (a deploy-time
 * token: the configuration is validated with PORTAL_LOOKUP_URL_STANDIN, then given the real one).
 */
export function portalLookupUrl(options: { readonly baseUrl?: string; readonly domain?: ExportDomain }): string {
  if (options.baseUrl !== undefined) return `${options.baseUrl.replace(/\/$/, '')}/lookup?ip={ip}`;
  if (options.domain !== undefined) return `https://${options.domain.domainName}/lookup?ip={ip}`;
  return PORTAL_LOOKUP_URL_STANDIN;
}

/** The configuration validated with the stand-in, holding `url` (the deploy-time address) instead. */
export function withPortalLookupUrl(cfg: ZoneConfig, url: string): ZoneConfig {
  if (cfg.lookupUrl !== PORTAL_LOOKUP_URL_STANDIN) return cfg;
  const real = (s: string) => s.split(PORTAL_LOOKUP_URL_STANDIN).join(url);
  return { ...cfg, lookupUrl: url, lists: cfg.lists.map((l) => ({ ...l, txtTemplate: real(l.txtTemplate) })) };
}
