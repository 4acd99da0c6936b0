// The intake as the AWS functions build it from their environment (lambdas/evidence/evidence-from-env.ts),
// on DynamoDB Local with an S3 stand-in: configured allow ranges, an allow file and the deployment's
// own addresses are never listed; an allow file that cannot be read or parsed keeps the evidence
// routes closed (503, nothing stored) until it can be; without a pfx2as file level 3 is off and says so.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandler } from '../../lambdas/api/app.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { EVIDENCE_ENV, evidenceFromEnv, loadIntakeFromEnv, parseS3Uri } from '../../lambdas/evidence/evidence-from-env.js';
import { CFG, type EvidenceEnv, POLICIES, startEvidenceEnv, T0 } from './support.js';

const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
const cfg: ZoneConfig = { ...CFG, lists: CFG.lists.map((l) => ({ ...l, ...(POLICIES.find((p) => p.list === l.name) ? { evidence: POLICIES.find((p) => p.list === l.name)!.policy } : {}) })) };

class FakeS3 {
  readonly objects = new Map<string, string>();
  gets = 0;
  async send(cmd: unknown) {
    if (!(cmd instanceof GetObjectCommand)) throw new Error('only GetObject');
    this.gets++;
    const body = this.objects.get(`${cmd.input.Bucket}/${cmd.input.Key}`);
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => body, transformToByteArray: async () => new Uint8Array(Buffer.from(body)) } };
  }
}

const logs: string[] = [];
const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };

let env: EvidenceEnv;
let tableName: string;
beforeAll(async () => {
  env = await startEvidenceEnv();
  tableName = env.store.tableName;
});
afterAll(async () => {
  await env?.stop();
});

const parts = (s3: FakeS3) => ({ cfg, doc: env.doc, journalTable: env.journal.tableName, table: env.table, apiDeps: { ...env.apiDeps, cfg }, s3, log });

function post(path: string, body: unknown): APIGatewayProxyEvent {
  return { httpMethod: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), requestContext: { identity: { userArn: 'arn:aws:iam::123456789012:role/trap-feed' } } } as unknown as APIGatewayProxyEvent;
}

describe('the evidence intake from the environment', () => {
  it('parses s3:// addresses and refuses others', () => {
    expect(parseS3Uri('s3://my-bucket/path/allow.txt', 'X')).toEqual({ bucket: 'my-bucket', key: 'path/allow.txt' });
    expect(() => parseS3Uri('https://my-bucket.s3.amazonaws.com/allow.txt', 'EVIDENCE_ALLOW_OBJECT')).toThrow(/EVIDENCE_ALLOW_OBJECT "https:.*" is not an S3 object address/);
    expect(() => parseS3Uri('s3://bucket-only', 'X')).toThrow(/not an S3 object address/);
  });

  it('is absent without EVIDENCE_TABLE', async () => {
    const s3 = new FakeS3();
    expect(evidenceFromEnv({}, parts(s3))).toBeUndefined();
    expect(await loadIntakeFromEnv({}, parts(s3))).toBeUndefined();
    expect(s3.gets).toBe(0);
  });

  it('never lists configured allow ranges, allow-file networks or the infrastructure; lists the rest', async () => {
    env.clock.now = T0;
    const s3 = new FakeS3();
    s3.objects.set('cfg-bucket/evidence/allow.txt', '# partners\n203.0.113.0/25\n\n2001:db8:aa::/48  # their v6\n');
    const e = {
      [EVIDENCE_ENV.table]: tableName,
      [EVIDENCE_ENV.allow]: '192.0.2.128/25',
      [EVIDENCE_ENV.allowObject]: 's3://cfg-bucket/evidence/allow.txt',
      [EVIDENCE_ENV.infrastructure]: '198.51.100.53, 198.51.100.54',
    };
    const loaded = (await loadIntakeFromEnv(e, parts(s3)))!;
    expect(loaded.level3).toBe(false);
    expect(logs).toContain('no pfx2as file configured (EVIDENCE_PFX2AS_OBJECT): level 3 escalation is off');
    const hits = ['192.0.2.200', '203.0.113.9', '2001:db8:aa::1', '198.51.100.54', '198.51.100.60'].map((ip, i) => ({ ip, kind: 'spamtrap', observedAt: T0 - 60, id: `env-${i}` }));
    const r = await loaded.intake.submit(hits, 'feed');
    expect(r.accepted).toBe(5);
    expect(r.writes).toEqual([{ list: 'spam', network: '198.51.100.60', status: 'created' }]);
    const spam = r.decisions.filter((d) => d.list === 'spam');
    expect(Object.fromEntries(spam.map((d) => [d.network, d.action]))).toEqual({
      '192.0.2.200': 'protected',
      '203.0.113.9': 'protected',
      '2001:db8:aa::1': 'protected',
      '198.51.100.54': 'protected',
      '198.51.100.60': 'list',
    });
    expect(spam.find((d) => d.network === '203.0.113.9')?.why).toContain('s3://cfg-bucket/evidence/allow.txt line 2');
    expect(await env.table.get('spam', net('203.0.113.9'))).toBeUndefined();
  });

  it('keeps the evidence routes closed (503, nothing stored) while the allow file is missing or bad, and opens them once it is fixed', async () => {
    env.clock.now = T0;
    const s3 = new FakeS3();
    const e = { [EVIDENCE_ENV.table]: tableName, [EVIDENCE_ENV.allowObject]: 's3://cfg-bucket/allow.txt' };
    const routes = evidenceFromEnv(e, parts(s3))!.routes;
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/evidence', 'POST /v1/policy/dry-run']);
    const h = apiHandler({ ...env.apiDeps, cfg, evidenceRoutes: routes });
    const hit = { items: [{ ip: '198.51.100.70', kind: 'spamtrap', observedAt: T0 - 60, id: 'closed-1' }] };
    const missing = await h(post('/v1/evidence', hit), {} as never);
    expect(missing.statusCode).toBe(503);
    expect(JSON.parse(missing.body).error).toMatchObject({ code: 'evidence-unavailable' });
    expect(JSON.parse(missing.body).error.message).toContain('The specified key does not exist');
    s3.objects.set('cfg-bucket/allow.txt', '198.51.100.0/24\nnot-a-network\n');
    const bad = await h(post('/v1/evidence', hit), {} as never);
    expect(bad.statusCode).toBe(503);
    expect(JSON.parse(bad.body).error.message).toContain('s3://cfg-bucket/allow.txt line 2');
    expect(await env.store.events(net('198.51.100.70'))).toEqual([]);
    // Fixed: the next request loads it, and the allow range holds.
    s3.objects.set('cfg-bucket/allow.txt', '198.51.100.0/24\n');
    const ok = await h(post('/v1/evidence', hit), {} as never);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ accepted: 1, writes: [] });
    expect(await env.store.events(net('198.51.100.70'))).toHaveLength(1);
    const gets = s3.gets;
    await h(post('/v1/evidence', hit), {} as never);
    expect(s3.gets).toBe(gets); // read once per container
  });

  it('loads a pfx2as file for level 3, and turns level 3 off (saying so) when it cannot be read', async () => {
    const s3 = new FakeS3();
    s3.objects.set('cfg-bucket/pfx2as.txt', '198.51.100.0\t24\t64500\nbroken line\n');
    const on = (await loadIntakeFromEnv({ [EVIDENCE_ENV.table]: tableName, [EVIDENCE_ENV.pfx2asObject]: 's3://cfg-bucket/pfx2as.txt' }, parts(s3)))!;
    expect(on.level3).toBe(true);
    const off = (await loadIntakeFromEnv({ [EVIDENCE_ENV.table]: tableName, [EVIDENCE_ENV.pfx2asObject]: 's3://cfg-bucket/gone.txt' }, parts(s3)))!;
    expect(off.level3).toBe(false);
    expect(logs).toContain('pfx2as unreadable: level 3 escalation is off in this container');
  });
});
