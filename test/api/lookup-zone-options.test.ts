// The look-up tells the zone's answer apart from the mirrors' where the configuration makes them
// differ: 6to4 names (answered by the zone only with ipv4ViaIpv6; by rbldnsd always) and A-only
// lists (route53Txt false: the zone holds no TXT for them, so a TXT-less DNS answer is in step).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupResponseSchema } from '../../lambdas/api/schemas.js';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import { type ApiEnv, CFG, call, startApiEnv } from './support.js';
import { aOnlyList } from '../support/zones.js';

let env: ApiEnv;
beforeAll(async () => {
  env = await startApiEnv();
  await call(env.url, 'POST', '/v1/listings', {
    items: [
      { list: 'spam', network: '198.18.5.0/24', reason: 'worse', allowReserved: true },
      { list: 'dul', network: '198.18.5.5', reason: 'dialup', allowReserved: true },
    ],
  });
});
afterAll(async () => {
  await env?.stop();
});

async function lookup(cfg: ZoneConfig, ip: string) {
  const api = await env.withDeps({ cfg });
  const r = await call(api.url, 'GET', `/v1/lookup?ip=${encodeURIComponent(ip)}`);
  expect(r.status, r.text).toBe(200);
  return lookupResponseSchema.parse(r.json);
}

describe('GET /v1/lookup and the zone options', () => {
  it('answers a 6to4 address from its IPv4 address in the zone only with ipv4ViaIpv6, and says what mirrors answer otherwise', async () => {
    const off = await lookup(CFG, '2002:c612:505::1');
    expect(off).toMatchObject({ listed: false, answer: [], mirrorsAnswerFrom: '198.18.5.5' });
    expect(off.answeredFrom).toBeUndefined();
    expect(off.mirrorAnswer!.map((a) => a.list)).toEqual(['spam', 'dul']);
    // The zone has nothing at the 6to4 name: NXDOMAIN is in step.
    expect(off.dns).toMatchObject({ status: 'NXDOMAIN', matchesComputed: true });

    const on = await lookup({ ...CFG, ipv4ViaIpv6: true }, '2002:c612:505::1');
    expect(on).toMatchObject({ listed: true, answeredFrom: '198.18.5.5' });
    expect(on.answer!.map((a) => a.list)).toEqual(['spam', 'dul']);
    expect(on.mirrorAnswer).toBeUndefined();
    expect(on.mirrorsAnswerFrom).toBeUndefined();
  });

  it('holds an A-only list to A records: the zone answering its code without its text is in step', async () => {
    const aOnly: ZoneConfig = aOnlyList(CFG, 'dul');
    const spamTxt = 'Listed in spam: worse - see https://bl.test/lookup?ip=198.18.5.0/24';
    env.dns.records.set('5.5.18.198.bl.test', { a: ['127.0.0.2', '127.0.0.10'], txt: [spamTxt] });
    const api = await env.withDeps({ cfg: aOnly });
    const lists = (await call(api.url, 'GET', '/v1/lists')).json as { lists: Array<{ name: string; route53Txt: boolean }> };
    expect(lists.lists.map((l) => [l.name, l.route53Txt])).toEqual([['spam', true], ['proxy', true], ['dul', false]]);
    const r = await lookup(aOnly, '198.18.5.5');
    // The reason stays in the look-up for the A-only list.
    expect(r.answer).toEqual([
      { list: 'spam', code: '127.0.0.2', txt: spamTxt },
      { list: 'dul', code: '127.0.0.10', txt: 'Dynamic 198.18.5.5' },
    ]);
    expect(r.dns).toMatchObject({ status: 'listed', matchesComputed: true });
    // With the list publishing TXT, the same DNS answer lacks a text: not in step.
    expect((await lookup(CFG, '198.18.5.5')).dns).toMatchObject({ matchesComputed: false });
  });
});
