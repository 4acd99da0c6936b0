// Injected connection faults, as the real SDK sees them: a reset (the connection destroyed without
// an answer) or a timeout (the answer held past the client's request timeout), before the
// operation runs (nothing applied) or after (the change applied, the answer lost); and random
// faults, 1 in N requests from a seed.
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { rejection, rr, send, withStandInClient } from './helpers.js';

const Z = 'bl.example.org.';
const TIMEOUTS = { requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } };


describe('connection faults', () => {
  for (const [fault, code, applied] of [
    ['reset-before', 'ECONNRESET', false],
    ['reset-after', 'ECONNRESET', true],
    ['timeout-before', 'ETIMEDOUT', false],
    ['timeout-after', 'ETIMEDOUT', true],
  ] as const) {
    it(`${fault}: the SDK sees TimeoutError/${code}; the change is ${applied ? '' : 'not '}applied`, async () => {
      await withStandInClient({ standIn: { faults: { holdMs: 3000 } }, client: TIMEOUTS, zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
        s.faults.failNext('ChangeResourceRecordSets', fault);
        const t0 = Date.now();
        const err = await rejection(send(client, zone, [rr('CREATE', `a.${Z}`, 'A', 60, ['127.0.0.2'])]));
        expect(err.name).toBe('TimeoutError');
        expect((err as unknown as { code: string }).code).toBe(code);
        if (fault.startsWith('timeout')) expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
        expect(s.rrsets(zone).some((r) => r.name === `a.${Z}`)).toBe(applied);
        expect(s.stats().changesApplied).toBe(applied ? 1 : 0);
        expect(s.faults.injected()).toEqual({ [fault]: 1 });
        // The same batch again: refused if the first was applied (its CREATE exists), else accepted.
        const again = send(client, zone, [rr('CREATE', `a.${Z}`, 'A', 60, ['127.0.0.2'])]);
        if (applied) expect((await rejection(again)).name).toBe('InvalidChangeBatch');
        else await again;
      });
    });
  }

  it('a timeout fault without a client timeout drops the connection when the hold ends', async () => {
    await withStandInClient({ standIn: { faults: { holdMs: 200 } } }, async ({ standIn: s, client }) => {
      s.faults.failNext('ListHostedZones', 'timeout-before');
      const err = await rejection(client.send(new ListHostedZonesCommand({})));
      expect((err as unknown as { code: string }).code).toBe('ECONNRESET');
      await client.send(new ListHostedZonesCommand({}));
    });
  });
});

describe('random faults', () => {
  const run = async (seed: number): Promise<string[]> => {
    const outcomes: string[] = [];
    await withStandInClient({ standIn: { faults: { holdMs: 3000, random: { oneIn: 5, seed, kinds: ['reset-before', 'Throttling'] } } }, client: TIMEOUTS }, async ({ standIn: s, client }) => {
      for (let i = 0; i < 60; i++) {
        outcomes.push(await client.send(new ListHostedZonesCommand({})).then(() => 'ok', (e: Error) => e.name));
      }
      const injected = s.faults.injected();
      expect(outcomes.filter((o) => o !== 'ok')).toHaveLength((injected['reset-before'] ?? 0) + (injected['Throttling'] ?? 0));
      expect(outcomes.filter((o) => o === 'TimeoutError')).toHaveLength(injected['reset-before'] ?? 0);
    });
    return outcomes;
  };

  it('hit about 1 in N requests, the same ones for the same seed', async () => {
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const failed = a.filter((o) => o !== 'ok').length;
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(25);
  });

  it('can be limited to some operations and started and stopped at run time', async () => {
    await withStandInClient({ zone: 'bl.example.org' }, async ({ standIn: s, client, zone }) => {
      s.faults.random({ oneIn: 1, ops: ['ChangeResourceRecordSets'], kinds: ['ServiceUnavailable'] });
      await client.send(new ListHostedZonesCommand({}));
      expect((await rejection(send(client, zone, [rr('UPSERT', `a.${Z}`, 'A', 60, ['127.0.0.2'])]))).name).toBe('ServiceUnavailable');
      s.faults.random(undefined);
      await send(client, zone, [rr('UPSERT', `a.${Z}`, 'A', 60, ['127.0.0.2'])]);
      expect(s.faults.injected()).toEqual({ ServiceUnavailable: 1 });
    });
  });
});
