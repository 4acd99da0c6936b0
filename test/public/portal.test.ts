// The public portal end to end on DynamoDB Local with a real SMTP outbox: look-up (only public
// fields, one address, explanations), self-service delisting (mail, single-use link, policy,
// audit trail with the request id), operator review (approve/deny, outcome mails, contact
// forgotten), DNS proof against a real BIND, and per-client limits with progressive back-off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsProofResolver } from '../../lambdas/adapters/dns-proof.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { ClientLimiter } from '../../lambdas/public/rate-limit.js';
import { runCli } from '../../lambdas/cli/main.js';
import { type BindServer, startBind } from '../support/dns/bind.js';
import { call, snapshot } from '../api/support.js';
import { mailTo, OPERATOR, type PortalEnv, startPortalEnv } from './support.js';

let env: PortalEnv;
let bind: BindServer;

const list = (items: Array<{ list: string; network: string; reason: string; source?: string }>) => call(env.apiUrl, 'POST', '/v1/listings', { items });
const request = (body: Record<string, unknown>, headers: Record<string, string> = {}) => call(env.publicUrl, 'POST', '/api/delist-requests', body, headers);
const confirmLink = (link: string) => {
  const u = new URL(link);
  return { id: u.searchParams.get('id')!, token: u.searchParams.get('token')! };
};
async function requestAndConfirm(ip: string, email: string, extra: Record<string, unknown> = {}) {
  const before = (await env.outbox.messages()).length;
  const r = await request({ ip, email, statement: 'We closed the open relay and rotated passwords.', ...extra });
  expect(r.status, r.text).toBe(202);
  const mail = await mailTo(env.outbox, email, before);
  const link = mail.links.find((l) => l.includes('/delist/confirm'))!;
  const c = await call(env.publicUrl, 'POST', '/api/delist-requests/confirm', confirmLink(link));
  return { r, mail, link, c };
}

beforeAll(async () => {
  bind = await startBind({
    zone: 'sender.test',
    zoneFileText: `$TTL 60
@ IN SOA ns1.sender.test. h.sender.test. 1 600 300 86400 60
@ IN NS ns1.sender.test.
ns1 IN A 127.0.0.1
mail IN A 192.0.2.77
_dnsbl-delist.mail IN TXT "placeholder"
`,
  });
  env = await startPortalEnv({ proof: new DnsProofResolver([`127.0.0.1:${bind.port}`]) });
});
afterAll(async () => {
  await env?.stop();
  await bind?.stop();
});

describe('public look-up', () => {
  it('shows per list the public reason, since, expiry, range and policy, never the source; and the live DNS answer', async () => {
    expect((await list([
      { list: 'spam', network: '198.51.100.0/24', reason: 'snowshoe range', source: 'feed:partner' },
      { list: 'proxy', network: '198.51.100.9', reason: 'open proxy', source: 'scanner-7' },
    ])).status).toBe(200);
    env.dns.records.set('9.100.51.198.bl.test', { a: ['127.0.0.2', '127.0.0.3'], txt: ['open proxy'] });
    const r = await call(env.publicUrl, 'GET', '/api/lookup?ip=198.51.100.9');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ address: '198.51.100.9', listed: true, dns: { status: 'listed', a: ['127.0.0.2', '127.0.0.3'] } });
    const spam = r.json.lists.find((l: { list: string }) => l.list === 'spam');
    expect(spam).toMatchObject({ listed: true, reason: 'snowshoe range', range: '198.51.100.0/24', expires: null, delisting: { mode: 'auto', limit: { count: 2, days: 30 } } });
    expect(r.json.lists.find((l: { list: string }) => l.list === 'dul')).toMatchObject({ listed: false, delisting: { mode: 'never' } });
    expect(r.text).not.toMatch(/feed:partner|scanner-7|alice|version/);
  });
  it('takes any spelling core accepts, refuses networks and junk naming the field, explains test points and reserved space', async () => {
    expect((await call(env.publicUrl, 'GET', '/api/lookup?ip=::ffff:198.51.100.9')).json.address).toBe('198.51.100.9');
    const net = await call(env.publicUrl, 'GET', '/api/lookup?ip=198.51.100.0/24');
    expect(net.status).toBe(400);
    expect(net.json.error).toMatchObject({ field: 'ip', message: expect.stringMatching(/is a network; give the one address/) });
    const junk = await call(env.publicUrl, 'GET', '/api/lookup?ip=198.51.100.*');
    expect(junk.json.error.field).toBe('ip');
    expect((await call(env.publicUrl, 'GET', '/api/lookup?ip=127.0.0.2')).json).toMatchObject({ listed: true, special: { kind: 'test-point' } });
    expect((await call(env.publicUrl, 'GET', '/api/lookup?ip=10.1.2.3')).json).toMatchObject({ listed: false, special: { kind: 'reserved', range: '10.0.0.0/8', ref: 'RFC 1918' } });
    expect((await call(env.publicUrl, 'GET', '/api/lookup?ip=1.2.3.4&list=spam')).json.error).toMatchObject({ code: 'unknown-parameter', field: 'list' });
  });
  it('renders the same data as a page in English or Japanese by Accept-Language', async () => {
    const en = await call(env.publicUrl, 'GET', '/lookup?ip=198.51.100.9', undefined, { 'accept-language': 'de, en;q=0.5' });
    expect(en.headers.get('content-type')).toMatch(/text\/html/);
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('snowshoe range');
    expect(en.text).toContain('<label for="ip">');
    const ja = await call(env.publicUrl, 'GET', '/lookup?ip=198.51.100.9', undefined, { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' });
    expect(ja.text).toContain('<html lang="ja">');
    expect(ja.text).toContain('登録されています');
    expect(ja.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('self-service delisting', () => {
  it('auto list: mail, confirm once, delisted through the writer; the audit trail carries the request id; a replay changes nothing', async () => {
    await list([{ list: 'spam', network: '192.0.2.10', reason: 'trap hits', source: 'trap:t1' }]);
    const { r, mail, link, c } = await requestAndConfirm('192.0.2.10', 'postmaster@sender.test');
    expect(mail.text).toContain(r.json.id);
    expect(c.status, c.text).toBe(200);
    expect(c.json).toMatchObject({ status: 'done', outcomes: [{ list: 'spam', outcome: 'delisted' }] });
    expect(await env.table.get('spam', parseNetwork('192.0.2.10'))).toBeUndefined();
    const h = await call(env.apiUrl, 'GET', '/v1/history?network=192.0.2.10');
    const actions = h.json.events.map((e: { action: string; requestId?: string; actor: string }) => `${e.action}:${e.requestId ?? e.actor}`);
    expect(actions).toEqual(expect.arrayContaining([`delist-request:${r.json.id}`, `delist-mail-sent:${r.json.id}`, `delist-confirmed:${r.json.id}`, `delist:portal:request/${r.json.id}`]));
    expect(JSON.stringify(h.json)).not.toContain('postmaster@sender.test');
    const before = await snapshot(env.doc, env.names.journal);
    const again = await call(env.publicUrl, 'POST', '/api/delist-requests/confirm', confirmLink(link));
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'already-confirmed', message: expect.stringMatching(/works once and nothing changed/) });
    expect(await snapshot(env.doc, env.names.journal)).toEqual(before);
    // The request no longer needs the contact: gone.
    const stored = await call(env.apiUrl, 'GET', `/v1/requests/${r.json.id}`);
    expect(stored.json.contact).toBeUndefined();
  });
  it('a wrong token changes nothing', async () => {
    await list([{ list: 'spam', network: '192.0.2.11', reason: 'trap hits', source: 'trap:t1' }]);
    const before = (await env.outbox.messages()).length;
    const r = await request({ ip: '192.0.2.11', email: 'a@sender.test', statement: 'Fixed the compromised account.' });
    await mailTo(env.outbox, 'a@sender.test', before);
    const wrong = await call(env.publicUrl, 'POST', '/api/delist-requests/confirm', { id: r.json.id, token: 'A'.repeat(43) });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error.field).toBe('token');
    expect(await env.table.get('spam', parseNetwork('192.0.2.11'))).toBeDefined();
  });
  it('locks out after 2 self-delistings in 30 days; evidence after a self-delisting sends the next request to review', async () => {
    const ip = '192.0.2.20';
    for (let i = 0; i < 2; i++) {
      await list([{ list: 'spam', network: ip, reason: 'trap hits', source: 'trap:t1' }]);
      const { c } = await requestAndConfirm(ip, `n${i}@sender.test`);
      // The second: relisted after the first self-delisting -> review (relisted-after-self-delist).
      expect(c.json.outcomes[0].outcome).toBe(i === 0 ? 'delisted' : 'queued');
    }
    const q = await call(env.apiUrl, 'GET', '/v1/requests');
    const mine = q.json.items.filter((x: { address: string }) => x.address === ip);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'in-review', contact: 'n1@sender.test', outcomes: [{ list: 'spam', outcome: 'queued', lockedUntil: expect.any(String) }] });
  });
  it('range and by-hand listings go to review; approval excludes exactly the host, mails the outcome and forgets the contact', async () => {
    await list([{ list: 'spam', network: '203.0.113.0/24', reason: 'snowshoe', source: 'feed:x' }]);
    const { r, c } = await requestAndConfirm('203.0.113.5', 'range@sender.test');
    expect(c.json.outcomes).toEqual([expect.objectContaining({ list: 'spam', outcome: 'queued', network: '203.0.113.0/24' })]);
    expect(await env.table.get('spam', parseNetwork('203.0.113.0/24'))).toBeDefined();
    const before = (await env.outbox.messages()).length;
    const a = await call(env.apiUrl, 'POST', `/v1/requests/${r.json.id}/approve`, {});
    expect(a.status, a.text).toBe(200);
    expect(a.json).toMatchObject({ status: 'approved', decidedBy: OPERATOR });
    expect(await env.table.get('spam', parseNetwork('203.0.113.0/24'))).toMatchObject({ exclusion: false });
    expect(await env.table.get('spam', parseNetwork('203.0.113.5'))).toMatchObject({ exclusion: true, source: `portal:${r.json.id}` });
    const mail = await mailTo(env.outbox, 'range@sender.test', before);
    expect(mail.text).toContain('approved');
    expect((await call(env.apiUrl, 'GET', `/v1/requests/${r.json.id}`)).json.contact).toBeUndefined();
    expect((await call(env.apiUrl, 'POST', `/v1/requests/${r.json.id}/approve`, {})).status).toBe(409);
    // Listed by hand (source = the operator): review too.
    await call(env.apiUrl, 'POST', '/v1/listings', { items: [{ list: 'spam', network: '192.0.2.30', reason: 'seen by hand' }] });
    const hand = await requestAndConfirm('192.0.2.30', 'hand@sender.test');
    expect(hand.c.json.outcomes[0]).toMatchObject({ outcome: 'queued', why: expect.stringMatching(/by hand/) });
  });
  it('deny needs a reason, mails it, and leaves the listing', async () => {
    await list([{ list: 'proxy', network: '192.0.2.40', reason: 'open proxy', source: 'trap:p' }]);
    const { r, c } = await requestAndConfirm('192.0.2.40', 'deny@sender.test');
    expect(c.json.outcomes[0]).toMatchObject({ list: 'proxy', outcome: 'queued' });
    const none = await call(env.apiUrl, 'POST', `/v1/requests/${r.json.id}/deny`, {});
    expect(none.status).toBe(400);
    expect(none.json.error.field).toBe('reason');
    const before = (await env.outbox.messages()).length;
    const d = await call(env.apiUrl, 'POST', `/v1/requests/${r.json.id}/deny`, { reason: 'The proxy still answers on port 3128.' });
    expect(d.json).toMatchObject({ status: 'denied', denyReason: 'The proxy still answers on port 3128.' });
    expect((await mailTo(env.outbox, 'deny@sender.test', before)).text).toContain('port 3128');
    expect(await env.table.get('proxy', parseNetwork('192.0.2.40'))).toBeDefined();
  });
  it('refuses without storing or mailing: never lists, not listed, bad fields (all named)', async () => {
    await list([{ list: 'dul', network: '192.0.2.50', reason: 'dynamic', source: 'feed:dul' }]);
    const before = await snapshot(env.doc, env.names.journal);
    const mails = (await env.outbox.messages()).length;
    const closed = await request({ ip: '192.0.2.50', email: 'x@sender.test', statement: 'We are not dynamic.' });
    expect(closed.json.error).toMatchObject({ code: 'self-service-closed', field: 'ip' });
    expect((await request({ ip: '192.0.2.51', email: 'x@sender.test', statement: 'Nothing is listed here.' })).json.error.code).toBe('not-listed');
    const bad = await request({ ip: '192.0.2.50', email: 'not-an-address', statement: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.map((d: { field: string }) => d.field)).toEqual(['email', 'statement']);
    expect(await snapshot(env.doc, env.names.journal)).toEqual(before);
    expect((await env.outbox.messages()).length).toBe(mails);
  });
  it('DNS proof: the link works only once the TXT token is published where the domain resolves to the address (real BIND)', async () => {
    await list([{ list: 'proof', network: '192.0.2.77', reason: 'trap', source: 'trap:q' }]);
    const missing = await request({ ip: '192.0.2.77', email: 'p@sender.test', statement: 'We fixed the web form.' });
    expect(missing.json.error).toMatchObject({ code: 'dns-proof-required', field: 'domain' });
    const before = (await env.outbox.messages()).length;
    const r = await request({ ip: '192.0.2.77', email: 'p@sender.test', statement: 'We fixed the web form.', domain: 'mail.sender.test' });
    expect(r.json.dnsProof).toMatchObject({ name: '_dnsbl-delist.mail.sender.test', value: expect.stringMatching(/^dnsbl-delist=/) });
    const link = confirmLink((await mailTo(env.outbox, 'p@sender.test', before)).links[0]!);
    const early = await call(env.publicUrl, 'POST', '/api/delist-requests/confirm', link);
    expect(early.json.error).toMatchObject({ code: 'dns-proof-failed', message: expect.stringContaining('no TXT record') });
    await bind.reload(`$TTL 60
@ IN SOA ns1.sender.test. h.sender.test. 2 600 300 86400 60
@ IN NS ns1.sender.test.
ns1 IN A 127.0.0.1
mail IN A 192.0.2.77
_dnsbl-delist.mail IN TXT "${r.json.dnsProof.value}"
`);
    const ok = await call(env.publicUrl, 'POST', '/api/delist-requests/confirm', link);
    expect(ok.json, ok.text).toMatchObject({ status: 'done', outcomes: [{ list: 'proof', outcome: 'delisted' }] });
  });
});

describe('per-client limits', () => {
  it('holds a flooding client to its limit with growing Retry-After while another client is answered', async () => {
    let clock = 0;
    const limiter = new ClientLimiter({ rules: { lookup: { burst: 5, perSecond: 1 }, request: { burst: 1, perSecond: 0.01 } }, now: () => clock });
    const pub = await env.publicWith({ limiter, trustedProxies: 1 });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await call(pub.url, 'GET', '/api/lookup?ip=192.0.2.1', undefined, from('198.51.100.1'))).status);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const first = await call(pub.url, 'GET', '/api/lookup?ip=192.0.2.1', undefined, from('198.51.100.1'));
    expect(first.json.error.code).toBe('too-many-requests');
    expect(Number(first.headers.get('retry-after'))).toBe(1);
    expect((await call(pub.url, 'GET', '/api/lookup?ip=192.0.2.1', undefined, from('198.51.100.2'))).status).toBe(200);
    clock += 1500; // the block is over and one token refilled; emptying the bucket again doubles the block
    expect((await call(pub.url, 'GET', '/api/lookup?ip=192.0.2.1', undefined, from('198.51.100.1'))).status).toBe(200);
    const second = await call(pub.url, 'GET', '/api/lookup?ip=192.0.2.1', undefined, from('198.51.100.1'));
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBe(2);
    const page = await call(pub.url, 'GET', '/lookup', undefined, from('198.51.100.1'));
    expect(page.status).toBe(429);
    expect(page.text).toContain('role="alert"');
  });
});

describe('dnsbl requests', () => {
  const dnsbl = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(args, { stdout: { write: (x: string) => (out += x) }, stderr: { write: (x: string) => (err += x), isTTY: false, columns: 100 }, env: { DNSBL_API: env.apiUrl } });
    return { code, out, err };
  };
  it('lists the requests in review with contact and statement, approves one, refuses a deny without --reason', async () => {
    await list([{ list: 'proxy', network: '192.0.2.60', reason: 'open proxy', source: 'trap:p' }]);
    const { r } = await requestAndConfirm('192.0.2.60', 'cli@sender.test');
    const l = await dnsbl(['requests', 'list']);
    expect(l.code).toBe(0);
    expect(l.out).toContain(`${r.json.id}  192.0.2.60  in-review`);
    expect(l.out).toContain('contact    cli@sender.test');
    expect(l.out).toContain('proxy: queued (this list reviews every request)');
    const noReason = await dnsbl(['requests', 'deny', r.json.id]);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--reason');
    const a = await dnsbl(['requests', 'approve', r.json.id]);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toContain('approved');
    expect(await env.table.get('proxy', parseNetwork('192.0.2.60'))).toBeUndefined();
    const again = await dnsbl(['requests', 'approve', r.json.id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('not in review');
  });
});
