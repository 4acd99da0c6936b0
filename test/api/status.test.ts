// GET /v1/status and `dnsbl status` on DynamoDB Local + the Route 53 stand-in + the local export:
// each figure before anything happened ("never"), after listings and their sync, after reconcile
// passes and after an export; figures that cannot be read are "unknown" with the reason, never a
// failed request.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublisherState, type ReconcilePassRecord } from '../../lambdas/adapters/publisher-state.js';
import { Route53Quota } from '../../lambdas/adapters/route53-quota.js';
import { ROUTE53_CLIENT_CONFIG } from '../../lambdas/adapters/route53-zone.js';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { statusResponseSchema } from '../../lambdas/api/status-schema.js';
import { runCli } from '../../lambdas/cli/main.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { monthlyCost, ROUTE53_PRICES, type ZoneStatus } from '../../lambdas/services/zone-status.js';
import { type LocalExport, startLocalExport } from '../../local/export-file.js';
import { startSyncEnv, type SyncEnv } from '../sync/sync-env.js';
import { call } from './support.js';

let env: SyncEnv;
let api: RunningAdapter;
let broken: RunningAdapter;
let route53: Route53Client;
let exporter: LocalExport;
let dir: string;

beforeAll(async () => {
  env = await startSyncEnv({ recordProgress: true, r53: { throttle: false } });
  route53 = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, ...ROUTE53_CLIENT_CONFIG });
  const deps = { cfg: env.cfg, table: env.table, journal: env.journal, log: { error: () => undefined } };
  api = await startHttpAdapter(
    createApiHandler({ ...deps, status: { quota: new Route53Quota(route53, env.zoneId), failureQueue: { depth: async () => ({ messages: env.failures.length }) } } }),
    {},
  );
  // Route 53 and the queue failing: the status still answers.
  broken = await startHttpAdapter(
    createApiHandler({
      ...deps,
      status: {
        quota: new Route53Quota(route53, 'ZNOSUCHZONE'),
        failureQueue: { depth: async () => Promise.reject(Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied' })) },
      },
    }),
    {},
  );
  dir = mkdtempSync(join(tmpdir(), 'status-'));
  const doc = DynamoDBDocumentClient.from(env.ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  exporter = await startLocalExport({ cfg: env.cfg, doc, table: env.table, journalTable: env.names.journal, directory: join(dir, 's3'), port: 0, target: join(dir, 'zone.combined') });
}, 60_000);
afterAll(async () => {
  await api?.close();
  await broken?.close();
  await exporter?.stop();
  route53?.destroy();
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function status(url = api.url): Promise<ZoneStatus> {
  const r = await call(url, 'GET', '/v1/status');
  expect(r.status, r.text).toBe(200);
  return statusResponseSchema.parse(r.json) as ZoneStatus;
}

const pass = (over: Partial<ReconcilePassRecord>): ReconcilePassRecord => ({
  passId: 'p1', startedAt: new Date(Date.now() - 5_000).toISOString(), finishedAt: new Date().toISOString(), full: false, network: '192.0.2.0/24',
  dryRun: true, slices: 1, rrsetsRead: 12, drift: 3, repaired: 0, durationMs: 5_000, ...over,
});

describe('GET /v1/status', () => {
  it('before anything: the empty zone, its base cost, and "never" for what has not happened', async () => {
    const s = await status();
    expect(s.zone).toBe(env.cfg.zone);
    expect(s.rrsets).toEqual({ status: 'ok', count: env.r53.rrsets(env.zoneId).length, limit: 10_000, usedPercent: expect.any(Number) });
    expect(s.monthlyCost).toMatchObject({ status: 'ok', usd: ROUTE53_PRICES.hostedZoneMonthlyUsd, billableRRSets: 0 });
    expect(s.monthlyCost.status === 'ok' && s.monthlyCost.note).toMatch(/queries/);
    for (const k of ['streamSync', 'lastPass', 'lastFullPass', 'export'] as const) expect(s[k], k).toEqual({ status: 'never' });
    expect(s.failureQueue).toEqual({ status: 'ok', messages: 0 });
  });

  it('after listings and their sync: the zone\'s count and what the stream sync last applied', async () => {
    const t0 = Date.now();
    const items = ['192.0.2.1', '192.0.2.2', '2001:db8::1'].map((network) => ({ list: 'spam', network, reason: 'status test' }));
    expect((await call(api.url, 'POST', '/v1/listings', { items })).status).toBe(200);
    await env.poller.idle();
    const s = await status();
    const count = env.r53.rrsets(env.zoneId).length;
    expect(s.rrsets).toMatchObject({ status: 'ok', count, usedPercent: Math.round((10_000 * count) / 10_000) / 100 });
    expect(s.streamSync.status).toBe('ok');
    if (s.streamSync.status !== 'ok') return;
    expect(Date.parse(s.streamSync.syncedAt)).toBeGreaterThanOrEqual(t0);
    expect(s.streamSync.records).toBeGreaterThanOrEqual(1);
    expect(s.streamSync.lagMs).toBeGreaterThanOrEqual(0);
    // DynamoDB Local truncates ApproximateCreationDateTime to the minute (AWS: to the second).
    expect(s.streamSync.lagMs).toBeLessThan(Date.now() - t0 + 61_000);
  });

  it('after reconcile passes: the last pass and the last full pass, each with its drift', async () => {
    const state = new PublisherState(env.journal, env.cfg.zone);
    await state.recordPass(pass({ passId: 'subtree' }));
    let s = await status();
    expect(s.lastPass).toMatchObject({ status: 'ok', passId: 'subtree', drift: 3, full: false });
    expect(s.lastFullPass).toEqual({ status: 'never' });
    await state.recordPass(pass({ passId: 'full', full: true, dryRun: false, network: undefined, drift: 7, repaired: 7, slices: 16 }));
    s = await status();
    expect(s.lastPass).toMatchObject({ status: 'ok', passId: 'full', drift: 7, repaired: 7 });
    expect(s.lastFullPass).toMatchObject({ status: 'ok', passId: 'full', slices: 16 });
  });

  it('after an export: its serial and age', async () => {
    const { exported } = await exporter.publish();
    expect(exported.status).toBe('published');
    const s = await status();
    expect(s.export).toMatchObject({ status: 'ok', serial: exported.serial });
    expect(s.export.status === 'ok' && s.export.ageSeconds).toBeLessThan(60);
  });

  it('reports what cannot be read as unknown, with the reason, and still answers 200', async () => {
    const s = await status(broken.url);
    expect(s.rrsets).toMatchObject({ status: 'unknown', reason: expect.stringContaining('NoSuchHostedZone') });
    expect(s.monthlyCost).toMatchObject({ status: 'unknown', reason: expect.stringContaining('rrset count') });
    expect(s.failureQueue).toEqual({ status: 'unknown', reason: 'AccessDenied: Access to the resource is denied' });
    // The journal's figures are unaffected.
    expect(s.lastFullPass.status).toBe('ok');
  });
});

describe('monthly cost', () => {
  it('is the hosted zone alone up to 10,000 rrsets, then grows by the record price per rrset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000_000 }), (rrsets) => {
        const c = monthlyCost(rrsets);
        expect(c.hostedZoneUsd).toBe(ROUTE53_PRICES.hostedZoneMonthlyUsd);
        expect(c.billableRRSets).toBe(Math.max(0, rrsets - ROUTE53_PRICES.includedRRSets));
        expect(Math.abs(c.usd - (ROUTE53_PRICES.hostedZoneMonthlyUsd + c.billableRRSets * ROUTE53_PRICES.rrsetMonthlyUsd))).toBeLessThanOrEqual(0.01);
        expect(monthlyCost(rrsets + 1).usd).toBeGreaterThanOrEqual(c.usd);
      }),
    );
    // README's example: 1M listings at 8.3 rrsets each is about $12,400 a month.
    expect(Math.round(monthlyCost(8_300_000).usd / 100) * 100).toBe(12_400);
  });
});

describe('dnsbl status', () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(args, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { DNSBL_API: api.url } });
    return { code, out, err };
  };

  it('prints a readable summary of every figure and exits 0', async () => {
    const r = await run(['status']);
    expect(r.code, r.err).toBe(0);
    const s = await status();
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`zone ${env.cfg.zone}  (status at ${lines[0]!.match(/status at (\S+)\)/)![1]})`);
    const line = (label: string) => lines.find((l) => l.trimStart().startsWith(label)) ?? '';
    if (s.rrsets.status !== 'ok' || s.export.status !== 'ok') throw new Error('expected readable figures');
    expect(line('rrsets')).toContain(`${s.rrsets.count.toLocaleString('en-US')} of 10,000`);
    expect(line('monthly cost')).toContain('$0.50');
    expect(line('monthly cost')).toContain('DNS queries extra');
    expect(line('stream sync')).toMatch(/last applied \d+ s ago/);
    expect(line('last pass')).toContain('drift 7 found, 7 repaired');
    expect(line('last full pass')).toContain('whole zone');
    expect(line('export')).toContain(`serial ${s.export.serial}`);
    expect(line('failure queue')).toBe('  failure queue   0 messages');
  });

  it('--json prints the API\'s answer; unknown figures are shown with their reason, still exit 0', async () => {
    const j = await run(['status', '--json']);
    expect(j.code).toBe(0);
    expect(statusResponseSchema.safeParse(JSON.parse(j.out)).success).toBe(true);
    const b = await run(['status', '--api', broken.url]);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/rrsets +unknown \(NoSuchHostedZone/);
    expect(b.out).toMatch(/failure queue +unknown \(AccessDenied/);
    expect((await run(['status', 'extra'])).code).toBe(2);
  });
});

describe('a figure that hangs', () => {
  it('is reported unknown after FIGURE_TIMEOUT_MS, the rest as read', async () => {
    const { zoneStatus, FIGURE_TIMEOUT_MS } = await import('../../lambdas/services/zone-status.js');
    const t0 = Date.now();
    const s = await zoneStatus({
      zone: 'bl.test',
      state: { syncProgress: async () => undefined, lastPass: async () => undefined, lastFullPass: async () => undefined },
      journal: { getState: async () => undefined },
      sources: { quota: { read: async () => ({ count: 12_000, limit: 20_000 }) }, failureQueue: { depth: () => new Promise(() => undefined) } },
      now: () => Date.now(),
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(FIGURE_TIMEOUT_MS - 50);
    expect(s.failureQueue).toEqual({ status: 'unknown', reason: `Timeout: no answer within ${FIGURE_TIMEOUT_MS / 1000} s` });
    expect(s.rrsets).toEqual({ status: 'ok', count: 12_000, limit: 20_000, usedPercent: 60 });
    expect(s.monthlyCost).toMatchObject({ status: 'ok', billableRRSets: 2_000, usd: monthlyCost(12_000).usd });
  }, 15_000);
});
