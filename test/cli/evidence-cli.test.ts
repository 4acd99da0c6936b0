// dnsbl report, dnsbl policy dry-run and the evidence part of dnsbl lookup / history, against the
// real API stack (HTTP adapter + handler + evidence intake + DynamoDB Local).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorEvidenceSchema } from '../../lambdas/api/evidence-schemas.js';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { historyResponseSchema, lookupResponseSchema } from '../../lambdas/api/schemas.js';
import { runCli } from '../../lambdas/cli/main.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { evidenceRoutes } from '../../lambdas/evidence/routes.js';
import { createApiHandler } from '../../lambdas/handlers/api.js';
import { CFG, type EvidenceEnv, POLICIES, startEvidenceEnv, T0 } from '../evidence/support.js';

const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
const iso = (s: number) => new Date(s * 1000).toISOString();

let env: EvidenceEnv;
let api: RunningAdapter;
let bare: RunningAdapter;
let dir: string;

beforeAll(async () => {
  env = await startEvidenceEnv();
  const routes = evidenceRoutes({ intake: env.intake(), policies: POLICIES, cfg: CFG });
  api = await startHttpAdapter(createApiHandler({ ...env.apiDeps, evidence: env.store, evidenceRoutes: routes }), { identity: () => ({ userArn: 'arn:aws:iam::1:user/alice' }) });
  // A deployment without evidence: the same tables, no evidence reader or routes.
  bare = await startHttpAdapter(createApiHandler(env.apiDeps), { identity: () => ({ userArn: 'arn:aws:iam::1:user/alice' }) });
  dir = await mkdtemp(join(tmpdir(), 'dnsbl-evidence-cli-'));
});
afterAll(async () => {
  await api?.close();
  await bare?.close();
  await env?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function dnsbl(args: string[], url = api.url): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: { DNSBL_API: url },
    now: () => new Date(env.clock.now * 1000),
  });
  return { code, out, err };
}

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

describe('dnsbl report', () => {
  it('sends a file, reports per-line errors with line numbers on stderr, prints the summary with listings and escalations, exits 1 when a line failed', async () => {
    env.clock.now = T0;
    const t = iso(T0 - 600);
    const lines = [
      '# five trap hits in one /24: each lists, and five abusers in a /24 escalate it (UCEPROTECT level 2)',
      `192.0.2.10,spamtrap,${t},trap-a,hit on trap@x`,
      `192.0.2.11,spamtrap,${t},trap-a`,
      '192.0.2.300,spamtrap,2030-01-01T00:00:00Z',
      `{"ip":"192.0.2.12","kind":"spamtrap","observedAt":"${t}","reporter":"trap-b"}`,
      `192.0.2.13,scan,${t}`,
      `192.0.2.13,spamtrap,${t},trap-b`,
      '',
      `192.0.2.14,spamtrap,${t},trap-c`,
    ];
    const r = await dnsbl(['report', await file('events.csv', `${lines.join('\n')}\n`)]);
    expect(r.code, r.err).toBe(1);
    // The local refusal (line 4) and the API's (line 6, a kind no policy has) by their line numbers.
    expect(r.err).toMatch(/line 4: .*"192\.0\.2\.300" is not an IPv4 address/);
    expect(r.err).toMatch(/line 6: .*kind "scan" is not a configured kind/);
    expect(r.err).toMatch(/report: 6\/6 \(100%\)/);
    expect(r.out).toContain('9 lines: 5 events accepted, 2 rejected');
    // Each address is decided for both policies (spam lists; reports has no abuse-report for it).
    expect(r.out).toMatch(/^listed 5, extended 0, unchanged 5$/m);
    expect(r.out).toMatch(/^escalations: 1 of \d+ prefixes\/ASes checked$/m);
    for (const a of ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14']) expect((await env.table.get('spam', net(a)))?.source).toBe('evidence:level1');
    expect((await env.table.get('spam-l2', net('192.0.2.0/24')))?.source).toBe('evidence:level2');
    expect(await env.table.get('spam', net('192.0.2.300'.replace('300', '30')))).toBeUndefined();
  });

  it('a clean file exits 0; sending it again extends nothing new; --json gives the summary; a missing file is a usage error', async () => {
    env.clock.now = T0 + 60;
    const path = await file('clean.jsonl', `{"ip":"2001:db8::5","kind":"spamtrap","observedAt":${T0},"reporter":"trap-a","id":"hit-1"}\n`);
    const first = await dnsbl(['report', path, '--json']);
    expect(first.code, first.err).toBe(0);
    const s = JSON.parse(first.out);
    expect(s).toMatchObject({ lines: 1, sent: 1, accepted: 1, rejected: [], decisions: { list: 1 }, writes: { created: 1 } });
    const again = await dnsbl(['report', path]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^listed 0, extended 0, unchanged 2$/m);
    expect((await env.table.get('spam', net('2001:db8::5')))?.version).toBe(1);
    const missing = await dnsbl(['report', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read .*nope\.csv/);
  });
});

describe('dnsbl lookup / history show the evidence', () => {
  it('counts by kind, first/last seen and reporters, in text and JSON; a network and a deployment without evidence show none', async () => {
    env.clock.now = T0 + 120;
    const more = await file('more.csv', [`192.0.2.10,abuse-report,${iso(T0 - 3600)},isp-1`, `192.0.2.10,abuse-report,${iso(T0 - 60)},isp-2,complaint text`].join('\n'));
    expect((await dnsbl(['report', more])).code).toBe(0);
    const text = await dnsbl(['lookup', '192.0.2.10']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`evidence: 3 events (2 abuse-report, 1 spamtrap), first seen ${iso(T0 - 3600).replace('.000Z', 'Z')}, last seen ${iso(T0 - 60).replace('.000Z', 'Z')}`);
    expect(text.out).toMatch(/reporters trap-a, isp-1, isp-2/);
    const json = JSON.parse((await dnsbl(['lookup', '192.0.2.10', '--json'])).out);
    expect(lookupResponseSchema.parse(json).evidence).toEqual({ counts: { 'abuse-report': 2, spamtrap: 1 }, total: 3, firstSeen: iso(T0 - 3600), lastSeen: iso(T0 - 60), reporters: ['trap-a', 'isp-1', 'isp-2'] });
    // Details stay in the evidence table: the operator's summary has counts and reporters, not texts.
    expect(JSON.stringify(json)).not.toContain('complaint text');

    const h = await dnsbl(['history', '192.0.2.10']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/ list\s+spam\s+by evidence-policy: events /);
    expect(h.out).toContain('evidence: 3 events (2 abuse-report, 1 spamtrap)');
    const hj = historyResponseSchema.parse(JSON.parse((await dnsbl(['history', '192.0.2.10', '--json'])).out));
    expect(operatorEvidenceSchema.parse(hj.evidence).total).toBe(3);

    expect(JSON.parse((await dnsbl(['lookup', '192.0.2.0/24', '--json'])).out).evidence).toBeUndefined();
    expect((await dnsbl(['history', '192.0.2.0/24'])).out).not.toMatch(/^evidence:/m);
    const none = await dnsbl(['lookup', '192.0.2.99']);
    expect(none.out).not.toMatch(/^evidence:/m);
    const withoutEvidence = await dnsbl(['lookup', '192.0.2.10', '--json'], bare.url);
    expect(withoutEvidence.code).toBe(0);
    expect(JSON.parse(withoutEvidence.out).evidence).toBeUndefined();
    expect(JSON.parse(withoutEvidence.out).lists.find((l: { list: string }) => l.list === 'spam').covering).toHaveLength(1);
  });
});

describe('dnsbl policy dry-run', () => {
  it('prints what a stricter and a looser policy would list, extend, delist and escalate, from inline JSON or a configuration file, writing nothing', async () => {
    env.clock.now = T0 + 180;
    // Looser: one abuse report lists in "spam" too; 192.0.2.10 is already listed (extend), the rest
    // of the /24 holds it escalated.
    const looser = JSON.stringify({ spam: { kinds: { spamtrap: { weight: 1 }, 'abuse-report': { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 336 } });
    const before = await env.table.get('spam', net('192.0.2.10'));
    const r = await dnsbl(['policy', 'dry-run', looser]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/addresses with evidence evaluated; nothing was written/);
    expect(r.out).toMatch(/^would list 0, extend \d+, delist 0;/m);
    expect(r.out).toMatch(/^ {2}extend {6}spam {7}192\.0\.2\.10 +until /m);
    expect(await env.table.get('spam', net('192.0.2.10'))).toEqual(before);

    // Stricter, as a configuration file: a 6-minute hold no longer holds the trap hits of 10 minutes
    // ago (abuse reports no longer count) -> delist, and with no abuser left the /24 de-escalates;
    // the IPv6 hit of 3 minutes ago is still held.
    const cfgFile = await file('config.json', JSON.stringify({ zone: 'bl.test', lists: [{ name: 'spam', code: '127.0.0.2', evidence: { kinds: { spamtrap: { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 0.1, escalation: { level2: { list: 'spam-l2', widest: 22, narrowest: 24 } } } }] }));
    const strict = await dnsbl(['policy', 'dry-run', cfgFile, '--json']);
    expect(strict.code, strict.err).toBe(0);
    const j = JSON.parse(strict.out);
    expect(j.changes.filter((c: { op: string }) => c.op === 'delist').map((c: { network: string }) => c.network).sort()).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14']);
    expect(j.escalations).toContainEqual(expect.objectContaining({ op: 'delist', level: 2, network: '192.0.2.0/24' }));
    const text = await dnsbl(['policy', 'dry-run', cfgFile]);
    expect(text.out).toMatch(/^ {2}de-escalate spam-l2 {4}192\.0\.2\.0\/24/m);
    expect((await env.table.get('spam-l2', net('192.0.2.0/24')))?.source).toBe('evidence:level2');
    expect((await env.table.get('spam', net('192.0.2.11')))?.source).toBe('evidence:level1');
  });

  it('a policy the API refuses exits 1 naming the field; bad JSON, a wrong subcommand or --limit are usage errors (nothing sent)', async () => {
    const bad = await dnsbl(['policy', 'dry-run', '{"spam":{"kinds":{"spamtrap":{"weight":1}},"threshold":0,"windowHours":24,"holdHours":1}}']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/policies\.spam\.threshold/);
    expect((await dnsbl(['policy', 'dry-run', '{"spam":'])).code).toBe(2);
    expect((await dnsbl(['policy', 'run', '{}'])).err).toMatch(/unknown policy command "run"/);
    expect((await dnsbl(['policy', 'dry-run', '{}', '--limit', '0'])).code).toBe(2);
    const noPolicy = await dnsbl(['policy', 'dry-run', '{"lists":[{"name":"spam"}]}']);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.err).toMatch(/no list has an "evidence" policy/);
  });
});
