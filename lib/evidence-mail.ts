// Abuse reports and trap hits by mail in AWS: SES receiving -> S3 -> the mail intake function.
//
//   receipt rule set (one rule per evidence kind: its recipients, TLS required, spam/virus scan on)
//     -> S3 action: the raw mail to mail/<kind>/<message id> in the mail bucket (encrypted, private,
//        TLS-only, access-logged, expired after retentionDays)
//     -> S3 event notification -> evidence-mail function (lambdas/handlers/evidence-mail.ts):
//        GetObject, ingestMail through the same intake as POST /v1/evidence, outcome logged
//     -> its failures: retried twice by Lambda, then kept in an encrypted on-failure queue; both
//        the function's errors and the queue's depth alarm to the publisher's topic.
//
// SES may write to the bucket only for this account and these rules: the bucket policy's
// aws:SourceAccount and aws:SourceArn conditions are those of the SES developer guide's
// "Give Amazon SES permission to write to an S3 bucket"
// (https://docs.aws.amazon.com/ses/latest/dg/receiving-email-permissions.html). CDK's own S3 receipt
// action sets aws:SourceAccount only, so the rules and the policy are declared here directly.
//
// The rule set is created but NOT made active: CloudFormation's AWS::SES::ReceiptRuleSet only creates
// a set (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ses-receiptruleset.html),
// and an account has one active set per region (SetActiveReceiptRuleSet,
// https://docs.aws.amazon.com/ses/latest/APIReference/API_SetActiveReceiptRuleSet.html): activating ours
// from the stack would silently switch off whatever set the account already receives mail with.
// The operator activates it (or copies its rules into the active set) with the command the stack
// outputs (EvidenceMailActivateCommand; README "Evidence in AWS").
//
// SES receives mail only in some regions (https://docs.aws.amazon.com/ses/latest/dg/regions.html#region-receive-email;
// the guide's list at the time of writing includes us-east-1, us-west-2 and eu-west-1): deploy the
// stack in one of them to use this part.
import {
  Aws,
  Duration,
  Names,
  RemovalPolicy,
  aws_cloudwatch as cw,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_s3 as s3,
  aws_s3_notifications as s3n,
  aws_ses as ses,
  type aws_sns as sns,
  aws_sqs as sqs,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MAIL_PREFIX, MAIL_TRUSTED_RELAYS_ENV, mailPrefixOf } from '../lambdas/evidence/mail-objects.js';
import { type Acknowledge, allow, JOURNAL_RW, LISTINGS_READ, logicalIdOf, type MakeFunction, onFailureQueue, topicAlarm } from './publisher-parts.js';

/** A recipient SES receives evidence for: an address or a domain, and the evidence kind its mail is. */
export interface EvidenceMailRecipient {
  readonly address: string;
  readonly kind: string;
}

export interface EvidenceMailOptions {
  /**
   * Addresses (or domains) whose mail is evidence, e.g. ["abuse@bl.example.org", {"address":
   * "trap@bl.example.org", "kind": "spamtrap"}]. A plain string is of kind "abuse-report". Each kind
   * must be one a list's policy weighs. The domains must be verified SES identities.
   */
  readonly recipients: ReadonlyArray<string | EvidenceMailRecipient>;
  /** Relays whose Received hops are passed over (your MX, reporters' relays), e.g. ["198.51.100.25"]. */
  readonly trustedRelays?: readonly string[];
  /** Days mail is kept in the bucket. @default 30 */
  readonly retentionDays?: number;
}

export const DEFAULT_MAIL_KIND = 'abuse-report';
export const DEFAULT_MAIL_RETENTION_DAYS = 30;
/** SES: at most 100 recipients per receipt rule. */
const MAX_RECIPIENTS_PER_RULE = 100;
const RECIPIENT = /^(?:[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export interface EvidenceMailProps {
  readonly zoneName: string;
  readonly options: EvidenceMailOptions;
  /** The intake's variables (lib/evidence.ts). */
  readonly evidenceEnv: Record<string, string>;
  readonly evidenceTable: dynamodb.ITable;
  /** The allow and pfx2as objects the intake reads. */
  readonly objectArns: readonly string[];
  readonly hostedZoneArn: string;
  readonly listingsTable: dynamodb.ITable;
  readonly journalTable: dynamodb.ITable;
  readonly alarmTopic: sns.ITopic;
  readonly alarms: cw.Alarm[];
  readonly logBucket: s3.IBucket;
  readonly removalPolicy: RemovalPolicy;
  readonly makeFunction: MakeFunction;
  readonly acknowledge: Acknowledge;
}

/** Recipients grouped by kind, in the order first given. */
export function recipientsByKind(options: EvidenceMailOptions): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of options.recipients) {
    const { address, kind } = typeof r === 'string' ? { address: r, kind: DEFAULT_MAIL_KIND } : r;
    out.set(kind, [...(out.get(kind) ?? []), address.trim().toLowerCase()]);
  }
  return out;
}

export class EvidenceMail extends Construct {
  readonly bucket: s3.Bucket;
  readonly ruleSet: ses.CfnReceiptRuleSet;
  readonly rules: ses.CfnReceiptRule[] = [];
  readonly function: lambda.Function;
  readonly onFailureQueue: sqs.Queue;
  readonly ruleSetName: string;

  /** Checks the options (synth time); `kinds` are the kinds the lists' policies weigh. */
  static validate(options: EvidenceMailOptions, kinds: ReadonlySet<string>): void {
    if (!Array.isArray(options.recipients) || options.recipients.length === 0) {
      throw new Error('evidence.mail.recipients must name at least one address or domain, e.g. ["abuse@bl.example.org"]');
    }
    options.recipients.forEach((r, i) => {
      const field = `evidence.mail.recipients[${i}]`;
      const { address, kind } = typeof r === 'string' ? { address: r, kind: DEFAULT_MAIL_KIND } : (r ?? ({} as EvidenceMailRecipient));
      if (typeof address !== 'string' || !RECIPIENT.test(address.trim())) throw new Error(`${field}: ${JSON.stringify(address)} is not a mail address or domain`);
      if (typeof kind !== 'string' || !kinds.has(kind)) {
        throw new Error(`${field}: kind ${JSON.stringify(kind)} is not weighed by any list's evidence policy (configured kinds: ${[...kinds].join(', ')})`);
      }
    });
    for (const [kind, list] of recipientsByKind(options)) {
      if (list.length > MAX_RECIPIENTS_PER_RULE) throw new Error(`evidence.mail.recipients: ${list.length} of kind ${kind}; SES takes at most ${MAX_RECIPIENTS_PER_RULE} per receipt rule`);
    }
    const days = options.retentionDays;
    if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 3650)) throw new Error('evidence.mail.retentionDays must be an integer from 1 to 3650');
  }

  constructor(scope: Construct, id: string, props: EvidenceMailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const opts = props.options;
    const retentionDays = opts.retentionDays ?? DEFAULT_MAIL_RETENTION_DAYS;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 'evidence-mail/',
      // Mail is evidence, and personal data: kept only as long as it is useful.
      lifecycleRules: [{ id: 'expire-mail', enabled: true, expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(1) }],
      removalPolicy: props.removalPolicy,
    });

    // Names known at synth: the bucket policy's aws:SourceArn names the rules, and must exist before
    // them (SES checks it can write when a rule is created).
    this.ruleSetName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    this.ruleSet = new ses.CfnReceiptRuleSet(this, 'RuleSet', { ruleSetName: this.ruleSetName });
    let after: string | undefined;
    for (const [kind, recipients] of recipientsByKind(opts)) {
      const ruleName = `evidence-${kind}`;
      const prefix = mailPrefixOf(kind);
      const policy = this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `SesPutsEvidence${kind.replace(/[^A-Za-z0-9]/g, '')}`,
          principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
          actions: ['s3:PutObject'],
          resources: [this.bucket.arnForObjects(`${prefix}*`)],
          conditions: {
            StringEquals: {
              'AWS:SourceAccount': Aws.ACCOUNT_ID,
              'AWS:SourceArn': `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:receipt-rule-set/${this.ruleSetName}:receipt-rule/${ruleName}`,
            },
          },
        }),
      );
      const rule = new ses.CfnReceiptRule(this, `Rule-${kind}`, {
        ruleSetName: this.ruleSetName,
        ...(after ? { after } : {}),
        rule: {
          name: ruleName,
          enabled: true,
          recipients,
          // Only mail delivered over TLS; SES's spam and virus scan on (its verdict headers travel with the mail).
          tlsPolicy: 'Require',
          scanEnabled: true,
          actions: [{ s3Action: { bucketName: this.bucket.bucketName, objectKeyPrefix: prefix } }],
        },
      });
      rule.node.addDependency(this.ruleSet);
      if (policy.policyDependable) rule.node.addDependency(policy.policyDependable);
      this.rules.push(rule);
      after = ruleName;
    }

    this.onFailureQueue = onFailureQueue(
      this,
      'OnFailure',
      props.removalPolicy,
      props.acknowledge,
      'This queue is itself the on-failure destination of the mail intake function (mails that failed every retry); it alarms at depth > 0 and the mail stays in the bucket to be re-driven.',
    );

    this.function = props.makeFunction({
      id: 'EvidenceMail',
      entry: 'evidence-mail.ts',
      description: `DNSBL ${props.zoneName}: abuse reports and trap hits by mail (SES -> S3) into the evidence intake`,
      memorySize: 512,
      timeout: Duration.seconds(60),
      extraEnv: {
        ...props.evidenceEnv,
        ...(opts.trustedRelays?.length ? { [MAIL_TRUSTED_RELAYS_ENV]: opts.trustedRelays.map((r) => r.trim()).join(',') } : {}),
      },
    });
    const fn = this.function;
    new lambda.EventInvokeConfig(this, 'InvokeConfig', {
      function: fn,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.onFailureQueue),
    });
    // What the mail's path reaches (test/cdk/evidence.test.ts checks it against the handler's call
    // graph): the mail object; the evidence table (events, aggregates); listings written through the
    // operator API's write routes (read, conditional put/update/delete) with their audit events and
    // the zone's quota guard.
    allow(fn, 'ReadMail', ['s3:GetObject'], [this.bucket.arnForObjects(`${MAIL_PREFIX}*`)]);
    props.acknowledge(
      fn.role!,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.bucket)}.Arn>/${MAIL_PREFIX}*]`,
      'The mail objects are named by SES after each message id: the function may read any object under mail/ of its own mail bucket, nothing else of it.',
    );
    if (props.objectArns.length > 0) allow(fn, 'EvidenceConfigObjects', ['s3:GetObject'], [...props.objectArns]);
    allow(fn, 'EvidenceReadWrite', ['dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query'], [props.evidenceTable.tableArn]);
    allow(fn, 'ListingsReadWrite', [...LISTINGS_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [props.listingsTable.tableArn]);
    allow(fn, 'JournalReadWrite', JOURNAL_RW, [props.journalTable.tableArn]);
    allow(fn, 'Route53ZoneQuota', ['route53:GetHostedZoneLimit'], [props.hostedZoneArn]);

    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), { prefix: MAIL_PREFIX });
    const notifications = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (notifications) {
      const role = notifications.node.tryFindChild('Role');
      if (role) {
        props.acknowledge(
          role,
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'CDK-provided handler that sets the mail bucket\'s event notification at deploy time; AWSLambdaBasicExecutionRole only lets it write its own logs.',
        );
      }
    }

    // Alarms, as the publisher's (lib/monitoring.ts): to the topic, OK actions too.
    const period = Duration.minutes(5);
    const alarm = (alarmId: string, description: string, metric: cw.IMetric) => {
      props.alarms.push(topicAlarm(this, alarmId, { zoneName: props.zoneName, description, metric, threshold: 0, topic: props.alarmTopic }));
    };
    alarm('ErrorsAlarm', 'the mail intake function fails (abuse-report mail is retried, then queued)', fn.metricErrors({ period, statistic: cw.Stats.SUM }));
    alarm('OnFailureAlarm', 'abuse-report mails failed every retry and are in the mail on-failure queue', this.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: cw.Stats.MAXIMUM }));
  }

  /** The CLI command that makes this rule set the account's active one in the stack's region. */
  activateCommand(): string {
    return `aws ses set-active-receipt-rule-set --region ${Stack.of(this).region} --rule-set-name ${this.ruleSetName}`;
  }
}
