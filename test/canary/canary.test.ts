// The canary against DynamoDB Local and the Route 53 stand-in: silent on a zone in step with the
// table, and it finds the wrong answers once the zone is changed behind the publisher's back (a
// wildcard deleted through the SDK), says so in its metric line, keeps to its TestDNSAnswer budget,
// and does not blame the zone for changes still in flight.
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditTrail } from '../../lambdas/adapters/audit-trail.js';
import { Route53Answers } from '../../lambdas/adapters/route53-answers.js';
import { ENV } from '../../lambdas/adapters/table-schema.js';
import { contains, type Network, parseNetwork } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { CANARY_ENV, type CanaryOptions, canaryMetrics, type CanaryReport, runCanary } from '../../lambdas/services/canary.js';
import { L, startSyncEnv, type SyncEnv, zoneDiff } from '../sync/sync-env.js';
import { seeded } from './support.js';

const now = () => Date.now() / 1000;
const TAMPERED = parseNetwork('192.0.2.0/24');
const inside = (n: Network, address: string) => contains(n, parseNetwork(address));

describe('canary (DynamoDB Local, Route 53 stand-in)', () => {
  let env: SyncEnv;
  let client: Route53Client;
  const canary = (opts: CanaryOptions, seed = 1): Promise<CanaryReport> =>
    runCanary(
      {
        cfg: env.cfg,
        table: env.table,
        audit: new AuditTrail(env.table['doc'], env.journal.tableName),
        answers: new Route53Answers(client, env.zoneId),
        nowSeconds: now,
        rng: seeded(seed),
      },
      opts,
    );
  /** Writes a listing with its audit event, dated `agoSeconds` back (as the API does, in one transaction). */
  const list = async (l: Listing, agoSeconds: number) => {
    const at = new Date(Date.now() - agoSeconds * 1000).toISOString();
    const audit = env.journal.auditRecord(l.network, { action: l.exclusion ? 'exclude' : 'list', list: l.list, actor: 'test', reason: l.reason, at });
    await env.table.putAudited(l, null, { tableName: env.journal.tableName, item: audit.item });
  };

  beforeAll(async () => {
    env = await startSyncEnv({ r53: { throttle: false } });
    client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    // As after a deploy (reconcile writes the whole plan): the test points are in the zone.
    const testPoints = [...planZone(env.cfg, effectiveListings(env.cfg, [], now()))];
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: env.zoneId,
        ChangeBatch: {
          Changes: testPoints.map((r) => ({
            Action: 'CREATE',
            ResourceRecordSet: { Name: r.name, Type: r.type, TTL: r.ttl, ResourceRecords: r.values.map((Value) => ({ Value })) },
          })),
        },
      }),
    );
    // Changed ten minutes ago: older than the 360 s a change may take to reach the zone.
    await list(L('spam', '192.0.2.0/24'), 600);
    await list(L('spam', '192.0.2.25', { exclusion: true }), 600);
    await list(L('proxy', '198.51.100.7'), 600);
    await list(L('spam', '203.0.113.0/24'), 600);
    await list(L('proxy', '203.0.113.128/25'), 600);
    await list(L('spam', '2001:db8::/32'), 600);
    await list(L('proxy', '2001:db8:1::5'), 600);
    await list(L('spam', '10.0.0.0/8'), 600);
    await env.poller.idle();
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  });
  afterAll(async () => {
    client?.destroy();
    await env?.stop();
  });

  it('finds no wrong answer on a zone in step with the table, and asks about every kind of address', async () => {
    const before = env.r53.stats().requests['TestDNSAnswer'] ?? 0;
    const r = await canary({ maxCalls: 80 });
    expect(r.wrongAnswers).toEqual([]);
    expect(r.wrong).toBe(0);
    expect(r.unsettled).toBe(0);
    expect(r.errors).toBe(0);
    // 4 test points, 8 changed networks x up to 4 addresses, 20 listed, 20 random: enough for all kinds.
    expect(r.checked).toBeGreaterThanOrEqual(30);
    for (const kind of ['test-point', 'changed-inside', 'changed-outside', 'listed', 'random'] as const) {
      expect(r.checkedByKind[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(r.checkedByKind['test-point']).toBe(4);
    expect(env.r53.stats().requests['TestDNSAnswer']! - before).toBe(r.calls);
    expect(r.calls).toBeLessThanOrEqual(80);
    expect(canaryMetrics(r)).toMatchObject({ WrongAnswers: 0, Zone: 'bl.test' });
  });

  it('sends no more TestDNSAnswer requests than its budget', async () => {
    for (const maxCalls of [2, 7, 20]) {
      const before = env.r53.stats().requests['TestDNSAnswer'] ?? 0;
      const r = await canary({ maxCalls }, maxCalls);
      const sent = env.r53.stats().requests['TestDNSAnswer']! - before;
      expect(sent, `maxCalls ${maxCalls}`).toBe(r.calls);
      expect(sent, `maxCalls ${maxCalls}`).toBeLessThanOrEqual(maxCalls);
      expect(r.checked).toBeGreaterThanOrEqual(Math.floor(maxCalls / 2));
      expect(r.notChecked).toBeGreaterThan(0);
      // The test points come first.
      expect(r.checkedByKind['test-point']).toBe(Math.min(4, r.checked));
    }
  });

  it('finds the wrong answers after a wildcard is deleted behind its back, and its metric line says so', async () => {
    const wildcard = (type: 'A' | 'TXT') => env.actual().get(`*.2.0.192.bl.test. ${type}`)!;
    const [a, txt] = [wildcard('A'), wildcard('TXT')];
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: env.zoneId,
        ChangeBatch: {
          Changes: [a, txt].map((r) => ({
            Action: 'DELETE',
            ResourceRecordSet: { Name: r.name, Type: r.type, TTL: r.ttl, ResourceRecords: r.values.map((Value) => ({ Value })) },
          })),
        },
      }),
    );
    const r = await canary({ maxCalls: 80 });
    expect(r.wrong).toBeGreaterThanOrEqual(2);
    expect(r.wrong).toBe(r.wrongAnswers.length);
    // Exactly the addresses the wildcard answered: inside the /24, not the excluded .25.
    for (const w of r.wrongAnswers) {
      expect(inside(TAMPERED, w.address), w.address).toBe(true);
      expect(w.address).not.toBe('192.0.2.25');
      expect(w.expected.a).toEqual(['127.0.0.2']);
      expect(w.answered.a?.rcode).toBe('NXDOMAIN');
      expect(w.problem).toMatch(/listed .* NXDOMAIN/);
    }
    expect(r.wrongAnswers.map((w) => w.address)).toContain('192.0.2.0');
    // Next to it, the zone is still right.
    expect(r.wrongAnswers.map((w) => w.address)).not.toContain('192.0.1.255');
    expect(r.wrongAnswers.map((w) => w.address)).not.toContain('192.0.3.0');
    const metric = canaryMetrics(r, 1_700_000_000_000);
    expect(metric).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'DnsblPublisher',
            Dimensions: [['Zone']],
            Metrics: expect.arrayContaining([
              { Name: 'WrongAnswers', Unit: 'Count' },
              { Name: 'Checked', Unit: 'Count' },
            ]),
          },
        ],
      },
      Zone: 'bl.test',
      WrongAnswers: r.wrong,
      Checked: r.checked,
      UnsettledAnswers: 0,
      CanaryCalls: r.calls,
    });
  });

  it('the Lambda handler logs the EMF line with WrongAnswers > 0 for the tampered zone', async () => {
    const vars = {
      [ENV.listingsTable]: env.table.tableName,
      [ENV.journalTable]: env.journal.tableName,
      [ENV.hostedZoneId]: env.zoneId,
      [ENV.zoneConfig]: JSON.stringify(env.cfg),
      [ENV.dynamodbEndpoint]: env.ddb.endpoint,
      [ENV.route53Endpoint]: env.r53.endpoint,
      [CANARY_ENV.maxCalls]: '80',
    };
    for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    try {
      const { handler } = await import('../../lambdas/handlers/canary.js');
      const report = await handler();
      const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => o._aws !== undefined)!;
      expect(emf).toMatchObject({ Zone: 'bl.test', WrongAnswers: report.wrong, Checked: report.checked });
      expect(emf.WrongAnswers).toBeGreaterThan(0);
      expect(JSON.stringify(emf._aws)).toContain('"Namespace":"DnsblPublisher"');
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
  });

  it('does not count a wrong answer while a change covering the address is in flight', async () => {
    // An operator touches the /24 now: its audit trail shows a change younger than settleSeconds,
    // so the zone may rightly lag (in AWS: stream, then Route 53 propagation).
    await env.journal.audit(TAMPERED, { action: 'update', list: 'spam', actor: 'test', reason: 'new reason' });
    const r = await canary({ maxCalls: 80 });
    expect(r.wrong).toBe(0);
    expect(r.unsettled).toBeGreaterThanOrEqual(2);
    for (const u of r.unsettledAnswers) expect(inside(TAMPERED, u.address), u.address).toBe(true);
    // Once the change is older than settleSeconds, the same answers count again.
    const later = await canary({ maxCalls: 80, settleSeconds: 0 });
    expect(later.wrong).toBeGreaterThanOrEqual(2);
    expect(later.unsettled).toBe(0);
  });

  it('does not count a listing that expired moments ago (the sweeper has not delisted it yet)', async () => {
    const expiring = parseNetwork('198.51.100.200');
    await list(L('spam', '198.51.100.200', { expiresAt: Math.floor(now()) + 2 }), 600);
    await env.poller.idle();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // No sweeper here: the zone still lists it, the table says it has expired.
    expect(env.actual().has('200.100.51.198.bl.test. A')).toBe(true);
    const r = await canary({ maxCalls: 80, settleSeconds: 60 });
    const about = (xs: CanaryReport['wrongAnswers']) => xs.filter((x) => inside(expiring, x.address));
    expect(about(r.wrongAnswers)).toEqual([]);
    expect(about(r.unsettledAnswers).length).toBeGreaterThan(0);
    expect(about(r.unsettledAnswers)[0]!.problem).toMatch(/not listed, but the zone answers/);
  });
});
