// The stand-in's DNS answers against a real BIND serving the same rrsets: for a set of names built
// around wildcards, empty non-terminals, NODATA vs NXDOMAIN, deeper wildcards, CNAMEs and a
// delegation, both must give the same status, flags, answer and authority sections.
import type { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { type BindServer, startBind } from './bind.js';
import { digBatch, type DigReply } from './dig.js';
import { query } from './dns-client.js';
import { rr, send, standInSuite } from './helpers.js';

const Z = 'bl.example.org.';
let standIn: Route53StandIn;
let client: Route53Client;
let bind: BindServer;
let zone: string;

standInSuite({ zone: 'bl.example.org' }, (s) => ({ standIn, client, zone } = s));
beforeAll(async () => {
  const soa = standIn.rrsets(zone).find((r) => r.type === 'SOA')!.values[0]!;
  await send(client, zone, [
    // SOA minimum 300 < SOA TTL 900: negative answers must carry TTL 300.
    rr('UPSERT', Z, 'SOA', 900, [soa.replace(/ 86400$/, ' 300')]),
    rr('CREATE', Z, 'TXT', 3600, ['"bl.example.org test zone"']),
    rr('CREATE', Z, 'CAA', 3600, ['0 issue ";"']),
    rr('CREATE', `*.2.0.192.${Z}`, 'A', 300, ['127.0.0.2']),
    rr('CREATE', `*.2.0.192.${Z}`, 'TXT', 300, ['"listed" "see https://example.org/2"']),
    rr('CREATE', `5.2.0.192.${Z}`, 'A', 300, ['127.0.0.3']),
    rr('CREATE', `*.0.203.${Z}`, 'A', 300, ['127.0.0.4']),
    rr('CREATE', `5.9.0.203.${Z}`, 'A', 300, ['127.0.0.5']),
    rr('CREATE', `*.8.0.198.${Z}`, 'A', 300, ['127.0.0.6']),
    rr('CREATE', `*.5.8.0.198.${Z}`, 'A', 300, ['127.0.0.7']),
    rr('CREATE', `*.5.8.0.198.${Z}`, 'TXT', 300, ['"deeper"']),
    rr('CREATE', `1.1.1.10.${Z}`, 'A', 300, ['127.0.0.10', '127.0.0.11']),
    rr('CREATE', `alias.${Z}`, 'CNAME', 300, [`5.2.0.192.${Z}`]),
    rr('CREATE', `chain.${Z}`, 'CNAME', 300, [`alias.${Z}`]),
    rr('CREATE', `dangling.${Z}`, 'CNAME', 300, [`missing.${Z}`]),
    rr('CREATE', `*.cn.${Z}`, 'CNAME', 300, [`target.${Z}`]),
    rr('CREATE', `target.${Z}`, 'A', 300, ['127.0.0.9']),
    rr('CREATE', `out.${Z}`, 'CNAME', 300, ['www.example.net.']),
    rr('CREATE', `sub.${Z}`, 'NS', 3600, [`ns1.sub.${Z}`, 'ns2.example.net.']),
    rr('CREATE', `ns1.sub.${Z}`, 'A', 3600, ['192.0.2.53']),
    rr('CREATE', `mail.${Z}`, 'MX', 300, ['10 mx.example.net.']),
    rr('CREATE', `v6.${Z}`, 'AAAA', 300, ['2001:db8::1']),
    rr('CREATE', `zero.${Z}`, 'A', 0, ['127.0.0.1']),
    rr('CREATE', `_dmarc.${Z}`, 'TXT', 300, ['"v=DMARC1; p=none"']),
    rr('CREATE', `a-b.${Z}`, 'A', 300, ['127.0.0.12']),
  ]);
  bind = await startBind([{ name: Z, rrsets: standIn.rrsets(zone) }]);
});

afterAll(async () => {
  await bind?.stop();
});

const QUERIES = [
  // apex
  'SOA', 'NS', 'TXT', 'CAA', 'A', 'MX', 'ANY',
].map((t) => `${Z} ${t}`).concat(
  [
    // a wildcard covering a /24
    '1.2.0.192 A', '1.2.0.192 TXT', '1.2.0.192 AAAA', '1.2.0.192 ANY', '99.2.0.192 A', '1.1.2.0.192 A', '1.2.0.192.BL.Example.ORG. A',
    // an explicit record stops the wildcard for every type
    '5.2.0.192 A', '5.2.0.192 TXT', '6.5.2.0.192 A',
    // empty non-terminals above the wildcard
    '2.0.192 A', '0.192 A', '192 TXT', '2.0.192 ANY',
    // the wildcard's own name, and a name below it
    '*.2.0.192 A', '*.2.0.192 TXT', 'x.*.2.0.192 A',
    // a deeper record turns its parent into an empty non-terminal that blocks the wildcard
    '7.0.203 A', '1.7.0.203 A', '9.0.203 A', '6.9.0.203 A', '5.9.0.203 A', '5.9.0.203 TXT',
    // a deeper wildcard below a wildcard
    '1.8.0.198 A', '1.8.0.198 TXT', '1.5.8.0.198 A', '1.5.8.0.198 TXT', '5.8.0.198 A', '2.5.8.0.198 ANY',
    // a deep chain of empty non-terminals
    '1.1.1.10 A', '1.1.10 A', '1.10 A', '10 A', '2.1.1.10 A',
    // CNAMEs: in-zone target, chain, dangling, wildcard CNAME, out of zone
    'alias A', 'alias CNAME', 'alias TXT', 'chain A', 'dangling A', 'foo.cn A', 'foo.cn TXT', 'out A', 'out CNAME',
    // a delegation: referral at and below the cut, DS answered by the parent side
    'sub NS', 'sub A', 'x.sub A', 'ns1.sub A', 'sub DS',
    // other types and names
    'mail MX', 'mail A', 'v6 AAAA', 'zero A', '_dmarc TXT', 'a-b A', 'A-B AAAA', 'nothere A', 'no.there TXT', 'nothere ANY',
  ].map((q) => {
    const [name, type] = q.split(' ') as [string, string];
    return `${name.endsWith('.') ? name : `${name}.${Z}`} ${type}`;
  }),
  // outside every zone the stand-in and BIND serve
  ['example.org. A', 'org. SOA', 'example.net. A'],
);

function compare(ours: DigReply[], theirs: DigReply[]): void {
  expect(ours.map((r) => r.question)).toEqual(theirs.map((r) => r.question));
  for (let i = 0; i < ours.length; i++) {
    // Compared per query so a failure names the query.
    expect({ q: ours[i]!.question, status: ours[i]!.status, flags: ours[i]!.flags, answer: ours[i]!.answer, authority: ours[i]!.authority }).toEqual({
      q: theirs[i]!.question,
      status: theirs[i]!.status,
      flags: theirs[i]!.flags,
      answer: theirs[i]!.answer,
      authority: theirs[i]!.authority,
    });
  }
}

describe('DNS answers match BIND', () => {
  it('over UDP with EDNS (dig default)', async () => {
    const [ours, theirs] = await Promise.all([digBatch(standIn.dnsPort, QUERIES), digBatch(bind.port, QUERIES)]);
    compare(ours, theirs);
    // Guard against a vacuous comparison: the set really covers every outcome.
    const byQ = new Map(ours.map((r) => [r.question, r]));
    const statusOf = (q: string) => byQ.get(q)?.status;
    expect(statusOf(`1.2.0.192.${Z} A`)).toBe('NOERROR');
    expect(byQ.get(`1.2.0.192.${Z} A`)!.answer).toEqual([`1.2.0.192.${Z} 300 IN A 127.0.0.2`]);
    expect(byQ.get(`1.2.0.192.${Z} TXT`)!.answer).toEqual([`1.2.0.192.${Z} 300 IN TXT "listed" "see https://example.org/2"`]);
    expect(statusOf(`6.9.0.203.${Z} A`)).toBe('NXDOMAIN');
    expect(byQ.get(`6.9.0.203.${Z} A`)!.authority).toEqual([`${Z} 300 IN SOA ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 300`]);
    expect(byQ.get(`9.0.203.${Z} A`)).toMatchObject({ status: 'NOERROR', answer: [] });
    expect(byQ.get(`5.8.0.198.${Z} A`)).toMatchObject({ status: 'NOERROR', answer: [] });
    expect(byQ.get(`x.sub.${Z} A`)!.flags).not.toContain('aa');
    expect(statusOf('example.org. A')).toBe('REFUSED');
    const statuses = new Set(ours.map((r) => r.status));
    expect([...statuses].sort()).toEqual(['NOERROR', 'NXDOMAIN', 'REFUSED']);
  });

  it('over TCP', async () => {
    const [ours, theirs] = await Promise.all([digBatch(standIn.dnsPort, QUERIES, ['+tcp']), digBatch(bind.port, QUERIES, ['+tcp'])]);
    compare(ours, theirs);
  });

  it('over UDP without EDNS, and without RD', async () => {
    const opts = ['+noedns', '+norecurse'];
    const [ours, theirs] = await Promise.all([digBatch(standIn.dnsPort, QUERIES, opts), digBatch(bind.port, QUERIES, opts)]);
    compare(ours, theirs);
    expect(ours.find((r) => r.question === `${Z} SOA`)!.flags).toEqual(['aa', 'qr']);
  });

  it('serves changes as soon as they are accepted', async () => {
    expect((await query(standIn.dnsPort, `7.0.203.${Z}`, 'A')).rcode).toBe('NOERROR');
    await send(client, zone, [rr('DELETE', `*.0.203.${Z}`, 'A', 300, ['127.0.0.4'])]);
    const after = await query(standIn.dnsPort, `7.0.203.${Z}`, 'A');
    expect(after.rcode).toBe('NXDOMAIN');
    // 9.0.203 still exists because of 5.9.0.203, so 0.203 does too.
    expect((await query(standIn.dnsPort, `0.203.${Z}`, 'A')).rcode).toBe('NOERROR');
    await send(client, zone, [rr('DELETE', `5.9.0.203.${Z}`, 'A', 300, ['127.0.0.5'])]);
    expect((await query(standIn.dnsPort, `0.203.${Z}`, 'A')).rcode).toBe('NXDOMAIN');
  });
});
