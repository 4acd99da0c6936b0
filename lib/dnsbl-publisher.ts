// The DnsblPublisher construct: everything a DNSBL operator needs on AWS, without servers.
//
//   listings table (DynamoDB) --stream--> stream-sync Lambda --> Route 53 public hosted zone
//   schedules --> reconcile (zone vs table), sweeper (expiry), export (rbldnsd file -> S3 -> CloudFront)
//   operator API (API Gateway REST, IAM/SigV4 auth) --> api Lambda --> tables
//   alarms --> SNS topic (KMS-encrypted), dashboard
//
// Composed of parts, each a construct with its props and its cdk-nag acknowledgements:
//   PublisherStorage (lib/publisher-storage.ts)       the three tables
//   ExportDistribution (lib/export-distribution.ts)   export bucket, access logs, CloudFront
//   AlarmTopic, PublisherMonitoring (lib/monitoring.ts) alarm topic; alarms and dashboard
//   ZoneSync (lib/zone-sync.ts)                       stream-sync and reconcile functions, stream mapping, failure queue
//   OperatorApi (lib/operator-api.ts)                 API Gateway + api function
//   ReconcileWorkflow, ZoneCanary, ZoneQuota          lib/reconcile-workflow.ts, zone-canary.ts, zone-quota.ts
//   PublisherEvidence (lib/evidence.ts)               evidence table, reporter policy, SES mail intake (when a list has an evidence policy)
// This class validates the props, holds the hosted zone, the functions' common settings
// (makeFunction), the export and sweeper functions and their schedules, and wires the parts.
// (Why the parts create their resources in this construct's scope: lib/publisher-parts.ts.)
//
// Secure defaults: data retained and deletion-protected, every bucket private and TLS-only, each
// function with its own role holding only the actions its code uses (test/cdk checks it against each
// handler's call graph), Route 53 writes limited to this zone, to the names the planner writes and to
// its record types (A, TXT, CAA).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Duration,
  Fn,
  Lazy,
  RemovalPolicy,
  Stack,
  Validations,
  type aws_apigateway as apigw,
  type aws_cloudfront as cloudfront,
  type aws_cloudwatch as cw,
  type aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_route53 as route53,
  type aws_s3 as s3,
  type aws_sns as sns,
  type aws_sqs as sqs,
  custom_resources as cr,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ENV, LISTINGS_GSI } from '../lambdas/adapters/table-schema.js';
import { InputError } from '../lambdas/core/input-error.js';
import { type ListDef, validateZoneConfig, type ZoneConfig } from '../lambdas/core/listing.js';
import { MANIFEST_NAME } from '../lambdas/core/export-manifest.js';
import { ALIAS_DATA, DEFAULT_EXPORT_PREFIX } from '../lambdas/services/export.js';
import { ExportDistribution, type ExportDomain } from './export-distribution.js';
import { AlarmTopic, PublisherMonitoring } from './monitoring.js';
import { type ApiThrottle, OperatorApi } from './operator-api.js';
import { allow, indexArn, JOURNAL_RW, normalizeZoneName } from './publisher-parts.js';
import { PublisherStorage } from './publisher-storage.js';
import { portalLookupUrl, withPortalLookupUrl } from './portal-distribution.js';
import { PublicPortal, type PublicPortalProps } from './public-portal.js';
import { type EvidenceOptions, PublisherEvidence } from './evidence.js';
import { allowOperatorReconcile, ReconcileWorkflow } from './reconcile-workflow.js';
import { CANARY_FUNCTION_ID, type FunctionSpec, ZoneCanary } from './zone-canary.js';
import { ZoneQuota } from './zone-quota.js';
import { ZoneSync } from './zone-sync.js';

// The parts' names stay importable from here (the construct's public API before the split).
export { type ExportDomain } from './export-distribution.js';
export { METRICS_NAMESPACE } from './monitoring.js';
export { type ApiThrottle } from './operator-api.js';
export { normalizeZoneName } from './publisher-parts.js';
export { EXPORT_FUNCTION_NAME_ENV, listingRecordNamePatterns, MANAGED_RECORD_TYPES } from './zone-sync.js';

export const DEFAULT_TTL = 300;
export const DEFAULT_NEGATIVE_TTL = 300;
export const DEFAULT_API_THROTTLE: ApiThrottle = { rateLimit: 50, burstLimit: 100 };

export function defaultLists(zoneName: string, hasLookupUrl = false): ListDef[] {
  return [
    { name: 'spam', code: '127.0.0.2', txtTemplate: `Listed in {list}: {reason} - see ${hasLookupUrl ? '{lookupUrl}' : `https://${zoneName}/lookup?ip={ip}`}` },
  ];
}

/** The S3 folder of one zone's export (objects as written by lambdas/services/export.ts). */
export function exportFolder(exportPrefix: string, zoneName: string): string {
  return `${exportPrefix}/${zoneName}/`;
}

/** What the operator chooses of the public side (the rest is the publisher's). */
export type PublicPortalOptions = Pick<PublicPortalProps, 'mailFrom' | 'sesIdentity' | 'sesConfigurationSet' | 'baseUrl' | 'domain' | 'webAclArn' | 'throttle' | 'wafRequestsPer5Minutes'>;

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
   * The public side for listed senders (lib/public-portal.ts): the look-up page and JSON and
   * self-service delisting, on an API of its own without IAM, throttled, behind a WAF rate rule per
   * client, mailing through SES as `mailFrom`. Off unless given.
   */
  readonly publicPortal?: PublicPortalOptions;
  /**
   * The look-up page's address for TXT templates' `{lookupUrl}` ("{ip}" stands for the address), e.g.
   * "https://bl.example.org/lookup?ip={ip}".
   * @default with `publicPortal`, its page (baseUrl, its domain, or its CloudFront distribution's domain)
   */
  readonly lookupUrl?: string;
  /**
   * The evidence path's AWS settings (lib/evidence.ts): allow ranges and file, own infrastructure,
   * pfx2as file, reporter roles, abuse reports by mail. Its table and routes exist whenever a list
   * has an `evidence` policy.
   */
  readonly evidence?: EvidenceOptions;
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
  /** The parts the construct is composed of (lib/publisher-parts.ts). */
  readonly storage: PublisherStorage;
  readonly exportDistribution: ExportDistribution;
  readonly zoneSync: ZoneSync;
  readonly operatorApi: OperatorApi;
  /** The public side (lib/public-portal.ts), when `publicPortal` is given. */
  readonly publicPortal?: PublicPortal;
  /** The evidence path (lib/evidence.ts), when a list has an evidence policy. */
  readonly evidence?: PublisherEvidence;
  readonly monitoring: PublisherMonitoring;
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
    // The portal's page is the default {lookupUrl}; its CloudFront domain exists only at deploy time
    // (PORTAL_LOOKUP_URL_STANDIN until the functions' environment is resolved, lib/portal-distribution.ts).
    const lookupUrl = props.lookupUrl ?? (props.publicPortal ? portalLookupUrl(props.publicPortal) : undefined);
    const lists = (props.lists ?? defaultLists(zoneName, lookupUrl !== undefined)).map((l) => ({
      name: l.name, code: l.code, txtTemplate: l.txtTemplate, ...(l.route53Txt === undefined ? {} : { route53Txt: l.route53Txt }),
      // The portal's per-list policy (core/delist-policy.ts) travels in the zone configuration too.
      ...(l.selfDelist === undefined ? {} : { selfDelist: l.selfDelist }),
      ...(l.selfDelistLimit === undefined ? {} : { selfDelistLimit: l.selfDelistLimit }),
      ...(l.selfDelistDnsProof === undefined ? {} : { selfDelistDnsProof: l.selfDelistDnsProof }),
      ...(l.automatedSources === undefined ? {} : { automatedSources: l.automatedSources }),
      ...(l.evidence === undefined ? {} : { evidence: l.evidence }),
    }));
    const baseConfig = {
      zone: zoneName,
      lists,
      ttl: props.ttl ?? DEFAULT_TTL,
      negativeTtl: props.negativeTtl ?? DEFAULT_NEGATIVE_TTL,
      ipv4ViaIpv6: props.ipv4ViaIpv6 ?? false,
      hostmaster: props.hostmaster ?? `hostmaster@${zoneName}`,
      ...(lookupUrl === undefined ? {} : { lookupUrl }),
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

    const cfg: ZoneConfig = withPortalLookupUrl(validate({ ...baseConfig, nameservers }), Lazy.string({ produce: () => this.publicPortal!.lookupUrl }));
    this.zoneConfig = cfg;
    this.exportPrefix = props.exportPrefix ?? DEFAULT_EXPORT_PREFIX;
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(this.exportPrefix)) {
      throw new Error(`exportPrefix ${JSON.stringify(this.exportPrefix)} must be an S3 folder without leading or trailing "/", e.g. rbldnsd`);
    }
    /** The folder the export function may write in (and nothing else of the bucket). */
    const exportPrefix = exportFolder(this.exportPrefix, zoneName);
    this.exportFolder = exportPrefix;

    // ---------------------------------------------------------------- parts (lib/publisher-parts.ts)
    const acknowledge = (scope: Construct, id: string, reason: string) => this.ack(scope, id, reason);
    this.storage = new PublisherStorage(this, 'Storage', { removalPolicy: this.removalPolicy });
    this.listingsTable = this.storage.listingsTable;
    this.publishedTable = this.storage.publishedTable;
    this.journalTable = this.storage.journalTable;

    this.exportDistribution = new ExportDistribution(this, 'Distribution', {
      zoneName,
      exportFolder: exportPrefix,
      mirrorAccountIds,
      removalPolicy: this.removalPolicy,
      acknowledge,
      ...(props.exportDomain ? { exportDomain: props.exportDomain } : {}),
      ...(props.exportWebAclArn ? { exportWebAclArn: props.exportWebAclArn } : {}),
      ...(props.accessLogRetention ? { accessLogRetention: props.accessLogRetention } : {}),
    });
    this.exportBucket = this.exportDistribution.exportBucket;
    this.logBucket = this.exportDistribution.logBucket;
    this.distribution = this.exportDistribution.distribution;

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { zoneName, ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}) }).topic;

    // ---------------------------------------------------------------- functions' common environment
    const env: Record<string, string> = {
      [ENV.listingsTable]: this.listingsTable.tableName,
      [ENV.journalTable]: this.journalTable.tableName,
      [ENV.hostedZoneId]: this.hostedZone.hostedZoneId,
      [ENV.zoneConfig]: stack.toJsonString(cfg),
      [ENV.exportBucket]: this.exportBucket.bucketName,
      [ENV.exportKey]: this.exportPrefix,
    };
    const makeFunction = (spec: FunctionSpec) => this.makeFunction(env, spec);
    const minutes = Duration.minutes;
    const zoneArn = this.hostedZone.hostedZoneArn;

    // ---------------------------------------------------------------- export (rbldnsd file -> S3)
    this.exportFunction = makeFunction({
      id: 'Export',
      entry: 'export.ts',
      description: `DNSBL ${zoneName}: writes the rbldnsd data file to S3 for mirrors`,
      memorySize: 1024,
      timeout: minutes(10),
      retryAttempts: 0,
    });
    // export: read every listing (byList index merge or Scan), journal lease/state, its S3 folder.
    const listingsArn = this.listingsTable.tableArn;
    allow(this.exportFunction, 'ListingsReadAll', ['dynamodb:Scan', 'dynamodb:Query'], [listingsArn, indexArn(listingsArn, LISTINGS_GSI.byList.name)]);
    allow(this.exportFunction, 'JournalLockAndState', JOURNAL_RW, [this.journalTable.tableArn]);
    this.exportDistribution.grantExportWrite(this.exportFunction);

    // ---------------------------------------------------------------- zone sync (stream, reconcile)
    this.zoneSync = new ZoneSync(this, 'ZoneSync', {
      zoneName,
      hostedZoneArn: zoneArn,
      listingsTable: this.listingsTable,
      journalTable: this.journalTable,
      publishedTable: this.publishedTable,
      exportFunction: this.exportFunction,
      // Only the two zone writers read or write the published table.
      writerEnv: { [ENV.publishedTable]: this.publishedTable.tableName },
      makeFunction,
      acknowledge,
      tracing: this.tracing,
      removalPolicy: this.removalPolicy,
      ...(props.reconcileReadShare !== undefined ? { reconcileReadShare: props.reconcileReadShare } : {}),
    });
    this.onFailureQueue = this.zoneSync.onFailureQueue;
    this.streamSyncFunction = this.zoneSync.streamSyncFunction;
    this.reconcileFunction = this.zoneSync.reconcileFunction;

    // ---------------------------------------------------------------- sweeper (expiry)
    this.sweeperFunction = makeFunction({
      id: 'Sweeper',
      entry: 'sweeper.ts',
      description: `DNSBL ${zoneName}: delists expired listings on time`,
      memorySize: 256,
      timeout: Duration.seconds(55),
      retryAttempts: 0,
    });
    // sweeper: expired listings from the byExpiry index, conditional delete, audit event.
    allow(this.sweeperFunction, 'ListingsQueryExpiry', ['dynamodb:Query'], [indexArn(listingsArn, LISTINGS_GSI.byExpiry.name)]);
    allow(this.sweeperFunction, 'ListingsDelist', ['dynamodb:DeleteItem'], [listingsArn]);
    allow(this.sweeperFunction, 'JournalAudit', ['dynamodb:PutItem'], [this.journalTable.tableArn]);
    // No Route 53 access: deleting the item is enough, its stream record updates the zone.

    // ---------------------------------------------------------------- operator API
    this.operatorApi = new OperatorApi(this, 'Operator', {
      zoneName,
      hostedZoneArn: zoneArn,
      listingsTable: this.listingsTable,
      journalTable: this.journalTable,
      onFailureQueue: this.onFailureQueue,
      throttle,
      logRetention: this.logRetention,
      removalPolicy: this.removalPolicy,
      makeFunction,
      acknowledge,
      ...(props.manageApiGatewayAccountRole !== undefined ? { manageApiGatewayAccountRole: props.manageApiGatewayAccountRole } : {}),
      ...(props.apiWebAclArn ? { apiWebAclArn: props.apiWebAclArn } : {}),
    });
    this.apiFunction = this.operatorApi.function;
    this.api = this.operatorApi.api;

    // ---------------------------------------------------------------- public side
    // The public sender endpoints (lib/public-portal.ts): a part of their own, created in its own
    // scope (no deployed resources to keep).
    if (props.publicPortal) {
      this.publicPortal = new PublicPortal(this, 'PublicPortal', {
        zoneName,
        listingsTable: this.listingsTable,
        journalTable: this.journalTable,
        logRetention: this.logRetention,
        removalPolicy: this.removalPolicy,
        makeFunction,
        acknowledge,
        logBucket: this.logBucket,
        ...props.publicPortal,
      });
      this.publicPortal.grantOperatorReview(this.apiFunction);
    }

    // ---------------------------------------------------------------- evidence (lib/evidence.ts)
    if (props.evidence || cfg.lists.some((l) => l.evidence)) {
      this.evidence = new PublisherEvidence(this, 'Evidence', {
        zoneName, zoneConfig: cfg, options: props.evidence ?? {}, hostedZoneArn: zoneArn, listingsTable: this.listingsTable, journalTable: this.journalTable,
        apiFunction: this.apiFunction, api: this.api, alarmTopic: this.alarmTopic, alarms: this.alarms, logBucket: this.logBucket,
        removalPolicy: this.removalPolicy, makeFunction, acknowledge,
      });
      // The public look-up shows an address's evidence counts and last seen.
      if (this.publicPortal) this.evidence.grantReader(this.publicPortal.function, 'EvidenceRead');
    }

    // ---------------------------------------------------------------- reconcile workflow and schedules
    // Reconcile runs as a Step Functions workflow over slices of the zone (lib/reconcile-workflow.ts).
    this.reconcileWorkflow = new ReconcileWorkflow(this, 'ReconcileWorkflow', {
      zoneName, reconcileFunction: this.reconcileFunction, alarmTopic: this.alarmTopic, tracing: this.tracing, logRetention: this.logRetention,
      removalPolicy: this.removalPolicy, acknowledge,
      ...(props.reconcileSchedule ? { schedule: props.reconcileSchedule } : {}), ...(props.reconcileMaxAge ? { maxAge: props.reconcileMaxAge } : {}),
    });
    this.alarms.push(this.reconcileWorkflow.noFullPassAlarm);
    allowOperatorReconcile(this.apiFunction, this.reconcileWorkflow.stateMachine, acknowledge);
    const schedule = (id: string, fn: lambda.Function, s: events.Schedule, description: string) =>
      new events.Rule(this, id, {
        schedule: s,
        description,
        targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
      });
    schedule('SweeperSchedule', this.sweeperFunction, props.sweeperSchedule ?? events.Schedule.rate(minutes(1)), `DNSBL ${zoneName}: sweeper`);
    schedule('ExportSchedule', this.exportFunction, props.exportSchedule ?? events.Schedule.rate(minutes(5)), `DNSBL ${zoneName}: export`);

    // ---------------------------------------------------------------- canary (checks the zone's answers)
    this.canary = new ZoneCanary(this, 'ZoneCanary', {
      zoneName,
      listingsTable: this.listingsTable,
      journalTable: this.journalTable,
      alarmTopic: this.alarmTopic,
      makeFunction,
      acknowledge,
      tracing: this.tracing,
      ...(props.canarySchedule ? { schedule: props.canarySchedule } : {}),
      ...(props.canaryMaxCalls !== undefined ? { maxCalls: props.canaryMaxCalls } : {}),
    });
    this.alarms.push(this.canary.alarm);
    this.zoneQuota = new ZoneQuota(this, 'ZoneQuota', { zoneName, hostedZoneArn: zoneArn, alarmTopic: this.alarmTopic, makeFunction, ...(props.quotaSchedule ? { schedule: props.quotaSchedule } : {}) });
    this.alarms.push(this.zoneQuota.alarm);

    // ---------------------------------------------------------------- alarms and dashboard
    this.monitoring = new PublisherMonitoring(this, 'Monitoring', {
      zoneName,
      alarmTopic: this.alarmTopic,
      alarms: this.alarms,
      streamSyncFunction: this.streamSyncFunction,
      reconcileFunction: this.reconcileFunction,
      reconcileStateMachine: this.reconcileWorkflow.stateMachine,
      sweeperFunction: this.sweeperFunction,
      exportFunction: this.exportFunction,
      apiFunction: this.apiFunction,
      onFailureQueue: this.onFailureQueue,
      api: this.api,
    });
    this.dashboard = this.monitoring.dashboard;

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

}
