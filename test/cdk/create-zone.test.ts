// The stack with a hosted zone it creates (context values only, like `cdk deploy -c …`).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { logicalId, parseJoinedJson, resourcesOfType, type Synthesized, synth, ZONE } from './helpers.js';
import { sharedAssertions } from './shared-assertions.js';

describe('DnsblStack, hosted zone created', () => {
  let s: Synthesized;
  beforeAll(async () => {
    s = await synth({ 'dnsbl:zoneName': ZONE, 'dnsbl:hostedZoneId': '', 'dnsbl:alarmEmail': 'ops@example.org' });
    console.log(`synth (create zone, 6 functions bundled, cdk-nag): ${s.synthMs} ms`);
  });

  afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

  it('creates the public hosted zone and keeps it on stack deletion', () => {
    const zones = resourcesOfType(s.json, 'AWS::Route53::HostedZone');
    expect(zones).toHaveLength(1);
    expect(zones[0]![1].Properties!.Name).toBe(`${ZONE}.`);
    expect(zones[0]![1].DeletionPolicy).toBe('Retain');
    expect(resourcesOfType(s.json, 'Custom::AWS')).toHaveLength(0);
  });

  it('outputs the four name servers to delegate to, and uses them for rbldnsd', () => {
    const zone = logicalId(s.stack.publisher.hostedZone);
    const select = (n: number) => ({ 'Fn::Select': [n, { 'Fn::GetAtt': [zone, 'NameServers'] }] });
    const o = s.json.Outputs!.NameServers!;
    expect(o.Value).toEqual({ 'Fn::Join': [' ', [0, 1, 2, 3].map(select)] });
    expect(o.Description).toMatch(/Delegate bl\.example\.org/);
    expect(s.json.Outputs!.HostedZoneId!.Value).toEqual({ Ref: zone });
    const env = s.json.Resources[logicalId(s.stack.publisher.exportFunction)]!.Properties!.Environment.Variables;
    const parts = env[ENV.zoneConfig]['Fn::Join'][1] as unknown[];
    expect(parts.filter((p) => typeof p !== 'string')).toEqual([0, 1, 2, 3].map(select));
    const cfg = parseJoinedJson(env[ENV.zoneConfig]);
    expect(cfg.lists).toEqual([
      { name: 'spam', code: '127.0.0.2', txtTemplate: `Listed in {list}: {reason} - see https://${ZONE}/lookup?ip={ip}` },
    ]);
    expect(cfg).toMatchObject({ ttl: 300, negativeTtl: 300, hostmaster: `hostmaster@${ZONE}` });
  });

  it('subscribes the alarm e-mail address to the topic', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
  });

  sharedAssertions(() => s);
});
