// Route53Zone's retries against the Route 53 stand-in's injected faults: every transient fault
// (throttling, PriorRequestNotComplete, 5xx, connection resets, timeouts, refused connections) is
// retried with backoff within the caller's deadline and counted by cause; a write is fenced before
// every attempt; a change batch whose connection broke after Route 53 applied it comes back from
// the retry as InvalidChangeBatch, for the caller's repair path.
import type { Route53Client } from '@aws-sdk/client-route-53';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransient, Route53Zone, transientCause } from '../../lambdas/adapters/route53-zone.js';
import type { Change } from '../../lambdas/core/change-batch.js';
import type { Route53StandIn, Route53StandInOptions } from '../../local/route53/index.js';
import { sdkClient, startStandIn } from '../route53-standin/helpers.js';

const ZONE = 'bl.test';
/** The client as the Lambdas build it, with a short request timeout so that timeouts cost little here. */
const FAST_TIMEOUTS = { requestHandler: { connectionTimeout: 1000, requestTimeout: 400, throwOnRequestTimeout: true } };

let open: Array<{ s: Route53StandIn; client: Route53Client }> = [];
afterEach(async () => {
  for (const { s, client } of open) {
    client.destroy();
    await s.close();
  }
  open = [];
});

async function setup(opts: Route53StandInOptions = {}): Promise<{ s: Route53StandIn; zone: Route53Zone; id: string }> {
  const s = await startStandIn({ faults: { holdMs: 5000 }, ...opts });
  const client = sdkClient(s.endpoint, FAST_TIMEOUTS);
  open.push({ s, client });
  const id = await s.createZone(ZONE);
  return { s, zone: new Route53Zone(client, id, ZONE), id };
}

const create = (n: string): Change => ({ action: 'CREATE', rrset: { name: `${n}.${ZONE}.`, type: 'A', ttl: 300, values: ['127.0.0.2'] } });
const upsert = (n: string): Change => ({ action: 'UPSERT', rrset: { name: `${n}.${ZONE}.`, type: 'A', ttl: 300, values: ['127.0.0.2'] } });
const names = (s: Route53StandIn, id: string) => s.rrsets(id).filter((r) => r.type === 'A').map((r) => r.name).sort();

async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('Route53Zone retries', () => {
  for (const fault of ['reset-before', 'timeout-before'] as const) {
    it(`retries a change batch after ${fault} (not applied), converges and counts the cause`, async () => {
      const { s, zone, id } = await setup();
      s.faults.failNext('ChangeResourceRecordSets', fault, 2);
      await zone.apply([create('1'), create('2')]);
      expect(names(s, id)).toEqual([`1.${ZONE}.`, `2.${ZONE}.`]);
      expect(zone.stats.changeCalls).toBe(3);
      expect(zone.stats.retries).toBe(2);
      expect(zone.stats.retriesByCause).toEqual({ [fault === 'reset-before' ? 'ECONNRESET' : 'ETIMEDOUT']: 2 });
      expect(s.stats().changesApplied).toBe(1);
    });
  }

  it('retries an UPSERT batch whose connection was reset after it was applied (the retry is harmless)', async () => {
    const { s, zone, id } = await setup();
    s.faults.failNext('ChangeResourceRecordSets', 'reset-after');
    await zone.apply([upsert('1')]);
    expect(names(s, id)).toEqual([`1.${ZONE}.`]);
    expect(s.stats().changesApplied).toBe(2);
    expect(zone.stats.retriesByCause).toEqual({ ECONNRESET: 1 });
  });

  for (const fault of ['reset-after', 'timeout-after'] as const) {
    it(`surfaces InvalidChangeBatch when a CREATE batch was applied before a ${fault} and its retry is refused`, async () => {
      const { s, zone, id } = await setup();
      s.faults.failNext('ChangeResourceRecordSets', fault);
      const err = await rejection(zone.apply([create('1'), create('2')]));
      expect(err.name).toBe('InvalidChangeBatch');
      expect(err.message).toMatch(/Tried to create resource record set \[name='1\.bl\.test\.', type='A'\] but it already exists/);
      expect(isTransient(err)).toBe(false);
      // The caller learns that an earlier attempt may have been applied.
      expect(err['priorFailures']).toEqual([fault === 'reset-after' ? 'ECONNRESET' : 'ETIMEDOUT']);
      expect(names(s, id)).toEqual([`1.${ZONE}.`, `2.${ZONE}.`]);
      expect(s.stats().changesApplied).toBe(1);
    });
  }

  it('retries Throttling, PriorRequestNotComplete and 5xx, and reads too', async () => {
    const { s, zone } = await setup();
    s.faults.failNext('ChangeResourceRecordSets', 'Throttling');
    s.faults.failNext('ChangeResourceRecordSets', 'PriorRequestNotComplete');
    s.faults.failNext('ChangeResourceRecordSets', 'ServiceUnavailable');
    await zone.apply([create('1')]);
    s.faults.failNext('ListResourceRecordSets', 'reset-before');
    s.faults.failNext('ListResourceRecordSets', 'timeout-after');
    const read = await zone.readNames([`1.${ZONE}.`], []);
    expect(read.map((r) => r.name)).toEqual([`1.${ZONE}.`]);
    expect(zone.stats.retriesByCause).toEqual({ Throttling: 1, PriorRequestNotComplete: 1, ServiceUnavailable: 1, ECONNRESET: 1, ETIMEDOUT: 1 });
    expect(zone.stats.retries).toBe(5);
  });

  it('gives up at the deadline with the last transient error (a refused connection)', async () => {
    // A port with nothing listening: ECONNREFUSED on every attempt.
    const server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((ok) => server.close(() => ok()));
    const client = sdkClient(`http://127.0.0.1:${port}`, FAST_TIMEOUTS);
    const zone = new Route53Zone(client, 'ZNOWHERE', ZONE);
    const started = Date.now();
    const err = await rejection(zone.apply([create('1')], { deadline: started + 1500 }));
    client.destroy();
    expect(Date.now() - started).toBeLessThan(1500 + 400);
    expect(err['code']).toBe('ECONNREFUSED');
    expect(isTransient(err)).toBe(true);
    expect(zone.stats.retriesByCause['ECONNREFUSED']).toBeGreaterThanOrEqual(2);
    expect(zone.stats.changeCalls).toBe(zone.stats.retries + 1);
  });

  it('calls the fence before every attempt of a write; its error propagates without retry', async () => {
    const { s, zone, id } = await setup();
    s.faults.failNext('ChangeResourceRecordSets', 'reset-before', 2);
    let calls = 0;
    await zone.apply([create('1')], { fence: () => void calls++ });
    expect(calls).toBe(3);
    // The lease is lost after the first attempt failed: no further attempt is sent.
    s.faults.failNext('ChangeResourceRecordSets', 'reset-before');
    let fenceCalls = 0;
    const lost = new Error('zone lease lost');
    const fence = () => {
      if (++fenceCalls > 1) throw lost;
    };
    const before = zone.stats.changeCalls;
    expect(await rejection(zone.apply([create('2')], { fence }))).toBe(lost);
    expect(zone.stats.changeCalls - before).toBe(1);
    expect(names(s, id)).toEqual([`1.${ZONE}.`]);
    // setApexSoa is fenced too, before its first attempt.
    expect(await rejection(zone.setApexSoa(60, 'ns. host. 1 2 3 4 60', { fence: () => { throw lost; } }))).toBe(lost);
    expect(isTransient(lost)).toBe(false);
  });

  it('converges through random resets and timeouts (1 in 4 requests, seeded), counting retries by cause', async () => {
    const { s, zone, id } = await setup({ faults: { holdMs: 5000, random: { oneIn: 4, seed: 42, kinds: ['reset-before', 'timeout-before'] } } });
    for (let i = 0; i < 20; i++) await zone.apply([upsert(`${i}`)]);
    expect(names(s, id)).toHaveLength(20);
    const injected = s.faults.injected();
    const counted = Object.values(zone.stats.retriesByCause).reduce((a, b) => a + b, 0);
    expect(counted).toBe((injected['reset-before'] ?? 0) + (injected['timeout-before'] ?? 0));
    expect(counted).toBeGreaterThan(0);
    expect(zone.stats.retries).toBe(counted);
  });
});

describe('isTransient', () => {
  const err = (props: Record<string, unknown>) => Object.assign(new Error(String(props['message'] ?? 'x')), props);
  it.each([
    ['Throttling', err({ name: 'Throttling', $metadata: { httpStatusCode: 400 } }), 'Throttling'],
    ['PriorRequestNotComplete', err({ name: 'PriorRequestNotComplete', $metadata: { httpStatusCode: 400 } }), 'PriorRequestNotComplete'],
    ['a reset (TimeoutError: read ECONNRESET)', err({ name: 'TimeoutError', code: 'ECONNRESET', message: 'read ECONNRESET' }), 'ECONNRESET'],
    ['socket hang up', err({ name: 'TimeoutError', code: 'ECONNRESET', message: 'socket hang up' }), 'ECONNRESET'],
    ['a request timeout', err({ name: 'TimeoutError', code: 'ETIMEDOUT' }), 'ETIMEDOUT'],
    ['a connection timeout', err({ name: 'TimeoutError' }), 'TimeoutError'],
    ['ECONNREFUSED', err({ code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['a 500', err({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }), 'InternalFailure'],
    ['a 502 without a code', err({ name: 'Unknown', $metadata: { httpStatusCode: 502 } }), 'HTTP 502'],
    ['a cause', err({ cause: err({ code: 'EPIPE' }) }), 'EPIPE'],
  ])('%s is transient', (_label, e, cause) => {
    expect(isTransient(e)).toBe(true);
    expect(transientCause(e)).toBe(cause);
  });
  it.each([
    ['InvalidChangeBatch', err({ name: 'InvalidChangeBatch', $metadata: { httpStatusCode: 400 } })],
    ['InvalidInput', err({ name: 'InvalidInput', $metadata: { httpStatusCode: 400 } })],
    ['NoSuchHostedZone', err({ name: 'NoSuchHostedZone', $metadata: { httpStatusCode: 404 } })],
    ['AccessDenied', err({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })],
    ['an abort', err({ name: 'AbortError' })],
    ['a plain error', new Error('zone lease lost')],
    ['not an error', 'oops'],
  ])('%s is not transient', (_label, e) => {
    expect(isTransient(e)).toBe(false);
  });
});
