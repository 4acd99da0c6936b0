// On-demand reconcile through the operator API and the CLI, on a local-stack-like bed (DynamoDB
// Local with the stream handler, the Route 53 stand-in, the in-process workflow runner): inputs
// validated with nothing started on a bad one; a dry run measures, a real run repairs; the CLI
// waits and prints the report, and its exit codes.
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../lambdas/adapters/journal.js';
import { PublisherState } from '../../lambdas/adapters/publisher-state.js';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { runCli } from '../../lambdas/cli/main.js';
import { POLL } from '../../lambdas/cli/reconcile-command.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { startHttpAdapter, type RunningAdapter } from '../../lambdas/api/http-adapter.js';
import { LocalReconcileRunner } from '../../local/reconcile-runner.js';
import { L, startSyncEnv, type SyncEnv, zoneDiff } from '../sync/sync-env.js';
import { call } from './support.js';

const now = () => Date.now() / 1000;
let env: SyncEnv;
let http: RunningAdapter;
let runner: LocalReconcileRunner;
let state: PublisherState;

beforeAll(async () => {
  env = await startSyncEnv({ r53: { throttle: false } });
  const doc = DynamoDBDocumentClient.from(env.ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  const journal = new Journal(doc, env.names.journal);
  state = new PublisherState(journal, env.cfg.zone);
  runner = new LocalReconcileRunner(
    { cfg: env.cfg, table: env.table, published: env.published, intent: env.intent, zone: env.zone, nowSeconds: now, lock: () => new ZoneLock(doc, env.names.journal, env.cfg.zone), recordPass: (r) => state.recordPass(r) },
    { sliceListings: 4 },
  );
  http = await startHttpAdapter(createApiHandler({ cfg: env.cfg, table: env.table, journal, reconcile: runner, log: { error: () => undefined } }), {
    identity: () => ({ userArn: 'arn:aws:iam::123456789012:user/alice' }),
  });
  await env.table.putMany([L('spam', '192.0.2.0/24'), L('spam', '198.51.100.7'), L('proxy', '2001:db8::/48'), L('spam', '10.1.2.3'), L('proxy', '10.9.0.0/16')]);
  await env.poller.idle();
  POLL.ms = 50;
}, 120_000);
afterAll(async () => {
  await http?.close();
  await runner?.idle();
  await env?.stop();
});

async function tamper(): Promise<void> {
  const client = new Route53Client({ endpoint: env.r53.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new ChangeResourceRecordSetsCommand({
    HostedZoneId: env.zoneId,
    ChangeBatch: { Changes: [
      { Action: 'DELETE', ResourceRecordSet: { Name: '7.100.51.198.bl.test.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.0.0.2' }] } },
      { Action: 'CREATE', ResourceRecordSet: { Name: '9.9.9.10.bl.test.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '127.0.0.9' }] } },
    ] },
  }));
}

async function dnsbl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli([...args, '--api', http.url], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: false, columns: 100 }, env: {} });
  return { code, out, err };
}

async function waitDone(passId: string) {
  for (;;) {
    const r = await call(http.url, 'GET', `/v1/reconcile/${passId}`);
    if (r.json.status !== 'RUNNING') return r;
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe('POST /v1/reconcile and GET /v1/reconcile/{passId}', () => {
  it('refuses bad input with a clear error and starts nothing', async () => {
    const before = await state.lastPass();
    const bad: Array<[unknown, RegExp]> = [
      [{ dryRun: 'yes' }, /dryRun must be true or false/],
      [{ network: '10.0.0.0/33' }, /network "10\.0\.0\.0\/33"/],
      [{ network: 'example.org' }, /network "example\.org"/],
      [{ network: 7 }, /network/],
      [{ full: true }, /unknown field "full"/],
      [[1], /JSON object/],
    ];
    for (const [body, message] of bad) {
      const r = await call(http.url, 'POST', '/v1/reconcile', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await call(http.url, 'GET', '/v1/reconcile/no$such')).status).toBe(400);
    expect((await call(http.url, 'GET', '/v1/reconcile/no-such-pass')).status).toBe(404);
    expect(await state.lastPass()).toEqual(before);
  });

  it('a dry run measures the drift and changes nothing; a real run repairs it and is recorded', async () => {
    await tamper();
    const zoneBefore = JSON.stringify([...env.actual()]);
    const started = await call(http.url, 'POST', '/v1/reconcile', { dryRun: true });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/reconcile/${started.json.passId}`);
    const dry = await waitDone(started.json.passId);
    expect(dry.json.status).toBe('SUCCEEDED');
    expect(dry.json.report).toMatchObject({ dryRun: true, drift: 2, repaired: 0, failedSlices: 0 });
    expect(dry.json.report.slices).toBeGreaterThan(3);
    expect(JSON.stringify([...env.actual()])).toBe(zoneBefore);

    const real = await waitDone((await call(http.url, 'POST', '/v1/reconcile', {})).json.passId);
    expect(real.json.report).toMatchObject({ dryRun: false, drift: 2, repaired: 2, full: true });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
    expect(await state.lastFullPass()).toMatchObject({ passId: real.json.passId, full: true, repaired: 2 });
  }, 60_000);
});

describe('dnsbl reconcile', () => {
  it('waits for the pass and prints its report; --no-wait prints the pass id; --network limits it', async () => {
    await tamper();
    const dry = await dnsbl(['reconcile', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/\(dry run\): \d+ slices/);
    expect(dry.out).toMatch(/drift 2, repaired 0/);
    const limited = await dnsbl(['reconcile', '--network', '10.0.0.0/8']);
    expect(limited.code).toBe(0);
    expect(limited.out).toMatch(/of 10\.0\.0\.0\/8/);
    expect(limited.out).toMatch(/drift 1, repaired 1/);
    const diff = zoneDiff(await env.planned(now()), env.actual());
    expect(diff).toEqual(['missing 7.100.51.198.bl.test. A 127.0.0.2']);
    const started = await dnsbl(['reconcile', '--no-wait', '--json']);
    expect(started.code).toBe(0);
    const passId = JSON.parse(started.out).passId as string;
    expect((await waitDone(passId)).json.report).toMatchObject({ repaired: 1 });
    expect(zoneDiff(await env.planned(now()), env.actual())).toEqual([]);
  }, 60_000);

  it('refuses a bad network locally (exit 2, naming the value) and an argument it does not take', async () => {
    const r = await dnsbl(['reconcile', '--network', '10.0.0.0/33']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--network "10\.0\.0\.0\/33"/);
    expect((await dnsbl(['reconcile', 'now'])).code).toBe(2);
    expect((await dnsbl(['reconcile', '--list', 'spam'])).code).toBe(2);
  });
});
