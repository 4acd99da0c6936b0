// Assertions every variant of the stack must pass (create zone, import zone). Registered inside the
// variant's describe(); the synth happens once in the variant file's beforeAll.
import { ArnFormat } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import {
  CENSUS_KEY,
  ENV,
  JOURNAL_GSI,
  LISTINGS_GSI,
  TTL_ATTRIBUTE,
  journalTableDefinition,
  listingsTableDefinition,
  publishedTableDefinition,
} from '../../lambdas/adapters/table-schema.js';
import { validateZoneConfig } from '../../lambdas/core/listing.js';
import { listingRecordNamePatterns } from '../../lib/dnsbl-publisher.js';
import {
  RESOURCE_STAR_ALLOWED,
  type Synthesized,
  ZONE,
  asArray,
  findingsWithoutAcknowledgements,
  grantsOfRole,
  logicalId,
  parseJoinedJson,
  policyStatements,
  resourcesOfType,
  statementsOfRole,
} from './helpers.js';
import { usedActionsInChild, withUnreachable } from './used-actions.js';
import { FAILURE_QUEUE_URL_ENV } from '../../lambdas/adapters/failure-queue.js';

export function sharedAssertions(get: () => Synthesized): void {
  const ids = () => {
    const { stack } = get();
    const p = stack.publisher;
    return {
      listings: logicalId(p.listingsTable),
      journal: logicalId(p.journalTable),
      published: logicalId(p.publishedTable),
      bucket: logicalId(p.exportBucket),
      logBucket: logicalId(p.logBucket),
      queue: logicalId(p.onFailureQueue),
      topic: logicalId(p.alarmTopic),
      api: logicalId(p.api),
      distribution: logicalId(p.distribution),
      fn: {
        streamSync: logicalId(p.streamSyncFunction),
        reconcile: logicalId(p.reconcileFunction),
        sweeper: logicalId(p.sweeperFunction),
        export: logicalId(p.exportFunction),
        api: logicalId(p.apiFunction),
        canary: logicalId(p.canary.function),
        quota: logicalId(p.zoneQuota.function),
      },
      role: {
        streamSync: logicalId(p.streamSyncFunction.role!),
        reconcile: logicalId(p.reconcileFunction.role!),
        sweeper: logicalId(p.sweeperFunction.role!),
        export: logicalId(p.exportFunction.role!),
        api: logicalId(p.apiFunction.role!),
        canary: logicalId(p.canary.function.role!),
        quota: logicalId(p.zoneQuota.function.role!),
      },
    };
  };
  const zoneArn = () => {
    const { stack } = get();
    return stack.resolve(stack.publisher.hostedZone.hostedZoneArn) as unknown;
  };

  // ------------------------------------------------------------------ cdk-nag and validation

  it('registers cdk-nag AwsSolutions as a validation plugin', () => {
    const plugins = (get().app as unknown as { _validationPlugins?: Array<{ name: string }> })._validationPlugins ?? [];
    expect(plugins.map((p) => p.name)).toContain('AwsSolutions');
  });

  it('has no unacknowledged finding in the validation report (cdk-nag and CloudFormation validation)', () => {
    const open = get().report.pluginReports.flatMap((r) =>
      r.violations.map((v) => `${r.pluginName} ${v.ruleName} (${v.severity}) ${v.violatingConstructs?.map((c) => c.constructPath).join(', ')}`),
    );
    expect(open).toEqual([]);
    for (const r of get().report.pluginReports) expect(r.conclusion).toBe('success');
  });

  it('leaves no warning or error annotation on any construct', () => {
    const { assembly, stack } = get();
    const messages = assembly.getStackArtifact(stack.artifactId).messages.filter((m) => m.level !== 'info');
    expect(messages.map((m) => `${m.level} ${m.id}: ${String(m.entry.data)}`)).toEqual([]);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = get().stack.publisher.acknowledgements;
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThanOrEqual(60);
      expect(a.reason).not.toMatch(/^(n\/?a|todo|ok|suppressed?|ignore)/i);
    }
  });

  // ------------------------------------------------------------------ tables

  it('declares the listings table exactly as table-schema.ts', () => {
    const def = listingsTableDefinition('x');
    const { template } = get();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: def.KeySchema,
        AttributeDefinitions: Match.arrayWith(def.AttributeDefinitions),
        GlobalSecondaryIndexes: def.GlobalSecondaryIndexes,
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        // AWS-managed KMS key (aws/dynamodb): SSE on, no customer key.
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
      },
    });
    const t = get().json.Resources[ids().listings]!;
    expect(t.Properties!.AttributeDefinitions).toHaveLength(def.AttributeDefinitions.length);
    expect(t.Properties!.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName)).toEqual([
      LISTINGS_GSI.byList.name,
      LISTINGS_GSI.byExpiry.name,
    ]);
  });

  it('declares the journal table exactly as table-schema.ts (no stream)', () => {
    const def = journalTableDefinition('x');
    const t = get().json.Resources[ids().journal]!;
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.UpdateReplacePolicy).toBe('Retain');
    expect(t.Properties).toEqual({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: def.KeySchema,
      AttributeDefinitions: def.AttributeDefinitions,
      GlobalSecondaryIndexes: def.GlobalSecondaryIndexes,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(def.GlobalSecondaryIndexes?.[0]?.IndexName).toBe(JOURNAL_GSI.byTime.name);
  });

  it('declares the published table exactly as table-schema.ts (same keys; no stream, no indexes, no TTL)', () => {
    const def = publishedTableDefinition('x');
    const t = get().json.Resources[ids().published]!;
    expect(t.Type).toBe('AWS::DynamoDB::Table');
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.UpdateReplacePolicy).toBe('Retain');
    expect(t.Properties).toEqual({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: def.KeySchema,
      AttributeDefinitions: def.AttributeDefinitions,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
    expect(def.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    // A TTL would delete rows the zone still publishes; nothing consumes a stream of it.
    expect(t.Properties!.StreamSpecification).toBeUndefined();
    expect(t.Properties!.TimeToLiveSpecification).toBeUndefined();
    expect(t.Properties!.GlobalSecondaryIndexes).toBeUndefined();
    expect(t.Properties!.LocalSecondaryIndexes).toBeUndefined();
  });

  it('has exactly three tables (listings, journal, published), all retained, PITR, encrypted, deletion-protected', () => {
    const { json } = get();
    const i = ids();
    const tables = resourcesOfType(json, 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual([i.listings, i.journal, i.published].sort());
    for (const [id, t] of tables) {
      expect(t.DeletionPolicy, id).toBe('Retain');
      expect(t.Properties!.PointInTimeRecoverySpecification, id).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.Properties!.DeletionProtectionEnabled, id).toBe(true);
      expect(t.Properties!.SSESpecification, id).toEqual({ SSEEnabled: true });
      expect(t.Properties!.BillingMode, id).toBe('PAY_PER_REQUEST');
    }
  });

  // ------------------------------------------------------------------ functions

  it('bundles six arm64 Node 22 ESM functions locally with esbuild (no Docker)', () => {
    const require = createRequire(import.meta.url);
    expect(() => require.resolve('esbuild')).not.toThrow();
    const { json, assembly } = get();
    const fns = Object.values(ids().fn);
    for (const id of fns) {
      const f = json.Resources[id]!;
      expect(f.Type).toBe('AWS::Lambda::Function');
      expect(f.Properties!.Runtime).toBe('nodejs22.x');
      expect(f.Properties!.Architectures).toEqual(['arm64']);
      expect(f.Properties!.Handler).toBe('index.handler');
      expect(f.Properties!.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.Properties!.ReservedConcurrentExecutions).toBeUndefined();
      // Explicit log group with retention.
      const lg = f.Properties!.LoggingConfig.LogGroup.Ref as string;
      expect(json.Resources[lg]!.Type).toBe('AWS::Logs::LogGroup');
      expect(json.Resources[lg]!.Properties!.RetentionInDays).toBe(365);
    }
    // Every function asset is a local esbuild bundle: index.mjs with the require shim.
    const assetDirs = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
    const bundles = assetDirs.filter((d) => existsSync(path.join(assembly.directory, d, 'index.mjs')));
    expect(bundles.length).toBe(fns.length);
    for (const d of bundles) {
      const code = readFileSync(path.join(assembly.directory, d, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __dnsblCreateRequire }')).toBe(true);
    }
    // Each bundle loads as an ES module in plain Node and exports handler (catches require/ESM mix-ups).
    const files = bundles.map((d) => path.join(assembly.directory, d, 'index.mjs'));
    const script = `const fs=${JSON.stringify(files)};for(const f of fs){const m=await import(f);console.log(typeof m.handler)}`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim().split('\n')).toEqual(files.map(() => 'function'));
  });

  it('passes the table-schema ENV variables and a valid ZONE_CONFIG to every function', () => {
    const { json, stack } = get();
    const i = ids();
    for (const id of Object.values(i.fn)) {
      const vars = json.Resources[id]!.Properties!.Environment.Variables as Record<string, unknown>;
      expect(vars[ENV.listingsTable]).toEqual({ Ref: i.listings });
      expect(vars[ENV.journalTable]).toEqual({ Ref: i.journal });
      expect(vars[ENV.hostedZoneId]).toEqual(stack.resolve(stack.publisher.hostedZone.hostedZoneId));
      expect(vars[ENV.exportBucket]).toEqual({ Ref: i.bucket });
      expect(vars[ENV.exportKey]).toBe('rbldnsd');
      const cfg = parseJoinedJson(vars[ENV.zoneConfig], 'ns.example.net');
      expect(() => validateZoneConfig(cfg)).not.toThrow();
      expect(cfg.zone).toBe(ZONE);
      expect(cfg.nameservers).toHaveLength(4);
      expect(cfg).toEqual(JSON.parse(JSON.stringify({ ...stack.publisher.zoneConfig, nameservers: cfg.nameservers })));
      expect(vars).not.toHaveProperty(ENV.dynamodbEndpoint);
      expect(vars).not.toHaveProperty(ENV.route53Endpoint);
      expect(vars).not.toHaveProperty(ENV.s3Endpoint);
    }
    // Only the zone writers get the published table.
    for (const [name, id] of Object.entries(i.fn)) {
      const vars = json.Resources[id]!.Properties!.Environment.Variables as Record<string, unknown>;
      if (name === 'streamSync' || name === 'reconcile') expect(vars[ENV.publishedTable], name).toEqual({ Ref: i.published });
      else expect(vars, name).not.toHaveProperty(ENV.publishedTable);
    }
    const ss = json.Resources[i.fn.streamSync]!.Properties!;
    expect(ss.Environment.Variables.EXPORT_FUNCTION_NAME).toEqual({ Ref: i.fn.export });
    expect(ss.Timeout).toBe(300);
    // One full vCPU (1,769 MB): the sync's planning must keep up with Route 53's write limit.
    expect(ss.MemorySize).toBe(1769);
  });

  it('wires the listings stream to stream-sync with bounded, bisecting retries and an on-failure queue', () => {
    const { template } = get();
    const i = ids();
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [i.listings, 'StreamArn'] },
      FunctionName: { Ref: i.fn.streamSync },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 2000,
      MaximumBatchingWindowInSeconds: Match.anyValue(),
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [i.queue, 'Arn'] } } },
    });
    const esm = resourcesOfType(get().json, 'AWS::Lambda::EventSourceMapping')[0]![1].Properties!;
    expect(esm.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
    expect(esm.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(5);
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 86400, SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: i.queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  // ------------------------------------------------------------------ IAM

  it('lets reconcile update only the prefix census item of the listings table', () => {
    const { json } = get();
    const i = ids();
    const census = statementsOfRole(json, i.role.reconcile).filter((s) => s.Sid === 'ListingsPrefixCensus');
    expect(census).toEqual([
      {
        Sid: 'ListingsPrefixCensus',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [i.listings, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CENSUS_KEY.pk] } },
      },
    ]);
  });

  it('limits Route 53 writes to this zone, the names the planner writes and the A/TXT/CAA types (stream-sync, reconcile); the apex SOA for reconcile only', () => {
    const { json } = get();
    const i = ids();
    const names = listingRecordNamePatterns(ZONE);
    const writers = [i.role.streamSync, i.role.reconcile];
    expect(statementsOfRole(json, i.role.sweeper).filter((s) => asArray(s.Action).some((a) => a.startsWith('route53:')))).toEqual([]);
    for (const role of writers) {
      const st = statementsOfRole(json, role);
      const change = st.filter((s) => asArray(s.Action).some((a) => a.startsWith('route53:Change')));
      const soa = {
        Sid: 'Route53ApexSoaOfThisZone',
        Effect: 'Allow',
        Action: 'route53:ChangeResourceRecordSets',
        Resource: zoneArn(),
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsRecordTypes': ['SOA'],
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [ZONE],
          },
          Null: { 'route53:ChangeResourceRecordSetsRecordTypes': 'false', 'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false' },
        },
      };
      expect(change.filter((s) => s.Sid === soa.Sid)).toEqual(role === i.role.reconcile ? [soa] : []);
      expect(change.filter((s) => s.Sid !== soa.Sid)).toEqual([
        {
          Sid: 'Route53ChangeListingRecordsOfThisZone',
          Effect: 'Allow',
          Action: 'route53:ChangeResourceRecordSets',
          Resource: zoneArn(),
          Condition: {
            'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'TXT', 'CAA'] },
            'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names.allow },
            'ForAllValues:StringNotLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names.forbid },
            Null: { 'route53:ChangeResourceRecordSetsRecordTypes': 'false', 'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false' },
          },
        },
      ]);
      expect(st).toContainEqual({
        Sid: 'Route53ReadThisZone',
        Effect: 'Allow',
        Action: 'route53:ListResourceRecordSets',
        Resource: zoneArn(),
      });
    }
    // Nobody else may change records; every Route 53 grant of a function is on this zone (none on
    // change/*: nothing calls GetChange), but the canary's TestDNSAnswer.
    const fnRoles = new Set(Object.values(i.role));
    for (const { roles, statement } of policyStatements(json)) {
      for (const a of asArray(statement.Action).filter((x) => x.startsWith('route53:'))) {
        if (a === 'route53:ChangeResourceRecordSets') expect(writers).toEqual(expect.arrayContaining(roles));
        if (!roles.some((r) => fnRoles.has(r))) continue; // the deploy-time custom resource reading an imported zone
        const res = asArray(statement.Resource as unknown);
        // TestDNSAnswer has no resource-level permissions (the canary's only Route 53 action).
        if (a === 'route53:TestDNSAnswer') expect(res).toEqual(['*']);
        else expect(res).toEqual([zoneArn()]);
        expect(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'route53:TestDNSAnswer', 'route53:GetHostedZoneLimit']).toContain(a);
      }
    }
  });

  it('tells the API the failure queue\'s URL (the status reads its depth)', () => {
    const { json } = get();
    const i = ids();
    const vars = json.Resources[i.fn.api]!.Properties!.Environment.Variables;
    expect(vars[FAILURE_QUEUE_URL_ENV]).toEqual({ Ref: i.queue });
  });

  it('grants each function exactly the table, bucket and service actions its code uses', () => {
    const { json } = get();
    const i = ids();
    const L = { 'Fn::GetAtt': [i.listings, 'Arn'] };
    const J = { 'Fn::GetAtt': [i.journal, 'Arn'] };
    const P = { 'Fn::GetAtt': [i.published, 'Arn'] };
    const idx = (table: string, name: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, `/index/${name}`]] });
    const byList = idx(i.listings, LISTINGS_GSI.byList.name);
    const byExpiry = idx(i.listings, LISTINGS_GSI.byExpiry.name);
    const byTime = idx(i.journal, JOURNAL_GSI.byTime.name);
    const Z = zoneArn();
    const logGroupOf = (fn: string) => ({ 'Fn::GetAtt': [json.Resources[fn]!.Properties!.LoggingConfig.LogGroup.Ref, 'Arn'] });
    const common = (fn: string) => ({
      'logs:CreateLogStream': [logGroupOf(fn)],
      'logs:PutLogEvents': [logGroupOf(fn)],
      'xray:PutTraceSegments': ['*'],
      'xray:PutTelemetryRecords': ['*'],
    });
    const zoneWriter = {
      'route53:ChangeResourceRecordSets': [Z],
      'route53:ListResourceRecordSets': [Z],
    };
    const journalRw = {
      'dynamodb:PutItem': [J],
      'dynamodb:DeleteItem': [J],
    };
    const exportObjects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.bucket, 'Arn'] }, `/rbldnsd/${ZONE}/*`]] };
    const Q = { 'Fn::GetAtt': [i.queue, 'Arn'] };
    const expected: Record<string, Record<string, unknown[]>> = {
      [i.role.streamSync]: {
        ...common(i.fn.streamSync),
        ...zoneWriter,
        // Journal (lock, state, sync intent) and the published table (read regions, record the batch).
        'dynamodb:GetItem': [L, J, P],
        'dynamodb:BatchGetItem': [L, P],
        'dynamodb:Query': [L, J, P],
        'dynamodb:PutItem': [J],
        'dynamodb:UpdateItem': [P],
        'dynamodb:DeleteItem': [J],
        'dynamodb:BatchWriteItem': [J, P],
        'lambda:InvokeFunction': [{ 'Fn::GetAtt': [i.fn.export, 'Arn'] }],
        'sqs:SendMessage': [Q],
        'sqs:GetQueueAttributes': [Q],
        'sqs:GetQueueUrl': [Q],
        'dynamodb:ListStreams': ['*'],
        'dynamodb:DescribeStream': [{ 'Fn::GetAtt': [i.listings, 'StreamArn'] }],
        'dynamodb:GetRecords': [{ 'Fn::GetAtt': [i.listings, 'StreamArn'] }],
        'dynamodb:GetShardIterator': [{ 'Fn::GetAtt': [i.listings, 'StreamArn'] }],
      },
      [i.role.reconcile]: {
        ...common(i.fn.reconcile),
        ...zoneWriter,
        // Two statements: listing records, and the apex SOA (each with its own conditions).
        'route53:ChangeResourceRecordSets': [Z, Z],
        // The published table (scanned, filled, marked seeded, its census), and the prefix census item
        // of the listings table (see the next test). Sliced passes read each slice's listings by
        // range from the byList index and covering ones (and published rows) by key.
        'dynamodb:UpdateItem': [L, P],
        'dynamodb:GetItem': [L, J, P],
        'dynamodb:BatchGetItem': [L, P],
        'dynamodb:Query': [L, J, P, byList],
        'dynamodb:Scan': [L, P],
        'dynamodb:PutItem': [J, P],
        'dynamodb:DeleteItem': [J],
        'dynamodb:BatchWriteItem': [J, P],
      },
      [i.role.sweeper]: {
        ...common(i.fn.sweeper),
        'dynamodb:Query': [byExpiry],
        'dynamodb:DeleteItem': [L],
        'dynamodb:PutItem': [J],
      },
      [i.role.export]: {
        ...common(i.fn.export),
        ...journalRw,
        'dynamodb:GetItem': [J],
        'dynamodb:Query': [L, byList, J],
        'dynamodb:Scan': [L, byList],
        's3:PutObject': [exportObjects],
        's3:GetObject': [exportObjects],
        's3:DeleteObject': [exportObjects],
        's3:AbortMultipartUpload': [exportObjects],
        's3:ListBucket': [{ 'Fn::GetAtt': [i.bucket, 'Arn'] }],
      },
      [i.role.api]: {
        ...common(i.fn.api),
        'dynamodb:GetItem': [L, J],
        'dynamodb:BatchGetItem': [L],
        'dynamodb:Query': [L, byList, byExpiry, J, byTime],
        'dynamodb:PutItem': [L, J],
        'dynamodb:UpdateItem': [L],
        'dynamodb:DeleteItem': [L, J],
        // Starts reconcile passes on the workflow and reads them back.
        'states:StartExecution': [{ Ref: logicalId(get().stack.publisher.reconcileWorkflow.stateMachine) }],
        'states:DescribeExecution': [get().stack.resolve(
          get().stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${get().stack.publisher.reconcileWorkflow.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        )],
        // The quota guard and the status: the zone's count and limit, the failure queue's depth.
        'route53:GetHostedZoneLimit': [Z],
        'sqs:GetQueueAttributes': [Q],
      },
      [i.role.quota]: {
        ...common(i.fn.quota),
        'route53:GetHostedZoneLimit': [Z],
      },
      [i.role.canary]: {
        ...common(i.fn.canary),
        'route53:TestDNSAnswer': ['*'],
        'dynamodb:GetItem': [L],
        'dynamodb:BatchGetItem': [L],
        'dynamodb:Query': [L, byList, J, byTime],
      },
    };
    const canon = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    for (const [role, grants] of Object.entries(expected)) {
      const actual = grantsOfRole(json, role);
      expect([...actual.keys()].sort(), role).toEqual(Object.keys(grants).sort());
      for (const [action, resources] of Object.entries(grants)) {
        expect(actual.get(action)!.sort(), `${role} ${action}`).toEqual(canon(resources));
      }
    }
    // The export may list only its zone folder (lambdas/adapters/export-store.ts lists `<prefix>/<zone>/`).
    const list = statementsOfRole(json, i.role.export).find((s) => s.Action === 's3:ListBucket')!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': [`rbldnsd/${ZONE}/*`] } });
    // Function roles carry no managed policies (no AWSLambdaBasicExecutionRole: logs go to their own group only).
    for (const role of Object.values(i.role)) {
      expect(json.Resources[role]!.Properties!.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('grants no function an action its code never calls, and every action it calls (derived from the handlers\' call graphs)', async () => {
    const { json, assembly } = get();
    const i = ids();
    const report: Record<string, { entry: string; unused: string[]; missing: string[] }> = {};
    const entryOf: Record<string, string> = {};
    for (const [name, fnId] of Object.entries(i.fn)) {
      const fn = json.Resources[fnId]!;
      // Which handler the function runs: the entry in its bundle's source map (no hand-kept list).
      const key = String((fn.Properties!.Code as { S3Key: unknown }).S3Key); // "<asset hash>.zip"
      const asset = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
      const map = JSON.parse(readFileSync(path.join(asset, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const entries = map.sources.filter((src) => /lambdas\/handlers\/(?!runtime\.ts)[^/]+\.ts$/.test(src));
      expect(entries, name).toHaveLength(1);
      entryOf[name] = `lambdas/handlers/${path.basename(entries[0]!)}`;
    }
    // Without an evidence policy the API's evidence intake is never built (no EVIDENCE_TABLE:
    // lambdas/evidence/evidence-from-env.ts returns before anything else): its code is unreachable.
    const withoutEvidence = withUnreachable('lambdas/handlers/api.ts', ['lambdas/evidence/evidence-from-env.ts']);
    const usedBy = await usedActionsInChild([...Object.values(entryOf), withoutEvidence]);
    if (!get().stack.publisher.evidence) usedBy['lambdas/handlers/api.ts'] = usedBy[withoutEvidence]!;
    for (const [name, fnId] of Object.entries(i.fn)) {
      const fn = json.Resources[fnId]!;
      const entry = entryOf[name]!;
      const used = new Set(usedBy[entry]!.actions);
      // The operator API mails a portal requester the review's outcome only when the portal is
      // deployed (MAIL_FROM set, public/delist-from-env.ts); without it the call is unreachable.
      if (name === 'api' && !get().stack.publisher.publicPortal) used.delete('ses:SendEmail');
      // What the Lambda service itself does with the role, from the function's own configuration.
      const platform = new Set(['logs:CreateLogStream', 'logs:PutLogEvents']);
      if (fn.Properties!.TracingConfig?.Mode === 'Active') for (const a of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) platform.add(a);
      for (const [, esm] of resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')) {
        if (JSON.stringify(esm.Properties!.FunctionName) !== JSON.stringify({ Ref: fnId })) continue;
        // The mapping reads the stream with the function's role, and sends failed batches to its destination.
        if (JSON.stringify(esm.Properties!.EventSourceArn).includes('StreamArn')) {
          for (const a of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']) platform.add(a);
        }
        const dest = esm.Properties!.DestinationConfig?.OnFailure?.Destination as { 'Fn::GetAtt'?: [string, string] } | undefined;
        if (dest?.['Fn::GetAtt'] && json.Resources[dest['Fn::GetAtt'][0]]?.Type === 'AWS::SQS::Queue') {
          for (const a of ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']) platform.add(a);
        }
      }
      const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const granted = [...grantsOfRole(json, role).keys()];
      report[name] = {
        entry,
        unused: granted.filter((a) => !used.has(a) && !platform.has(a)).sort(),
        missing: [...used].filter((a) => !granted.includes(a)).sort(),
      };
    }
    const clean = Object.fromEntries(Object.entries(report).map(([n, r]) => [n, { entry: r.entry, unused: [], missing: [] }]));
    expect(report).toEqual(clean);
    expect(Object.keys(report).sort()).toEqual(['api', 'canary', 'export', 'quota', 'reconcile', 'streamSync', 'sweeper']);
  });

  it('keeps every function role\'s inline policies under IAM\'s 10,240-character limit (the name patterns included)', () => {
    const { json } = get();
    const i = ids();
    for (const role of Object.values(i.role)) {
      const docs = resourcesOfType(json, 'AWS::IAM::Policy')
        .filter(([, r]) => asArray(r.Properties?.Roles as Array<{ Ref: string }>).some((x) => x.Ref === role))
        .map(([, r]) => r.Properties!.PolicyDocument);
      // Intrinsics counted as 120-character ARNs; IAM does not count whitespace.
      const text = JSON.stringify(docs, (_k, v) =>
        v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => k === 'Ref' || k.startsWith('Fn::')) ? 'a'.repeat(120) : v,
      );
      expect(text.replace(/\s/g, '').length, role).toBeLessThan(10_240);
    }
  });

  it('has no wildcard actions anywhere and no Resource "*" for data actions (walks every IAM policy)', () => {
    const { json } = get();
    const all = policyStatements(json);
    expect(all.length).toBeGreaterThan(20);
    for (const { policy, statement } of all) {
      expect(statement.Effect, policy).toBe('Allow');
      expect(statement.NotAction, policy).toBeUndefined();
      expect(statement.NotResource, policy).toBeUndefined();
      for (const a of asArray(statement.Action)) {
        expect(a, policy).not.toBe('*');
        expect(a, policy).not.toMatch(/\*/);
        expect(a, policy).not.toMatch(/^(route53|dynamodb|s3|lambda|sqs|sns|kms|iam):\*$/);
      }
      const resources = asArray(statement.Resource as unknown);
      expect(resources.length, policy).toBeGreaterThan(0);
      if (resources.includes('*')) {
        expect(resources, policy).toEqual(['*']);
        for (const a of asArray(statement.Action)) expect(RESOURCE_STAR_ALLOWED.has(a), `${policy}: ${a} on "*"`).toBe(true);
      }
    }
  });

  // ------------------------------------------------------------------ buckets and distribution

  it('keeps the export bucket private, TLS-only, encrypted, versioned, with lifecycle and access logs', () => {
    const { json, template } = get();
    const i = ids();
    const b = json.Resources[i.bucket]!;
    expect(b.DeletionPolicy).toBe('Retain');
    expect(b.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: i.logBucket } },
      LifecycleConfiguration: {
        Rules: [
          expect.objectContaining({
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ],
      },
    });
    const lb = json.Resources[i.logBucket]!;
    expect(lb.DeletionPolicy).toBe('Retain');
    expect(lb.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    expect(lb.Properties!.AccessControl).toBeUndefined();
    for (const bucket of [i.bucket, i.logBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    // Nothing public: the only Allow to a non-account principal is CloudFront (with this distribution as source).
    const [, policy] = resourcesOfType(json, 'AWS::S3::BucketPolicy').find(([, r]) => r.Properties!.Bucket.Ref === i.bucket)!;
    const allows = policy.Properties!.PolicyDocument.Statement.filter((s: { Effect: string }) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.bucket, 'Arn'] }, '/*']] },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: i.distribution }]],
            },
          },
        },
      },
    ]);
  });

  it('serves the export through CloudFront with Origin Access Control, HTTPS only, logging, no root object', () => {
    const { json, template } = get();
    const i = ids();
    const d = json.Resources[i.distribution]!.Properties!.DistributionConfig;
    expect(d.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(d.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(d.DefaultRootObject).toBeUndefined();
    expect(d.Logging.Bucket).toEqual({ 'Fn::GetAtt': [i.logBucket, 'RegionalDomainName'] });
    expect(d.Origins).toHaveLength(1);
    expect(d.Origins[0].DomainName).toEqual({ 'Fn::GetAtt': [i.bucket, 'RegionalDomainName'] });
    expect(d.Origins[0].OriginAccessControlId).toBeDefined();
    expect(d.Origins[0].S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
  });

  // ------------------------------------------------------------------ API

  it('protects every API method with IAM auth and a request validator; proxies / and /{proxy+}', () => {
    const { json, template } = get();
    const i = ids();
    const methods = resourcesOfType(json, 'AWS::ApiGateway::Method');
    expect(methods).toHaveLength(2);
    const validators = resourcesOfType(json, 'AWS::ApiGateway::RequestValidator');
    expect(validators).toHaveLength(1);
    expect(validators[0]![1].Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    for (const [, m] of methods) {
      expect(m.Properties!.AuthorizationType).toBe('AWS_IAM');
      expect(m.Properties!.RequestValidatorId).toEqual({ Ref: validators[0]![0] });
      expect(m.Properties!.HttpMethod).toBe('ANY');
      expect(m.Properties!.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.Properties!.Integration.Uri)).toContain(i.fn.api);
    }
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  it('logs API access as JSON, traces and throttles the stage (50/s, burst 100)', () => {
    const { json } = get();
    const [, stage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0]!;
    const p = stage.Properties!;
    const dest = p.AccessLogSetting.DestinationArn['Fn::GetAtt'][0] as string;
    expect(json.Resources[dest]!.Type).toBe('AWS::Logs::LogGroup');
    const format = JSON.parse(p.AccessLogSetting.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', caller: '$context.identity.caller', status: '$context.status' });
    expect(p.TracingEnabled).toBe(true);
    expect(p.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        MetricsEnabled: true,
      }),
    ]);
    // The account-level CloudWatch role is set, and kept when the stack goes away.
    const [, account] = resourcesOfType(json, 'AWS::ApiGateway::Account')[0]!;
    const roleId = account.Properties!.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    expect(json.Resources[roleId]!.DeletionPolicy).toBe('Retain');
  });

  // ------------------------------------------------------------------ schedules, alarms, outputs

  it('schedules reconcile (15 min), sweeper (1 min), export (5 min) and the canary (5 min)', () => {
    const { json } = get();
    const i = ids();
    const rules = resourcesOfType(json, 'AWS::Events::Rule').map(([, r]) => r.Properties!);
    const byTarget = (fn: string) => rules.filter((r) => JSON.stringify(r.Targets).includes(`"${fn}"`)).map((r) => r.ScheduleExpression);
    // Reconcile: the schedule starts a pass of the workflow (Step Functions), not the function.
    expect(byTarget(i.fn.reconcile)).toEqual([]);
    expect(byTarget(logicalId(get().stack.publisher.reconcileWorkflow.stateMachine))).toEqual(['rate(15 minutes)']);
    // Its reads keep to half the account's Route 53 rate by default (reconcileReadShare).
    expect(json.Resources[i.fn.reconcile]!.Properties!.Environment.Variables.RECONCILE_READ_RATE).toBe('5');
    expect(byTarget(i.fn.sweeper)).toEqual(['rate(1 minute)']);
    expect(byTarget(i.fn.export)).toEqual(['rate(5 minutes)']);
    expect(byTarget(i.fn.canary)).toEqual(['rate(5 minutes)']);
    expect(byTarget(i.fn.quota)).toEqual(['rate(5 minutes)']);
    expect(rules).toHaveLength(5);
    // Five rules; EventBridge may invoke exactly these four functions (the fifth starts the reconcile workflow).
    const perms = resourcesOfType(json, 'AWS::Lambda::Permission').filter(([, r]) => r.Properties!.Principal === 'events.amazonaws.com');
    expect(perms.map(([, r]) => r.Properties!.FunctionName['Fn::GetAtt'][0]).sort()).toEqual([i.fn.export, i.fn.sweeper, i.fn.canary, i.fn.quota].sort());
  });

  it('alarms on queue depth, stream-sync errors, iterator age, drift, export failures, API 5xx and canary wrong answers, all to the topic', () => {
    const { json, template } = get();
    const i = ids();
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: i.topic }]);
      // The one "too few" alarm: no full reconcile pass (its metric missing is the alarm); the quota
      // alarm fires AT 80% used; every other one above its threshold.
      if (a.MetricName === 'ReconcileFullPassCompleted') {
        expect(a).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching', Statistic: 'Sum', Period: 1800 });
      } else expect(a.ComparisonOperator).toBe(a.MetricName === 'RRSetQuotaUsedPercent' ? 'GreaterThanOrEqualToThreshold' : 'GreaterThanThreshold');
    }
    const find = (metric: string, dim?: (d: Array<{ Name: string; Value: unknown }>) => boolean) => {
      const hits = alarms.filter((a) => a.MetricName === metric && (!dim || dim(a.Dimensions ?? [])));
      expect(hits, metric).toHaveLength(1);
      return hits[0]!;
    };
    const fnDim = (fn: string) => (d: Array<{ Name: string; Value: unknown }>) =>
      d.some((x) => x.Name === 'FunctionName' && JSON.stringify(x.Value) === JSON.stringify({ Ref: fn }));
    expect(find('ApproximateNumberOfMessagesVisible')).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0 });
    expect(find('Errors', fnDim(i.fn.streamSync))).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0, Statistic: 'Sum' });
    expect(find('IteratorAge', fnDim(i.fn.streamSync))).toMatchObject({ Statistic: 'Maximum', Threshold: 300_000 });
    expect(find('DriftFound')).toMatchObject({ Namespace: 'DnsblPublisher', Dimensions: [{ Name: 'Zone', Value: ZONE }], Threshold: 0 });
    expect(find('Errors', fnDim(i.fn.export))).toMatchObject({ Threshold: 0 });
    expect(find('5XXError')).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 0 });
    expect(find('WrongAnswers')).toMatchObject({ Namespace: 'DnsblPublisher', Dimensions: [{ Name: 'Zone', Value: ZONE }], Threshold: 0 });
    expect(find('RRSetQuotaUsedPercent')).toMatchObject({ Namespace: 'DnsblPublisher', Dimensions: [{ Name: 'Zone', Value: ZONE }], Threshold: 80, Statistic: 'Maximum', TreatMissingData: 'missing' });
    // The topic is KMS-encrypted (rotating customer key CloudWatch may use) and TLS-only.
    const topic = json.Resources[i.topic]!.Properties!;
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    expect(json.Resources[keyId]!.Properties!.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(json.Resources[keyId]!.Properties!.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(resourcesOfType(json, 'AWS::CloudWatch::Dashboard')[0]![1].Properties!.DashboardBody);
    for (const m of ['IteratorAge', 'ApproximateNumberOfMessagesVisible', 'DriftFound', '5XXError', 'Errors']) expect(body).toContain(m);
  });

  it('outputs name servers, hosted zone, API URL, export URL and bucket, alarm topic', () => {
    const { json } = get();
    const i = ids();
    const o = json.Outputs!;
    for (const k of ['NameServers', 'HostedZoneId', 'ApiUrl', 'ExportUrl', 'ExportBucket', 'AlarmTopicArn']) expect(o[k], k).toBeDefined();
    expect(o.ExportBucket!.Value).toEqual({ Ref: i.bucket });
    expect(o.AlarmTopicArn!.Value).toEqual({ Ref: i.topic });
    expect(o.ExportUrl!.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [i.distribution, 'DomainName'] }, `/rbldnsd/${ZONE}/latest.combined`]],
    });
    expect(o.ExportManifestUrl!.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [i.distribution, 'DomainName'] }, `/rbldnsd/${ZONE}/manifest.json`]],
    });
    expect(JSON.stringify(o.ApiUrl!.Value)).toContain(i.api);
    // No stray auto-named outputs.
    expect(Object.keys(o).sort()).toEqual(
      ['AlarmTopicArn', 'ApiUrl', 'DashboardName', 'ExportBucket', 'ExportManifestUrl', 'ExportUrl', 'HostedZoneId', 'NameServers', 'OnFailureQueueUrl'].sort(),
    );
  });

  // Last: strips the acknowledgements from the construct tree.
  it('acknowledges exactly the cdk-nag findings that exist (none stale, none missing)', () => {
    const { app, stack } = get();
    const acks = stack.publisher.acknowledgements.filter((a) => a.id.startsWith('AwsSolutions-'));
    const findings = findingsWithoutAcknowledgements(app);
    const covered = (f: { id: string; path: string }) => acks.some((a) => a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
    expect(findings.filter((f) => !covered(f))).toEqual([]);
    const stale = acks.filter((a) => !findings.some((f) => f.id === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))));
    expect(stale).toEqual([]);
  });
}
