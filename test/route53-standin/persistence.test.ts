// The data file: zones, rrsets and changes survive a restart; every accepted change is written by
// write-temp-then-rename; rejected changes leave the file alone.
import { CreateHostedZoneCommand, GetChangeCommand, ListHostedZonesCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { query } from './dns-client.js';
import { rejection, rr, sdkClient, send, startStandIn } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'r53-standin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dataFile', () => {
  it('keeps zones, rrsets and changes across a restart', async () => {
    const file = join(dir, 'nested', 'route53.json');
    const first = await startStandIn({ dataFile: file });
    const c1 = sdkClient(first.endpoint);
    const created = await c1.send(new CreateHostedZoneCommand({ Name: 'bl.example.org', CallerReference: 'persist-1' }));
    const zoneId = created.HostedZone!.Id!.replace('/hostedzone/', '');
    const change = await send(c1, zoneId, [
      rr('CREATE', '*.2.0.192.bl.example.org', 'A', 300, ['127.0.0.2']),
      rr('CREATE', '*.2.0.192.bl.example.org', 'TXT', 300, ['"listed" "second string"']),
    ]);
    const ino1 = statSync(file).ino;
    const content1 = readFileSync(file, 'utf8');

    // A rejected batch does not touch the file.
    await rejection(send(c1, zoneId, [rr('CREATE', '*.2.0.192.bl.example.org', 'A', 300, ['127.0.0.3'])]));
    expect(readFileSync(file, 'utf8')).toBe(content1);

    await send(c1, zoneId, [rr('CREATE', '5.2.0.192.bl.example.org', 'A', 300, ['127.0.0.4'])]);
    // Replaced by rename (a new inode), and no temporary files left behind.
    expect(statSync(file).ino).not.toBe(ino1);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['route53.json']);
    const before = first.rrsets(zoneId);
    c1.destroy();
    await first.close();

    const second = await startStandIn({ dataFile: file });
    const c2 = sdkClient(second.endpoint);
    try {
      expect(second.rrsets(zoneId)).toEqual(before);
      const zones = await c2.send(new ListHostedZonesCommand({}));
      expect(zones.HostedZones?.map((z) => [z.Id, z.Name, z.CallerReference, z.ResourceRecordSetCount])).toEqual([
        [created.HostedZone!.Id, 'bl.example.org.', 'persist-1', 5],
      ]);
      const listed = await c2.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
      expect(listed.ResourceRecordSets?.map((r) => r.Name)).toContain('\\052.2.0.192.bl.example.org.');
      expect((await c2.send(new GetChangeCommand({ Id: change.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('INSYNC');
      // The same CallerReference is still taken.
      const dup = await rejection(c2.send(new CreateHostedZoneCommand({ Name: 'x.example.org', CallerReference: 'persist-1' })));
      expect(dup.name).toBe('HostedZoneAlreadyExists');
      // And DNS serves the restored data.
      const a = await query(second.dnsPort, '9.2.0.192.bl.example.org', 'TXT');
      expect(a.rcode).toBe('NOERROR');
      expect(a.answers?.map((r) => (r.data as Buffer[]).map((b) => b.toString()))).toEqual([['listed', 'second string']]);
      // Changes after the restart are saved too.
      await send(c2, zoneId, [rr('DELETE', '5.2.0.192.bl.example.org', 'A', 300, ['127.0.0.4'])]);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { zones: Array<{ rrsets: Array<{ name: string }> }> };
      expect(saved.zones[0]!.rrsets.map((r) => r.name)).not.toContain('5.2.0.192.bl.example.org.');
    } finally {
      c2.destroy();
      await second.close();
    }
  });

  it('starts empty when the file does not exist yet, and creates it on the first change', async () => {
    const file = join(dir, 'fresh.json');
    const s = await startStandIn({ dataFile: file });
    try {
      expect(readdirSync(dir)).not.toContain('fresh.json');
      await s.createZone('fresh.example.org');
      expect(JSON.parse(readFileSync(file, 'utf8')).zones).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
