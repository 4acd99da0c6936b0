// Issue 14's proof, end to end on the local stack (`npm start`'s code): evidence posted to
// POST /v1/evidence becomes a listing that the zone's DNS server and the mirror's rbldnsd answer
// with a TXT naming the counts; the hold time passes and the sweeper delists it (NXDOMAIN);
// five level-1 listings in a /24 escalate it (UCEPROTECT level 2) so an address never reported
// answers through the level-2 wildcard, and the escalation goes when its members expire; an
// operator's delisting is not undone by automation within the grace period; 127.0.0.1 and an
// allow range never answer, even inside an escalated /24.
//
// Real time, short holds: the policy's holdHours is fractional (validateEvidencePolicy accepts any
// number > 0), the sweeper runs every second, and each address's expiry is placed by its
// observedAt (expiry = last evidence + hold), so the test waits seconds, not hours.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, queryName } from '../../lambdas/core/ip.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { answerSet, type AnswerSet, digBatch } from '../support/dns/dig.js';
import { requireTool } from '../support/dns/tools.js';

/** Seconds a listing holds after its last evidence. */
const HOLD = 90;
const CFG: ZoneConfig = {
  zone: 'bl.lifecycle.test',
  lists: [
    {
      name: 'spam',
      code: '127.0.0.2',
      txtTemplate: 'Listed in {list}: {reason}',
      evidence: {
        kinds: { spamtrap: { weight: 3 }, 'abuse-report': { weight: 1 } },
        threshold: 3,
        windowHours: 1,
        holdHours: HOLD / 3600,
        operatorGraceHours: 1,
        escalation: { level2: { list: 'spam-l2' } },
      },
    },
    { name: 'spam-l2', code: '127.0.0.4', txtTemplate: 'Level 2: {reason}' },
  ],
  ttl: 300,
  negativeTtl: 60,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@example.org',
};

// Public space (documentation ranges are reserved, so the policy would never list them).
const TRAPPED = '81.2.69.142';
const SLASH24 = '45.76.33';
const ABUSERS = [1, 2, 3, 4, 5].map((i) => `${SLASH24}.${i}`);
const NEVER_REPORTED = `${SLASH24}.77`;
const ALLOW_RANGE = `${SLASH24}.128/28`;
const ALLOWED = `${SLASH24}.130`;
const FOUR = [1, 2, 3, 4].map((i) => `45.76.34.${i}`);
const DELISTED = '62.4.7.9';

let stack: LocalStack;
let dir: string;
const nowS = () => Math.floor(Date.now() / 1000);

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

const trap = (ip: string, observedAt: number, id: string) => ({ ip, kind: 'spamtrap', observedAt, id, reporter: 'trapnet' });

interface Answer extends AnswerSet {
  rcode: string;
}

async function ask(port: number, ip: string): Promise<Answer> {
  const a = parseAddress(ip, 'ip');
  const name = queryName(a.family, a.start, CFG.zone);
  const [ra, rt] = await digBatch(port, [{ name, type: 'A' }, { name, type: 'TXT' }]);
  return { rcode: ra!.rcode, ...answerSet(ra!, rt!) };
}

/** Asks until `ok` holds (the stream, the export and rbldnsd's reload take seconds), at most `ms`. */
async function until(port: number, ip: string, ok: (a: Answer) => boolean, ms = 30_000): Promise<Answer> {
  const end = Date.now() + ms;
  let a = await ask(port, ip);
  while (!ok(a) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    a = await ask(port, ip);
  }
  return a;
}

const servers = () => [
  { name: 'zone', port: stack.dnsPort },
  { name: 'rbldnsd', port: stack.rbldnsdPort! },
];
const listedAs = (code: string) => (a: Answer) => a.a.includes(code);
const gone = (a: Answer) => a.rcode === 'NXDOMAIN';

async function history(ip: string): Promise<Array<{ action: string; list: string; actor: string; reason: string }>> {
  const r = await fetch(`${stack.apiUrl}/v1/history?network=${encodeURIComponent(ip)}`);
  return ((await r.json()) as { events: Array<{ action: string; list: string; actor: string; reason: string }> }).events;
}

describe('local stack: evidence in, listings out, and back', () => {
  beforeAll(async () => {
    requireTool('rbldnsd');
    requireTool('dig');
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-evidence-'));
    stack = await startLocalStack({
      cfg: CFG,
      dataDir: dir,
      apiPort: 0,
      dnsPort: 0,
      route53Port: 0,
      rbldnsdPort: 0,
      exportPort: 0,
      publicPort: 0,
      smtpPort: 0,
      sweepSeconds: 1,
      evidenceProtected: { allow: [ALLOW_RANGE] },
      log: () => undefined,
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Expiries placed ~40 s ahead: long enough to see every listing answer first, short enough to wait for.
  let expiresAt = 0;

  it('lists on trap hits and escalates a /24 at its fifth abuser; protected addresses never answer', async () => {
    const t = nowS();
    const early = t - HOLD + 40;
    expiresAt = early + HOLD;
    const r = await post('/v1/evidence', {
      items: [
        trap(TRAPPED, early, 'hit-1'),
        trap(TRAPPED, early - 5, 'hit-2'),
        ...ABUSERS.map((ip, i) => trap(ip, early, `l2-${i}`)),
        ...FOUR.map((ip, i) => trap(ip, early, `four-${i}`)),
        trap(ALLOWED, t, 'allowed-1'),
        trap('127.0.0.1', t, 'loopback-1'),
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(13);
    const decision = (ip: string) => r.body.decisions.find((d: { network: string; list: string }) => d.network === ip && d.list === 'spam');
    expect(decision(ALLOWED)).toMatchObject({ action: 'protected' });
    expect(decision('127.0.0.1')).toMatchObject({ action: 'protected' });
    expect(r.body.escalations).toContainEqual(expect.objectContaining({ list: 'spam-l2', network: `${SLASH24}.0/24`, escalate: true, count: 5, needed: 5 }));

    for (const s of servers()) {
      const a = await until(s.port, TRAPPED, listedAs('127.0.0.2'));
      expect(a.a, `${s.name}: ${TRAPPED}`).toEqual(['127.0.0.2']);
      expect(a.txt, s.name).toEqual([expect.stringMatching(/^Listed in spam: evidence: spamtrap x2 from 1 reporter in 1h, last /)]);
      // Never reported, answered through the level-2 wildcard with the counts it rests on.
      const w = await until(s.port, NEVER_REPORTED, listedAs('127.0.0.4'));
      expect(w.a, `${s.name}: ${NEVER_REPORTED}`).toEqual(['127.0.0.4']);
      expect(w.txt, s.name).toEqual(['Level 2: level 2: 5 of its addresses listed at level 1 (5 needed for a /24)']);
      const abuser = await ask(s.port, ABUSERS[0]!);
      expect(abuser.a, s.name).toEqual(['127.0.0.2', '127.0.0.4']);
      // The allow range is a hole in the escalated /24; the loopback is never listed.
      for (const ip of [ALLOWED, '127.0.0.1']) {
        const p = await ask(s.port, ip);
        expect(p.listed, `${s.name}: ${ip} ${JSON.stringify(p)}`).toBe(false);
      }
    }
    // Four abusers in the next /24 are not enough (nor nine in the /22 around both: 15 needed).
    expect(r.body.escalations.filter((e: { escalate: boolean }) => e.escalate).map((e: { network: string }) => e.network)).toEqual([`${SLASH24}.0/24`]);
    expect(r.body.escalations).toContainEqual(expect.objectContaining({ network: '45.76.32.0/22', escalate: false, count: 9, needed: 15 }));
    for (const s of servers()) expect((await ask(s.port, '45.76.34.77')).rcode, s.name).toBe('NXDOMAIN');
  }, 60_000);

  it('does not undo an operator delisting within the grace period, unless new evidence alone reaches the threshold', async () => {
    const t = nowS();
    const report = (n: number, at: number) => ({ ip: DELISTED, kind: 'abuse-report', observedAt: at, id: `report-${n}`, reporter: `isp-${n}` });
    let r = await post('/v1/evidence', { items: [report(1, t - 3), report(2, t - 2), report(3, t - 1)] });
    expect(r.body.writes).toEqual([{ list: 'spam', network: DELISTED, status: 'created' }]);
    expect((await until(stack.dnsPort, DELISTED, listedAs('127.0.0.2'))).a).toEqual(['127.0.0.2']);

    r = await post('/v1/delistings', { items: [{ list: 'spam', network: DELISTED, reason: 'customer cleaned up' }] });
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 1100)); // evidence after the delisting: a later second
    // Four reports in the window reach the threshold, but only one came after the delisting.
    r = await post('/v1/evidence', { items: [report(4, nowS())] });
    expect(r.body.decisions).toContainEqual(expect.objectContaining({ list: 'spam', network: DELISTED, action: 'grace', score: 4 }));
    expect(r.body.writes).toEqual([]);
    await stack.settle();
    for (const s of servers()) expect((await until(s.port, DELISTED, gone)).rcode, s.name).toBe('NXDOMAIN');

    // A trap hit after the delisting reaches the threshold on its own: listed again.
    r = await post('/v1/evidence', { items: [trap(DELISTED, nowS(), 'after-delisting')] });
    expect(r.body.writes).toEqual([{ list: 'spam', network: DELISTED, status: 'created' }]);
    for (const s of servers()) expect((await until(s.port, DELISTED, listedAs('127.0.0.2'))).a, s.name).toEqual(['127.0.0.2']);
  }, 60_000);

  it('delists when the hold passes (the sweeper), and de-escalates the /24 as its members expire', async () => {
    const wait = expiresAt * 1000 - Date.now();
    // Still listed right before the hold ends.
    if (wait > 3000) expect((await ask(stack.dnsPort, NEVER_REPORTED)).a).toEqual(['127.0.0.4']);
    await new Promise((res) => setTimeout(res, Math.max(0, wait)));
    for (const s of servers()) {
      for (const ip of [TRAPPED, NEVER_REPORTED, ...ABUSERS, ...FOUR]) {
        const a = await until(s.port, ip, gone, 30_000);
        expect(a.rcode, `${s.name}: ${ip} ${JSON.stringify(a)}`).toBe('NXDOMAIN');
      }
    }
    // The sweeper did it, and the escalated listing went by its own expiry, not by a re-evaluation.
    expect(await history(TRAPPED)).toContainEqual(expect.objectContaining({ action: 'expire', list: 'spam', actor: 'sweeper' }));
    expect(await history(`${SLASH24}.0/24`)).toContainEqual(expect.objectContaining({ action: 'expire', list: 'spam-l2', actor: 'sweeper' }));
    // The operator's address, relisted by new evidence, is still listed (its hold is later).
    expect((await ask(stack.dnsPort, DELISTED)).a).toEqual(['127.0.0.2']);
  }, 90_000);
});
