// ListResourceRecordSets order and paging, as Route 53 does them: names with labels reversed
// compared as ASCII text (so "10" before "2", "a-b" before "a"), then type; at most 300 a page;
// StartRecordName/Type start at the first rrset at or after them. The wildcard label sorts as the
// raw "*" (ASCII 42, before the digits), as the API reference's "Sort order" lists it among the
// characters before ".", although names come back written as "\052". The stand-in's option
// wildcardOrder: 'escaped' sorts it as the written "\052" instead (after the digits).
import { ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { rejection, rr, send, standInSuite, withStandInClient } from './helpers.js';

let standIn: Route53StandIn;
let client: Route53Client;
let zone: string;
const Z = 'bl.example.org.';

const EXPECTED: Array<[string, string]> = [
  [Z, 'NS'],
  [Z, 'SOA'],
  [`\\052.0.0.127.${Z}`, 'A'],
  [`\\052.0.0.127.${Z}`, 'TXT'],
  [`10.0.0.127.${Z}`, 'A'],
  [`10.0.0.127.${Z}`, 'TXT'],
  [`2.0.0.127.${Z}`, 'A'],
  [`a-b.0.0.127.${Z}`, 'A'],
  [`a.0.0.127.${Z}`, 'A'],
  [`b.a.0.0.127.${Z}`, 'A'],
  [`x.${Z}`, 'A'],
];

/** The same rrsets when the wildcard sorts as its escaped text (wildcardOrder: 'escaped'). */
const EXPECTED_ESCAPED: Array<[string, string]> = [...EXPECTED.slice(0, 2), ...EXPECTED.slice(4, 7), ...EXPECTED.slice(2, 4), ...EXPECTED.slice(7)];

/** Creates the test rrsets, sent in a scrambled order, with mixed case. */
async function fill(c: Route53Client, zoneId: string): Promise<void> {
  await send(c, zoneId, [
    rr('CREATE', `X.${Z}`, 'A', 300, ['192.0.2.1']),
    rr('CREATE', `b.a.0.0.127.${Z}`, 'A', 300, ['192.0.2.1']),
    rr('CREATE', `2.0.0.127.${Z}`, 'A', 300, ['127.0.0.2']),
    rr('CREATE', `*.0.0.127.${Z}`, 'TXT', 300, ['"wild"']),
    rr('CREATE', `10.0.0.127.${Z}`, 'TXT', 300, ['"ten"']),
    rr('CREATE', `a.0.0.127.${Z}`, 'A', 300, ['192.0.2.1']),
    rr('CREATE', `*.0.0.127.${Z}`, 'A', 300, ['127.0.0.2']),
    rr('CREATE', `A-B.0.0.127.${Z}`, 'A', 300, ['192.0.2.1']),
    rr('CREATE', `10.0.0.127.${Z}`, 'A', 300, ['127.0.0.2']),
  ]);
}

standInSuite({ zone: 'bl.example.org' }, (s) => ({ standIn, client, zone } = s));
beforeAll(() => fill(client, zone));

const pairs = (sets: ResourceRecordSet[] | undefined) => (sets ?? []).map((r) => [r.Name!, r.Type!] as [string, string]);

describe('ListResourceRecordSets', () => {
  it('returns every rrset in Route 53 order', async () => {
    const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    expect(pairs(out.ResourceRecordSets)).toEqual(EXPECTED);
    expect(out.IsTruncated).toBe(false);
    expect(out.MaxItems).toBe(300);
    expect(out.NextRecordName).toBeUndefined();
    const ten = out.ResourceRecordSets!.find((r) => r.Name === `10.0.0.127.${Z}` && r.Type === 'TXT');
    expect(ten).toEqual({ Name: `10.0.0.127.${Z}`, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"ten"' }] });
  });

  it('pages with NextRecordName/NextRecordType, which can be fed back as they are', async () => {
    const seen: Array<[string, string]> = [];
    let start: { StartRecordName?: string; StartRecordType?: 'A' } = {};
    const nexts: Array<[string | undefined, string | undefined]> = [];
    for (let page = 0; page < 10; page++) {
      const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, MaxItems: 3, ...start }));
      expect(out.MaxItems).toBe(3);
      seen.push(...pairs(out.ResourceRecordSets));
      if (!out.IsTruncated) break;
      nexts.push([out.NextRecordName, out.NextRecordType]);
      start = { StartRecordName: out.NextRecordName!, StartRecordType: out.NextRecordType as 'A' };
    }
    expect(seen).toEqual(EXPECTED);
    expect(nexts).toEqual([
      [`\\052.0.0.127.${Z}`, 'TXT'],
      [`2.0.0.127.${Z}`, 'A'],
      [`b.a.0.0.127.${Z}`, 'A'],
    ]);
  });

  it('starts at the first rrset at or after StartRecordName (and StartRecordType)', async () => {
    const from = async (name: string, type?: string) =>
      pairs(
        (
          await client.send(
            new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordName: name, ...(type ? { StartRecordType: type as 'A' } : {}), MaxItems: 2 }),
          )
        ).ResourceRecordSets,
      );
    expect(await from(`2.0.0.127.BL.example.org`)).toEqual(EXPECTED.slice(6, 8)); // case-insensitive, no trailing dot
    expect(await from(`1.0.0.127.${Z}`)).toEqual(EXPECTED.slice(4, 6)); // absent: "1." sorts before "10."
    expect(await from(`0.0.0.127.${Z}`)).toEqual(EXPECTED.slice(4, 6)); // absent: "*" sorts before "0"
    expect(await from(`10.0.0.127.${Z}`, 'MX')).toEqual(EXPECTED.slice(5, 7)); // A < MX <= TXT
    expect(await from(`*.0.0.127.${Z}`)).toEqual(EXPECTED.slice(2, 4));
    expect(await from(`\\052.0.0.127.${Z}`, 'TXT')).toEqual(EXPECTED.slice(3, 5));
    expect(await from(`0.127.${Z}`)).toEqual(EXPECTED.slice(2, 4)); // the wildcard's parent comes just before it
    expect(await from(`zzz.${Z}`)).toEqual([]);
  });

  it('a type without a name is InvalidInput', async () => {
    const err = await rejection(client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordType: 'A' })));
    expect(err.name).toBe('InvalidInput');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('gives at most 300 rrsets a page, also when more are asked for', async () => {
    const big = await standIn.createZone('big.example.org');
    await send(
      client,
      big,
      Array.from({ length: 305 }, (_, i) => rr('CREATE', `${i}.big.example.org`, 'A', 60, ['127.0.0.2'])),
    );
    const first = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: big, MaxItems: 1000 }));
    expect(first.ResourceRecordSets).toHaveLength(300);
    expect(first.MaxItems).toBe(300);
    expect(first.IsTruncated).toBe(true);
    const rest = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: big, StartRecordName: first.NextRecordName!, StartRecordType: first.NextRecordType! }),
    );
    expect(rest.ResourceRecordSets).toHaveLength(307 - 300);
    expect(rest.IsTruncated).toBe(false);
    // ASCII order of the last label: 0, 1, 10, 100, 101, ... 2, 20, ...
    const names = [...first.ResourceRecordSets!, ...rest.ResourceRecordSets!].slice(2).map((r) => r.Name!.split('.')[0]);
    expect(names.slice(0, 5)).toEqual(['0', '1', '10', '100', '101']);
    expect(names.indexOf('2')).toBe(names.indexOf('199') + 1);
  });

  it("sorts the wildcard as the raw '*' (before digits, so the parent's children come after it) but writes it as \\052", async () => {
    const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordName: `127.${Z}` }));
    const names = (out.ResourceRecordSets ?? []).map((r) => r.Name!);
    expect(names.indexOf(`\\052.0.0.127.${Z}`)).toBeLessThan(names.indexOf(`10.0.0.127.${Z}`));
    expect(names.some((n) => n.includes('*'))).toBe(false);
  });
});

describe("ListResourceRecordSets with wildcardOrder: 'escaped'", () => {
  it('sorts the wildcard as its written form \\052, after the digits (and starts from it in that order)', async () => {
    await withStandInClient({ standIn: { wildcardOrder: 'escaped' }, zone: 'bl.example.org' }, async ({ client: c, zone: id }) => {
      await fill(c, id);
      const all = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: id }));
      expect(pairs(all.ResourceRecordSets)).toEqual(EXPECTED_ESCAPED);
      const from = await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, StartRecordName: `*.0.0.127.${Z}`, MaxItems: 3 }));
      expect(pairs(from.ResourceRecordSets)).toEqual(EXPECTED_ESCAPED.slice(5, 8));
      expect(from.NextRecordName).toBe(`a.0.0.127.${Z}`);
    });
  });
});
