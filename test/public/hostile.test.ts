// At least 300 hostile or malformed public requests: every one answered 4xx with a clear message
// (JSON error naming the problem, or a page with an alert), no table changed, no mail sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, snapshot } from '../api/support.js';
import { mailTo, type PortalEnv, startPortalEnv } from './support.js';

let env: PortalEnv;
let realId = '';

beforeAll(async () => {
  env = await startPortalEnv();
  await call(env.apiUrl, 'POST', '/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'trap hits', source: 'trap:x' }, { list: 'dul', network: '192.0.2.2', reason: 'dynamic', source: 'feed:d' }] });
  // One real, unconfirmed request: guesses at its token must not confirm it.
  const r = await call(env.publicUrl, 'POST', '/api/delist-requests', { ip: '192.0.2.1', email: 'owner@sender.test', statement: 'Fixed the relay for real.' });
  realId = r.json.id;
  await mailTo(env.outbox, 'owner@sender.test', 0);
});
afterAll(async () => env?.stop());

type Case = { method: string; path: string; body?: string | Uint8Array; headers?: Record<string, string> };

function cases(): Case[] {
  const out: Case[] = [];
  const badIps = [
    '', ' ', 'abc', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4/33', '192.0.2.0/24', '::/0', '0.0.0.0/0', '*', '192.0.2.*', '*.2.0.192',
    '%00', 'a'.repeat(300), '<script>alert(1)</script>', '1.2.3.4\u0000', '1.2.3.4;ls', 'fe80::1%eth0', '::ffff:192.0.2.0/120', '2001:db8::/32', '2001:db8:::1',
    '1.2.3.4 5.6.7.8', '1.2.3.4,5.6.7.8', '0x7f.1', '１９２.０.２.１', 'localhost', '../../etc/passwd', '"', "'", '\\', '192.0.2.1/', '/32', '-1.2.3.4',
    '1e3.2.3.4', '2001:db8::g', ':::', '1.2.3.04', '192.168.1.1/16',
  ];
  for (const ip of badIps) {
    out.push({ method: 'GET', path: `/api/lookup?ip=${encodeURIComponent(ip)}` });
    out.push({ method: 'GET', path: `/lookup?ip=${encodeURIComponent(ip)}` });
  }
  for (const ip of badIps) {
    out.push({ method: 'POST', path: '/api/delist-requests', body: JSON.stringify({ ip, email: 'x@sender.test', statement: 'We fixed the open relay.' }), headers: { 'content-type': 'application/json' } });
    out.push({ method: 'POST', path: '/delist', body: `ip=${encodeURIComponent(ip)}&email=x%40sender.test&statement=We+fixed+the+open+relay.`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
  for (const q of ['ip=1.2.3.4&ip=5.6.7.8', 'ip=1.2.3.4&list=spam', 'ip=1.2.3.4&source=x', 'cursor=abc', 'ip=1.2.3.4&__proto__=1', 'constructor=1']) {
    out.push({ method: 'GET', path: `/api/lookup?${q}` }, { method: 'GET', path: `/lookup?${q}` });
  }
  for (const p of ['/admin', '/v1/listings', '/v1/requests', '/api', '/api/lookup/192.0.2.1', '/lookup/', '/.env', '/%2e%2e/etc/passwd', '/api/delist-requests/123', '/wp-login.php', '/delist/confirm/x', '/site.css/x']) {
    out.push({ method: 'GET', path: p });
  }
  for (const [m, p] of [['DELETE', '/lookup'], ['PUT', '/api/lookup'], ['PATCH', '/api/delist-requests'], ['POST', '/lookup'], ['POST', '/api/lookup'], ['GET', '/api/delist-requests'], ['GET', '/delist'], ['DELETE', '/api/delist-requests/confirm']] as const) {
    out.push({ method: m, path: p });
  }
  const json = (b: unknown) => ({ method: 'POST', path: '/api/delist-requests', body: typeof b === 'string' ? b : JSON.stringify(b), headers: { 'content-type': 'application/json' } });
  const good = { ip: '192.0.2.1', email: 'x@sender.test', statement: 'We fixed the open relay.' };
  const bodies: unknown[] = [
    '', 'null', '[]', '"x"', '42', '{', '{"ip":', '{"ip":"192.0.2.1","ip":"192.0.2.1"}', `{"a":${'['.repeat(5000)}`,
    {}, { ...good, extra: 1 }, '{"ip":"192.0.2.1","email":"x@sender.test","statement":"We fixed the open relay.","__proto__":{"admin":true}}', { ...good, constructor: 'x' },
    { ...good, ip: '192.0.2.0/24' }, { ...good, ip: '127.0.0.2' }, { ...good, ip: '192.0.2.99' }, { ...good, ip: '192.0.2.2' }, { ...good, ip: 5 }, { ...good, ip: null }, { ...good, ip: ['192.0.2.1'] },
    { ...good, email: '' }, { ...good, email: 'no-at' }, { ...good, email: 'a@b' }, { ...good, email: 'x@sender.test\r\nBcc: victim@example.com' }, { ...good, email: 'x@sender.test, y@sender.test' },
    { ...good, email: '<x@sender.test>' }, { ...good, email: `${'a'.repeat(250)}@b.test` }, { ...good, email: 'ユーザー@example.jp' }, { ...good, email: 42 }, { ...good, email: { $ne: null } },
    { ...good, statement: '' }, { ...good, statement: 'short' }, { ...good, statement: 'x'.repeat(1001) }, { ...good, statement: 'fixed it\u0000really' }, { ...good, statement: 'fixed it \u202e reversed' },
    { ...good, statement: 12345678901 }, { ...good, statement: ['We fixed the open relay.'] },
    { ...good, domain: 'not a domain' }, { ...good, domain: '-x.test' }, { ...good, domain: 'a'.repeat(300) }, { ...good, domain: 5 },
    { ip: '192.0.2.1' }, { email: 'x@sender.test' }, { statement: 'We fixed the open relay.' },
  ];
  for (const b of bodies) out.push(json(b));
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', '']) {
    out.push({ method: 'POST', path: '/api/delist-requests', body: JSON.stringify(good), headers: ct ? { 'content-type': ct } : {} });
  }
  out.push({ method: 'POST', path: '/api/delist-requests', body: JSON.stringify({ ...good, statement: 'x'.repeat(20_000) }), headers: { 'content-type': 'application/json' } });
  out.push({ method: 'POST', path: '/api/delist-requests', body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { 'content-type': 'application/json' } });
  out.push({ method: 'POST', path: '/api/delist-requests?ip=192.0.2.1', body: JSON.stringify(good), headers: { 'content-type': 'application/json' } });
  const confirm = (b: unknown) => ({ method: 'POST', path: '/api/delist-requests/confirm', body: JSON.stringify(b), headers: { 'content-type': 'application/json' } });
  const tokens = ['', 'x', 'A'.repeat(42), 'A'.repeat(44), '!'.repeat(43), ...Array.from({ length: 30 }, (_, i) => `${'B'.repeat(40)}${String(i).padStart(3, '0')}`)];
  for (const token of tokens) out.push(confirm({ id: realId, token }));
  for (const id of ['', 'x', '00000000-0000-4000-8000-000000000000', `${realId}x`, realId.toUpperCase(), '../../etc', 5]) out.push(confirm({ id, token: 'C'.repeat(43) }));
  out.push(confirm({ id: realId }), confirm({ token: 'C'.repeat(43) }), confirm({ id: realId, token: 'C'.repeat(43), extra: true }));
  for (const token of tokens.slice(0, 20)) out.push({ method: 'GET', path: `/delist/confirm?id=${realId}&token=${encodeURIComponent(token)}` });
  out.push({ method: 'GET', path: '/delist/confirm' }, { method: 'GET', path: `/delist/confirm?id=${realId}` }, { method: 'GET', path: `/delist/confirm?id=${realId}&token=x&token=y` });
  const form = (fields: string, ct = 'application/x-www-form-urlencoded') => ({ method: 'POST', path: '/delist', body: fields, headers: { 'content-type': ct } });
  const goodForm = 'ip=192.0.2.1&email=x%40sender.test&statement=We+fixed+the+open+relay.';
  out.push(
    form(goodForm, 'application/json'),
    form(goodForm, 'text/plain'),
    form(`${goodForm}&ip=192.0.2.2`),
    form(`${goodForm}&admin=1`),
    form('ip=192.0.2.1&email=bad&statement=x'),
    form('ip=%ZZ'),
    form(`ip=192.0.2.1&email=x%40sender.test&statement=${'a'.repeat(9000)}`),
    form('ip=192.0.2.0%2F24&email=x%40sender.test&statement=We+fixed+the+open+relay.'),
    form('ip=192.0.2.99&email=x%40sender.test&statement=We+fixed+the+open+relay.'),
    form('ip=192.0.2.2&email=x%40sender.test&statement=We+fixed+the+open+relay.'),
    form('email=x%40sender.test%0D%0ABcc%3A+v%40example.com&ip=192.0.2.1&statement=We+fixed+the+open+relay.'),
    form(''),
  );
  for (const token of tokens.slice(0, 20)) out.push({ method: 'POST', path: '/delist/confirm', body: `id=${realId}&token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return out;
}

describe('hostile public requests', () => {
  it('answers 300+ hostile or malformed requests 4xx with a clear message; nothing is stored or mailed', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(300);
    const listings = await snapshot(env.doc, env.names.listings);
    const journal = await snapshot(env.doc, env.names.journal);
    const mails = (await env.outbox.messages()).length;
    const wrong: string[] = [];
    for (const c of all) {
      const r = await call(env.publicUrl, c.method, c.path, c.body, c.headers ?? {}, { noContentType: c.body !== undefined && !c.headers?.['content-type'] });
      const label = `${c.method} ${c.path.slice(0, 80)} ${typeof c.body === 'string' ? c.body.slice(0, 60) : ''}`;
      if (r.status < 400 || r.status >= 500) wrong.push(`${label} -> ${r.status} ${r.text.slice(0, 120)}`);
      else if (r.json) {
        if (typeof r.json.error?.message !== 'string' || r.json.error.message.length < 10) wrong.push(`${label} -> ${r.status} no message: ${r.text.slice(0, 120)}`);
      } else if (!/role="alert"/.test(r.text)) wrong.push(`${label} -> ${r.status} page without an alert: ${r.text.slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
    expect(await snapshot(env.doc, env.names.listings)).toEqual(listings);
    expect(await snapshot(env.doc, env.names.journal)).toEqual(journal);
    expect((await env.outbox.messages()).length).toBe(mails);
  });
});
