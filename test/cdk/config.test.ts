// Configuration, construct options and the cdk-nag plumbing; no bundling here (fast).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations, aws_dynamodb as dynamodb, aws_events as events, aws_sqs as sqs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { ConfigError, createApp, DnsblPublisher, loadAppConfig } from '../../lib/index.js';
import { asArray, findingsWithoutAcknowledgements, logicalId, policyStatements, resourcesOfType, ZONE, type CfnTemplate } from './helpers.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function contextOf(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

describe('loadAppConfig', () => {
  it('reads context values as cdk.json or -c gives them (lists as JSON text)', () => {
    const cfg = loadAppConfig(
      contextOf({
        'dnsbl:zoneName': 'BL.Example.Org.',
        'dnsbl:hostedZoneId': '',
        'dnsbl:alarmEmail': 'ops@example.org',
        'dnsbl:lists': '[{"name":"spam","code":"127.0.0.2","txtTemplate":"Listed: {reason}"}]',
      }),
    );
    expect(cfg.stackName).toBe('Dnsbl-bl-example-org');
    expect(cfg.publisher).toEqual({
      zoneName: 'BL.Example.Org.',
      alarmEmail: 'ops@example.org',
      lists: [{ name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed: {reason}' }],
    });
  });

  it('lets a config file override context, and refuses unknown keys and bad JSON', () => {
    const files: Record<string, string> = {
      [path.resolve('good.json')]: JSON.stringify({
        zoneName: ZONE,
        hostedZoneId: 'Z1',
        ttl: 60,
        exportSchedule: 'rate(2 minutes)',
        canarySchedule: 'rate(10 minutes)',
        canaryMaxCalls: 12,
        reconcileMaxAgeMinutes: 120,
        reconcileReadShare: 0.3,
        quotaSchedule: 'rate(15 minutes)',
        apiThrottle: { rateLimit: 5, burstLimit: 10 },
        removalPolicy: 'destroy',
        mirrorAccountIds: ['111122223333'],
      }),
      [path.resolve('typo.json')]: JSON.stringify({ zoneName: ZONE, lsits: [] }),
      [path.resolve('broken.json')]: '{',
    };
    const read = (f: string) => {
      const t = files[f];
      if (t === undefined) throw new Error('ENOENT');
      return t;
    };
    const cfg = loadAppConfig(contextOf({ 'dnsbl:zoneName': 'placeholder.example', 'dnsbl:alarmEmail': 'a@b.c', 'dnsbl:config': 'good.json' }), read);
    expect(cfg.publisher).toMatchObject({
      zoneName: ZONE,
      hostedZoneId: 'Z1',
      alarmEmail: 'a@b.c',
      ttl: 60,
      apiThrottle: { rateLimit: 5, burstLimit: 10 },
      removalPolicy: RemovalPolicy.DESTROY,
      mirrorAccountIds: ['111122223333'],
      canaryMaxCalls: 12,
    });
    expect(cfg.publisher.exportSchedule?.expressionString).toBe('rate(2 minutes)');
    expect(cfg.publisher.canarySchedule?.expressionString).toBe('rate(10 minutes)');
    expect(cfg.publisher.quotaSchedule?.expressionString).toBe('rate(15 minutes)');
    expect(cfg.publisher.reconcileMaxAge?.toMinutes()).toBe(120);
    expect(cfg.publisher.reconcileReadShare).toBe(0.3);
    for (const [key, value, message] of [
      ['reconcileReadShare', 0, /reconcileReadShare must be a number more than 0 and at most 1/],
      ['reconcileReadShare', 1.5, /reconcileReadShare must be a number more than 0 and at most 1/],
      ['reconcileMaxAgeMinutes', 0, /reconcileMaxAgeMinutes must be at least 1/],
    ] as const) {
      files[path.resolve('bad.json')] = JSON.stringify({ zoneName: ZONE, [key]: value });
      expect(() => loadAppConfig(contextOf({ 'dnsbl:config': 'bad.json' }), read)).toThrow(message);
    }
    expect(() => loadAppConfig(contextOf({ 'dnsbl:config': 'typo.json' }), read)).toThrow(/unknown key\(s\) lsits/);
    expect(() => loadAppConfig(contextOf({ 'dnsbl:config': 'broken.json' }), read)).toThrow(/not valid JSON/);
    expect(() => loadAppConfig(contextOf({ 'dnsbl:config': 'missing.json' }), read)).toThrow(/cannot read config file/);
  });

  it('refuses a missing zone and malformed values', () => {
    expect(() => loadAppConfig(contextOf({}))).toThrow(ConfigError);
    expect(() => loadAppConfig(contextOf({ 'dnsbl:zoneName': '', 'dnsbl:hostedZoneId': '' }))).toThrow(/-c dnsbl:zoneName=.*-c dnsbl:config=/);
    const withFile = (content: string) => () =>
      loadAppConfig(contextOf({ 'dnsbl:config': 'c.json' }), () => content);
    expect(withFile(`{"zoneName":"${ZONE}","ipv4ViaIpv6":"no"}`)).toThrow(/ipv4ViaIpv6 must be true or false/);
    expect(withFile(`{"zoneName":"${ZONE}","ipv4ViaIpv6":false}`)().publisher.ipv4ViaIpv6).toBe(false);
    expect(() => loadAppConfig(contextOf({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': '{"name":"x"}' }))).toThrow(/JSON array/);
    const list = (extra: string) => `[{"name":"spam","code":"127.0.0.2","txtTemplate":"{reason}"${extra}}]`;
    expect(() => loadAppConfig(contextOf({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': list(',"route53Txt":"no"') }))).toThrow(/lists\[0\]\.route53Txt must be true or false/);
    expect(loadAppConfig(contextOf({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': list(',"route53Txt":false') })).publisher.lists?.[0]?.route53Txt).toBe(false);
    expect(loadAppConfig(contextOf({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': list('') })).publisher.lists?.[0]).not.toHaveProperty('route53Txt');
    expect(() => loadAppConfig(contextOf({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': '[{"name":"x","code":"127.0.0.2"}]' }))).toThrow(
      /txtTemplate/,
    );
  });
});

describe('DnsblPublisher validation', () => {
  const build = (context: Record<string, unknown>) => () => createApp({ context: { ...NO_BUNDLING, ...context } });

  it('validates the zone configuration with core validateZoneConfig before building anything', () => {
    expect(build({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': '[{"name":"spam","code":"127.0.0.1","txtTemplate":"x"}]' })).toThrow(
      /invalid zone configuration: 127\.0\.0\.1 cannot be a return code/,
    );
    expect(build({ 'dnsbl:zoneName': ZONE, 'dnsbl:lists': '[{"name":"spam","code":"127.0.0.2","txtTemplate":"{oops}"}]' })).toThrow(
      /unknown placeholder \{oops\}/,
    );
    expect(build({ 'dnsbl:zoneName': 'not a zone' })).toThrow(/not a lower-case zone name/);
  });

  it('refuses a public portal without a mail sender it can use', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'S');
    expect(() => new DnsblPublisher(stack, 'D', { zoneName: ZONE, publicPortal: { mailFrom: 'nobody' } })).toThrow(/publicPortal\.mailFrom "nobody" is not an address/);
  });

  it('refuses name servers inside the zone (no glue in the zone) with the reason and what to use instead', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'S');
    expect(() => new DnsblPublisher(stack, 'D', { zoneName: ZONE, nameservers: ['ns1.example.net', `ns2.${ZONE}`] })).toThrow(
      /invalid zone configuration: nameservers\[1\] "ns2\.bl\.example\.org" is inside the zone bl\.example\.org: it would need an address record \(glue\).*Use name servers outside the zone/,
    );
  });

  it('refuses bad mirror account ids', () => {
    const stack = new Stack(new App({ context: NO_BUNDLING }), 'S');
    expect(() => new DnsblPublisher(stack, 'D', { zoneName: ZONE, mirrorAccountIds: ['12345'] })).toThrow(/12-digit/);
  });
});

describe('DnsblPublisher in another app, every option set (no bundling)', () => {
  let app: App;
  let stack: Stack;
  let publisher: DnsblPublisher;
  let json: CfnTemplate;
  const certificateArn = 'arn:aws:acm:us-east-1:111122223333:certificate/abcd';
  const exportWebAclArn = 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/mirrors/1';
  const apiWebAclArn = 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/ops/2';

  beforeAll(() => {
    app = new App({ context: NO_BUNDLING, builtinCloudFormationValidation: false, outdir: mkdtempSync(path.join(tmpdir(), 'dnsbl-opts-')) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    stack = new Stack(app, 'Consumer');
    publisher = new DnsblPublisher(stack, 'Bl', {
      zoneName: ZONE,
      hostedZoneId: 'Z0999',
      nameservers: ['ns1.example.net', 'ns2.example.net'],
      ttl: 900,
      negativeTtl: 60,
      ipv4ViaIpv6: false,
      hostmaster: 'dns@example.org',
      reconcileSchedule: events.Schedule.rate(Duration.minutes(30)),
      exportSchedule: events.Schedule.rate(Duration.minutes(10)),
      sweeperSchedule: events.Schedule.rate(Duration.minutes(2)),
      canarySchedule: events.Schedule.rate(Duration.minutes(20)),
      canaryMaxCalls: 10,
      quotaSchedule: events.Schedule.rate(Duration.minutes(15)),
      apiThrottle: { rateLimit: 5, burstLimit: 10 },
      removalPolicy: RemovalPolicy.DESTROY,
      exportPrefix: 'files/dnsbl',
      mirrorAccountIds: ['111122223333'],
      exportDomain: { domainName: 'mirror.example.org', certificateArn },
      exportWebAclArn,
      apiWebAclArn,
      manageApiGatewayAccountRole: false,
      tracing: false,
    });
    const assembly = app.synth();
    json = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  });

  it('uses the given name servers, TTLs and contact in ZONE_CONFIG and reads no zone at deploy time', () => {
    const vars = json.Resources[logicalId(publisher.exportFunction)]!.Properties!.Environment.Variables;
    expect(JSON.parse(vars[ENV.zoneConfig])).toMatchObject({
      nameservers: ['ns1.example.net', 'ns2.example.net'],
      ttl: 900,
      negativeTtl: 60,
      ipv4ViaIpv6: false,
      hostmaster: 'dns@example.org',
    });
    expect(vars[ENV.exportKey]).toBe('files/dnsbl');
    expect(resourcesOfType(json, 'Custom::AWS')).toHaveLength(0);
  });

  it('applies schedules, throttle, removal policy and the export folder', () => {
    const t = Template.fromJSON(json);
    const rates = resourcesOfType(json, 'AWS::Events::Rule').map(([, r]) => r.Properties!.ScheduleExpression).sort();
    expect(rates).toEqual(['rate(10 minutes)', 'rate(15 minutes)', 'rate(2 minutes)', 'rate(20 minutes)', 'rate(30 minutes)']);
    expect(json.Resources[logicalId(publisher.canary.function)]!.Properties!.Environment.Variables.CANARY_MAX_CALLS).toBe('10');
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })],
    });
    for (const [, table] of resourcesOfType(json, 'AWS::DynamoDB::Table')) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties!.DeletionProtectionEnabled).toBe(false);
      expect(table.Properties!.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    const exportRole = logicalId(publisher.exportFunction.role!);
    const s3 = policyStatements(json).filter((s) => s.roles.includes(exportRole) && asArray(s.statement.Action).some((a) => a.startsWith('s3:')));
    expect(JSON.stringify(s3)).toContain(`/files/dnsbl/${ZONE}/*`);
    expect(JSON.stringify(s3)).not.toContain('rbldnsd');
    // No account-level API Gateway role when the account manages it elsewhere.
    expect(resourcesOfType(json, 'AWS::ApiGateway::Account')).toHaveLength(0);
  });

  it('enforces TLS 1.2 on the custom export domain and attaches both web ACLs', () => {
    const d = resourcesOfType(json, 'AWS::CloudFront::Distribution')[0]![1].Properties!.DistributionConfig;
    expect(d.Aliases).toEqual(['mirror.example.org']);
    expect(d.ViewerCertificate).toEqual({ AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(d.WebACLId).toBe(exportWebAclArn);
    const assoc = resourcesOfType(json, 'AWS::WAFv2::WebACLAssociation');
    expect(assoc).toHaveLength(1);
    expect(assoc[0]![1].Properties!.WebACLArn).toBe(apiWebAclArn);
    expect(stack.resolve(publisher.exportUrl)).toBe(`https://mirror.example.org/files/dnsbl/${ZONE}/latest.combined`);
    expect(stack.resolve(publisher.exportManifestUrl)).toBe(`https://mirror.example.org/files/dnsbl/${ZONE}/manifest.json`);
  });

  it('lets named mirror accounts read only the zone\'s export folder', () => {
    const [, policy] = resourcesOfType(json, 'AWS::S3::BucketPolicy').find(
      ([, r]) => r.Properties!.Bucket.Ref === logicalId(publisher.exportBucket),
    )!;
    const mirror = policy.Properties!.PolicyDocument.Statement.find((s: { Sid?: string }) => s.Sid === 'MirrorAccountsReadExport');
    expect(mirror).toEqual({
      Sid: 'MirrorAccountsReadExport',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } },
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(publisher.exportBucket), 'Arn'] }, `/files/dnsbl/${ZONE}/*`]] },
    });
  });

  it('without tracing, only dynamodb:ListStreams, the canary\'s route53:TestDNSAnswer and the workflow\'s log delivery use Resource "*"', () => {
    const star = policyStatements(json).filter((s) => asArray(s.statement.Resource as unknown).includes('*'));
    // Step Functions logs through CloudWatch Logs vended log delivery, whose actions take no resource
    // (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html, "IAM policies for logging").
    const logDelivery = ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'];
    expect(star.map((s) => s.statement.Action).sort()).toEqual(['dynamodb:ListStreams', logDelivery, 'route53:TestDNSAnswer']);
  });

  it('still passes cdk-nag, with acknowledgements matching the findings of this configuration', () => {
    const ids = publisher.acknowledgements.map((a) => a.id);
    expect(ids).not.toContain('AwsSolutions-CFR2');
    expect(ids).not.toContain('AwsSolutions-CFR4');
    expect(ids).not.toContain('AwsSolutions-APIG3');
    const findings = findingsWithoutAcknowledgements(app);
    const acks = publisher.acknowledgements.filter((a) => a.id.startsWith('AwsSolutions-'));
    const match = (f: { id: string; path: string }, a: { id: string; path: string }) =>
      a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    expect(findings.filter((f) => !acks.some((a) => match(f, a)))).toEqual([]);
    expect(acks.filter((a) => !findings.some((f) => match(f, a)))).toEqual([]);
  });
});

describe('cdk-nag reporting through the Validations API', () => {
  it('fails synth on an unacknowledged error and names the rule', () => {
    const app = new App({ builtinCloudFormationValidation: false, outdir: mkdtempSync(path.join(tmpdir(), 'dnsbl-nag-')) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new sqs.Queue(new Stack(app, 'Bad'), 'Plain');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });

  it('fails synth on an unacknowledged warning too, and writes it to validation-report.json', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dnsbl-nag-'));
    const app = new App({ builtinCloudFormationValidation: false, outdir });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new dynamodb.Table(new Stack(app, 'Warn'), 'NoPitr', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const nag = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'AwsSolutions');
    expect(nag.conclusion).toBe('failure');
    expect(nag.violations.map((v: { ruleName: string; severity: string }) => [v.ruleName, v.severity])).toEqual([['AwsSolutions-DDB3', 'warning']]);
  });

  it('lets an acknowledged finding through and records it in the report', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dnsbl-nag-'));
    const app = new App({ builtinCloudFormationValidation: false, outdir });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const table = new dynamodb.Table(new Stack(app, 'Acked'), 'NoPitr', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    Validations.of(table).acknowledge({ id: 'AwsSolutions-DDB3', reason: 'test fixture: a scratch table that needs no point-in-time recovery' });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('bin/app.ts', () => {
  const runApp = (context: Record<string, unknown>, outdir: string) =>
    execFileSync(path.join(REPO, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ ...context, ...NO_BUNDLING }),
        CDK_VALIDATION: 'false',
      },
      stdio: 'pipe',
      timeout: 120_000,
    });

  it('synthesizes as the CDK CLI runs it (cdk.json context plus -c dnsbl:zoneName, cdk-nag on, bundling skipped)', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dnsbl-bin-'));
    const cdkJson = JSON.parse(readFileSync(path.join(REPO, 'cdk.json'), 'utf8'));
    expect(cdkJson.app).toBe('npx tsx bin/app.ts');
    runApp({ ...cdkJson.context, 'dnsbl:zoneName': 'bl.deploy-test.example' }, outdir);
    const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const stackName = 'Dnsbl-bl-deploy-test-example';
    expect(Object.keys(manifest.artifacts)).toContain(stackName);
    expect(existsSync(path.join(outdir, `${stackName}.template.json`))).toBe(true);
  });

  it('refuses to deploy without a configured zone (cdk.json names none) and says how to set one', () => {
    const cdkJson = JSON.parse(readFileSync(path.join(REPO, 'cdk.json'), 'utf8'));
    expect(cdkJson.context).not.toHaveProperty('dnsbl:zoneName');
    const outdir = mkdtempSync(path.join(tmpdir(), 'dnsbl-bin-'));
    let failure: { status: number | null; stderr: Buffer } | undefined;
    try {
      runApp(cdkJson.context, outdir);
    } catch (e) {
      failure = e as { status: number | null; stderr: Buffer };
    }
    expect(failure?.status).toBe(1);
    const stderr = failure!.stderr.toString();
    expect(stderr).toContain('no DNSBL zone configured');
    expect(stderr).toContain('-c dnsbl:zoneName=');
    expect(stderr).toContain('-c dnsbl:config=');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    expect(existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  });
});
