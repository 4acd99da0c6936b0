// Throttling, change throughput, PriorRequestNotComplete, injected faults and change status, as the
// real SDK (and its own retry logic) sees them.
import { GetChangeCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { rejection, rr, send, withStandInClient } from './helpers.js';

const Z = 'bl.example.org.';


const aChange = (i: number) => rr('UPSERT', `n${i}.${Z}`, 'A', 60, ['127.0.0.2']);

describe('request throttling (token bucket over all API calls)', () => {
  it('lets a burst through, then answers Throttling / Rate exceeded (HTTP 400)', async () => {
    await withStandInClient({ standIn: { throttle: { burst: 5, ratePerSecond: 1 } } }, async ({ standIn: s, client }) => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.send(new ListHostedZonesCommand({}))));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error & { $metadata: { httpStatusCode: number } });
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(failed).toHaveLength(3);
      for (const e of failed) {
        expect(e.name).toBe('Throttling');
        expect(e.message).toBe('Rate exceeded');
        expect(e.$metadata.httpStatusCode).toBe(400);
      }
      expect(s.stats().throttled).toBe(3);
      expect(s.stats().requests['ListHostedZones']).toBe(8);
    });
  });

  it('is the default: 50 burst, then 10 a second', async () => {
    await withStandInClient({ standIn: { throttle: undefined } }, async ({ standIn: s, client }) => {
      const results = await Promise.allSettled(Array.from({ length: 55 }, () => client.send(new ListHostedZonesCommand({}))));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      expect(ok).toBeGreaterThanOrEqual(50);
      expect(ok).toBeLessThan(55);
      expect(s.stats().throttled).toBe(55 - ok);
    });
  });

  it("is recovered from by the SDK's own retry", async () => {
    // One token, refilled every 40 ms: six concurrent calls cannot all pass at once. The SDK treats
    // Throttling as retryable and backs off; 5 attempts make a repeated collision negligible.
    await withStandInClient({ standIn: { throttle: { burst: 1, ratePerSecond: 25 } }, client: { maxAttempts: 5 } }, async ({ standIn: s, client }) => {
      const results = await Promise.all(Array.from({ length: 6 }, () => client.send(new ListHostedZonesCommand({}))));
      expect(results).toHaveLength(6);
      expect(Math.max(...results.map((r) => r.$metadata.attempts ?? 1))).toBeGreaterThan(1);
      expect(s.stats().throttled).toBeGreaterThanOrEqual(1);
      expect(s.stats().requests['ListHostedZones']).toBe(6 + s.stats().throttled);
    });
  });
});

describe('change throughput (record changes per second)', () => {
  it('meters Change elements separately from requests', async () => {
    await withStandInClient({ standIn: { changeThroughput: { burst: 10, ratePerSecond: 5 } }, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      await send(client, zone, Array.from({ length: 6 }, (_, i) => aChange(i)));
      const err = await rejection(send(client, zone, Array.from({ length: 6 }, (_, i) => aChange(i + 10))));
      expect(err.name).toBe('Throttling');
      expect(err.message).toBe('Rate exceeded');
      expect(s.stats().throttled).toBe(1);
      expect(s.rrsets(zone)).toHaveLength(2 + 6); // the throttled batch changed nothing
      // A rejected batch costs nothing; a small one still fits.
      await rejection(send(client, zone, [rr('DELETE', `absent.${Z}`, 'A', 60, ['127.0.0.2'])]));
      await send(client, zone, [aChange(20), aChange(21)]);
      expect(s.stats().recordChanges).toBe(8);
      // A full bucket lets one batch larger than the burst through (else it could never pass).
      await sleep(2100);
      await send(client, zone, Array.from({ length: 20 }, (_, i) => aChange(i + 100)));
      expect((await rejection(send(client, zone, [aChange(999)]))).name).toBe('Throttling');
      expect(s.stats().recordChanges).toBe(28);
    });
  });
});

describe('PriorRequestNotComplete', () => {
  it('rejects a second change on the same zone within the window, not on other zones', async () => {
    await withStandInClient({ standIn: { priorRequestWindowMs: 400 }, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      const other = await s.createZone('other.example.org');
      await send(client, zone, [aChange(1)]);
      const err = await rejection(send(client, zone, [aChange(2)]));
      expect(err.name).toBe('PriorRequestNotComplete');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toBe('The request was rejected because Route 53 was still processing a prior request.');
      await send(client, other, [rr('UPSERT', 'x.other.example.org', 'A', 60, ['127.0.0.2'])]);
      await sleep(450);
      await send(client, zone, [aChange(2)]);
      expect(s.rrsets(zone).filter((r) => r.type === 'A')).toHaveLength(2);
    });
  });
});

describe('fault injection', () => {
  it('fails the next N calls of an operation with the chosen error', async () => {
    await withStandInClient({ zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      s.faults.failNext('ChangeResourceRecordSets', 'Throttling', 2);
      s.faults.failNext('ChangeResourceRecordSets', 'InvalidChangeBatch');
      expect((await rejection(send(client, zone, [aChange(1)]))).name).toBe('Throttling');
      expect((await rejection(send(client, zone, [aChange(1)]))).name).toBe('Throttling');
      const icb = await rejection(send(client, zone, [aChange(1)]));
      expect(icb.name).toBe('InvalidChangeBatch');
      expect(icb.$metadata.httpStatusCode).toBe(400);
      await send(client, zone, [aChange(1)]); // faults used up
      expect(s.rrsets(zone)).toHaveLength(3);

      s.faults.failNext('ListHostedZones', 'ServiceUnavailable');
      const unavailable = await rejection(client.send(new ListHostedZonesCommand({})));
      expect(unavailable.name).toBe('ServiceUnavailable');
      expect(unavailable.$metadata.httpStatusCode).toBe(503);

      s.faults.failNext('*', 'PriorRequestNotComplete');
      expect((await rejection(client.send(new ListHostedZonesCommand({})))).name).toBe('PriorRequestNotComplete');

      s.faults.failNext('ListHostedZones', 'Throttling', 5);
      s.faults.clear();
      await client.send(new ListHostedZonesCommand({}));
    });
  });

  it('lets the SDK retry through transient faults', async () => {
    await withStandInClient({ client: { maxAttempts: 3 }, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      s.faults.failNext('ChangeResourceRecordSets', 'ServiceUnavailable', 1);
      s.faults.failNext('ChangeResourceRecordSets', 'PriorRequestNotComplete', 1);
      const out = await send(client, zone, [aChange(1)]);
      expect(out.$metadata.attempts).toBe(3);
      expect(s.stats().requests['ChangeResourceRecordSets']).toBe(3);
      expect(s.stats().changesApplied).toBe(1);
    });
  });
});

describe('GetChange', () => {
  it('is PENDING until insyncAfterMs has passed, then INSYNC', async () => {
    await withStandInClient({ standIn: { insyncAfterMs: 400 }, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      const out = await send(client, zone, [aChange(1)], 'pending test');
      expect(out.ChangeInfo?.Status).toBe('PENDING');
      const id = out.ChangeInfo!.Id!;
      const early = await client.send(new GetChangeCommand({ Id: id }));
      expect(early.ChangeInfo).toMatchObject({ Id: id, Status: 'PENDING', Comment: 'pending test' });
      expect(early.ChangeInfo?.SubmittedAt?.getTime()).toBe(out.ChangeInfo?.SubmittedAt?.getTime());
      await sleep(450);
      const late = await client.send(new GetChangeCommand({ Id: id.replace('/change/', '') }));
      expect(late.ChangeInfo?.Status).toBe('INSYNC');
    });
  });

  it('with the default 0, the submit says PENDING and the first GetChange INSYNC', async () => {
    await withStandInClient({ zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      const out = await send(client, zone, [aChange(1)]);
      expect(out.ChangeInfo?.Status).toBe('PENDING');
      expect((await client.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('INSYNC');
      expect(s.stats().requests).toEqual({ ChangeResourceRecordSets: 1, GetChange: 1 });
    });
  });
});
