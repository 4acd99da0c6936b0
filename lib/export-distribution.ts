// The export's storage and delivery: the private, versioned export bucket (the export function
// writes one zone folder of it), the access-log bucket, and the CloudFront distribution mirrors fetch
// the rbldnsd files from (Origin Access Control; optional custom domain and WAF web ACL), plus direct
// S3 reads for named mirror accounts. (Resources in the publisher's scope: see lib/publisher-parts.ts.)
import {
  Duration,
  type RemovalPolicy,
  aws_certificatemanager as acm,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { type Acknowledge, allow, logicalIdOf } from './publisher-parts.js';

/** A custom domain for the export distribution (enables TLS 1.2+ for viewers). */
export interface ExportDomain {
  readonly domainName: string;
  /** ACM certificate in us-east-1 covering domainName. */
  readonly certificateArn: string;
}

export interface ExportDistributionProps {
  readonly zoneName: string;
  /** The zone's folder in the bucket, e.g. rbldnsd/bl.example.org/ (the export's only write scope). */
  readonly exportFolder: string;
  /** AWS accounts (mirrors) allowed to read the export objects directly from S3 (s3:GetObject); 12-digit ids. */
  readonly mirrorAccountIds: readonly string[];
  readonly exportDomain?: ExportDomain;
  readonly exportWebAclArn?: string;
  /** How long S3/CloudFront access logs are kept. @default 365 days */
  readonly accessLogRetention?: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly acknowledge: Acknowledge;
}

export class ExportDistribution extends Construct {
  readonly exportBucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  private readonly exportFolder: string;
  private readonly acknowledge: Acknowledge;

  constructor(scope: Construct, id: string, props: ExportDistributionProps) {
    super(scope, id);
    this.exportFolder = props.exportFolder;
    this.acknowledge = props.acknowledge;
    const exportPrefix = props.exportFolder;

    // ---------------------------------------------------------------- buckets
    this.logBucket = new s3.Bucket(scope, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes through bucket ACLs (the awslogsdelivery account).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: props.accessLogRetention ?? Duration.days(365) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy,
    });
    // (cdk-nag S1 accepts a bucket that is itself a server-access-log destination.)

    this.exportBucket = new s3.Bucket(scope, 'ExportBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-exports',
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3-export/',
      removalPolicy: props.removalPolicy,
    });
    if (props.mirrorAccountIds.length > 0) {
      // Alternative to CloudFront: named mirror accounts read the export objects with their own credentials.
      this.exportBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'MirrorAccountsReadExport',
          principals: props.mirrorAccountIds.map((a) => new iam.AccountPrincipal(a)),
          actions: ['s3:GetObject'],
          resources: [this.exportBucket.arnForObjects(`${exportPrefix}*`)],
        }),
      );
    }

    // ---------------------------------------------------------------- distribution
    // Mirrors fetch the file over HTTPS from CloudFront; S3 is reachable only through Origin Access
    // Control. The data is public by nature (anyone can query the zone), so the distribution is open;
    // operators who want to restrict it further can require signed URLs (trusted key groups on the
    // behaviour), attach a WAF web ACL (exportWebAclArn, e.g. an IP allow list of the mirrors), or use
    // mirrorAccountIds and S3 credentials instead.
    const exportCachePolicy = new cloudfront.CachePolicy(scope, 'ExportCachePolicy', {
      // Objects without Cache-Control live 60 s; "no-cache" objects (manifest, aliases) revalidate every
      // time (min 0); immutable serial-named files may stay up to a day.
      comment: 'rbldnsd export: short default TTL, origin Cache-Control honoured',
      defaultTtl: Duration.seconds(60),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(1),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    });
    this.distribution = new cloudfront.Distribution(scope, 'ExportDistribution', {
      comment: `rbldnsd export of ${props.zoneName}`,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.exportBucket, {
          originAccessLevels: [cloudfront.AccessLevel.READ],
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        cachePolicy: exportCachePolicy,
        compress: true,
      },
      // No defaultRootObject: nothing is served at "/".
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront-export/',
      ...(props.exportDomain
        ? {
            // TLS 1.2+ for viewers needs a certificate of our own (the *.cloudfront.net one is fixed at TLSv1).
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            domainNames: [props.exportDomain.domainName],
            certificate: acm.Certificate.fromCertificateArn(scope, 'ExportCertificate', props.exportDomain.certificateArn),
          }
        : {}),
      ...(props.exportWebAclArn ? { webAclId: props.exportWebAclArn } : {}),
    });
    props.acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The export is fetched by rbldnsd mirrors anywhere in the world; the same data is public through DNS, so a geo restriction would only break mirrors.',
    );
    if (!props.exportWebAclArn) {
      props.acknowledge(
        this.distribution,
        'AwsSolutions-CFR2',
        'Read-only GET/HEAD of the public export files (rbldnsd data, manifest) behind Origin Access Control; a WAF web ACL (extra cost) can be attached with exportWebAclArn.',
      );
    }
    if (!props.exportDomain) {
      props.acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'Without a custom domain CloudFront serves the default *.cloudfront.net certificate, whose security policy cannot be raised; ' +
          'minimumProtocolVersion TLS_V1_2_2021 applies as soon as exportDomain (domain + ACM certificate) is set.',
      );
    }
  }

  /**
   * Lets the export function write its zone folder (and nothing else of the bucket): new serial-named
   * objects, aliases and the manifest, pruning old publications, listing the folder.
   */
  grantExportWrite(fn: lambda.Function): void {
    const folder = this.exportFolder;
    allow(
      fn,
      'ExportObjects',
      // DeleteObject: publications older than the previous one are pruned (the bucket is versioned,
      // so a delete only adds a delete marker; old versions expire after 30 days).
      ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      [this.exportBucket.arnForObjects(`${folder}*`)],
    );
    allow(fn, 'ExportList', ['s3:ListBucket'], [this.exportBucket.bucketArn], {
      StringLike: { 's3:prefix': [`${folder}*`] },
    });
    this.acknowledge(
      fn.role!,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.exportBucket)}.Arn>/${folder}*]`,
      `The export writes new serial-named objects, aliases and a manifest under ${folder} (names unknown at deploy time); it has no access to the rest of the bucket.`,
    );
  }
}
