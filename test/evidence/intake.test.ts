// The intake on DynamoDB Local: events in -> evidence table -> policy -> listings written through
// the operator API's write service, with their audit trail; operators win; escalation up and down.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandler } from '../../lambdas/api/app.js';
import { formatNetwork, parseNetwork } from '../../lambdas/core/ip.js';
import { parsePfx2As } from '../../lambdas/core/pfx2as.js';
import { sweepExpired } from '../../lambdas/services/sweeper.js';
import { type EvidenceEnv, startEvidenceEnv, T0 } from './support.js';

const H = 3600;
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });

let env: EvidenceEnv;
beforeAll(async () => {
  env = await startEvidenceEnv();
});
afterAll(async () => {
  await env?.stop();
});

async function operator(path: string, items: unknown[]): Promise<{ statusCode: number; body: any }> {
  const h = apiHandler(env.apiDeps);
  const r = await h({
    httpMethod: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items }),
    requestContext: { identity: { userArn: ALICE } },
  } as unknown as APIGatewayProxyEvent);
  return { statusCode: r.statusCode, body: JSON.parse(r.body) };
}

describe('evidence intake', () => {
  it('lists on a trap hit until last evidence + hold, names the evidence in the audit trail, and stores a batch sent twice once', async () => {
    env.clock.now = T0;
    const intake = env.intake();
    const batch = [{ ip: '192.0.2.10', kind: 'spamtrap', observedAt: T0 - 60, id: 'trap-1', reporter: 'trapnet' }, { ip: '192.0.2.999', kind: 'spamtrap', observedAt: T0 }];
    const r = await intake.submit(batch, 'arn:aws:iam::1:user/feed');
    expect(r.accepted).toBe(1);
    expect(r.rejected).toEqual([{ index: 1, field: 'items[1].ip', message: '"192.0.2.999" is not an IPv4 address (octet 999 is over 255)' }]);
    expect(r.writes).toEqual([{ list: 'spam', network: '192.0.2.10', status: 'created' }]);
    const l = await env.table.get('spam', net('192.0.2.10'));
    expect(l).toMatchObject({ source: 'evidence:level1', expiresAt: T0 - 60 + 168 * H, reason: 'evidence: spamtrap x1 from 1 reporter in 24h, last 2029-12-31T23:59Z' });
    const history = await env.journal.history(net('192.0.2.10'));
    expect(history.events).toHaveLength(1);
    expect(history.events[0]).toMatchObject({ action: 'list', list: 'spam', actor: 'evidence-policy: events trap-1' });

    const again = await intake.submit(batch, 'arn:aws:iam::1:user/feed');
    expect(again.writes).toEqual([]);
    const agg = (await env.store.aggregates([net('192.0.2.10')])).get('4:c000020a/032')!;
    expect(agg.counts).toEqual({ spamtrap: 1 });
    expect(agg.reporters).toEqual(['trapnet']);
    expect(await env.store.events(net('192.0.2.10'))).toHaveLength(1);
  });

  it('extends the listing with each new event, and a repeat offender is held longer', async () => {
    env.clock.now = T0 + 2 * H;
    const intake = env.intake();
    const r = await intake.submit([{ ip: '192.0.2.10', kind: 'spamtrap', observedAt: T0 + H, id: 'trap-2' }], 'feed');
    expect(r.writes).toEqual([{ list: 'spam', network: '192.0.2.10', status: 'updated' }]);
    expect((await env.table.get('spam', net('192.0.2.10')))?.expiresAt).toBe(T0 + H + 168 * H);
    // Held until then; the sweeper delists it at expiry, and a new hit lists it again for twice the hold.
    env.clock.now = T0 + H + 168 * H + 1;
    await sweepExpired({ table: env.table, journal: env.journal, nowSeconds: () => env.clock.now });
    expect(await env.table.get('spam', net('192.0.2.10'))).toBeUndefined();
    const hit = env.clock.now - 10;
    await intake.submit([{ ip: '192.0.2.10', kind: 'spamtrap', observedAt: hit, id: 'trap-3' }], 'feed');
    expect((await env.table.get('spam', net('192.0.2.10')))?.expiresAt).toBe(hit + 2 * 168 * H);
  });

  it('needs 3 abuse reports from 2 reporters in 24 h for the reports list', async () => {
    env.clock.now = T0;
    const intake = env.intake();
    const rep = (i: number, reporter: string) => ({ ip: '192.0.2.20', kind: 'abuse-report', observedAt: T0 - i * 60, reporter, id: `ar-${i}` });
    await intake.submit([rep(1, 'isp-a'), rep(2, 'isp-a'), rep(3, 'isp-a')], 'feed');
    expect(await env.table.get('reports', net('192.0.2.20'))).toBeUndefined();
    const r = await intake.submit([rep(4, 'isp-b')], 'feed');
    expect(r.decisions.find((d) => d.list === 'reports')).toMatchObject({ action: 'list', score: 4, reporters: 2 });
    expect((await env.table.get('reports', net('192.0.2.20')))?.reason).toBe('evidence: abuse-report x4 from 2 reporters in 24h, last 2029-12-31T23:59Z');
    // abuse-report has weight 0 in "spam": kept as evidence, never lists there.
    expect(await env.table.get('spam', net('192.0.2.20'))).toBeUndefined();
  });

  it('keeps evidence about protected addresses but never lists them', async () => {
    env.clock.now = T0;
    const r = await env.intake().submit(
      [
        { ip: '198.51.100.25', kind: 'spamtrap', observedAt: T0 },
        { ip: '203.0.113.17', kind: 'spamtrap', observedAt: T0 },
        { ip: '10.0.0.1', kind: 'spamtrap', observedAt: T0 },
      ],
      'feed',
    );
    expect(r.accepted).toBe(3);
    expect(r.writes).toEqual([]);
    expect(r.decisions.filter((d) => d.list === 'spam').map((d) => d.why)).toEqual([
      "198.51.100.25 is in 198.51.100.25, the deployment's own infrastructure (infrastructure[0])",
      '203.0.113.17 is in 203.0.113.16/28, an allow range (allow[0])',
      '10.0.0.1 is in 10.0.0.0/8, private-use space (RFC 1918)',
    ]);
    expect((await env.store.aggregates([net('10.0.0.1')])).get('4:0a000001/032')!.counts).toEqual({ spamtrap: 1 });
  });

  it('never overrides an operator: a manual listing stays; a delisted address waits out the grace period', async () => {
    env.clock.now = T0;
    expect((await operator('/v1/listings', [{ list: 'spam', network: '192.0.2.30', reason: 'known spammer' }])).statusCode).toBe(200);
    const intake = env.intake();
    const r = await intake.submit([{ ip: '192.0.2.30', kind: 'spamtrap', observedAt: T0, id: 'op-1' }], 'feed');
    expect(r.decisions.find((d) => d.list === 'spam')?.action).toBe('operator');
    expect(await env.table.get('spam', net('192.0.2.30'))).toMatchObject({ source: ALICE, reason: 'known spammer' });

    await intake.submit([{ ip: '192.0.2.31', kind: 'spamtrap', observedAt: T0, id: 'op-2' }], 'feed');
    env.clock.now = T0 + H;
    expect((await operator('/v1/delistings', [{ list: 'spam', network: '192.0.2.31', reason: 'customer cleaned up' }])).statusCode).toBe(200);
    env.clock.now = T0 + 2 * H;
    // The old hit (before the delisting) does not relist it; a new one after it does (threshold 1).
    let d = await intake.submit([{ ip: '192.0.2.31', kind: 'spamtrap', observedAt: T0 + 30 * 60, id: 'op-3' }], 'feed');
    expect(d.decisions.find((x) => x.list === 'spam')).toMatchObject({ action: 'grace' });
    d = await intake.submit([{ ip: '192.0.2.31', kind: 'spamtrap', observedAt: T0 + 2 * H - 5, id: 'op-4' }], 'feed');
    expect(d.decisions.find((x) => x.list === 'spam')).toMatchObject({ action: 'list' });
  });

  it('absorbs concurrent batches on one address without losing an event', async () => {
    env.clock.now = T0;
    const intake = env.intake();
    await Promise.all(Array.from({ length: 6 }, (_, i) => intake.submit([{ ip: '192.0.2.40', kind: 'abuse-report', observedAt: T0 - i, id: `c-${i}`, reporter: `r${i}` }], 'feed')));
    const agg = (await env.store.aggregates([net('192.0.2.40')])).get('4:c0000228/032')!;
    expect(agg.counts).toEqual({ 'abuse-report': 6 });
    expect(agg.recent).toHaveLength(6);
  });

  it('escalates a /24 at its fifth abuser (UCEPROTECT level 2) with its allow range as a hole, and de-escalates as level 1 expires', async () => {
    env.clock.now = T0;
    const intake = env.intake();
    const hits = [1, 2, 3, 4].map((i) => ({ ip: `203.0.113.${i * 40}`, kind: 'spamtrap', observedAt: T0 - i * H, id: `l2-${i}` }));
    let r = await intake.submit(hits, 'feed');
    expect(r.escalations.find((e) => e.network === '203.0.113.0/24')).toMatchObject({ escalate: false, count: 4, needed: 5 });
    expect(await env.table.get('spam-l2', net('203.0.113.0/24'))).toBeUndefined();
    r = await intake.submit([{ ip: '203.0.113.200', kind: 'spamtrap', observedAt: T0, id: 'l2-5' }], 'feed');
    const l2 = await env.table.get('spam-l2', net('203.0.113.0/24'));
    // Expires when the count falls below 5: with the oldest level-1 listing (hit 4 h ago).
    expect(l2).toMatchObject({ source: 'evidence:level2', reason: 'level 2: 5 of its addresses listed at level 1 (5 needed for a /24)', expiresAt: T0 - 4 * H + 168 * H });
    expect(await env.table.get('spam-l2', net('203.0.113.16/28'))).toMatchObject({ exclusion: true });
    expect(r.escalations.find((e) => e.network === '203.0.112.0/23')).toMatchObject({ escalate: false, needed: 10 });
    // The oldest hit's listing expires: the sweeper removes it and the /24 with it.
    env.clock.now = T0 - 4 * H + 168 * H + 1;
    const s = await sweepExpired({ table: env.table, journal: env.journal, nowSeconds: () => env.clock.now });
    expect(s.expired).toBeGreaterThanOrEqual(2);
    expect(await env.table.get('spam-l2', net('203.0.113.0/24'))).toBeUndefined();
    expect(await env.table.get('spam', net('203.0.113.40'))).toBeDefined();
  });

  it('de-escalates by the same rule when an operator delists one of the abusers (not only when they expire)', async () => {
    env.clock.now = T0;
    const intake = env.intake();
    const hits = [1, 2, 3, 4, 5].map((i) => ({ ip: `203.0.112.${i * 10}`, kind: 'spamtrap', observedAt: T0 - i * 60, id: `od-${i}` }));
    await intake.submit(hits, 'feed');
    expect(await env.table.get('spam-l2', net('203.0.112.0/24'))).toMatchObject({ source: 'evidence:level2' });
    // The operator API as deployed with evidence: its delistings re-evaluate the escalations around them.
    const h = apiHandler({ ...env.apiDeps, onDelisted: (removed, caller) => intake.afterDelisting(removed, caller) });
    const r = await h({
      httpMethod: 'POST',
      path: '/v1/delistings',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ list: 'spam', network: '203.0.112.30', reason: 'customer cleaned up' }] }),
      requestContext: { identity: { userArn: ALICE } },
    } as unknown as APIGatewayProxyEvent);
    expect(r.statusCode, r.body).toBe(200);
    // 4 of 5 needed: the /24 is delisted at once, by the evidence policy, saying why.
    expect(await env.table.get('spam-l2', net('203.0.112.0/24'))).toBeUndefined();
    const trail = (await env.journal.history(net('203.0.112.0/24'))).events;
    expect(trail.find((e) => e.action === 'delist' && e.list === 'spam-l2')).toMatchObject({ actor: 'evidence-policy', reason: 'de-escalated: level 2: 4 of its addresses listed at level 1 (5 needed for a /24)' });
    // The other abusers stay listed; a delisting that changes no count leaves an escalation alone.
    expect(await env.table.get('spam', net('203.0.112.10'))).toBeDefined();
  });

  it('escalates an origin AS at level 3 from a pfx2as file', async () => {
    env.clock.now = T0;
    const { table: pfx2as } = parsePfx2As('198.18.0.0\t24\t1\n192.0.2.0\t25\t64500\n192.0.2.128\t25\t64500\n');
    const intake = env.intake({ pfx2as });
    // AS64500: 256 addresses, score 1000 -> max(3, ceil(2.56)) = 3 impacts. Already listed: 192.0.2.10, .31 (and .30 by hand).
    const r = await intake.submit([{ ip: '192.0.2.200', kind: 'spamtrap', observedAt: T0, id: 'l3-1' }], 'feed');
    expect(r.escalations.find((e) => e.level === 3)).toMatchObject({ network: 'AS64500', escalate: true, needed: 3 });
    const l3 = await env.table.get('spam-l3', net('192.0.2.0/25'));
    expect(l3?.reason).toMatch(/^level 3: AS64500 has \d+ impacts in 256 addresses \(score \d+\.\d; 3 needed\)$/);
    expect(await env.table.get('spam-l3', net('192.0.2.128/25'))).toBeDefined();
    expect(formatNetwork(l3!.network)).toBe('192.0.2.0/25');
  });
});
