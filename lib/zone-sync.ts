// Keeping the Route 53 zone in step with the listings table: the stream-sync function on the
// listings stream (event source mapping, on-failure queue) and the reconcile function (driven by the
// ReconcileWorkflow state machine), both zone writers, with the permissions their code uses. Route 53
// writes are limited to this zone, to the names the planner writes and to its record types.
// (Resources in the publisher's scope: see lib/publisher-parts.ts.)
import {
  Duration,
  type RemovalPolicy,
  type aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_lambda_event_sources as eventSources,
  aws_sqs as sqs,
  type aws_lambda_nodejs as nodejs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CENSUS_KEY, LISTINGS_GSI } from '../lambdas/adapters/table-schema.js';
import { RECONCILE_ENV } from '../lambdas/services/reconcile-pass.js';
import { STREAM_BATCH_SIZE, STREAM_BATCHING_WINDOW_MS } from '../lambdas/services/zone-sync.js';
import {
  type Acknowledge,
  allow,
  indexArn,
  JOURNAL_RW_SYNC_INTENT,
  LISTINGS_READ,
  type MakeFunction,
  normalizeZoneName,
  onFailureQueue,
  PUBLISHED_RW,
} from './publisher-parts.js';
import { reconcileReadRate } from './reconcile-workflow.js';

/** Environment variable naming the export function (stream-sync invokes it after changes). */
export const EXPORT_FUNCTION_NAME_ENV = 'EXPORT_FUNCTION_NAME';
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

export interface ZoneSyncProps {
  readonly zoneName: string;
  readonly hostedZoneArn: string;
  readonly listingsTable: dynamodb.Table;
  readonly journalTable: dynamodb.ITable;
  readonly publishedTable: dynamodb.ITable;
  /** The export function stream-sync starts after it changed the zone. */
  readonly exportFunction: lambda.Function;
  /** Environment only the zone writers get (the published table's name). */
  readonly writerEnv: Record<string, string>;
  /** Share of the account's Route 53 rate reconcile may read at (reconcileReadRate). */
  readonly reconcileReadShare?: number;
  readonly makeFunction: MakeFunction;
  readonly acknowledge: Acknowledge;
  /** Whether the functions are traced with X-Ray (stream-sync's role then also uses "*" for xray:Put*). */
  readonly tracing: boolean;
  readonly removalPolicy: RemovalPolicy;
}

export class ZoneSync extends Construct {
  readonly onFailureQueue: sqs.Queue;
  readonly streamSyncFunction: nodejs.NodejsFunction;
  readonly reconcileFunction: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ZoneSyncProps) {
    super(scope, id);
    const { zoneName } = props;
    const minutes = Duration.minutes;

    // ---------------------------------------------------------------- on-failure queue
    this.onFailureQueue = onFailureQueue(
      scope,
      'StreamSyncOnFailure',
      props.removalPolicy,
      props.acknowledge,
      'This queue is itself the dead-letter destination (event source mapping OnFailure) of the listings stream; it alarms at depth > 0 and is drained by the operator (reconcile repairs the zone meanwhile).',
    );

    // ---------------------------------------------------------------- functions
    this.streamSyncFunction = props.makeFunction({
      id: 'StreamSync',
      entry: 'stream-sync.ts',
      description: `DNSBL ${zoneName}: listings stream -> Route 53 zone`,
      // 1,769 MB is one full vCPU: planning and serialising a 2,000-record batch is CPU work, and
      // on less the function, not Route 53's limit, sets the pace of bulk imports.
      memorySize: 1769,
      // Route 53 throttling (10 req/s account-wide, PriorRequestNotComplete) needs room for backoff.
      timeout: minutes(5),
      extraEnv: { ...props.writerEnv, [EXPORT_FUNCTION_NAME_ENV]: props.exportFunction.functionName },
    });
    this.reconcileFunction = props.makeFunction({
      id: 'Reconcile',
      entry: 'reconcile.ts',
      description: `DNSBL ${zoneName}: compares the Route 53 zone with the table and repairs drift`,
      memorySize: 1024,
      timeout: minutes(10),
      retryAttempts: 0,
      extraEnv: { ...props.writerEnv, [RECONCILE_ENV.readRate]: String(reconcileReadRate(props.reconcileReadShare)) },
    });

    // ---------------------------------------------------------------- permissions
    const listingsArn = props.listingsTable.tableArn;
    const journalArn = props.journalTable.tableArn;
    const publishedArn = props.publishedTable.tableArn;
    const zoneArn = props.hostedZoneArn;
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
    allow(this.streamSyncFunction, 'StartExport', ['lambda:InvokeFunction'], [props.exportFunction.functionArn]);

    // reconcile: full read of listings (parallel Scan, the census item), journal lock/state/sync
    // intent, write the zone; scans the published table to diff it, fills it and marks it seeded.
    // No point or batch reads of regions: it plans the whole zone from the scans.
    const RECONCILE_READ = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
    allow(this.reconcileFunction, 'ListingsRead', RECONCILE_READ, [listingsArn]);
    // Sliced passes: each slice's listings by range from the byList index, covering ones by key.
    allow(this.reconcileFunction, 'ListingsSliceRead', ['dynamodb:Query'], [indexArn(listingsArn, LISTINGS_GSI.byList.name)]);
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

    // ---------------------------------------------------------------- stream -> stream-sync
    this.streamSyncFunction.addEventSource(
      new eventSources.DynamoEventSource(props.listingsTable, {
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
    props.acknowledge(
      this.streamSyncFunction.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions use "*": dynamodb:ListStreams (added by the DynamoDB event source; stream reads are on the stream ARN)' +
        (props.tracing ? ' and xray:PutTraceSegments/PutTelemetryRecords (X-Ray tracing).' : '.'),
    );
  }
}
