// ChangeResourceRecordSets rules through the real SDK: every InvalidChangeBatch message, InvalidInput
// for malformed requests, atomicity, names and values.
import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { batchMessages, rejection, rr, send, standInSuite } from './helpers.js';

let standIn: Route53StandIn;
let client: Route53Client;
let zone: string;
const Z = 'bl.example.org.';

// A fresh zone per test.
standInSuite({ zone: 'bl.example.org', zonePerTest: true }, (s) => ({ standIn, client, zone } = s));

const contents = () => standIn.rrsets(zone).filter((r) => !(r.name === Z && (r.type === 'SOA' || r.type === 'NS')));

describe('CREATE / DELETE / UPSERT', () => {
  it('creates, upserts and deletes; names are stored lower-case with a trailing dot', async () => {
    const out = await send(client, zone, [rr('CREATE', '2.0.0.127.BL.Example.org', 'A', 300, ['127.0.0.2'])], 'first');
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(out.ChangeInfo?.Comment).toBe('first');
    expect(contents()).toEqual([{ name: `2.0.0.127.${Z}`, type: 'A', ttl: 300, values: ['127.0.0.2'] }]);

    await send(client, zone, [rr('UPSERT', `2.0.0.127.${Z}`, 'A', 60, ['127.0.0.3', '127.0.0.4'])]);
    expect(contents()).toEqual([{ name: `2.0.0.127.${Z}`, type: 'A', ttl: 60, values: ['127.0.0.3', '127.0.0.4'] }]);

    // DELETE needs the exact TTL and values, in any order.
    await send(client, zone, [rr('DELETE', `2.0.0.127.${Z}`, 'A', 60, ['127.0.0.4', '127.0.0.3'])]);
    expect(contents()).toEqual([]);
    expect(standIn.stats().changesApplied).toBeGreaterThanOrEqual(3);
  });

  it('CREATE of an existing rrset fails', async () => {
    await send(client, zone, [rr('CREATE', `a.${Z}`, 'A', 300, ['192.0.2.1'])]);
    expect(await batchMessages(client, zone, [rr('CREATE', `A.${Z}`, 'A', 300, ['192.0.2.9'])])).toEqual([
      `Tried to create resource record set [name='a.${Z}', type='A'] but it already exists`,
    ]);
  });

  it('DELETE of a missing rrset fails', async () => {
    expect(await batchMessages(client, zone, [rr('DELETE', `nope.${Z}`, 'TXT', 300, ['"x"'])])).toEqual([
      `Tried to delete resource record set [name='nope.${Z}', type='TXT'] but it was not found`,
    ]);
  });

  it('DELETE with a different TTL or different values fails', async () => {
    await send(client, zone, [rr('CREATE', `d.${Z}`, 'A', 300, ['192.0.2.1', '192.0.2.2'])]);
    const mismatch = `Tried to delete resource record set [name='d.${Z}', type='A'] but the values provided do not match the current values`;
    expect(await batchMessages(client, zone, [rr('DELETE', `d.${Z}`, 'A', 301, ['192.0.2.1', '192.0.2.2'])])).toEqual([mismatch]);
    expect(await batchMessages(client, zone, [rr('DELETE', `d.${Z}`, 'A', 300, ['192.0.2.1'])])).toEqual([mismatch]);
    expect(await batchMessages(client, zone, [rr('DELETE', `d.${Z}`, 'A', 300, ['192.0.2.1', '192.0.2.3'])])).toEqual([mismatch]);
    expect(contents()).toHaveLength(1);
  });

  it('the same rrset twice in one batch is rejected, except DELETE then CREATE', async () => {
    const invalidSet = `The request contains an invalid set of changes for a resource record set 'A t.${Z}'`;
    expect(
      await batchMessages(client, zone, [rr('CREATE', `t.${Z}`, 'A', 300, ['192.0.2.1']), rr('UPSERT', `T.${Z}`, 'A', 300, ['192.0.2.2'])]),
    ).toEqual([invalidSet]);
    expect(
      await batchMessages(client, zone, [rr('UPSERT', `t.${Z}`, 'A', 300, ['192.0.2.1']), rr('UPSERT', `t.${Z}`, 'A', 300, ['192.0.2.1'])]),
    ).toEqual([invalidSet]);
    await send(client, zone, [rr('CREATE', `t.${Z}`, 'A', 300, ['192.0.2.1'])]);
    expect(
      await batchMessages(client, zone, [rr('DELETE', `t.${Z}`, 'A', 300, ['192.0.2.1']), rr('DELETE', `t.${Z}`, 'A', 300, ['192.0.2.1'])]),
    ).toEqual([invalidSet]);
    // Replacing by DELETE + CREATE in one request is the documented pre-UPSERT idiom.
    await send(client, zone, [rr('DELETE', `t.${Z}`, 'A', 300, ['192.0.2.1']), rr('CREATE', `t.${Z}`, 'A', 60, ['192.0.2.7'])]);
    expect(contents()).toEqual([{ name: `t.${Z}`, type: 'A', ttl: 60, values: ['192.0.2.7'] }]);
  });

  it('reports every problem of a batch at once, and applies nothing (atomic)', async () => {
    await send(client, zone, [rr('CREATE', `keep.${Z}`, 'A', 300, ['192.0.2.1'])]);
    const before = standIn.rrsets(zone);
    const applied = standIn.stats().changesApplied;
    const messages = await batchMessages(client, zone, [
      rr('CREATE', `new1.${Z}`, 'A', 300, ['192.0.2.10']), // fine on its own
      rr('UPSERT', `keep.${Z}`, 'A', 300, ['192.0.2.2']), // fine on its own
      rr('CREATE', `keep.${Z}`, 'TXT', 300, ['"ok"']), // fine on its own
      rr('DELETE', `gone.${Z}`, 'A', 300, ['192.0.2.3']), // bad
      rr('CREATE', `bad.${Z}`, 'A', 300, ['192.0.2.300']), // bad
    ]);
    expect(messages).toEqual([
      `Tried to delete resource record set [name='gone.${Z}', type='A'] but it was not found`,
      "Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '192.0.2.300''",
    ]);
    expect(standIn.rrsets(zone)).toEqual(before);
    expect(standIn.stats().changesApplied).toBe(applied);
  });
});

describe('names', () => {
  it('must be inside the zone', async () => {
    expect(await batchMessages(client, zone, [rr('CREATE', 'x.example.com', 'A', 300, ['192.0.2.1'])])).toEqual([
      `RRSet with DNS name x.example.com. is not permitted in zone ${Z}`,
    ]);
    expect(await batchMessages(client, zone, [rr('CREATE', 'example.org', 'A', 300, ['192.0.2.1'])])).toEqual([
      `RRSet with DNS name example.org. is not permitted in zone ${Z}`,
    ]);
    // "xbl.example.org" ends with the zone's text but is not below it.
    expect(await batchMessages(client, zone, [rr('CREATE', 'xbl.example.org', 'A', 300, ['192.0.2.1'])])).toEqual([
      `RRSet with DNS name xbl.example.org. is not permitted in zone ${Z}`,
    ]);
  });

  it('accepts * as the whole leftmost label, also written \\052, and lists it as \\052', async () => {
    await send(client, zone, [rr('CREATE', `*.2.0.192.${Z}`, 'A', 300, ['127.0.0.2'])]);
    await send(client, zone, [rr('CREATE', `\\052.3.0.192.${Z}`, 'A', 300, ['127.0.0.2'])]);
    // Both spellings are one name.
    expect(await batchMessages(client, zone, [rr('CREATE', `\\052.2.0.192.${Z}`, 'A', 300, ['127.0.0.2'])])).toEqual([
      `Tried to create resource record set [name='\\052.2.0.192.${Z}', type='A'] but it already exists`,
    ]);
    expect(contents().map((r) => r.name)).toEqual([`*.2.0.192.${Z}`, `*.3.0.192.${Z}`]);
    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    expect(listed.ResourceRecordSets!.map((r) => r.Name)).toContain(`\\052.2.0.192.${Z}`);
  });

  it('rejects * anywhere but as the whole leftmost label', async () => {
    for (const bad of [`a.*.${Z}`, `*a.${Z}`, `a*.${Z}`]) {
      const [m] = await batchMessages(client, zone, [rr('CREATE', bad, 'A', 300, ['192.0.2.1'])]);
      expect(m).toBe(`Invalid wildcard: '*' is allowed only as the whole leftmost label, encountered with '${bad}'`);
    }
  });

  it('limits labels to 63 and names to 255 octets', async () => {
    const l63 = 'a'.repeat(63);
    await send(client, zone, [rr('CREATE', `${l63}.${Z}`, 'A', 300, ['192.0.2.1'])]);
    const l64 = 'a'.repeat(64);
    expect(await batchMessages(client, zone, [rr('CREATE', `${l64}.${Z}`, 'A', 300, ['192.0.2.1'])])).toEqual([
      `FATAL problem: DomainLabelTooLong (Domain label is too long) encountered with '${l64}.${Z}'`,
    ]);
    // bl.example.org. is 16 octets on the wire; 3 x 63-octet labels + a 46-octet one make 255.
    const fits = `${l63}.${l63}.${l63}.${'b'.repeat(46)}.${Z}`;
    const tooLong = `${l63}.${l63}.${l63}.${'b'.repeat(47)}.${Z}`;
    await send(client, zone, [rr('CREATE', fits, 'A', 300, ['192.0.2.1'])]);
    expect(await batchMessages(client, zone, [rr('CREATE', tooLong, 'A', 300, ['192.0.2.1'])])).toEqual([
      `FATAL problem: DomainNameTooLong (Domain name is too long) encountered with '${tooLong}'`,
    ]);
    expect(await batchMessages(client, zone, [rr('CREATE', `a..${Z}`, 'A', 300, ['192.0.2.1'])])).toEqual([
      `FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'a..${Z}'`,
    ]);
  });
});

describe('values', () => {
  it('A must be a dotted quad', async () => {
    for (const v of ['1.2.3', '1.2.3.256', '01.2.3.4', 'x', '1.2.3.4 ']) {
      const [m] = await batchMessages(client, zone, [rr('CREATE', `a.${Z}`, 'A', 300, [v])]);
      expect(m).toBe(`Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${v}''`);
    }
    await send(client, zone, [rr('CREATE', `a.${Z}`, 'A', 300, ['0.0.0.0', '255.255.255.255'])]);
  });

  it('TXT must be quoted strings of at most 255 characters each', async () => {
    const s255 = 'x'.repeat(255);
    await send(client, zone, [
      rr('CREATE', `t.${Z}`, 'TXT', 300, [`"${s255}" "second"`, '"with \\"quotes\\" and \\\\"', '"\\101\\102C"', '""']),
    ]);
    expect(contents()[0]!.values).toHaveLength(4);
    const unquoted = await batchMessages(client, zone, [rr('CREATE', `u.${Z}`, 'TXT', 300, ['listed'])]);
    expect(unquoted).toEqual([
      "Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'listed''",
    ]);
    const unterminated = await batchMessages(client, zone, [rr('CREATE', `u.${Z}`, 'TXT', 300, ['"open'])]);
    expect(unterminated[0]).toContain('InvalidCharacterString');
    const long = `"${'y'.repeat(256)}"`;
    expect(await batchMessages(client, zone, [rr('CREATE', `u.${Z}`, 'TXT', 300, [long])])).toEqual([
      `Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '${long}''`,
    ]);
    // 255 after unescaping is fine even though the text is longer.
    await send(client, zone, [rr('CREATE', `e.${Z}`, 'TXT', 300, [`"${'\\"'.repeat(255)}"`])]);
  });

  it('a Value over 4,000 characters is InvalidInput (request validation)', async () => {
    const v = Array.from({ length: 16 }, () => `"${'z'.repeat(250)}"`).join(' '); // 16 * 253 - 1 = 4047
    const err = await rejection(send(client, zone, [rr('CREATE', `big.${Z}`, 'TXT', 300, [v])]));
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('Member must have length less than or equal to 4000');
  });

  it('CAA is "flags tag \\"value\\""', async () => {
    await send(client, zone, [rr('CREATE', Z, 'CAA', 300, ['0 issue ";"', '0 iodef "mailto:abuse@example.org"'])]);
    for (const v of ['issue ";"', '0 issue', '0 issue ;', '256 issue ";"']) {
      const [m] = await batchMessages(client, zone, [rr('CREATE', `c.${Z}`, 'CAA', 300, [v])]);
      expect(m).toBe(`Invalid Resource Record: 'FATAL problem: InvalidCAARDATA (Value is not a valid CAA record) encountered with '${v}''`);
    }
  });

  it('duplicate values in one rrset are rejected', async () => {
    expect(await batchMessages(client, zone, [rr('CREATE', `d.${Z}`, 'A', 300, ['192.0.2.1', '192.0.2.1'])])).toEqual([
      "Duplicate Resource Record: '192.0.2.1'",
    ]);
  });

  it('TTL must be 0..2147483647 (InvalidInput)', async () => {
    await send(client, zone, [rr('CREATE', `ttl0.${Z}`, 'A', 0, ['192.0.2.1']), rr('CREATE', `ttlmax.${Z}`, 'A', 2147483647, ['192.0.2.1'])]);
    for (const ttl of [-1, 2147483648]) {
      const err = await rejection(send(client, zone, [rr('CREATE', `ttlbad.${Z}`, 'A', ttl, ['192.0.2.1'])]));
      expect(err.name).toBe('InvalidInput');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toMatch(/resourceRecordSet\.tTL' failed to satisfy constraint/);
    }
  });

  it('a change without TTL or without records is InvalidInput', async () => {
    const err = await rejection(
      send(client, zone, [{ Action: 'CREATE', ResourceRecordSet: { Name: `n.${Z}`, Type: 'A', ResourceRecords: [{ Value: '192.0.2.1' }] } }]),
    );
    expect(err.name).toBe('InvalidInput');
    expect(err.message).toContain('Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]');
  });
});

describe('CNAME, SOA and NS', () => {
  it('a CNAME cannot share its name with other rrsets, in either order', async () => {
    await send(client, zone, [rr('CREATE', `x.${Z}`, 'A', 300, ['192.0.2.1'])]);
    expect(await batchMessages(client, zone, [rr('CREATE', `x.${Z}`, 'CNAME', 300, ['y.example.net.'])])).toEqual([
      `RRSet of type CNAME with DNS name x.${Z} is not permitted as it conflicts with other records with the same DNS name in zone ${Z}`,
    ]);
    await send(client, zone, [rr('CREATE', `c.${Z}`, 'CNAME', 300, ['y.example.net.'])]);
    expect(await batchMessages(client, zone, [rr('CREATE', `c.${Z}`, 'TXT', 300, ['"t"'])])).toEqual([
      `RRSet of type TXT with DNS name c.${Z} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone ${Z}`,
    ]);
    // Not even at the apex, which always has SOA and NS.
    const [apex] = await batchMessages(client, zone, [rr('CREATE', Z, 'CNAME', 300, ['y.example.net.'])]);
    expect(apex).toContain('is not permitted as it conflicts with other records');
    // Within one batch: delete the A, then the CNAME is fine.
    await send(client, zone, [rr('DELETE', `x.${Z}`, 'A', 300, ['192.0.2.1']), rr('CREATE', `x.${Z}`, 'CNAME', 300, ['y.example.net.'])]);
    expect(contents().find((r) => r.name === `x.${Z}`)?.type).toBe('CNAME');
  });

  it('only the apex has an SOA; apex SOA and NS can be UPSERTed but not removed', async () => {
    const soa = standIn.rrsets(zone).find((r) => r.type === 'SOA')!;
    const ns = standIn.rrsets(zone).find((r) => r.type === 'NS')!;
    const newSoa = soa.values[0]!.replace(/ 86400$/, ' 300');
    await send(client, zone, [rr('UPSERT', Z, 'SOA', 600, [newSoa]), rr('UPSERT', Z, 'NS', 3600, ns.values)]);
    expect(standIn.rrsets(zone).find((r) => r.type === 'SOA')).toEqual({ name: Z, type: 'SOA', ttl: 600, values: [newSoa] });

    expect(await batchMessages(client, zone, [rr('CREATE', `sub.${Z}`, 'SOA', 300, [newSoa])])).toEqual([
      `RRSet of type SOA with DNS name sub.${Z} is not permitted because only the zone apex may have an SOA record`,
    ]);
    expect(await batchMessages(client, zone, [rr('DELETE', Z, 'SOA', 600, [newSoa])])).toEqual([
      'A HostedZone must contain exactly one SOA record.',
    ]);
    expect(await batchMessages(client, zone, [rr('DELETE', Z, 'NS', 3600, ns.values)])).toEqual([
      'A HostedZone must contain at least one NS record for the zone itself.',
    ]);
    expect(await batchMessages(client, zone, [rr('CREATE', Z, 'NS', 3600, ns.values)])).toEqual([
      `Tried to create resource record set [name='${Z}', type='NS'] but it already exists`,
    ]);
    // NS below the apex is a delegation, which Route 53 allows.
    await send(client, zone, [rr('CREATE', `child.${Z}`, 'NS', 300, ['ns1.child.bl.example.org.'])]);
  });
});

describe('request errors', () => {
  it('unknown zone is NoSuchHostedZone; unsupported features are InvalidInput', async () => {
    const missing = await rejection(send(client, 'ZNOSUCHZONE', [rr('CREATE', `a.${Z}`, 'A', 300, ['192.0.2.1'])]));
    expect(missing.name).toBe('NoSuchHostedZone');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const weighted = await rejection(
      send(client, zone, [
        {
          Action: 'CREATE',
          ResourceRecordSet: { Name: `w.${Z}`, Type: 'A', TTL: 60, SetIdentifier: 'one', Weight: 1, ResourceRecords: [{ Value: '192.0.2.1' }] },
        },
      ]),
    );
    expect(weighted.name).toBe('InvalidInput');
    expect(weighted.message).toContain('SetIdentifier');
  });
});
