// The DnsblPublisher construct: everything a DNSBL operator needs on AWS, without servers.
//
//   listings table (DynamoDB) --stream--> stream-sync Lambda --> Route 53 public hosted zone
//   schedules --> reconcile (zone vs table), sweeper (expiry), export (rbldnsd file -> S3 -> CloudFront)
//   operator API (API Gateway REST, IAM/SigV4 auth) --> api Lambda --> tables
//   alarms --> SNS topic (KMS-encrypted), dashboard
//
// Secure defaults: data retained and deletion-protected, every bucket private and TLS-only, each
// function with its own role holding only the actions its code uses (test/cdk checks it against each
// handler's call graph), Route 53 writes limited to this zone, to the names the planner writes and to
// its record types (A, TXT, CAA).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
  aws_apigateway as apigw,
  aws_certificatemanager as acm,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
  aws_cloudwatch as cw,
  aws_cloudwatch_actions as cwActions,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_lambda_event_sources as eventSources,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
  aws_wafv2 as wafv2,
  custom_resources as cr,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  CENSUS_KEY,
  ENV,
  JOURNAL_GSI,
  JOURNAL_TABLE_KEYS,
  LISTINGS_GSI,
  LISTINGS_TABLE_KEYS,
  TTL_ATTRIBUTE,
} from '../lambdas/adapters/table-schema.js';
import { InputError } from '../lambdas/core/input-error.js';
import { type ListDef, validateZoneConfig, type ZoneConfig } from '../lambdas/core/listing.js';
import { MANIFEST_NAME } from '../lambdas/core/export-manifest.js';
import { ALIAS_DATA, DEFAULT_EXPORT_PREFIX } from '../lambdas/services/export.js';
import { STREAM_BATCH_SIZE, STREAM_BATCHING_WINDOW_MS } from '../lambdas/services/zone-sync.js';
import { allowOperatorReconcile, ReconcileWorkflow, reconcileReadRate } from './reconcile-workflow.js';
import { RECONCILE_ENV } from '../lambdas/services/reconcile-pass.js';
import { CANARY_FUNCTION_ID, type FunctionSpec, ZoneCanary } from './zone-canary.js';
import { ZoneQuota } from './zone-quota.js';
import { FAILURE_QUEUE_URL_ENV } from '../lambdas/adapters/failure-queue.js';

/** Environment variable naming the export function (stream-sync invokes it after changes). */
export const EXPORT_FUNCTION_NAME_ENV = 'EXPORT_FUNCTION_NAME';
/** CloudWatch namespace of the metrics the handlers emit (EMF). */
export const METRICS_NAMESPACE = 'DnsblPublisher';
/** Record types the zone planner writes; Route 53 write permission is limited to them. */
export const MANAGED_RECORD_TYPES = ['A', 'TXT', 'CAA'] as const;

/**
 * The record names the zone writers may change, as IAM StringLike patterns of the condition key
 * route53:ChangeResourceRecordSetsNormalizedRecordNames: exactly the names the planner writes
 * (lambdas/core/zone-plan.ts), i.e. labels of digits (IPv4 octets) or hex nibbles (IPv6, and the
 * a-f markers), optionally a leading wildcard, always below the apex.
 *
 * Route 53 normalizes each name before matching: lower case, no trailing dot, and every character
 * other than a-z, 0-9, "-", "_" and "." as a \ooo octal escape, so the wildcard label is \052
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html).
 * StringLike has only "*" (any run, dots included) and "?" (one character), no character classes
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
 * so the rule is written as both:
 *  - `allow` (ForAllValues:StringLike): every name starts with a digit or a-f, or with the wildcard
 *    label "\052." followed by at least one more label, and ends with ".<zone>" (never the apex);
 *  - `forbid` (ForAllValues:StringNotLike: a negated operator with several values matches when the
 *    value matches none of them, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html):
 *    no letter g-z, no "_" or "-" anywhere below the apex, and no "\" but the leading one of \052.
 * Together: below the apex, only [0-9a-f.] and one leading wildcard label. _acme-challenge, www,
 * mail, ns1, _dmarc … are refused. (A name made of hex digits only, such as cafe.<zone>, passes:
 * IAM cannot tell an octet label from a word of hex letters.)
 */
export function listingRecordNamePatterns(zoneName: string): { allow: string[]; forbid: string[] } {
  const zone = normalizeZoneName(zoneName);
  const first = [...'0123456789abcdef'].map((c) => `${c}*.${zone}`);
  return {
    allow: [...first, `\\052.*.${zone}`],
    forbid: [...'ghijklmnopqrstuvwxyz_-'].map((c) => `*${c}*.${zone}`).concat(`?*\\*.${zone}`),
  };
}

export const DEFAULT_TTL = 300;
export const DEFAULT_NEGATIVE_TTL = 300;
export const DEFAULT_API_THROTTLE: ApiThrottle = { rateLimit: 50, burstLimit: 100 };

export function defaultLists(zoneName: string): ListDef[] {
  return [
    { name: 'spam', code: '127.0.0.2', txtTemplate: `Listed in {list}: {reason} - see https://${zoneName}/lookup?ip={ip}` },
  ];
}

/** The S3 folder of one zone's export (objects as written by lambdas/services/export.ts). */
export function exportFolder(exportPrefix: string, zoneName: string): string {
  return `${exportPrefix}/${zoneName}/`;
}

export interface ApiThrottle {
  /** Steady-state requests per second for the whole stage. */
  readonly rateLimit: number;
  /** Burst of requests the stage accepts above the rate. */
  readonly burstLimit: number;
}

/** A custom domain for the export distribution (enables TLS 1.2+ for viewers). */
export interface ExportDomain {
  readonly domainName: string;
  /** ACM certificate in us-east-1 covering domainName. */
  readonly certificateArn: string;
}

export interface DnsblPublisherProps {
  /** Zone apex, lower case without trailing dot, e.g. "bl.example.org". */
  readonly zoneName: string;
  /** Use this existing public hosted zone instead of creating one. */
  readonly hostedZoneId?: string;
  /** @default one list "spam" answering 127.0.0.2 */
  readonly lists?: readonly ListDef[];
  /** TTL of listing records. @default 300 */
  readonly ttl?: number;
  /** SOA minimum of the rbldnsd file: how long "not listed" is cached. @default 300 */
  readonly negativeTtl?: number;
  /**
   * Answer IPv6 queries for IPv4-mapped and 6to4 addresses from the IPv4 listings in Route 53, as
   * rbldnsd mirrors always do (3x the rrsets of IPv4 listings). Mail servers look IPv4 clients up by
   * their IPv4 name (see ZoneConfig.ipv4ViaIpv6), so by default only the test points are.
   * @default false
   */
  readonly ipv4ViaIpv6?: boolean;
  /**
   * Name servers for rbldnsd's $NS/$SOA.
   * @default the hosted zone's (a created zone's NameServers; an imported zone's read with GetHostedZone at deploy time)
   */
  readonly nameservers?: readonly string[];
  /** SOA contact of the rbldnsd file. @default hostmaster@<zone> */
  readonly hostmaster?: string;
  /** E-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** When a reconcile pass (Step Functions execution) starts. @default rate(15 minutes) */
  readonly reconcileSchedule?: events.Schedule;
  /** Alarm when no full reconcile pass completed for this long. @default twice the schedule's rate */
  readonly reconcileMaxAge?: Duration;
  /** Share of the account's Route 53 rate (10 requests/s) reconcile may read at; stream-sync keeps the rest. @default 0.5 */
  readonly reconcileReadShare?: number;
  /** @default rate(5 minutes) */
  readonly exportSchedule?: events.Schedule;
  /** @default rate(1 minute) */
  readonly sweeperSchedule?: events.Schedule;
  /** How often the canary checks the zone's answers (TestDNSAnswer). @default rate(5 minutes) */
  readonly canarySchedule?: events.Schedule;
  /** TestDNSAnswer requests per canary run (they share Route 53's account rate with the zone writer). @default 20 */
  readonly canaryMaxCalls?: number;
  /** How often the zone's rrset count and quota are read (GetHostedZoneLimit) for the 80% alarm (15-minute periods; at most every 15 minutes keeps them filled). @default rate(5 minutes) */
  readonly quotaSchedule?: events.Schedule;
  /** @default { rateLimit: 50, burstLimit: 100 } */
  readonly apiThrottle?: ApiThrottle;
  /** Removal policy of the tables, buckets and log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * S3 prefix of the export (env EXPORT_KEY); the export writes `<prefix>/<zone>/` (serial-named
   * files, latest.combined aliases, manifest.json: see docs/mirror.md). @default rbldnsd
   */
  readonly exportPrefix?: string;
  /** AWS accounts (mirrors) allowed to read the export objects directly from S3 (s3:GetObject). */
  readonly mirrorAccountIds?: readonly string[];
  /** Custom domain + us-east-1 ACM certificate for the export distribution. */
  readonly exportDomain?: ExportDomain;
  /** WAF web ACL (CLOUDFRONT scope, us-east-1) ARN for the export distribution. */
  readonly exportWebAclArn?: string;
  /** WAF web ACL (REGIONAL scope) ARN associated with the operator API stage. */
  readonly apiWebAclArn?: string;
  /**
   * Set the account/region-wide API Gateway CloudWatch Logs role (needed for access logs). Turn
   * off when the account already manages it elsewhere. The role is retained on stack deletion.
   * @default true
   */
  readonly manageApiGatewayAccountRole?: boolean;
  /** Active X-Ray tracing of the functions (the API stage is always traced). @default true */
  readonly tracing?: boolean;
  /** Retention of the function, API access and execution logs. @default ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** How long S3/CloudFront access logs are kept. @default 365 days */
  readonly accessLogRetention?: Duration;
  /**
   * Extension point for the public sender endpoints (a later issue): when true the construct will
   * add unauthenticated, separately throttled lookup routes. Not built yet.
   * @default false
   */
  readonly publicApi?: boolean;
}

/** Where the handler entry files live (lambdas/handlers next to lib/). */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HANDLERS_DIR = path.join(REPO_ROOT, 'lambdas', 'handlers');

/** Each finding acknowledged for cdk-nag, for review (the reasons are the documentation). */
export interface NagAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

export class DnsblPublisher extends Construct {
  readonly zoneName: string;
  readonly zoneConfig: ZoneConfig;
  readonly hostedZone: route53.IHostedZone;
  readonly listingsTable: dynamodb.Table;
  readonly journalTable: dynamodb.Table;
  /** The listings exactly as the live zone publishes them (stream-sync and reconcile only; see table-schema.ts). */
  readonly publishedTable: dynamodb.Table;
  readonly exportBucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  /** EXPORT_KEY: the prefix under which the export writes its zone folder. */
  readonly exportPrefix: string;
  /** The zone's folder in the export bucket, e.g. rbldnsd/bl.example.org/ (the export's only write scope). */
  readonly exportFolder: string;
  readonly distribution: cloudfront.Distribution;
  readonly onFailureQueue: sqs.Queue;
  readonly alarmTopic: sns.Topic;
  readonly api: apigw.RestApi;
  readonly streamSyncFunction: nodejs.NodejsFunction;
  readonly reconcileFunction: nodejs.NodejsFunction;
  /** The reconcile pass's state machine, schedule and "no full pass" alarm. */
  readonly reconcileWorkflow: ReconcileWorkflow;
  readonly sweeperFunction: nodejs.NodejsFunction;
  readonly exportFunction: nodejs.NodejsFunction;
  readonly apiFunction: nodejs.NodejsFunction;
  /** The canary: its function, schedule and WrongAnswers alarm (lib/zone-canary.ts). */
  readonly canary: ZoneCanary;
  /** The zone's rrset quota: its metric function, schedule and 80% alarm (lib/zone-quota.ts). */
  readonly zoneQuota: ZoneQuota;
  readonly alarms: cw.Alarm[] = [];
  readonly dashboard: cw.Dashboard;
  readonly acknowledgements: NagAcknowledgement[] = [];
  /** The hosted zone's name servers (tokens: known at deploy time). */
  readonly nameServers: string[];
  /** What nameServers are, for an output description (imported zones differ). */
  readonly nameServersDescription: string;
  /** HTTPS URL of the newest rbldnsd file (latest.combined). */
  readonly exportUrl: string;
  /** HTTPS URL of the manifest (what `dnsbl mirror pull --source` reads). */
  readonly exportManifestUrl: string;

  private readonly removalPolicy: RemovalPolicy;
  private readonly logRetention: logs.RetentionDays;
  private readonly tracing: boolean;

  constructor(scope: Construct, id: string, props: DnsblPublisherProps) {
    super(scope, id);
    // S3 server access logs are delivered under a bucket policy (logging.s3.amazonaws.com) rather than
    // the legacy LogDeliveryWrite ACL, whatever the app's feature flags say (scoped to this construct).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    if (props.publicApi) {
      throw new Error('publicApi: the public sender endpoints are not implemented yet (planned in a later issue); leave it false');
    }
    const stack = Stack.of(this);
    const zoneName = normalizeZoneName(props.zoneName);
    this.zoneName = zoneName;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.tracing = props.tracing ?? true;
    const mirrorAccountIds = [...(props.mirrorAccountIds ?? [])];
    for (const a of mirrorAccountIds) {
      if (!/^\d{12}$/.test(a)) throw new Error(`mirrorAccountIds: ${JSON.stringify(a)} is not a 12-digit AWS account id`);
    }
    const throttle = props.apiThrottle ?? DEFAULT_API_THROTTLE;
    if (!(throttle.rateLimit > 0 && Number.isInteger(throttle.burstLimit) && throttle.burstLimit > 0)) {
      throw new Error('apiThrottle: rateLimit must be > 0 and burstLimit a positive integer');
    }

    // ---------------------------------------------------------------- zone config (checked first)
    const lists = (props.lists ?? defaultLists(zoneName)).map((l) => ({
      name: l.name, code: l.code, txtTemplate: l.txtTemplate, ...(l.route53Txt === undefined ? {} : { route53Txt: l.route53Txt }),
    }));
    const baseConfig = {
      zone: zoneName,
      lists,
      ttl: props.ttl ?? DEFAULT_TTL,
      negativeTtl: props.negativeTtl ?? DEFAULT_NEGATIVE_TTL,
      ipv4ViaIpv6: props.ipv4ViaIpv6 ?? false,
      hostmaster: props.hostmaster ?? `hostmaster@${zoneName}`,
    };
    const validate = (cfg: ZoneConfig) => {
      try {
        return validateZoneConfig(cfg);
      } catch (e) {
        if (e instanceof InputError) throw new Error(`DnsblPublisher: invalid zone configuration: ${e.message}`);
        throw e;
      }
    };
    // The zone's own name servers are tokens until deploy time; check the rest now.
    validate({ ...baseConfig, nameservers: props.nameservers?.length ? [...props.nameservers] : ['ns.invalid'] });

    // ---------------------------------------------------------------- hosted zone
    let zoneNameServers: string[];
    let nameServersDescription: string;
    if (props.hostedZoneId) {
      this.hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
        hostedZoneId: props.hostedZoneId,
        zoneName,
      });
      if (props.nameservers && props.nameservers.length > 0) {
        zoneNameServers = [...props.nameservers];
        nameServersDescription = `Name servers given for the imported hosted zone ${props.hostedZoneId} (not read from Route 53).`;
      } else {
        // An imported zone's name servers cannot be read at synth: read them once at deploy time.
        const read = new cr.AwsCustomResource(this, 'ImportedZoneNameServers', {
          onUpdate: {
            service: 'Route53',
            action: 'GetHostedZone',
            parameters: { Id: props.hostedZoneId },
            physicalResourceId: cr.PhysicalResourceId.of(`nameservers-${props.hostedZoneId}`),
            outputPaths: [0, 1, 2, 3].map((i) => `DelegationSet.NameServers.${i}`),
          },
          policy: cr.AwsCustomResourcePolicy.fromStatements([
            new iam.PolicyStatement({ actions: ['route53:GetHostedZone'], resources: [this.hostedZone.hostedZoneArn] }),
          ]),
          installLatestAwsSdk: false,
        });
        zoneNameServers = [0, 1, 2, 3].map((i) => read.getResponseField(`DelegationSet.NameServers.${i}`));
        nameServersDescription =
          `Name servers of the imported hosted zone ${props.hostedZoneId}: they cannot be read at synth, so they are read ` +
          'with GetHostedZone at deploy time. Delegation of the zone must already point to them.';
        const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
        if (provider) {
          this.ack(
            provider,
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
            'CDK-provided AwsCustomResource provider that reads the imported zone\'s name servers once per deployment; ' +
              'AWSLambdaBasicExecutionRole only lets it write its own CloudWatch logs. Its API permission is route53:GetHostedZone on this zone only.',
          );
        }
      }
    } else {
      const zone = new route53.PublicHostedZone(this, 'HostedZone', {
        zoneName,
        comment: `DNSBL ${zoneName} (dnsbl-publisher): records are managed by the stream-sync and reconcile functions`,
      });
      zone.applyRemovalPolicy(this.removalPolicy);
      this.hostedZone = zone;
      // Route 53 delegation sets always hold four name servers.
      zoneNameServers = [0, 1, 2, 3].map((i) => Fn.select(i, zone.hostedZoneNameServers!));
      nameServersDescription = `Delegate ${zoneName} to these name servers (NS records in the parent zone).`;
    }
    const nameservers = props.nameservers && props.nameservers.length > 0 ? [...props.nameservers] : zoneNameServers;

    const cfg: ZoneConfig = validate({ ...baseConfig, nameservers });
    this.zoneConfig = cfg;
    this.exportPrefix = props.exportPrefix ?? DEFAULT_EXPORT_PREFIX;
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(this.exportPrefix)) {
      throw new Error(`exportPrefix ${JSON.stringify(this.exportPrefix)} must be an S3 folder without leading or trailing "/", e.g. rbldnsd`);
    }
    /** The folder the export function may write in (and nothing else of the bucket). */
    const exportPrefix = exportFolder(this.exportPrefix, zoneName);
    this.exportFolder = exportPrefix;

    // ---------------------------------------------------------------- tables
    this.listingsTable = new dynamodb.Table(this, 'Listings', {
      partitionKey: { name: LISTINGS_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LISTINGS_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: this.removalPolicy !== RemovalPolicy.DESTROY,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: this.removalPolicy,
    });
    for (const gsi of [LISTINGS_GSI.byList, LISTINGS_GSI.byExpiry]) {
      this.listingsTable.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // The published table: the listings as the live zone publishes them (same keys). No stream (nothing
    // reacts to it), no indexes, and no TTL: a TTL would delete rows the zone still publishes.
    this.publishedTable = new dynamodb.Table(this, 'Published', {
      partitionKey: { name: LISTINGS_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LISTINGS_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: this.removalPolicy !== RemovalPolicy.DESTROY,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: this.removalPolicy,
    });
    this.journalTable = new dynamodb.Table(this, 'Journal', {
      partitionKey: { name: JOURNAL_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: JOURNAL_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: this.removalPolicy !== RemovalPolicy.DESTROY,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: this.removalPolicy,
    });
    this.journalTable.addGlobalSecondaryIndex({
      indexName: JOURNAL_GSI.byTime.name,
      partitionKey: { name: JOURNAL_GSI.byTime.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: JOURNAL_GSI.byTime.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // ---------------------------------------------------------------- buckets
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes through bucket ACLs (the awslogsdelivery account).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: props.accessLogRetention ?? Duration.days(365) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: this.removalPolicy,
    });
    // (cdk-nag S1 accepts a bucket that is itself a server-access-log destination.)

    this.exportBucket = new s3.Bucket(this, 'ExportBucket', {
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
      removalPolicy: this.removalPolicy,
    });
    if (mirrorAccountIds.length > 0) {
      // Alternative to CloudFront: named mirror accounts read the export objects with their own credentials.
      this.exportBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'MirrorAccountsReadExport',
          principals: mirrorAccountIds.map((a) => new iam.AccountPrincipal(a)),
          actions: ['s3:GetObject'],
          resources: [this.exportBucket.arnForObjects(`${exportPrefix}*`)],
        }),
      );
    }

    // ---------------------------------------------------------------- export distribution
    // Mirrors fetch the file over HTTPS from CloudFront; S3 is reachable only through Origin Access
    // Control. The data is public by nature (anyone can query the zone), so the distribution is open;
    // operators who want to restrict it further can require signed URLs (trusted key groups on the
    // behaviour), attach a WAF web ACL (exportWebAclArn, e.g. an IP allow list of the mirrors), or use
    // mirrorAccountIds and S3 credentials instead.
    const exportCachePolicy = new cloudfront.CachePolicy(this, 'ExportCachePolicy', {
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
    this.distribution = new cloudfront.Distribution(this, 'ExportDistribution', {
      comment: `rbldnsd export of ${zoneName}`,
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
            certificate: acm.Certificate.fromCertificateArn(this, 'ExportCertificate', props.exportDomain.certificateArn),
          }
        : {}),
      ...(props.exportWebAclArn ? { webAclId: props.exportWebAclArn } : {}),
    });
    this.ack(
      this.distribution,
      'AwsSolutions-CFR1',
      'The export is fetched by rbldnsd mirrors anywhere in the world; the same data is public through DNS, so a geo restriction would only break mirrors.',
    );
    if (!props.exportWebAclArn) {
      this.ack(
        this.distribution,
        'AwsSolutions-CFR2',
        'Read-only GET/HEAD of the public export files (rbldnsd data, manifest) behind Origin Access Control; a WAF web ACL (extra cost) can be attached with exportWebAclArn.',
      );
    }
    if (!props.exportDomain) {
      this.ack(
        this.distribution,
        'AwsSolutions-CFR4',
        'Without a custom domain CloudFront serves the default *.cloudfront.net certificate, whose security policy cannot be raised; ' +
          'minimumProtocolVersion TLS_V1_2_2021 applies as soon as exportDomain (domain + ACM certificate) is set.',
      );
    }

    // ---------------------------------------------------------------- alarm topic
    const alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the DNSBL ${zoneName} alarm topic`,
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
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `DNSBL ${zoneName} alarms`,
      masterKey: alarmKey,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // ---------------------------------------------------------------- on-failure queue
    this.onFailureQueue = new sqs.Queue(this, 'StreamSyncOnFailure', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: this.removalPolicy,
    });
    this.ack(
      this.onFailureQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter destination (event source mapping OnFailure) of the listings stream; it alarms at depth > 0 and is drained by the operator (reconcile repairs the zone meanwhile).',
    );

    // ---------------------------------------------------------------- functions
    const env: Record<string, string> = {
      [ENV.listingsTable]: this.listingsTable.tableName,
      [ENV.journalTable]: this.journalTable.tableName,
      [ENV.hostedZoneId]: this.hostedZone.hostedZoneId,
      [ENV.zoneConfig]: stack.toJsonString(cfg),
      [ENV.exportBucket]: this.exportBucket.bucketName,
      [ENV.exportKey]: this.exportPrefix,
    };
    // Only the two zone writers read or write the published table.
    const publishedEnv = { [ENV.publishedTable]: this.publishedTable.tableName };
    const minutes = Duration.minutes;

    this.exportFunction = this.makeFunction(env, {
      id: 'Export',
      entry: 'export.ts',
      description: `DNSBL ${zoneName}: writes the rbldnsd data file to S3 for mirrors`,
      memorySize: 1024,
      timeout: minutes(10),
      retryAttempts: 0,
    });
    this.streamSyncFunction = this.makeFunction(env, {
      id: 'StreamSync',
      entry: 'stream-sync.ts',
      description: `DNSBL ${zoneName}: listings stream -> Route 53 zone`,
      // 1,769 MB is one full vCPU: planning and serialising a 2,000-record batch is CPU work, and
      // on less the function, not Route 53's limit, sets the pace of bulk imports.
      memorySize: 1769,
      // Route 53 throttling (10 req/s account-wide, PriorRequestNotComplete) needs room for backoff.
      timeout: minutes(5),
      extraEnv: { ...publishedEnv, [EXPORT_FUNCTION_NAME_ENV]: this.exportFunction.functionName },
    });
    this.reconcileFunction = this.makeFunction(env, {
      id: 'Reconcile',
      entry: 'reconcile.ts',
      description: `DNSBL ${zoneName}: compares the Route 53 zone with the table and repairs drift`,
      memorySize: 1024,
      timeout: minutes(10),
      retryAttempts: 0,
      extraEnv: { ...publishedEnv, [RECONCILE_ENV.readRate]: String(reconcileReadRate(props.reconcileReadShare)) },
    });
    this.sweeperFunction = this.makeFunction(env, {
      id: 'Sweeper',
      entry: 'sweeper.ts',
      description: `DNSBL ${zoneName}: delists expired listings on time`,
      memorySize: 256,
      timeout: Duration.seconds(55),
      retryAttempts: 0,
    });
    this.apiFunction = this.makeFunction(env, {
      id: 'Api',
      entry: 'api.ts',
      description: `DNSBL ${zoneName}: operator API`,
      memorySize: 512,
      timeout: Duration.seconds(29),
      extraEnv: { [FAILURE_QUEUE_URL_ENV]: this.onFailureQueue.queueUrl },
    });

    // ---------------------------------------------------------------- permissions
    const listingsArn = this.listingsTable.tableArn;
    const journalArn = this.journalTable.tableArn;
    const publishedArn = this.publishedTable.tableArn;
    const index = (tableArn: string, name: string) => `${tableArn}/index/${name}`;
    const LISTINGS_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
    // Journal: lock (conditional put, delete), state and idempotency items (get, put), audit trail (query).
    const JOURNAL_RW = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
    // The zone writers also write and clear the sync intent ("STATE"/"sync-intent#<zone>#<n>") in batches.
    const JOURNAL_RW_SYNC_INTENT = [...JOURNAL_RW, 'dynamodb:BatchWriteItem'];
    // Published table: regions read with Query/BatchGetItem, the seeded marker with GetItem, the
    // census with UpdateItem, rows recorded with BatchWriteItem (puts and deletes). Reconcile also
    // scans it and writes the seeded marker (PutItem).
    const PUBLISHED_RW = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
    const allow = (fn: lambda.Function, sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }));

    const zoneArn = this.hostedZone.hostedZoneArn;
    // The zone writers change listing records only: the A/TXT/CAA records at the names the planner
    // writes (listingRecordNamePatterns). ForAllValues is also true when the request carries no
    // value at all, so Null: false requires both keys to be present
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
    // They read the zone with ListResourceRecordSets. Nothing calls GetChange or GetHostedZone: no
    // code waits for a change to be INSYNC (reconcile and the canary check what the zone answers).
    const names = listingRecordNamePatterns(zoneName);
    const route53Writer = (fn: lambda.Function) => {
      allow(fn, 'Route53ChangeListingRecordsOfThisZone', ['route53:ChangeResourceRecordSets'], [zoneArn], {
        'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': [...MANAGED_RECORD_TYPES] },
        'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names.allow },
        'ForAllValues:StringNotLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names.forbid },
        Null: { 'route53:ChangeResourceRecordSetsRecordTypes': 'false', 'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false' },
      });
      allow(fn, 'Route53ReadThisZone', ['route53:ListResourceRecordSets'], [zoneArn]);
    };

    // stream-sync: read listings, journal lock/state/sync intent, read and record the published
    // table, write the zone, start an export.
    allow(this.streamSyncFunction, 'ListingsRead', LISTINGS_READ, [listingsArn]);
    allow(this.streamSyncFunction, 'JournalLockAndState', JOURNAL_RW_SYNC_INTENT, [journalArn]);
    allow(this.streamSyncFunction, 'PublishedReadWrite', PUBLISHED_RW, [publishedArn]);
    route53Writer(this.streamSyncFunction);
    allow(this.streamSyncFunction, 'StartExport', ['lambda:InvokeFunction'], [this.exportFunction.functionArn]);

    // reconcile: full read of listings (parallel Scan, the census item), journal lock/state/sync
    // intent, write the zone; scans the published table to diff it, fills it and marks it seeded.
    // No point or batch reads of regions: it plans the whole zone from the scans.
    const RECONCILE_READ = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
    allow(this.reconcileFunction, 'ListingsRead', RECONCILE_READ, [listingsArn]);
    // Sliced passes: each slice's listings by range from the byList index, covering ones by key.
    allow(this.reconcileFunction, 'ListingsSliceRead', ['dynamodb:Query'], [index(listingsArn, LISTINGS_GSI.byList.name)]);
    allow(this.reconcileFunction, 'ListingsCoveringRead', ['dynamodb:BatchGetItem'], [listingsArn, publishedArn]);
    allow(this.reconcileFunction, 'JournalLockAndState', JOURNAL_RW_SYNC_INTENT, [journalArn]);
    allow(
      this.reconcileFunction,
      'PublishedReadWrite',
      [...RECONCILE_READ, 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
      [publishedArn],
    );
    route53Writer(this.reconcileFunction);
    // Reconcile completes the prefix census of a table that predates it (one item, pk META).
    allow(this.reconcileFunction, 'ListingsPrefixCensus', ['dynamodb:UpdateItem'], [listingsArn], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CENSUS_KEY.pk] },
    });
    // Reconcile also keeps the apex SOA's TTL and minimum at negativeTtl (how long "not listed" is cached).
    allow(this.reconcileFunction, 'Route53ApexSoaOfThisZone', ['route53:ChangeResourceRecordSets'], [zoneArn], {
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsRecordTypes': ['SOA'],
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [zoneName],
      },
      Null: { 'route53:ChangeResourceRecordSetsRecordTypes': 'false', 'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false' },
    });

    // sweeper: expired listings from the byExpiry index, conditional delete, audit event.
    allow(this.sweeperFunction, 'ListingsQueryExpiry', ['dynamodb:Query'], [index(listingsArn, LISTINGS_GSI.byExpiry.name)]);
    allow(this.sweeperFunction, 'ListingsDelist', ['dynamodb:DeleteItem'], [listingsArn]);
    allow(this.sweeperFunction, 'JournalAudit', ['dynamodb:PutItem'], [journalArn]);
    // No Route 53 access: deleting the item is enough, its stream record updates the zone.

    // export: read every listing (byList index merge or Scan), journal lease/state, its S3 folder.
    allow(
      this.exportFunction,
      'ListingsReadAll',
      ['dynamodb:Scan', 'dynamodb:Query'],
      [listingsArn, index(listingsArn, LISTINGS_GSI.byList.name)],
    );
    allow(this.exportFunction, 'JournalLockAndState', JOURNAL_RW, [journalArn]);
    allow(
      this.exportFunction,
      'ExportObjects',
      // DeleteObject: publications older than the previous one are pruned (the bucket is versioned,
      // so a delete only adds a delete marker; old versions expire after 30 days).
      ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      [this.exportBucket.arnForObjects(`${exportPrefix}*`)],
    );
    allow(this.exportFunction, 'ExportList', ['s3:ListBucket'], [this.exportBucket.bucketArn], {
      StringLike: { 's3:prefix': [`${exportPrefix}*`] },
    });
    this.ack(
      this.exportFunction.role!,
      `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.exportBucket)}.Arn>/${exportPrefix}*]`,
      `The export writes new serial-named objects, aliases and a manifest under ${exportPrefix} (names unknown at deploy time); it has no access to the rest of the bucket.`,
    );

    // api: listings and journal read/write (audited transactions of Put and Delete items; the prefix
    // census with UpdateItem). What the zone answers now is asked of its DNS servers, not of Route 53.
    allow(
      this.apiFunction,
      'ListingsReadWrite',
      [...LISTINGS_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [listingsArn],
    );
    allow(
      this.apiFunction,
      'ListingsQueryIndexes',
      ['dynamodb:Query'],
      [index(listingsArn, LISTINGS_GSI.byList.name), index(listingsArn, LISTINGS_GSI.byExpiry.name)],
    );
    allow(this.apiFunction, 'JournalReadWrite', JOURNAL_RW, [journalArn]);
    allow(this.apiFunction, 'JournalQueryByTime', ['dynamodb:Query'], [index(journalArn, JOURNAL_GSI.byTime.name)]);
    // The quota guard and the status read the zone's rrset count and limit; the status reads the failure queue's depth.
    allow(this.apiFunction, 'Route53ZoneQuota', ['route53:GetHostedZoneLimit'], [zoneArn]);
    allow(this.apiFunction, 'FailureQueueDepth', ['sqs:GetQueueAttributes'], [this.onFailureQueue.queueArn]);

    // ---------------------------------------------------------------- stream -> stream-sync
    this.streamSyncFunction.addEventSource(
      new eventSources.DynamoEventSource(this.listingsTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        // Large batches let one invocation fill Route 53 requests (1,000 values each): bulk imports reach the rate limit.
        batchSize: STREAM_BATCH_SIZE,
        maxBatchingWindow: Duration.millis(STREAM_BATCHING_WINDOW_MS),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(6),
        parallelizationFactor: 1,
        onFailure: new eventSources.SqsDlq(this.onFailureQueue),
      }),
    );
    this.ack(
      this.streamSyncFunction.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions use "*": dynamodb:ListStreams (added by the DynamoDB event source; stream reads are on the stream ARN)' +
        (this.tracing ? ' and xray:PutTraceSegments/PutTelemetryRecords (X-Ray tracing).' : '.'),
    );

    // ---------------------------------------------------------------- schedules
    const schedule = (id: string, fn: lambda.Function, s: events.Schedule, description: string) =>
      new events.Rule(this, id, {
        schedule: s,
        description,
        targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
      });
    // Reconcile runs as a Step Functions workflow over slices of the zone (lib/reconcile-workflow.ts).
    this.reconcileWorkflow = new ReconcileWorkflow(this, 'ReconcileWorkflow', {
      zoneName, reconcileFunction: this.reconcileFunction, alarmTopic: this.alarmTopic, tracing: this.tracing, logRetention: this.logRetention,
      removalPolicy: this.removalPolicy, acknowledge: (scope, id, reason) => this.ack(scope, id, reason),
      ...(props.reconcileSchedule ? { schedule: props.reconcileSchedule } : {}), ...(props.reconcileMaxAge ? { maxAge: props.reconcileMaxAge } : {}),
    });
    this.alarms.push(this.reconcileWorkflow.noFullPassAlarm);
    allowOperatorReconcile(this.apiFunction, this.reconcileWorkflow.stateMachine, (scope, id, reason) => this.ack(scope, id, reason));
    schedule('SweeperSchedule', this.sweeperFunction, props.sweeperSchedule ?? events.Schedule.rate(minutes(1)), `DNSBL ${zoneName}: sweeper`);
    schedule('ExportSchedule', this.exportFunction, props.exportSchedule ?? events.Schedule.rate(minutes(5)), `DNSBL ${zoneName}: export`);

    // ---------------------------------------------------------------- operator API
    this.api = this.makeApi(throttle, props);

    // ---------------------------------------------------------------- canary (checks the zone's answers)
    this.canary = new ZoneCanary(this, 'ZoneCanary', {
      zoneName,
      listingsTable: this.listingsTable,
      journalTable: this.journalTable,
      alarmTopic: this.alarmTopic,
      makeFunction: (spec) => this.makeFunction(env, spec),
      acknowledge: (scope, id, reason) => this.ack(scope, id, reason),
      tracing: this.tracing,
      ...(props.canarySchedule ? { schedule: props.canarySchedule } : {}),
      ...(props.canaryMaxCalls !== undefined ? { maxCalls: props.canaryMaxCalls } : {}),
    });
    this.alarms.push(this.canary.alarm);
    this.zoneQuota = new ZoneQuota(this, 'ZoneQuota', { zoneName, hostedZoneArn: zoneArn, alarmTopic: this.alarmTopic, makeFunction: (spec) => this.makeFunction(env, spec), ...(props.quotaSchedule ? { schedule: props.quotaSchedule } : {}) });
    this.alarms.push(this.zoneQuota.alarm);

    // ---------------------------------------------------------------- alarms and dashboard
    this.dashboard = this.makeAlarmsAndDashboard();

    // ---------------------------------------------------------------- values for outputs
    this.nameServers = zoneNameServers;
    this.nameServersDescription = nameServersDescription;
    const exportBase = `https://${props.exportDomain?.domainName ?? this.distribution.distributionDomainName}/${exportPrefix}`;
    this.exportUrl = `${exportBase}${ALIAS_DATA}`;
    this.exportManifestUrl = `${exportBase}${MANIFEST_NAME}`;
  }

  // -------------------------------------------------------------------- helpers

  private ack(scope: Construct, id: string, reason: string): void {
    Validations.of(scope).acknowledge({ id, reason });
    this.acknowledgements.push({ path: scope.node.path, id, reason });
  }

  private logicalIdOf(c: Construct): string {
    const child = c.node.defaultChild;
    if (!child) throw new Error(`no default child under ${c.node.path}`);
    return Stack.of(this).resolve((child as unknown as { logicalId: string }).logicalId) as string;
  }

  private makeFunction(env: Record<string, string>, spec: FunctionSpec): nodejs.NodejsFunction {
    const entry = path.join(HANDLERS_DIR, spec.entry);
    if (!existsSync(entry)) throw new Error(`handler entry ${entry} does not exist`);
    const logGroup = new logs.LogGroup(this, `${spec.id}Logs`, {
      retention: this.logRetention,
      removalPolicy: this.removalPolicy,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs only to its own log group.
    const role = new iam.Role(this, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: spec.description,
    });
    const lockFile = path.join(REPO_ROOT, 'package-lock.json');
    const fn = new nodejs.NodejsFunction(this, spec.id, {
      entry,
      handler: 'handler',
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      role,
      logGroup,
      tracing: this.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: { ...env, ...spec.extraEnv },
      ...(spec.retryAttempts !== undefined ? { retryAttempts: spec.retryAttempts } : {}),
      projectRoot: REPO_ROOT,
      ...(existsSync(lockFile) ? { depsLockFilePath: lockFile } : {}),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        // The Lambda runtime's Node; the local stack and tests run the same source on Node 20+.
        target: 'node22',
        mainFields: ['module', 'main'],
        // CommonJS dependencies bundled into ESM still call require(): give them one.
        banner: "import { createRequire as __dnsblCreateRequire } from 'node:module'; const require = __dnsblCreateRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the SDK too: the versions the tests ran with, not whatever the runtime ships.
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
        logLevel: nodejs.LogLevel.ERROR,
      },
    });
    logGroup.grantWrite(role);
    this.ack(
      fn,
      'CloudFormation-Validate::W2531',
      'nodejs22.x (esbuild target node22) is the runtime this release is built for; nodejs20.x was deprecated on 2026-04-30 and ' +
        'creating functions on it is blocked from 2027-02-01.',
    );
    this.ack(
      fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: runtime and esbuild target move together in one tested change, not whenever a newer runtime appears.',
    );
    if (this.tracing && spec.id !== 'StreamSync' && spec.id !== CANARY_FUNCTION_ID) {
      this.ack(
        role,
        'AwsSolutions-IAM5[Resource::*]',
        'Only X-Ray tracing uses "*": xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions.',
      );
    }
    return fn;
  }

  private makeApi(throttle: ApiThrottle, props: DnsblPublisherProps): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: this.logRetention,
      removalPolicy: this.removalPolicy,
    });
    const manageRole = props.manageApiGatewayAccountRole ?? true;
    const api = new apigw.RestApi(this, 'OperatorApi', {
      description: `DNSBL ${this.zoneName} operator API (IAM auth)`,
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
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
      },
    });
    // The stack publishes ApiUrl itself; drop the RestApi's auto-named duplicate output.
    api.node.tryRemoveChild('Endpoint');
    const validator = api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigw.LambdaIntegration(this.apiFunction, { proxy: true, allowTestInvoke: false });
    const methodOptions: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.IAM, requestValidator: validator };
    api.root.addMethod('ANY', integration, methodOptions);
    api.root.addResource('{proxy+}').addMethod('ANY', integration, methodOptions);
    // Extension point: the public sender endpoints (props.publicApi, a later issue) get their own
    // resources here, unauthenticated but with their own method throttling.

    this.ack(
      api,
      'AwsSolutions-COG4',
      'The operator API is for IAM principals (CLI/automation signing with SigV4); every method uses AWS_IAM authorization instead of a Cognito user pool.',
    );
    if (props.apiWebAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'ApiWebAcl', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: props.apiWebAclArn,
      });
    } else {
      this.ack(
        api.deploymentStage,
        'AwsSolutions-APIG3',
        'Every method requires SigV4-signed requests from IAM principals of this account and the stage is throttled; a WAF web ACL can be attached with apiWebAclArn.',
      );
    }
    if (manageRole) {
      const role = api.node.tryFindChild('CloudWatchRole');
      if (role) {
        this.ack(
          role,
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          'The account-level API Gateway logging role (needed for access and execution logs) uses the AWS-maintained policy that only grants CloudWatch Logs delivery; it is not used by any function.',
        );
      }
    }
    return api;
  }

  private makeAlarmsAndDashboard(): cw.Dashboard {
    const period = Duration.minutes(5);
    const action = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (id: string, description: string, metric: cw.IMetric, threshold: number) => {
      const a = new cw.Alarm(this, id, {
        alarmDescription: `DNSBL ${this.zoneName}: ${description}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };
    const errors = (fn: lambda.Function) => fn.metricErrors({ period, statistic: cw.Stats.SUM });

    const queueDepth = this.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: cw.Stats.MAXIMUM });
    const iteratorAge = this.streamSyncFunction.metric('IteratorAge', { period, statistic: cw.Stats.MAXIMUM, unit: cw.Unit.MILLISECONDS });
    const drift = new cw.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'DriftFound',
      dimensionsMap: { Zone: this.zoneName },
      statistic: cw.Stats.MAXIMUM,
      period: Duration.minutes(15),
    });
    const api5xx = this.api.metricServerError({ period, statistic: cw.Stats.SUM });

    alarm('OnFailureQueueAlarm', 'stream records failed all retries and are in the on-failure queue', queueDepth, 0);
    alarm('StreamSyncErrorsAlarm', 'the stream-sync function fails', errors(this.streamSyncFunction), 0);
    alarm('IteratorAgeAlarm', 'the zone lags the listings stream by more than 5 minutes', iteratorAge, 5 * 60 * 1000);
    alarm('DriftAlarm', 'reconcile found the Route 53 zone out of step with the table', drift, 0);
    alarm('ExportErrorsAlarm', 'the export to S3 fails', errors(this.exportFunction), 0);
    alarm('ApiServerErrorsAlarm', 'the operator API answers 5xx', api5xx, 0);
    alarm('ReconcileErrorsAlarm', 'the reconcile function fails', errors(this.reconcileFunction), 0);
    alarm('SweeperErrorsAlarm', 'the sweeper fails (expired listings stay listed)', errors(this.sweeperFunction), 0);

    const dashboard = new cw.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    const fns = [this.streamSyncFunction, this.reconcileFunction, this.sweeperFunction, this.exportFunction, this.apiFunction];
    const label = (fn: lambda.Function) => fn.node.id;
    dashboard.addWidgets(new cw.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
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
        left: [this.api.metricCount({ period }), this.api.metricClientError({ period }), api5xx],
        right: [this.api.metricLatency({ period, statistic: cw.Stats.p(99) })],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Export',
        left: [
          new cw.Metric({ namespace: METRICS_NAMESPACE, metricName: 'ExportPublished', dimensionsMap: { Zone: this.zoneName }, statistic: cw.Stats.SUM, period }),
        ],
        right: [
          new cw.Metric({ namespace: METRICS_NAMESPACE, metricName: 'ExportBytes', dimensionsMap: { Zone: this.zoneName }, statistic: cw.Stats.MAXIMUM, period }),
        ],
        width: 12,
      }),
    );
    return dashboard;
  }
}

/** Lower-cases and drops a trailing dot; refuses tokens (the zone name must be known at synth). */
export function normalizeZoneName(name: string): string {
  if (Token.isUnresolved(name)) throw new Error('zoneName must be a literal string, not a token');
  return name.trim().toLowerCase().replace(/\.$/, '');
}
