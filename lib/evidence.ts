// The evidence path in AWS (issue 14), present when a list of the zone has an `evidence` policy:
//   - the evidence table (lambdas/adapters/evidence-store.ts: events and per-address aggregates,
//     DynamoDB TTL on "ttl"), PAY_PER_REQUEST, PITR, encrypted and retained like the other tables;
//   - the operator API function gets read/write on it, the variables of
//     lambdas/evidence/evidence-from-env.ts, and s3:GetObject on the allow and pfx2as objects;
//   - the reporter policy: a managed policy allowing only execute-api:Invoke on POST /v1/evidence of
//     the operator API's stage (the API is one {proxy+} ANY method with IAM auth, so the method and
//     path in the execute-api ARN are what narrow it), attached to the given roles;
//   - abuse reports by mail (lib/evidence-mail.ts) when `mail` is given.
// A part with no resources deployed before it: created in its own scope.
import {
  Aws,
  RemovalPolicy,
  Stack,
  Token,
  type aws_apigateway as apigw,
  type aws_cloudwatch as cw,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  type aws_lambda as lambda,
  type aws_s3 as s3,
  type aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { JOURNAL_TABLE_KEYS, TTL_ATTRIBUTE } from '../lambdas/adapters/table-schema.js';
import { configuredKinds } from '../lambdas/core/evidence-policy.js';
import { InputError } from '../lambdas/core/input-error.js';
import { parseNetwork } from '../lambdas/core/ip.js';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { EVIDENCE_ENV, listPolicies, parseS3Uri, type S3Location } from '../lambdas/evidence/evidence-from-env.js';
import { EVIDENCE_PATH } from '../lambdas/evidence/routes.js';
import { EvidenceMail, type EvidenceMailOptions } from './evidence-mail.js';
import { type Acknowledge, allow, type MakeFunction, publisherTable } from './publisher-parts.js';

export type { EvidenceMailOptions } from './evidence-mail.js';

/** What the operator configures of the evidence path (config file key "evidence"). */
export interface EvidenceOptions {
  /** Networks automation never lists (besides private and reserved space), e.g. ["192.0.2.0/24"]. */
  readonly allow?: readonly string[];
  /** An allow file in S3, one network per line, "#" comments: "s3://bucket/key" (read at cold start). */
  readonly allowObject?: string;
  /** The deployment's own addresses (its name servers', mail servers'…): never listed (nor are mail.trustedRelays). */
  readonly infrastructure?: readonly string[];
  /** CAIDA pfx2as file for level-3 escalation: "s3://bucket/key" (read at cold start). Absent: level 3 is off. */
  readonly pfx2asObject?: string;
  /** IAM roles of this account (names or ARNs) the reporter policy is attached to. */
  readonly reporterRoles?: readonly string[];
  /** Abuse reports by mail through SES receiving (lib/evidence-mail.ts). */
  readonly mail?: EvidenceMailOptions;
}

const ANY_WIDTH = { maxWidth4: 0, maxWidth6: 0 };

function networks(values: readonly string[] | undefined, field: string): string[] {
  return (values ?? []).map((v, i) => {
    try {
      parseNetwork(v, { ...ANY_WIDTH, field: `${field}[${i}]` });
      return v.trim();
    } catch (e) {
      if (e instanceof InputError) throw new Error(`evidence.${field}[${i}]: ${e.message}`);
      throw e;
    }
  });
}

/** Checks the options against the zone configuration at synth; throws a message naming the setting. */
export function validateEvidenceOptions(opts: EvidenceOptions, cfg: ZoneConfig): void {
  const policies = listPolicies(cfg);
  if (policies.length === 0) throw new Error('evidence: options are given but no list has an evidence policy (lists[i].evidence)');
  networks(opts.allow, 'allow');
  networks(opts.infrastructure, 'infrastructure');
  if (opts.allowObject !== undefined) parseS3Uri(opts.allowObject, 'evidence.allowObject');
  if (opts.pfx2asObject !== undefined) parseS3Uri(opts.pfx2asObject, 'evidence.pfx2asObject');
  for (const [i, r] of (opts.reporterRoles ?? []).entries()) {
    if (!/^(arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+|[\w+=,.@-]{1,64})$/.test(r)) throw new Error(`evidence.reporterRoles[${i}] ${JSON.stringify(r)} is not an IAM role name or role ARN`);
  }
  if (opts.mail) {
    const kinds = configuredKinds(policies.map((p) => p.policy));
    EvidenceMail.validate(opts.mail, kinds);
    networks(opts.mail.trustedRelays, 'mail.trustedRelays');
  }
}

const objectArn = (loc: S3Location) => `arn:${Aws.PARTITION}:s3:::${loc.bucket}/${loc.key}`;

export interface PublisherEvidenceProps {
  readonly zoneName: string;
  readonly zoneConfig: ZoneConfig;
  readonly options: EvidenceOptions;
  readonly hostedZoneArn: string;
  readonly listingsTable: dynamodb.ITable;
  readonly journalTable: dynamodb.ITable;
  readonly apiFunction: lambda.Function;
  readonly api: apigw.RestApi;
  readonly alarmTopic: sns.ITopic;
  /** The publisher's alarm list (the mail function's alarms are appended). */
  readonly alarms: cw.Alarm[];
  /** Where the mail bucket's server access logs go. */
  readonly logBucket: s3.IBucket;
  readonly removalPolicy: RemovalPolicy;
  readonly makeFunction: MakeFunction;
  readonly acknowledge: Acknowledge;
}

export class PublisherEvidence extends Construct {
  readonly table: dynamodb.Table;
  /** execute-api:Invoke on POST /v1/evidence of the operator API's stage, and nothing else. */
  readonly reporterPolicy: iam.ManagedPolicy;
  readonly mail?: EvidenceMail;
  /** The variables every evidence-evaluating function gets (lambdas/evidence/evidence-from-env.ts). */
  readonly env: Record<string, string>;
  /** The S3 objects (allow file, pfx2as) those functions read. */
  readonly objectArns: string[];

  constructor(scope: Construct, id: string, props: PublisherEvidenceProps) {
    super(scope, id);
    const opts = props.options;
    validateEvidenceOptions(opts, props.zoneConfig);
    const removalPolicy = props.removalPolicy;
    // Keys as lambdas/adapters/evidence-store.ts writes them (pk/sk, the journal's key names); the
    // store sets "ttl" on every item: events at observation + the evidence TTL, aggregates at last + TTL.
    this.table = publisherTable(this, 'Table', { keys: JOURNAL_TABLE_KEYS, removalPolicy, timeToLiveAttribute: TTL_ATTRIBUTE });

    const infrastructure = [...new Set([...networks(opts.infrastructure, 'infrastructure'), ...networks(opts.mail?.trustedRelays, 'mail.trustedRelays')])];
    const locations = [opts.allowObject, opts.pfx2asObject].filter((u): u is string => u !== undefined);
    this.objectArns = locations.map((u) => objectArn(parseS3Uri(u, 'evidence object')));
    this.env = {
      [EVIDENCE_ENV.table]: this.table.tableName,
      // The mail's trusted relays (our MX, reporters' relays) are never listed either.
      ...(infrastructure.length ? { [EVIDENCE_ENV.infrastructure]: infrastructure.join(',') } : {}),
      ...(opts.allow?.length ? { [EVIDENCE_ENV.allow]: networks(opts.allow, 'allow').join(',') } : {}),
      ...(opts.allowObject ? { [EVIDENCE_ENV.allowObject]: opts.allowObject } : {}),
      ...(opts.pfx2asObject ? { [EVIDENCE_ENV.pfx2asObject]: opts.pfx2asObject } : {}),
    };

    // The operator API: POST /v1/evidence stores events (BatchWriteItem), merges aggregates
    // (BatchGetItem, conditional PutItem), lists an address's events (Query); the dry run scans the
    // aggregates. Its listings are written with the API's own table grants.
    const fn = props.apiFunction;
    for (const [k, v] of Object.entries(this.env)) fn.addEnvironment(k, v);
    allow(fn, 'EvidenceReadWrite', ['dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'], [this.table.tableArn]);
    if (this.objectArns.length > 0) allow(fn, 'EvidenceConfigObjects', ['s3:GetObject'], this.objectArns);

    // Reporters: IAM principals that may only submit evidence. execute-api ARNs name
    // <api id>/<stage>/<method>/<path>; the API's single {proxy+} ANY method means the ARN, not the
    // method, is what narrows the grant (the dry run is POST /v1/policy/dry-run: not matched).
    const stage = props.api.deploymentStage.stageName;
    this.reporterPolicy = new iam.ManagedPolicy(this, 'ReporterPolicy', {
      description: `DNSBL ${props.zoneName}: submit evidence (POST ${EVIDENCE_PATH}) to the operator API, nothing else`,
      statements: [
        new iam.PolicyStatement({
          sid: 'SubmitEvidenceOnly',
          actions: ['execute-api:Invoke'],
          resources: [props.api.arnForExecuteApi('POST', EVIDENCE_PATH, stage)],
        }),
      ],
    });
    const account = Stack.of(this).account;
    for (const [i, r] of (opts.reporterRoles ?? []).entries()) {
      // A managed policy attaches to roles of its own account only (by name).
      const other = /^arn:[^:]+:iam::(\d{12}):/.exec(r)?.[1];
      if (other && !Token.isUnresolved(account) && other !== account) throw new Error(`evidence.reporterRoles[${i}] ${r} is a role of account ${other}, not of this stack's account ${account}: attach the policy there yourself`);
      const role = r.startsWith('arn:') ? iam.Role.fromRoleArn(this, `Reporter${i}`, r, { mutable: true }) : iam.Role.fromRoleName(this, `Reporter${i}`, r);
      this.reporterPolicy.attachToRole(role);
    }

    if (opts.mail) {
      this.mail = new EvidenceMail(this, 'Mail', {
        zoneName: props.zoneName,
        options: opts.mail,
        evidenceEnv: this.env,
        evidenceTable: this.table,
        objectArns: this.objectArns,
        hostedZoneArn: props.hostedZoneArn,
        listingsTable: props.listingsTable,
        journalTable: props.journalTable,
        alarmTopic: props.alarmTopic,
        alarms: props.alarms,
        logBucket: props.logBucket,
        removalPolicy,
        makeFunction: props.makeFunction,
        acknowledge: props.acknowledge,
      });
    }
  }
  /**
   * A function that only shows evidence (the public look-up: counts and last seen): the table's
   * name and BatchGetItem on it, nothing else (lambdas/adapters/evidence-store.ts, aggregates).
   */
  grantReader(fn: lambda.Function, id: string): void {
    fn.addEnvironment(EVIDENCE_ENV.table, this.table.tableName);
    allow(fn, id, ['dynamodb:BatchGetItem'], [this.table.tableArn]);
  }
}
