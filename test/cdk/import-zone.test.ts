// The stack importing an existing hosted zone, configured with a config file (dnsbl:config).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { IMPORTED_ZONE_ID, logicalId, parseJoinedJson, resourcesOfType, statementsOfRole, type Synthesized, synth, ZONE } from './helpers.js';
import { sharedAssertions } from './shared-assertions.js';

const LISTS = [
  { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason} ({ip})' },
  { name: 'botnet', code: '127.0.0.3', txtTemplate: 'Botnet C&C {ip}: {reason}' },
];

describe('DnsblStack, existing hosted zone imported', () => {
  let s: Synthesized;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dnsbl-config-'));
    const file = path.join(dir, 'dnsbl.config.json');
    writeFileSync(file, JSON.stringify({ zoneName: ZONE, hostedZoneId: IMPORTED_ZONE_ID, lists: LISTS, ttl: 600 }));
    // cdk.json always carries a zone name; the config file's keys win.
    s = await synth({ 'dnsbl:zoneName': 'placeholder.example.com', 'dnsbl:hostedZoneId': '', 'dnsbl:alarmEmail': '', 'dnsbl:config': file });
    console.log(`synth (import zone, 6 functions bundled, cdk-nag): ${s.synthMs} ms`);
  });

  afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

  it('creates no hosted zone and targets the imported one by id', () => {
    expect(resourcesOfType(s.json, 'AWS::Route53::HostedZone')).toHaveLength(0);
    expect(s.stack.resolve(s.stack.publisher.hostedZone.hostedZoneArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:route53:::hostedzone/${IMPORTED_ZONE_ID}`]],
    });
    expect(s.json.Outputs!.HostedZoneId!.Value).toBe(IMPORTED_ZONE_ID);
    expect(s.stack.stackName).toBe('Dnsbl-bl-example-org');
  });

  it('reads the imported zone\'s name servers at deploy time (they cannot be read at synth) and says so', () => {
    const crs = resourcesOfType(s.json, 'Custom::AWS');
    expect(crs).toHaveLength(1);
    const create = JSON.stringify(crs[0]![1].Properties!.Update ?? crs[0]![1].Properties!.Create);
    expect(create).toContain('GetHostedZone');
    expect(create).toContain(IMPORTED_ZONE_ID);
    const o = s.json.Outputs!.NameServers!;
    expect(o.Description).toMatch(/imported hosted zone Z0123456789ABCDEFGHIJ/);
    expect(o.Description).toMatch(/cannot be read at synth/);
    const cr = crs[0]![0];
    expect(o.Value).toEqual({ 'Fn::Join': [' ', [0, 1, 2, 3].map((n) => ({ 'Fn::GetAtt': [cr, `DelegationSet.NameServers.${n}`] }))] });
    // Its provider may only read this zone.
    const policies = resourcesOfType(s.json, 'AWS::IAM::Policy').filter(([id]) => id.includes('ImportedZoneNameServers'));
    expect(policies).toHaveLength(1);
    expect(policies[0]![1].Properties!.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'route53:GetHostedZone',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:route53:::hostedzone/${IMPORTED_ZONE_ID}`]] },
      },
    ]);
  });

  it('takes lists and ttl from the config file', () => {
    const env = s.json.Resources[logicalId(s.stack.publisher.streamSyncFunction)]!.Properties!.Environment.Variables;
    const cfg = parseJoinedJson(env[ENV.zoneConfig]);
    expect(cfg.lists).toEqual(LISTS);
    expect(cfg.ttl).toBe(600);
    expect(env[ENV.hostedZoneId]).toBe(IMPORTED_ZONE_ID);
  });

  it('has no e-mail subscription when no alarm address is configured', () => {
    expect(resourcesOfType(s.json, 'AWS::SNS::Subscription')).toHaveLength(0);
  });

  it('gives the API only GetHostedZoneLimit on the zone (quota guard, status); its look-up asks the zone\'s DNS servers', () => {
    const role = logicalId(s.stack.publisher.apiFunction.role!);
    const r53 = statementsOfRole(s.json, role).filter((st) => JSON.stringify(st.Action).includes('route53:'));
    expect(r53.map((st) => st.Action)).toEqual(['route53:GetHostedZoneLimit']);
  });

  sharedAssertions(() => s);
});
