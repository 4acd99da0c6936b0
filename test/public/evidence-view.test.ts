// The public look-up's evidence: counts by kind and the last seen, as JSON and as a page (English
// and Japanese), never the reporters, event ids, details or the first-seen time; on DynamoDB
// Local with the real intake and the public handler behind its HTTP adapter.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAdapter, startHttpAdapter } from '../../lambdas/api/http-adapter.js';
import { createPublicHandler } from '../../lambdas/handlers/public.js';
import type { DelistService } from '../../lambdas/public/delist-service.js';
import { ClientLimiter } from '../../lambdas/public/rate-limit.js';
import { CFG, type EvidenceEnv, startEvidenceEnv, T0 } from '../evidence/support.js';

const iso = (s: number) => new Date(s * 1000).toISOString();

let env: EvidenceEnv;
let site: RunningAdapter;
let bare: RunningAdapter;

beforeAll(async () => {
  env = await startEvidenceEnv();
  const base = {
    cfg: CFG,
    table: env.table,
    // The look-up never touches the delisting service.
    delist: {} as DelistService,
    limiter: new ClientLimiter({ rules: {} }),
    now: () => new Date(env.clock.now * 1000),
    log: { error: () => undefined },
  };
  site = await startHttpAdapter(createPublicHandler({ ...base, evidence: env.store }), { identity: () => ({ userArn: 'public' }) });
  bare = await startHttpAdapter(createPublicHandler(base), { identity: () => ({ userArn: 'public' }) });
});
afterAll(async () => {
  await site?.close();
  await bare?.close();
  await env?.stop();
});

async function get(base: string, path: string, lang = 'en'): Promise<{ status: number; text: string }> {
  const r = await fetch(`${base}${path}`, { headers: { 'accept-language': lang } });
  return { status: r.status, text: await r.text() };
}

describe('public look-up: evidence', () => {
  it('shows counts by kind and the last seen, in JSON and on the page in English and Japanese, and nothing that names or quotes a reporter', async () => {
    env.clock.now = T0;
    const secrets = ['trapnet-operator-7', 'isp-abuse-desk-9', 'honeypot-xyz@example.net', 'complaint body ABC', 'evt-SECRET-ID-123'];
    const r = await env.intake().submit(
      [
        { ip: '192.0.2.60', kind: 'spamtrap', observedAt: T0 - 7200, reporter: 'trapnet-operator-7', detail: 'hit at honeypot-xyz@example.net' },
        { ip: '192.0.2.60', kind: 'abuse-report', observedAt: T0 - 600, reporter: 'isp-abuse-desk-9', detail: 'complaint body ABC', id: 'evt-SECRET-ID-123' },
        { ip: '192.0.2.60', kind: 'abuse-report', observedAt: T0 - 900, reporter: 'isp-abuse-desk-9' },
      ],
      'arn:aws:iam::1:role/reporter',
    );
    expect(r.accepted).toBe(3);
    const json = await get(site.url, '/api/lookup?ip=192.0.2.60');
    expect(json.status).toBe(200);
    const body = JSON.parse(json.text);
    expect(body.listed).toBe(true);
    expect(body.evidence).toEqual({ counts: { 'abuse-report': 2, spamtrap: 1 }, total: 3, lastSeen: iso(T0 - 600) });
    const pages = [await get(site.url, '/lookup?ip=192.0.2.60', 'en'), await get(site.url, '/lookup?ip=192.0.2.60', 'ja')];
    expect(pages[0]!.text).toContain('We have 3 report(s) about 192.0.2.60; the last one was seen <time datetime="2029-12-31T23:50:00.000Z">');
    expect(pages[0]!.text).toMatch(/<td>abuse-report<\/td><td>2<\/td><\/tr><tr><td>spamtrap<\/td><td>1<\/td>/);
    expect(pages[1]!.text).toContain('このアドレスに関する報告');
    expect(pages[1]!.text).toContain('192.0.2.60 について 3 件の報告を受けています。最後の報告は <time datetime="2029-12-31T23:50:00.000Z">');
    for (const text of [json.text, ...pages.map((p) => p.text)]) {
      for (const s of secrets) expect(text).not.toContain(s);
      expect(text).not.toContain(iso(T0 - 7200)); // the first seen
      // (The listing's reason, published in the TXT record anyway, may say "from 1 reporter".)
      expect(text).not.toMatch(/"reporters"|firstSeen/);
      expect(text).not.toContain('arn:aws:iam');
    }
  });

  it('no evidence, a test point, or a deployment without evidence: no evidence field and no section', async () => {
    for (const [base, ip] of [[site.url, '192.0.2.61'], [site.url, '127.0.0.2'], [bare.url, '192.0.2.60']] as const) {
      const j = JSON.parse((await get(base, `/api/lookup?ip=${ip}`)).text);
      expect(j.evidence, `${base} ${ip}`).toBeUndefined();
      expect((await get(base, `/lookup?ip=${ip}`)).text).not.toContain('evidence-section');
    }
  });

  it('whatever reporters and details say, the public JSON and page never contain them (property)', async () => {
    let n = 0;
    // Markers that cannot occur in the page by chance: a fixed prefix and 10+ random characters.
    const secret = fc.stringMatching(/^[A-Za-z0-9]{10,40}$/).map((s) => `zq${s}`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ reporter: secret, detail: secret, id: secret, kind: fc.constantFrom('spamtrap', 'abuse-report'), ago: fc.integer({ min: 0, max: 86_000 }) }), { minLength: 1, maxLength: 4 }), async (events) => {
        const ip = `198.51.100.${100 + n++}`;
        const r = await env.intake().submit(events.map((e) => ({ ip, kind: e.kind, observedAt: T0 - e.ago, reporter: e.reporter, detail: `seen ${e.detail}`, id: e.id })), 'reporter');
        expect(r.rejected).toEqual([]);
        const json = (await get(site.url, `/api/lookup?ip=${ip}`)).text;
        const page = (await get(site.url, `/lookup?ip=${ip}`, n % 2 ? 'ja' : 'en')).text;
        expect(Object.keys(JSON.parse(json).evidence).sort()).toEqual(['counts', 'lastSeen', 'total']);
        for (const e of events) for (const s of [e.reporter, e.detail, e.id]) expect(json + page).not.toContain(s);
      }),
      { numRuns: 12 },
    );
  });
});
