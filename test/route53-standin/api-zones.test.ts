// Hosted-zone operations through the real SDK client: response shapes, paging and errors.
import {
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { rejection, rr, send, standInSuite } from './helpers.js';

let standIn: Route53StandIn;
let client: Route53Client;

standInSuite({}, (s) => ({ standIn, client } = s));

describe('CreateHostedZone / GetHostedZone', () => {
  it('creates a zone with SOA and NS at the apex, in the shapes the SDK parses', async () => {
    const out = await client.send(
      new CreateHostedZoneCommand({ Name: 'Zones.Example.ORG', CallerReference: 'ref-1', HostedZoneConfig: { Comment: 'test zone' } }),
    );
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.Location).toMatch(new RegExp(`^${standIn.endpoint}/2013-04-01/hostedzone/Z[A-Z0-9]+$`));
    expect(out.HostedZone?.Id).toMatch(/^\/hostedzone\/Z[A-Z0-9]{20}$/);
    expect(out.HostedZone?.Name).toBe('zones.example.org.');
    expect(out.HostedZone?.CallerReference).toBe('ref-1');
    expect(out.HostedZone?.Config).toEqual({ Comment: 'test zone', PrivateZone: false });
    expect(out.HostedZone?.ResourceRecordSetCount).toBe(2);
    expect(out.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]+$/);
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(out.ChangeInfo?.SubmittedAt).toBeInstanceOf(Date);
    expect(out.DelegationSet?.NameServers).toHaveLength(4);
    for (const ns of out.DelegationSet!.NameServers!) expect(ns).toMatch(/^ns-\d+\.awsdns-\d\d\.(com|net|org|co\.uk)$/);

    // The SDK strips "/hostedzone/" itself; both forms work.
    const got = await client.send(new GetHostedZoneCommand({ Id: out.HostedZone!.Id! }));
    expect(got.HostedZone).toEqual(out.HostedZone);
    expect(got.DelegationSet?.NameServers).toEqual(out.DelegationSet?.NameServers);

    const list = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: out.HostedZone!.Id! }));
    const [ns, soa] = list.ResourceRecordSets!;
    expect(list.ResourceRecordSets).toHaveLength(2);
    expect(ns).toMatchObject({ Name: 'zones.example.org.', Type: 'NS', TTL: 172800 });
    expect(ns!.ResourceRecords!.map((r) => r.Value)).toEqual(out.DelegationSet!.NameServers!.map((n) => `${n}.`));
    expect(soa).toMatchObject({ Name: 'zones.example.org.', Type: 'SOA', TTL: 900 });
    expect(soa!.ResourceRecords![0]!.Value).toBe(
      `${out.DelegationSet!.NameServers![0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`,
    );
  });

  it('rejects a reused CallerReference (409) and an invalid name', async () => {
    await client.send(new CreateHostedZoneCommand({ Name: 'dup.example.org', CallerReference: 'same-ref' }));
    const dup = await rejection(client.send(new CreateHostedZoneCommand({ Name: 'other.example.org', CallerReference: 'same-ref' })));
    expect(dup.name).toBe('HostedZoneAlreadyExists');
    expect(dup.$metadata.httpStatusCode).toBe(409);

    const bad = await rejection(client.send(new CreateHostedZoneCommand({ Name: 'a..b.example', CallerReference: 'bad-name' })));
    expect(bad.name).toBe('InvalidDomainName');
    expect(bad.$metadata.httpStatusCode).toBe(400);
  });

  it('GetHostedZone of an unknown id is NoSuchHostedZone (404)', async () => {
    const err = await rejection(client.send(new GetHostedZoneCommand({ Id: 'ZNOTAZONE' })));
    expect(err.name).toBe('NoSuchHostedZone');
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.message).toContain('ZNOTAZONE');
  });

  it('createZone() is the same as CreateHostedZone', async () => {
    const id = await standIn.createZone('conv.example.net');
    expect(id).toMatch(/^Z[A-Z0-9]{20}$/);
    const got = await client.send(new GetHostedZoneCommand({ Id: id }));
    expect(got.HostedZone?.Name).toBe('conv.example.net.');
    expect(standIn.rrsets(id).map((r) => r.type)).toEqual(['NS', 'SOA']);
  });
});

describe('ListHostedZones / ListHostedZonesByName', () => {
  it('pages with Marker/NextMarker in creation order', async () => {
    const all = await client.send(new ListHostedZonesCommand({}));
    expect(all.IsTruncated).toBe(false);
    const ids = all.HostedZones!.map((z) => z.Id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new ListHostedZonesCommand({ MaxItems: 1, ...(marker ? { Marker: marker } : {}) }));
      expect(page.HostedZones).toHaveLength(1);
      expect(page.MaxItems).toBe(1);
      seen.push(page.HostedZones![0]!.Id!);
      marker = page.IsTruncated ? page.NextMarker : undefined;
    } while (marker);
    expect(seen).toEqual(ids);
  });

  it('orders by reversed-label name and starts at DNSName', async () => {
    await standIn.createZone('a.example.com');
    await standIn.createZone('b.example.com');
    const out = await client.send(new ListHostedZonesByNameCommand({}));
    const names = out.HostedZones!.map((z) => z.Name!);
    const reversed = names.map((n) => n.slice(0, -1).split('.').reverse().join('.') + '.');
    expect([...reversed].sort()).toEqual(reversed);
    expect(names.indexOf('a.example.com.')).toBeLessThan(names.indexOf('b.example.com.'));
    // com.* sorts before net.* and org.*
    expect(names.indexOf('b.example.com.')).toBeLessThan(names.indexOf('conv.example.net.'));

    const from = await client.send(new ListHostedZonesByNameCommand({ DNSName: 'b.example.com', MaxItems: 1 }));
    expect(from.HostedZones!.map((z) => z.Name)).toEqual(['b.example.com.']);
    expect(from.DNSName).toBe('b.example.com');
    expect(from.IsTruncated).toBe(true);
    expect(from.NextDNSName).toBe('conv.example.net.');
    expect(from.NextHostedZoneId).toMatch(/^Z/);
  });
});

describe('DeleteHostedZone', () => {
  it('refuses a zone with records other than the apex SOA/NS, then deletes it', async () => {
    const id = await standIn.createZone('del.example.org');
    await send(client, id, [rr('CREATE', 'x.del.example.org', 'A', 60, ['192.0.2.1'])]);
    const busy = await rejection(client.send(new DeleteHostedZoneCommand({ Id: id })));
    expect(busy.name).toBe('HostedZoneNotEmpty');
    expect(busy.$metadata.httpStatusCode).toBe(400);

    await send(client, id, [rr('DELETE', 'x.del.example.org', 'A', 60, ['192.0.2.1'])]);
    const out = await client.send(new DeleteHostedZoneCommand({ Id: id }));
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    const gone = await rejection(client.send(new GetHostedZoneCommand({ Id: id })));
    expect(gone.name).toBe('NoSuchHostedZone');
    const change = await client.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id! }));
    expect(change.ChangeInfo?.Status).toBe('INSYNC');
  });

  it('GetChange of an unknown id is NoSuchChange (404)', async () => {
    const err = await rejection(client.send(new GetChangeCommand({ Id: 'CNOSUCHCHANGE' })));
    expect(err.name).toBe('NoSuchChange');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
});
