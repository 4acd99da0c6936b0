// GetHostedZoneLimit through the real SDK: the limit is the stand-in's maxRRSetsPerZone, the count
// follows the zone (the apex SOA and NS included), and the documented errors for a bad type, an
// unknown zone and the VPC limit of a public zone.
import { GetHostedZoneLimitCommand, type HostedZoneLimitType } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { rejection, rr, type sdkClient, send, withStandInClient } from './helpers.js';

const limitOf = (client: ReturnType<typeof sdkClient>, zone: string, type: string = 'MAX_RRSETS_BY_ZONE') =>
  client.send(new GetHostedZoneLimitCommand({ HostedZoneId: zone, Type: type as HostedZoneLimitType }));

describe('GetHostedZoneLimit', () => {
  it('reports the configured limit and a count that follows the zone', async () => {
    await withStandInClient({ standIn: { maxRRSetsPerZone: 7 }, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      const first = await limitOf(client, zone);
      expect(first.Limit).toEqual({ Type: 'MAX_RRSETS_BY_ZONE', Value: 7 });
      expect(first.Count).toBe(s.rrsets(zone).length);
      expect(first.Count).toBe(2);
      await send(client, zone, [1, 2, 3].map((i) => rr('CREATE', `${i}.bl.example.org.`, 'A', 300, ['127.0.0.2'])));
      expect((await limitOf(client, zone)).Count).toBe(5);
      // The count is what the quota refuses on: 5 + 3 > 7.
      const refused = await rejection(send(client, zone, [4, 5, 6].map((i) => rr('CREATE', `${i}.bl.example.org.`, 'A', 300, ['127.0.0.2']))));
      expect(refused.message).toContain('Exceeded limit MAX_RRSETS_BY_ZONE');
      await send(client, zone, [4, 5].map((i) => rr('CREATE', `${i}.bl.example.org.`, 'A', 300, ['127.0.0.2'])));
      const full = await limitOf(client, zone);
      expect([full.Count, full.Limit?.Value]).toEqual([7, 7]);
    });
  });

  it('refuses an unknown type, an unknown zone and the VPC limit of a public zone', async () => {
    await withStandInClient({ zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      const bad = await rejection(limitOf(client, zone, 'MAX_RRSETS'));
      expect([bad.name, bad.$metadata.httpStatusCode]).toEqual(['InvalidInput', 400]);
      const missing = await rejection(limitOf(client, 'ZNOSUCHZONE'));
      expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(['NoSuchHostedZone', 404]);
      const vpc = await rejection(limitOf(client, zone, 'MAX_VPCS_ASSOCIATED_BY_ZONE'));
      expect([vpc.name, vpc.$metadata.httpStatusCode]).toEqual(['HostedZoneNotPrivate', 400]);
    });
  });
});
