// The stack with the evidence path (lib/evidence.ts, lib/evidence-mail.ts): the evidence table as the
// store uses it, the operator API's evidence grants and environment, the reporter policy (its
// execute-api ARN allows POST /v1/evidence and nothing else: checked by matching request ARNs the way
// IAM does), SES receiving (rules, bucket and its policy, notification, on-failure queue, alarms),
// every function granted exactly what its code calls, cdk-nag clean. Synthesized without bundling
// (the handlers' entries are known), from a config file as `cdk deploy` reads it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceTableDefinition } from '../../lambdas/adapters/evidence-store.js';
import { ENV, TTL_ATTRIBUTE } from '../../lambdas/adapters/table-schema.js';
import { EVIDENCE_ENV } from '../../lambdas/evidence/evidence-from-env.js';
import { MAIL_TRUSTED_RELAYS_ENV } from '../../lambdas/evidence/mail-objects.js';
import { ConfigError, loadAppConfig } from '../../lib/config.js';
import { DnsblPublisher } from '../../lib/dnsbl-publisher.js';
import { findingsWithoutAcknowledgements, grantsOfRole, logicalId, parseJoinedJson, resourcesOfType, statementsOfRole, type Synthesized, synth, ZONE } from './helpers.js';
import { type UsedActions, usedActionsInChild } from './used-actions.js';

const POLICY = { kinds: { spamtrap: { weight: 3 }, 'abuse-report': { weight: 1 } }, threshold: 3, windowHours: 24, holdHours: 168 };
const LISTS = [{ name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}', evidence: POLICY }];
const EVIDENCE = {
  allow: ['192.0.2.0/24'],
  infrastructure: ['198.51.100.53'],
  pfx2asObject: 's3://dnsbl-config-bucket/routeviews/pfx2as.txt',
  reporterRoles: ['trap-feed', 'arn:aws:iam::123456789012:role/partner-reports'],
  mail: { recipients: ['abuse@bl.example.org', { address: 'trap@bl.example.org', kind: 'spamtrap' }], trustedRelays: ['198.51.100.25'], retentionDays: 14 },
};

/** IAM's ARN matching: "*" any run of characters, "?" any one (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html). */
const arnMatches = (pattern: string, arn: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(arn);

/** Resolves a Fn::Join of strings and Refs with the given values. */
function joined(v: unknown, refs: Record<string, string>): string {
  if (typeof v === 'string') return v;
  const join = (v as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`not a join: ${JSON.stringify(v)}`);
  return join[1]
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = (p as { Ref?: string }).Ref;
      if (ref && refs[ref] !== undefined) return refs[ref];
      throw new Error(`unresolved ${JSON.stringify(p)}`);
    })
    .join(join[0]);
}

describe('DnsblStack with evidence (table, reporter policy, SES receiving)', () => {
  let s: Synthesized;
  let used: Record<string, UsedActions>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dnsbl-evidence-cfg-'));
    const file = path.join(dir, 'dnsbl.config.json');
    writeFileSync(file, JSON.stringify({ zoneName: ZONE, lists: LISTS, evidence: EVIDENCE, publicPortal: { mailFrom: `DNSBL <delist@${ZONE}>` } }));
    [s, used] = await Promise.all([
      synth({ 'dnsbl:config': file, 'dnsbl:hostedZoneId': '', 'aws:cdk:bundling-stacks': [] }),
      usedActionsInChild(['lambdas/handlers/api.ts', 'lambdas/handlers/evidence-mail.ts']),
    ]);
  }, 600_000);
  afterAll(() => {
    rmSync(s.outdir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const ev = () => s.stack.publisher.evidence!;
  const mail = () => ev().mail!;
  const ids = () => ({
    table: logicalId(ev().table),
    api: logicalId(s.stack.publisher.apiFunction),
    apiRole: logicalId(s.stack.publisher.apiFunction.role!),
    mailFn: logicalId(mail().function),
    mailRole: logicalId(mail().function.role!),
    bucket: logicalId(mail().bucket),
    queue: logicalId(mail().onFailureQueue),
    listings: logicalId(s.stack.publisher.listingsTable),
    journal: logicalId(s.stack.publisher.journalTable),
    topic: logicalId(s.stack.publisher.alarmTopic),
  });

  it('lets the public look-up read evidence (counts and last seen) and nothing more of it', () => {
    const portal = s.stack.publisher.publicPortal!.function;
    const vars = s.json.Resources[logicalId(portal)]!.Properties!.Environment.Variables as Record<string, unknown>;
    expect(vars[EVIDENCE_ENV.table]).toEqual({ Ref: ids().table });
    // The intake's settings are not the portal's business.
    expect(vars[EVIDENCE_ENV.allow]).toBeUndefined();
    const onTable = statementsOfRole(s.json, logicalId(portal.role!)).filter((st) => JSON.stringify(st.Resource).includes(ids().table));
    expect(onTable.flatMap((st) => [st.Action].flat())).toEqual(['dynamodb:BatchGetItem']);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    const open = s.report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName} ${v.violatingConstructs?.map((c) => c.constructPath).join(', ')}`));
    expect(open).toEqual([]);
  });

  it('declares the evidence table as the store writes it: same keys, TTL on its "ttl", on demand, PITR, encrypted, retained', () => {
    const t = s.json.Resources[ids().table]!;
    const def = evidenceTableDefinition('x');
    expect(t.Properties!.KeySchema).toEqual(def.KeySchema);
    expect(t.Properties!.AttributeDefinitions).toEqual(def.AttributeDefinitions);
    expect(t.Properties!.BillingMode).toBe(def.BillingMode);
    // EvidenceStore writes "ttl" on events and aggregates (lambdas/adapters/evidence-store.ts).
    expect(TTL_ATTRIBUTE).toBe('ttl');
    expect(t.Properties!.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(t.Properties!.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(t.Properties!.SSESpecification).toEqual({ SSEEnabled: true });
    expect(t.Properties!.DeletionProtectionEnabled).toBe(true);
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.Properties!.StreamSpecification).toBeUndefined();
    expect(resourcesOfType(s.json, 'AWS::DynamoDB::Table')).toHaveLength(4);
  });

  it('gives the API and the mail function the intake\'s environment, and the policy in the zone configuration', () => {
    const i = ids();
    for (const fn of [i.api, i.mailFn]) {
      const vars = s.json.Resources[fn]!.Properties!.Environment.Variables as Record<string, unknown>;
      expect(vars[EVIDENCE_ENV.table]).toEqual({ Ref: i.table });
      expect(vars[EVIDENCE_ENV.allow]).toBe('192.0.2.0/24');
      // Own infrastructure and the mail's trusted relays.
      expect(vars[EVIDENCE_ENV.infrastructure]).toBe('198.51.100.53,198.51.100.25');
      expect(vars[EVIDENCE_ENV.pfx2asObject]).toBe(EVIDENCE.pfx2asObject);
      expect(vars).not.toHaveProperty(EVIDENCE_ENV.allowObject);
      const cfg = parseJoinedJson(vars[ENV.zoneConfig], 'ns.example.net');
      expect(cfg.lists[0].evidence).toEqual(POLICY);
    }
    const mailVars = s.json.Resources[i.mailFn]!.Properties!.Environment.Variables as Record<string, unknown>;
    expect(mailVars[MAIL_TRUSTED_RELAYS_ENV]).toBe('198.51.100.25');
  });

  it('grants the API and the mail function exactly the actions their code calls, on the evidence path\'s resources', () => {
    const i = ids();
    const E = JSON.stringify({ 'Fn::GetAtt': [i.table, 'Arn'] });
    const pfx2as = JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::dnsbl-config-bucket/routeviews/pfx2as.txt']] });
    const api = grantsOfRole(s.json, i.apiRole);
    for (const a of ['dynamodb:BatchWriteItem', 'dynamodb:Scan']) expect(api.get(a), a).toEqual([E]);
    for (const a of ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query']) expect(api.get(a), a).toContain(E);
    expect(api.get('s3:GetObject')).toEqual([pfx2as]);
    const m = grantsOfRole(s.json, i.mailRole);
    const mailObjects = JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.bucket, 'Arn'] }, '/mail/*']] });
    expect(m.get('s3:GetObject')!.sort()).toEqual([mailObjects, pfx2as].sort());
    expect(m.get('dynamodb:BatchWriteItem')).toEqual([E]);
    expect(m.get('dynamodb:DeleteItem')!.sort()).toEqual([i.listings, i.journal].map((t) => JSON.stringify({ 'Fn::GetAtt': [t, 'Arn'] })).sort());
    // Against the call graphs: nothing granted that the code never calls, nothing called that is not granted.
    const platform = new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    // The on-failure destination is used by Lambda with the function's role (sqs:SendMessage and what CDK's grant adds).
    const destination = new Set(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
    const check = (role: string, entry: string, extra: Set<string>, notReached: string[] = []) => {
      const usedSet = new Set(used[entry]!.actions.filter((a) => !notReached.includes(a)));
      const granted = [...grantsOfRole(s.json, role).keys()];
      return { unused: granted.filter((a) => !usedSet.has(a) && !platform.has(a) && !extra.has(a)).sort(), missing: [...usedSet].filter((a) => !granted.includes(a)).sort() };
    };
    // This stack has the portal: the API mails review outcomes (ses:SendEmail).
    expect(check(i.apiRole, 'lambdas/handlers/api.ts', new Set())).toEqual({ unused: [], missing: [] });
    expect(check(i.mailRole, 'lambdas/handlers/evidence-mail.ts', destination)).toEqual({ unused: [], missing: [] });
    // The SQS actions are on the mail function's own queue only.
    for (const a of destination) expect(m.get(a), a).toEqual([JSON.stringify({ 'Fn::GetAtt': [i.queue, 'Arn'] })]);
  });

  it('gives reporters a managed policy that invokes POST /v1/evidence only (not the dry run, not listings), attached to the given roles', () => {
    const policies = resourcesOfType(s.json, 'AWS::IAM::ManagedPolicy');
    expect(policies).toHaveLength(1);
    const [policyId, policy] = policies[0]!;
    expect(policyId).toBe(logicalId(ev().reporterPolicy));
    expect(policy.Properties!.Roles).toEqual(['trap-feed', 'partner-reports']);
    const statements = policy.Properties!.PolicyDocument.Statement as Array<{ Effect: string; Action: string; Resource: unknown }>;
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Effect).toBe('Allow');
    expect(statements[0]!.Action).toBe('execute-api:Invoke');
    const apiId = logicalId(s.stack.publisher.api);
    const stage = logicalId(s.stack.publisher.api.deploymentStage);
    const pattern = joined(statements[0]!.Resource, { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111122223333', [apiId]: 'a1b2c3', [stage]: 'v1' });
    const request = (method: string, p: string, st = 'v1', id = 'a1b2c3') => `arn:aws:execute-api:eu-west-1:111122223333:${id}/${st}/${method}${p}`;
    expect(arnMatches(pattern, request('POST', '/v1/evidence'))).toBe(true);
    for (const [method, p] of [['POST', '/v1/policy/dry-run'], ['POST', '/v1/listings'], ['POST', '/v1/delistings'], ['GET', '/v1/evidence'], ['GET', '/v1/lookup'], ['POST', '/v1/evidence/extra'], ['POST', '/v1/reconcile']]) {
      expect(arnMatches(pattern, request(method!, p!)), `${method} ${p}`).toBe(false);
    }
    expect(arnMatches(pattern, request('POST', '/v1/evidence', 'other'))).toBe(false);
    expect(arnMatches(pattern, request('POST', '/v1/evidence', 'v1', 'otherapi'))).toBe(false);
    // The stack outputs its ARN for attaching it elsewhere.
    expect(s.json.Outputs!.EvidenceReporterPolicyArn!.Value).toEqual({ Ref: policyId });
  });

  it('receives mail with one SES rule per kind: its recipients, TLS required, scan on, into mail/<kind>/ of the bucket; the set is not activated', () => {
    const i = ids();
    const sets = resourcesOfType(s.json, 'AWS::SES::ReceiptRuleSet');
    expect(sets).toHaveLength(1);
    const setName = sets[0]![1].Properties!.RuleSetName as string;
    expect(setName).toBe(mail().ruleSetName);
    expect(setName).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}[A-Za-z0-9]$/);
    const rules = resourcesOfType(s.json, 'AWS::SES::ReceiptRule').map(([id, r]) => ({ id, ...r.Properties, DependsOn: r.DependsOn }) as Record<string, any>);
    expect(rules.map((r) => r.Rule)).toEqual([
      { Name: 'evidence-abuse-report', Enabled: true, Recipients: ['abuse@bl.example.org'], TlsPolicy: 'Require', ScanEnabled: true, Actions: [{ S3Action: { BucketName: { Ref: i.bucket }, ObjectKeyPrefix: 'mail/abuse-report/' } }] },
      { Name: 'evidence-spamtrap', Enabled: true, Recipients: ['trap@bl.example.org'], TlsPolicy: 'Require', ScanEnabled: true, Actions: [{ S3Action: { BucketName: { Ref: i.bucket }, ObjectKeyPrefix: 'mail/spamtrap/' } }] },
    ]);
    for (const r of rules) {
      expect(r.RuleSetName).toBe(setName);
      // SES checks it may write when the rule is created: the bucket policy comes first.
      expect(r.DependsOn).toEqual(expect.arrayContaining([logicalId(mail().bucket.policy!), logicalId(mail().ruleSet)]));
    }
    expect(rules[1]!.After).toBe('evidence-abuse-report');
    // No custom resource makes it the active set: the operator runs the output's command.
    expect(resourcesOfType(s.json, 'Custom::AWS').filter(([, r]) => JSON.stringify(r.Properties).includes('SetActiveReceiptRuleSet'))).toEqual([]);
    const activate = s.json.Outputs!.EvidenceMailActivateCommand!.Value as unknown;
    expect(joined(activate, { 'AWS::Region': 'eu-west-1' })).toBe(`aws ses set-active-receipt-rule-set --region eu-west-1 --rule-set-name ${setName}`);
  });

  it('keeps mail in a private, encrypted, TLS-only, access-logged bucket that expires it; only SES for these rules of this account may write, each kind under its prefix', () => {
    const i = ids();
    const b = s.json.Resources[i.bucket]!.Properties!;
    expect(b.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(b.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(b.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 14, Status: 'Enabled' });
    expect(b.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logicalId(s.stack.publisher.logBucket) }, LogFilePrefix: 'evidence-mail/' });
    const policy = resourcesOfType(s.json, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties!.Bucket) === JSON.stringify({ Ref: i.bucket }))![1];
    const statements = policy.Properties!.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements.find((st) => st.Effect === 'Deny')).toMatchObject({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    const ses = statements.filter((st) => st.Principal?.Service === 'ses.amazonaws.com');
    expect(ses).toHaveLength(2);
    const refs = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111122223333' };
    for (const [st, kind] of ses.map((x, k) => [x, ['abuse-report', 'spamtrap'][k]!] as const)) {
      expect(st.Effect).toBe('Allow');
      expect(st.Action).toBe('s3:PutObject');
      expect(st.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.bucket, 'Arn'] }, `/mail/${kind}/*`]] });
      expect(Object.keys(st.Condition)).toEqual(['StringEquals']);
      expect(st.Condition.StringEquals['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(joined(st.Condition.StringEquals['AWS:SourceArn'], refs)).toBe(`arn:aws:ses:eu-west-1:111122223333:receipt-rule-set/${mail().ruleSetName}:receipt-rule/evidence-${kind}`);
    }
  });

  it('notifies the mail function of new objects under mail/, retries twice, then queues; its errors and the queue alarm to the topic', () => {
    const i = ids();
    const [, n] = resourcesOfType(s.json, 'Custom::S3BucketNotifications')[0]!;
    expect(n.Properties!.BucketName).toEqual({ Ref: i.bucket });
    expect(n.Properties!.NotificationConfiguration).toEqual({
      LambdaFunctionConfigurations: [{ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'mail/' }] } }, LambdaFunctionArn: { 'Fn::GetAtt': [i.mailFn, 'Arn'] } }],
    });
    const perm = resourcesOfType(s.json, 'AWS::Lambda::Permission').find(([, p]) => JSON.stringify(p.Properties!.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [i.mailFn, 'Arn'] }))![1];
    expect(perm.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' }, SourceArn: { 'Fn::GetAtt': [i.bucket, 'Arn'] } });
    const [, cfg] = resourcesOfType(s.json, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => JSON.stringify(c.Properties!.FunctionName) === JSON.stringify({ Ref: i.mailFn }))!;
    expect(cfg.Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [i.queue, 'Arn'] } } } });
    const q = s.json.Resources[i.queue]!.Properties!;
    expect(q.SqsManagedSseEnabled).toBe(true);
    const alarms = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const errors = alarms.find((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(i.mailFn))!;
    const depth = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions).includes(i.queue))!;
    for (const a of [errors, depth]) {
      expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: i.topic }], OKActions: [{ Ref: i.topic }] });
    }
    // The mail function reads only mail objects of its own bucket.
    expect(statementsOfRole(s.json, i.mailRole).find((st) => st.Sid === 'ReadMail')?.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.bucket, 'Arn'] }, '/mail/*']] });
  });

  // Last: strips the acknowledgements from the construct tree.
  it('acknowledges exactly the cdk-nag findings that exist (none stale, none missing)', () => {
    const acks = s.stack.publisher.acknowledgements.filter((a) => a.id.startsWith('AwsSolutions-'));
    const findings = findingsWithoutAcknowledgements(s.app);
    const covers = (a: { id: string; path: string }, f: { id: string; path: string }) => a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    expect(findings.filter((f) => !acks.some((a) => covers(a, f)))).toEqual([]);
    expect(acks.filter((a) => !findings.some((f) => covers(a, f)))).toEqual([]);
  });
});

describe('DnsblPublisher evidence settings at synth', () => {
  const make = (props: Record<string, unknown>) => () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new DnsblPublisher(new Stack(app, 'S'), 'Dnsbl', { zoneName: ZONE, ...props } as never);
  };
  it('creates no evidence part without a policy, and refuses evidence settings without one', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(new DnsblPublisher(new Stack(app, 'S'), 'Dnsbl', { zoneName: ZONE }).evidence).toBeUndefined();
    expect(make({ evidence: { allow: ['192.0.2.0/24'] } })).toThrow('evidence: options are given but no list has an evidence policy (lists[i].evidence)');
  });
  it('names the bad setting', () => {
    expect(make({ lists: LISTS, evidence: { allow: ['192.0.2.0/33'] } })).toThrow(/^evidence\.allow\[0\]: /);
    expect(make({ lists: LISTS, evidence: { pfx2asObject: 'pfx2as.txt' } })).toThrow(/evidence\.pfx2asObject "pfx2as.txt" is not an S3 object address/);
    expect(make({ lists: LISTS, evidence: { mail: { recipients: [] } } })).toThrow(/evidence\.mail\.recipients must name at least one/);
    expect(make({ lists: LISTS, evidence: { mail: { recipients: [{ address: 'x@bl.example.org', kind: 'scan' }] } } })).toThrow(
      'evidence.mail.recipients[0]: kind "scan" is not weighed by any list\'s evidence policy (configured kinds: spamtrap, abuse-report)',
    );
    expect(make({ lists: LISTS, evidence: { mail: { recipients: ['not an address'] } } })).toThrow(/recipients\[0\]: "not an address" is not a mail address or domain/);
    expect(make({ lists: LISTS, evidence: { reporterRoles: ['arn:aws:iam::1:user/bob'] } })).toThrow(/reporterRoles\[0\]/);
    const other = () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      new DnsblPublisher(new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } }), 'Dnsbl', { zoneName: ZONE, lists: LISTS, evidence: { reporterRoles: ['arn:aws:iam::222222222222:role/feed'] } } as never);
    };
    expect(other).toThrow(/reporterRoles\[0\] .* is a role of account 222222222222, not of this stack's account 111111111111/);
    expect(make({ lists: [{ ...LISTS[0], evidence: { ...POLICY, threshold: 0 } }] })).toThrow(/invalid zone configuration: .*threshold/);
  });
});

describe('the config file\'s evidence settings', () => {
  const load = (file: Record<string, unknown>) => loadAppConfig((k) => (k === 'dnsbl:config' ? 'dnsbl.config.json' : undefined), () => JSON.stringify({ zoneName: ZONE, ...file }));
  it('passes lists\' evidence policies and the "evidence" key to the construct', () => {
    const { publisher } = load({ lists: LISTS, evidence: EVIDENCE });
    expect(publisher.lists?.[0]?.evidence).toEqual(POLICY);
    expect(publisher.evidence).toEqual(EVIDENCE);
  });
  it('refuses unknown evidence keys and a malformed mail section, naming them', () => {
    expect(() => load({ lists: LISTS, evidence: { allowList: [] } })).toThrow(new ConfigError('evidence: unknown key(s) allowList; allowed: allow, allowObject, infrastructure, pfx2asObject, reporterRoles, mail'));
    expect(() => load({ lists: LISTS, evidence: { mail: { recipients: 'abuse@bl.example.org' } } })).toThrow(/evidence\.mail\.recipients must be a list/);
    expect(() => load({ lists: LISTS, evidence: { mail: { recipients: [], bounce: true } } })).toThrow(/evidence\.mail: unknown key\(s\) bounce/);
    expect(() => load({ lists: LISTS, evidence: { allow: [1] } })).toThrow(/evidence\.allow must be a list of strings/);
  });
});
