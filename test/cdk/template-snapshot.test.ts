// The DnsblPublisher construct's synthesized template, resource by resource, against a snapshot taken
// before lib/dnsbl-publisher.ts was split into smaller constructs (storage, export distribution, zone
// sync, operator API, monitoring): the split must not change a single logical id, property, policy
// statement, dependency or deletion policy, nor the cdk-nag acknowledgements (id, reason, and the
// resource they sit on). Two configurations cover the optional branches (created vs imported zone,
// mirrors, custom domain, web ACLs, no API Gateway account role, tracing off).
//
// Functions are not bundled (their code's asset hash is replaced by a placeholder) and the construct
// tree's paths (Metadata aws:cdk:path) are left out: neither reaches a deployed resource.
//
// To re-take the snapshot on purpose (a change that is meant to alter the template):
//   UPDATE_TEMPLATE_SNAPSHOT=1 npx vitest run test/cdk/template-snapshot.test.ts
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Duration, Stack, aws_events as events, aws_logs as logs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DnsblPublisher, type DnsblPublisherProps } from '../../lib/dnsbl-publisher.js';

const SNAPSHOT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'snapshots');
const UPDATE = process.env.UPDATE_TEMPLATE_SNAPSHOT === '1';

const VARIANTS: Record<string, DnsblPublisherProps> = {
  'created-zone': { zoneName: 'bl.example.org', alarmEmail: 'ops@example.org' },
  // Taken when the portal got CloudFront (not before the split): holds the portal's resources still.
  'public-portal': { zoneName: 'bl.example.org', publicPortal: { mailFrom: 'DNSBL <delist@bl.example.org>' } },
  'imported-zone-all-options': {
    zoneName: 'bl.example.org',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    lists: [
      { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}' },
      { name: 'dul', code: '127.0.0.10', txtTemplate: 'Dynamic {ip}', route53Txt: true },
    ],
    ttl: 600,
    negativeTtl: 120,
    ipv4ViaIpv6: true,
    reconcileSchedule: events.Schedule.rate(Duration.minutes(30)),
    reconcileMaxAge: Duration.hours(2),
    reconcileReadShare: 0.3,
    exportSchedule: events.Schedule.rate(Duration.minutes(10)),
    sweeperSchedule: events.Schedule.rate(Duration.minutes(2)),
    canarySchedule: events.Schedule.rate(Duration.minutes(15)),
    canaryMaxCalls: 10,
    quotaSchedule: events.Schedule.rate(Duration.minutes(15)),
    apiThrottle: { rateLimit: 10, burstLimit: 20 },
    exportPrefix: 'data/rbl',
    mirrorAccountIds: ['111122223333', '444455556666'],
    exportDomain: { domainName: 'mirror.example.org', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' },
    exportWebAclArn: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/export/abc',
    apiWebAclArn: 'arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/api/abc',
    manageApiGatewayAccountRole: false,
    tracing: false,
    logRetention: logs.RetentionDays.ONE_MONTH,
    accessLogRetention: Duration.days(90),
  },
};

interface Snapshot {
  template: Record<string, unknown>;
  acknowledgements: Array<{ target: string; id: string; reason: string }>;
}

function logicalIdOrPath(c: IConstruct): string {
  const el = CfnElement.isCfnElement(c) ? c : c.node.defaultChild;
  return el && CfnElement.isCfnElement(el) ? Stack.of(c).resolve(el.logicalId) : `path:${c.node.path}`;
}

function synthesize(props: DnsblPublisherProps): Snapshot {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const publisher = new DnsblPublisher(stack, 'Dnsbl', props);
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, Record<string, unknown>> };
  for (const r of Object.values(template.Resources)) {
    delete r.Metadata;
    const code = (r.Properties as { Code?: { S3Key?: unknown } } | undefined)?.Code;
    if (r.Type === 'AWS::Lambda::Function' && code?.S3Key !== undefined) code.S3Key = '<asset>';
  }
  const byId = new Map<string, IConstruct>();
  for (const c of stack.node.findAll()) byId.set(c.node.path, c);
  const acknowledgements = publisher.acknowledgements
    .map((a) => ({ target: logicalIdOrPath(byId.get(a.path)!), id: a.id, reason: a.reason }))
    .sort((a, b) => (a.target + a.id).localeCompare(b.target + b.id));
  return { template, acknowledgements };
}

describe('DnsblPublisher template against the snapshot taken before the construct was split', () => {
  for (const [name, props] of Object.entries(VARIANTS)) {
    it(`${name}: every resource, output and acknowledgement as before`, () => {
      const file = path.join(SNAPSHOT_DIR, `publisher-${name}.json`);
      const now = synthesize(props);
      if (UPDATE || !existsSync(file)) {
        mkdirSync(SNAPSHOT_DIR, { recursive: true });
        writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
      }
      const before = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
      const resources = (s: Snapshot) => s.template.Resources as Record<string, unknown>;
      // Same logical ids, then each resource on its own (a failure names the resource).
      expect(Object.keys(resources(now)).sort()).toEqual(Object.keys(resources(before)).sort());
      for (const [id, resource] of Object.entries(resources(before))) {
        expect({ [id]: resources(now)[id] }).toEqual({ [id]: resource });
      }
      const { Resources: _a, ...restNow } = now.template;
      const { Resources: _b, ...restBefore } = before.template;
      expect(restNow).toEqual(restBefore);
      expect(now.acknowledgements).toEqual(before.acknowledgements);
    });
  }
});
