// TestDNSAnswer through the unmodified SDK (TestDNSAnswerCommand): the request and response shapes
// of https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html, answers equal
// to what the stand-in's DNS server says for the same name and type, and the account's request
// bucket shared with every other operation.
import { ListHostedZonesCommand, type Route53Client, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { query } from './dns-client.js';
import { rejection, rr, send, standInSuite, withStandInClient } from './helpers.js';

const Z = 'bl.example.org';
const TXT = '"Listed in spam: \\"quoted\\" reason"';

describe('TestDNSAnswer', () => {
  let s: Route53StandIn;
  let client: Route53Client;
  let zoneId: string;
  const ask = (name: string, type: string) =>
    client.send(new TestDNSAnswerCommand({ HostedZoneId: zoneId, RecordName: name, RecordType: type as never }));

  standInSuite({ zone: Z }, (x) => ({ standIn: s, client, zone: zoneId } = x));
  beforeAll(async () => {
    await send(client, zoneId, [
      // A listed host.
      rr('CREATE', `2.0.0.127.${Z}`, 'A', 300, ['127.0.0.2', '127.0.0.3']),
      rr('CREATE', `2.0.0.127.${Z}`, 'TXT', 300, [TXT, '"second list"']),
      // A listed /24 (wildcard) with an exclusion marker inside and a deeper listing (empty non-terminal).
      rr('CREATE', `*.2.0.192.${Z}`, 'A', 300, ['127.0.0.2']),
      rr('CREATE', `*.2.0.192.${Z}`, 'TXT', 300, ['"range"']),
      rr('CREATE', `25.2.0.192.${Z}`, 'CAA', 300, ['0 issue ";"']),
      rr('CREATE', `*.0.203.${Z}`, 'A', 300, ['127.0.0.2']),
      rr('CREATE', `5.9.0.203.${Z}`, 'A', 300, ['127.0.0.2']),
    ]);
  });

  it('answers a listed name: A codes and TXT texts, with the documented response fields', async () => {
    const a = await ask(`2.0.0.127.${Z}`, 'A');
    expect(a.ResponseCode).toBe('NOERROR');
    expect([...(a.RecordData ?? [])].sort()).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(a.RecordName).toBe(`2.0.0.127.${Z}`);
    expect(a.RecordType).toBe('A');
    expect(a.Protocol).toBe('UDP');
    expect(a.Nameserver).toMatch(/^ns-\d+\.awsdns-\d\d\.com$/);
    expect(a.$metadata.httpStatusCode).toBe(200);
    const txt = await ask(`2.0.0.127.${Z}.`, 'TXT');
    expect(txt.ResponseCode).toBe('NOERROR');
    expect([...(txt.RecordData ?? [])].sort()).toEqual(['"Listed in spam: \\"quoted\\" reason"', '"second list"']);
    expect(txt.RecordName).toBe(`2.0.0.127.${Z}.`);
  });

  it('answers NXDOMAIN with no data for a name that does not exist', async () => {
    for (const type of ['A', 'TXT']) {
      const r = await ask(`1.0.0.127.${Z}`, type);
      expect(r.ResponseCode).toBe('NXDOMAIN');
      expect(r.RecordData ?? []).toEqual([]);
    }
  });

  it('answers NODATA (NOERROR, no data) for another type at an existing name and for an empty non-terminal', async () => {
    for (const [name, type] of [
      [`2.0.0.127.${Z}`, 'CAA'],
      [`25.2.0.192.${Z}`, 'A'],
      [`25.2.0.192.${Z}`, 'TXT'],
      [`9.0.203.${Z}`, 'A'],
      [`0.0.127.${Z}`, 'TXT'],
    ]) {
      const r = await ask(name!, type!);
      expect(r.ResponseCode, `${name} ${type}`).toBe('NOERROR');
      expect(r.RecordData ?? [], `${name} ${type}`).toEqual([]);
    }
  });

  it('answers from wildcards for names that do not exist, and not across an empty non-terminal', async () => {
    const a = await ask(`77.2.0.192.${Z}`, 'A');
    expect(a).toMatchObject({ ResponseCode: 'NOERROR', RecordData: ['127.0.0.2'], RecordName: `77.2.0.192.${Z}` });
    const txt = await ask(`77.2.0.192.${Z}`, 'TXT');
    expect(txt).toMatchObject({ ResponseCode: 'NOERROR', RecordData: ['"range"'] });
    // Deeper than the wildcard's level still matches (RFC 4592).
    expect((await ask(`1.77.2.0.192.${Z}`, 'A')).RecordData).toEqual(['127.0.0.2']);
    // 9.0.203 exists (5.9.0.203 is below it), so *.0.203 does not answer 6.9.0.203.
    expect((await ask(`6.9.0.203.${Z}`, 'A')).ResponseCode).toBe('NXDOMAIN');
    expect((await ask(`8.0.203.${Z}`, 'A')).RecordData).toEqual(['127.0.0.2']);
  });

  it('gives the same rcode and data as the DNS server for every case', async () => {
    const cases: Array<[string, string]> = [
      [`2.0.0.127.${Z}`, 'A'],
      [`2.0.0.127.${Z}`, 'TXT'],
      [`1.0.0.127.${Z}`, 'A'],
      [`25.2.0.192.${Z}`, 'A'],
      [`77.2.0.192.${Z}`, 'TXT'],
      [`6.9.0.203.${Z}`, 'A'],
      [`9.0.203.${Z}`, 'A'],
      [Z, 'SOA'],
      [Z, 'NS'],
    ];
    for (const [name, type] of cases) {
      const viaApi = await ask(name, type);
      const viaDns = await query(s.dnsPort, name, type);
      expect(viaApi.ResponseCode, `${name} ${type}`).toBe(viaDns.rcode);
      expect((viaApi.RecordData ?? []).length, `${name} ${type}`).toBe(viaDns.answers.length);
      if (type === 'A') expect([...(viaApi.RecordData ?? [])].sort()).toEqual(viaDns.answers.map((x) => String(x.data)).sort());
      if (type === 'TXT') {
        const dnsTexts = viaDns.answers.map((x) => (x.data as Buffer[]).map((b) => b.toString()).join('')).sort();
        const apiTexts = (viaApi.RecordData ?? []).map((v) => v.slice(1, -1).replace(/\\(.)/g, '$1')).sort();
        expect(apiTexts).toEqual(dnsTexts);
      }
    }
  });

  it('answers from the zone it is asked about, REFUSED for a name outside it', async () => {
    const other = await s.createZone(`sub.${Z}`);
    await send(client, other, [rr('CREATE', `x.sub.${Z}`, 'A', 60, ['127.0.0.9'])]);
    // The DNS server answers x.sub from the deeper zone; TestDNSAnswer on the parent zone does not see it.
    expect((await ask(`x.sub.${Z}`, 'A')).ResponseCode).toBe('NXDOMAIN');
    const r = await client.send(new TestDNSAnswerCommand({ HostedZoneId: other, RecordName: `x.sub.${Z}`, RecordType: 'A' }));
    expect(r.RecordData).toEqual(['127.0.0.9']);
    expect((await ask('example.com', 'A')).ResponseCode).toBe('REFUSED');
  });

  it('rejects an unknown hosted zone with NoSuchHostedZone (404)', async () => {
    const err = await rejection(client.send(new TestDNSAnswerCommand({ HostedZoneId: 'ZNOSUCHZONE', RecordName: `a.${Z}`, RecordType: 'A' })));
    expect(err.name).toBe('NoSuchHostedZone');
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.message).toContain('ZNOSUCHZONE');
  });

  it('rejects an unknown record type and a malformed name with InvalidInput (400)', async () => {
    for (const [name, type] of [
      [`a.${Z}`, 'BOGUS'],
      [`a..${Z}`, 'A'],
    ]) {
      const err = await rejection(ask(name!, type!));
      expect(err.name, `${name} ${type}`).toBe('InvalidInput');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
  });
});

describe('TestDNSAnswer throttling', () => {
  it("draws from the account's one request bucket, shared with every other operation", async () => {
    await withStandInClient({ standIn: { throttle: { burst: 4, ratePerSecond: 0.001 } }, zone: Z }, async ({ standIn: s, client, zone: zoneId }) => {
      const ask = () => client.send(new TestDNSAnswerCommand({ HostedZoneId: zoneId, RecordName: `1.0.0.127.${Z}`, RecordType: 'A' }));
      await client.send(new ListHostedZonesCommand({}));
      await ask();
      await ask();
      await send(client, zoneId, [rr('CREATE', `2.0.0.127.${Z}`, 'A', 60, ['127.0.0.2'])]);
      // The bucket (4) is empty now: TestDNSAnswer is refused like any other request, and the other way round.
      const err = await rejection(ask());
      expect(err.name).toBe('Throttling');
      expect(err.message).toBe('Rate exceeded');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect((await rejection(client.send(new ListHostedZonesCommand({})))).name).toBe('Throttling');
      expect(s.stats().requests['TestDNSAnswer']).toBe(3);
      expect(s.stats().throttled).toBe(2);
    });
  });
});
