// Per-request limits of ChangeResourceRecordSets (1,000 ResourceRecord elements, 32,000 Value
// characters, UPSERT counting both twice) and the rrsets-per-zone quota.
import type { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { batchMessages, rr, send, standInSuite, withStandInClient } from './helpers.js';

let standIn: Route53StandIn;
let client: Route53Client;
let zone: string;
const Z = 'bl.example.org.';
const RECORDS = 'Number of records limit of 1000 exceeded.';
const CHARACTERS = 'RDATA character limit of 32000 exceeded.';

standInSuite({ zone: 'bl.example.org', zonePerTest: true }, (s) => ({ standIn, client, zone } = s));

/** n single-value A changes on distinct names. */
const aChanges = (action: 'CREATE' | 'UPSERT', n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => rr(action, `${prefix}${i}.${Z}`, 'A', 300, ['127.0.0.2']));

/** A valid TXT value of exactly `len` characters (strings of at most 255, space-separated). */
function txtOfLength(len: number, fill: string): string {
  const parts: string[] = [];
  let left = len;
  while (left > 257) {
    parts.push(`"${fill.repeat(253)}"`);
    left -= 256;
  }
  parts.push(`"${fill.repeat(left - 2)}"`);
  const v = parts.join(' ');
  expect(v).toHaveLength(len);
  return v;
}

const count = () => standIn.rrsets(zone).length;

describe('1,000 ResourceRecord elements per request', () => {
  it('counts UPSERT twice: 499 UPSERT + 1 CREATE = 999 and 500 UPSERT = 1,000 pass', async () => {
    await send(client, zone, [...aChanges('UPSERT', 499, 'u'), ...aChanges('CREATE', 1, 'c')]);
    expect(count()).toBe(2 + 500);
    await send(client, zone, aChanges('UPSERT', 500, 'v'));
    expect(count()).toBe(2 + 1000);
  });

  it('500 UPSERT + 1 CREATE = 1,001 is rejected and applies nothing; 501 CREATEs would fit', async () => {
    expect(await batchMessages(client, zone, [...aChanges('UPSERT', 500, 'u'), ...aChanges('CREATE', 1, 'c')])).toEqual([RECORDS]);
    expect(count()).toBe(2);
    await send(client, zone, aChanges('CREATE', 501, 'c'));
    expect(count()).toBe(2 + 501);
  });

  it('1,001 CREATEd elements are rejected too, also when they are values of one rrset', async () => {
    expect(await batchMessages(client, zone, aChanges('CREATE', 1001, 'c'))).toEqual([RECORDS]);
    const values = Array.from({ length: 1001 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    expect(await batchMessages(client, zone, [rr('CREATE', `many.${Z}`, 'A', 300, values)])).toEqual([RECORDS]);
    await send(client, zone, [rr('CREATE', `many.${Z}`, 'A', 300, values.slice(0, 1000))]);
    expect(standIn.rrsets(zone).find((r) => r.name === `many.${Z}`)?.values).toHaveLength(1000);
  });
});

describe('32,000 Value characters per request', () => {
  it('8 CREATEs of 4,000 characters pass; 9 more characters are rejected', async () => {
    const big = Array.from({ length: 8 }, (_, i) => rr('CREATE', `t${i}.${Z}`, 'TXT', 300, [txtOfLength(4000, 'abcdefgh'[i]!)]));
    expect(await batchMessages(client, zone, [...big, rr('CREATE', `a.${Z}`, 'A', 300, ['192.0.2.1'])])).toEqual([CHARACTERS]);
    expect(count()).toBe(2);
    await send(client, zone, big);
    expect(count()).toBe(2 + 8);
  });

  it('counts UPSERT twice: 4 UPSERTs of 4,000 (=32,000) pass, plus 9 characters fail, as CREATEs they fit', async () => {
    const upserts = Array.from({ length: 4 }, (_, i) => rr('UPSERT', `t${i}.${Z}`, 'TXT', 300, [txtOfLength(4000, 'wxyz'[i]!)]));
    const extra = rr('CREATE', `a.${Z}`, 'A', 300, ['192.0.2.1']);
    expect(await batchMessages(client, zone, [...upserts, extra])).toEqual([CHARACTERS]);
    expect(count()).toBe(2);
    await send(client, zone, [...upserts.map((c) => ({ ...c, Action: 'CREATE' as const })), extra]);
    expect(count()).toBe(2 + 5);
    await send(client, zone, upserts); // now replacing: still exactly 32,000
    expect(count()).toBe(2 + 5);
  });

  it('reports both limits when both are exceeded', async () => {
    const changes = Array.from({ length: 600 }, (_, i) => rr('UPSERT', `t${i}.${Z}`, 'TXT', 300, [`"${'q'.repeat(40)}"`]));
    expect(await batchMessages(client, zone, changes)).toEqual([RECORDS, CHARACTERS]);
  });

  it('accepts a legal batch whose XML carries thousands of &quot; entities', async () => {
    await send(client, zone, Array.from({ length: 900 }, (_, i) => rr('CREATE', `q${i}.${Z}`, 'TXT', 300, ['"q" "r"'])));
    expect(count()).toBe(2 + 900);
  });
});

describe('rrsets per zone', () => {
  it('rejects a batch that would exceed the quota', async () => {
    // SOA + NS = 2 rrsets in the new zone.
    await withStandInClient({ standIn: { maxRRSetsPerZone: 5 }, zone: 'bl.example.org' }, async ({ standIn: small, client: c, zone: id }) => {
      await send(c, id, aChanges('CREATE', 3, 'n'));
      const messages = await batchMessages(c, id, aChanges('CREATE', 1, 'm'));
      expect(messages).toEqual([`Exceeded limit MAX_RRSETS_BY_ZONE for zone: ${id}`]);
      // Replacing and deleting stay possible at the limit.
      await send(c, id, [rr('DELETE', `n0.${Z}`, 'A', 300, ['127.0.0.2']), rr('CREATE', `m0.${Z}`, 'A', 300, ['127.0.0.2'])]);
      expect(small.rrsets(id)).toHaveLength(5);
    });
  });
});
