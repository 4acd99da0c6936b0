// "Evidence arriving after a self-delisting relists with no further self-service for the lockout
// period" (issue 13), through the real evidence path: the operator API with POST /v1/evidence wired
// as the local stack wires it (EvidenceIntake writing through the API's own write routes, the
// operator-delisting lookup in the journal), the public portal's delisting requests, mail through a
// real SMTP outbox, all on DynamoDB Local with one clock the test moves.
//
//   evidence lists an address -> its sender self-delists it (auto) -> new evidence relists it ->
//   a new request goes to review, saying why and until when -> after the lockout, self-service again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelistRequests } from '../../lambdas/adapters/delist-requests.js';
import { EvidenceStore, lastOperatorDelisting } from '../../lambdas/adapters/evidence-store.js';
import { SmtpMailer } from '../../lambdas/adapters/smtp-mailer.js';
import type { ApiDeps } from '../../lambdas/api/deps.js';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { validateEvidencePolicy } from '../../lambdas/core/evidence-policy.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { validateZoneConfig, type ZoneConfig } from '../../lambdas/core/listing.js';
import { apiListingWriter, EvidenceIntake, isAutomationActor } from '../../lambdas/evidence/intake.js';
import { evidenceRoutes } from '../../lambdas/evidence/routes.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { createPublicHandler } from '../../lambdas/handlers/public.js';
import { DelistService } from '../../lambdas/public/delist-service.js';
import { t } from '../../lambdas/public/messages.js';
import { ClientLimiter } from '../../lambdas/public/rate-limit.js';
import { ProtectedSet } from '../../lambdas/core/protected-set.js';
import { type SmtpOutbox, startSmtpOutbox } from '../../local/smtp-outbox.js';
import { call } from '../api/support.js';
import { startTableEnv, type TableEnv } from '../support/table-env.js';
import { mailTo } from './support.js';

const DAY = 86_400_000;
const LOCKOUT_DAYS = 30;
const CFG: ZoneConfig = validateZoneConfig({
  zone: 'bl.test',
  lists: [
    {
      name: 'spam',
      code: '127.0.0.2',
      txtTemplate: 'Listed in {list}: {reason}',
      selfDelist: 'auto',
      selfDelistLimit: { count: 2, days: LOCKOUT_DAYS },
      // One spam-trap hit lists for a week; an operator's (or the sender's own) delisting is honoured for two days unless new evidence alone reaches the threshold.
      evidence: { kinds: { spamtrap: { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 168, operatorGraceHours: 48 },
    },
  ],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@bl.test',
});
const OPERATOR = 'arn:aws:iam::123456789012:user/alice';
const TRAP = 'arn:aws:iam::123456789012:role/spamtrap';

let env: TableEnv<{ listings: string; journal: string; evidence: string }>;
let outbox: SmtpOutbox;
let mailer: SmtpMailer;
let dir: string;
let api: RunningAdapter;
let trapApi: RunningAdapter;
let pub: RunningAdapter;
const clock = { now: Date.parse('2030-03-01T00:00:00Z') };
const now = () => new Date(clock.now);

beforeAll(async () => {
  env = await startTableEnv({ evidence: true });
  dir = await mkdtemp(join(tmpdir(), 'evidence-relist-'));
  outbox = await startSmtpOutbox({ dir });
  mailer = new SmtpMailer({ host: '127.0.0.1', port: outbox.port }, 'DNSBL <delist@bl.test>');
  const base = { url: '' };
  const delist = new DelistService({
    cfg: CFG,
    table: env.table,
    journal: env.journal,
    requests: new DelistRequests(env.doc, env.names.journal),
    mailer,
    get publicBaseUrl() {
      return base.url;
    },
    now,
  });
  // As local/local-stack.ts wires it.
  const apiDeps: ApiDeps = { cfg: CFG, table: env.table, journal: env.journal, now, delist, log: { error: () => undefined } };
  const policies = CFG.lists.flatMap((l) => (l.evidence ? [{ list: l.name, policy: validateEvidencePolicy(l.evidence, 'evidence') }] : []));
  const evidence = evidenceRoutes({
    cfg: CFG,
    policies,
    intake: new EvidenceIntake({
      policies,
      store: new EvidenceStore(env.doc, env.names.evidence, { ttlSeconds: 30 * 86_400 }),
      table: env.table,
      writer: apiListingWriter(apiDeps),
      protectedSet: ProtectedSet.build({}),
      operatorDelisting: async (n, list) => (await lastOperatorDelisting(env.doc, env.names.journal, n, list, isAutomationActor))?.at,
      now,
    }),
  });
  api = await startHttpAdapter(createApiHandler({ ...apiDeps, evidenceRoutes: evidence }), { identity: () => ({ userArn: OPERATOR }) });
  trapApi = await startHttpAdapter(createApiHandler({ ...apiDeps, evidenceRoutes: evidence }), { identity: () => ({ userArn: TRAP }) });
  pub = await startHttpAdapter(createPublicHandler({ cfg: CFG, table: env.table, delist, limiter: new ClientLimiter({ rules: {} }), now, log: { error: () => undefined } }), { identity: () => ({ userArn: 'public' }) });
  base.url = pub.url;
}, 120_000);

afterAll(async () => {
  for (const a of [api, trapApi, pub]) await a?.close();
  mailer?.close();
  await outbox?.close();
  await env?.ddb.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const IP = '192.0.2.123';

async function trapHit(id: string) {
  const r = await call(trapApi.url, 'POST', '/v1/evidence', { items: [{ id, ip: IP, kind: 'spamtrap', observedAt: now().toISOString(), reporter: 'trap-1' }] });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

async function selfDelist(email: string) {
  const before = (await outbox.messages()).length;
  const r = await call(pub.url, 'POST', '/api/delist-requests', { ip: IP, email, statement: 'We removed the infected host and rotated passwords.' });
  expect(r.status, r.text).toBe(202);
  const link = new URL((await mailTo(outbox, email, before)).links.find((l) => l.includes('/delist/confirm'))!);
  const c = await call(pub.url, 'POST', '/api/delist-requests/confirm', { id: link.searchParams.get('id'), token: link.searchParams.get('token') });
  expect(c.status, c.text).toBe(200);
  return { id: r.json.id as string, view: c.json };
}

const listing = () => env.table.get('spam', parseNetwork(IP));

describe('evidence after a self-delisting', () => {
  it('relists the address, and self-service stays closed for the lockout period from that relisting (the request goes to review, saying why)', async () => {
    // 1. Evidence lists the address (an automated source: self-service may remove it).
    const first = await trapHit('trap-hit-1');
    expect(first.writes).toEqual([expect.objectContaining({ list: 'spam', network: IP, status: 'created' })]);
    expect(await listing()).toMatchObject({ source: expect.stringMatching(/^evidence:/) });

    // 2. The sender self-delists it at once (auto, first time).
    clock.now += 3_600_000;
    const selfDelisted = await selfDelist('ops1@sender.test');
    expect(selfDelisted.view).toMatchObject({ status: 'done', outcomes: [{ list: 'spam', outcome: 'delisted' }] });
    expect(await listing()).toBeUndefined();
    const selfDelistedAt = clock.now;

    // 3. New evidence after it relists the address (new evidence alone reaches the threshold, so the
    //    sender's own delisting does not hold it off).
    clock.now += 2 * 3_600_000;
    const second = await trapHit('trap-hit-2');
    expect(second.writes).toEqual([expect.objectContaining({ list: 'spam', network: IP, status: 'created' })]);
    const relisted = await listing();
    expect(relisted).toMatchObject({ source: expect.stringMatching(/^evidence:/) });
    const relistedAt = Date.parse(relisted!.createdAt);
    expect(relistedAt).toBeGreaterThan(selfDelistedAt);

    // 4. The sender asks again (well within the 2-per-30-days limit): review, until 30 days after the relisting.
    clock.now += DAY;
    const again = await selfDelist('ops2@sender.test');
    const lockedUntil = new Date(relistedAt + LOCKOUT_DAYS * DAY).toISOString();
    expect(again.view).toEqual({
      id: again.id,
      address: IP,
      status: 'in-review',
      outcomes: [{ list: 'spam', outcome: 'queued', why: t('en', 'why.relisted-after-self-delist'), network: IP, lockedUntil }],
    });
    expect(await listing()).toBeDefined();
    // The operator sees it waiting; the audit trail says why, with the request id.
    const queue = await call(api.url, 'GET', '/v1/requests');
    expect(queue.json.items.map((x: { id: string }) => x.id)).toContain(again.id);
    const history = await call(api.url, 'GET', `/v1/history?network=${IP}`);
    const queued = history.json.events.find((e: { action: string; requestId?: string }) => e.action === 'delist-queued' && e.requestId === again.id);
    expect(queued.reason).toContain('relisted-after-self-delist');
    expect(queued.reason).toContain(lockedUntil);
    // The page shows the same to the sender (the result page of the HTML flow is the same view).
    expect(t('en', 'why.relisted-after-self-delist')).toMatch(/listed again after an earlier self-service removal/);

    // 5. Evidence keeps arriving (each hit extends the week's hold; the lockout runs from the
    //    relisting): still closed on the lockout's last day, although the one self-delisting is by
    //    then out of the 2-per-30-days count.
    const denied = await call(api.url, 'POST', `/v1/requests/${again.id}/deny`, { reason: 'The trap keeps receiving spam from it.' });
    expect(denied.status, denied.text).toBe(200);
    for (const day of [6, 12, 18, 24, 29]) {
      clock.now = relistedAt + day * DAY;
      const hit = await trapHit(`trap-hit-day-${day}`);
      expect(hit.writes).toEqual([expect.objectContaining({ status: 'updated' })]);
    }
    clock.now = relistedAt + LOCKOUT_DAYS * DAY - 3_600_000;
    const late = await selfDelist('ops3@sender.test');
    expect(late.view.outcomes).toEqual([expect.objectContaining({ outcome: 'queued', lockedUntil })]);
    expect((await call(api.url, 'POST', `/v1/requests/${late.id}/deny`, { reason: 'Still within the lockout.' })).status).toBe(200);

    // 6. After the lockout the (still listed) address may be removed by self-service again.
    clock.now = relistedAt + LOCKOUT_DAYS * DAY + 3_600_000;
    expect(await listing()).toMatchObject({ createdAt: relisted!.createdAt });
    const after = await selfDelist('ops4@sender.test');
    expect(after.view).toMatchObject({ status: 'done', outcomes: [{ list: 'spam', outcome: 'delisted' }] });
    expect(await listing()).toBeUndefined();
  });
});
