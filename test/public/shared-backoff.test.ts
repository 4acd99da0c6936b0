// Progressive back-off across containers (lambdas/public/shared-limiter.ts): two instances of the
// public app over one DynamoDB Local journal table stand for two Lambda containers. A client refused
// in one is refused in the other until its block ends; its next violation, in either, doubles the
// block; other clients are answered; the shared record costs no I/O on the steady path; the store
// failing never refuses anyone. The doubling across instances is also checked as a property over
// random floods (fast-check, the same limiter over an in-memory store).
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientBackoffTable } from '../../lambdas/adapters/client-backoff-table.js';
import { type PublicHandler, publicHandler } from '../../lambdas/public/app.js';
import type { DelistService } from '../../lambdas/public/delist-service.js';
import { type BackoffState, ClientLimiter, type RateRule } from '../../lambdas/public/rate-limit.js';
import { type BackoffStore, SharedClientLimiter } from '../../lambdas/public/shared-limiter.js';
import { VIEWER_IP_HEADER } from '../../lambdas/public/viewer-ip.js';
import { startTableEnv, type TableEnv } from '../support/table-env.js';
import { PORTAL_CFG } from './support.js';

let env: TableEnv<{ listings: string; journal: string }>;

beforeAll(async () => {
  env = await startTableEnv();
}, 120_000);
afterAll(async () => {
  await env?.ddb.stop();
});

const RULES: Record<string, RateRule> = { lookup: { burst: 4, perSecond: 1 }, request: { burst: 1, perSecond: 1 / 60 } };

/** A store that counts its calls (and can fail). */
class Counted implements BackoffStore {
  reads = 0;
  writes = 0;
  fail = false;
  constructor(private readonly inner: BackoffStore) {}
  async read(kind: string, client: string) {
    this.reads++;
    if (this.fail) throw new Error('store down');
    return this.inner.read(kind, client);
  }
  async write(kind: string, client: string, s: BackoffState, exp: number) {
    this.writes++;
    if (this.fail) throw new Error('store down');
    return this.inner.write(kind, client, s, exp);
  }
}

/** One "container": the public app with its own bucket, the back-off shared through `store`. */
function container(store: BackoffStore, clock: { now: number }, errors: string[] = []): { handler: PublicHandler; limiter: SharedClientLimiter } {
  const limiter = new SharedClientLimiter(new ClientLimiter({ rules: RULES, now: () => clock.now }), store, { onError: (m) => errors.push(m) });
  const handler = publicHandler({
    cfg: PORTAL_CFG,
    table: env.table,
    delist: {} as DelistService, // GET routes only
    limiter,
    clientIpHeader: VIEWER_IP_HEADER,
    log: { error: () => undefined },
  });
  return { handler, limiter };
}

const lookup = (client: string): APIGatewayProxyEvent =>
  ({
    httpMethod: 'GET',
    path: '/api/lookup',
    queryStringParameters: { ip: '192.0.2.1' },
    multiValueQueryStringParameters: { ip: ['192.0.2.1'] },
    headers: { [VIEWER_IP_HEADER]: client },
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'r', identity: { sourceIp: '130.176.0.1' } },
  }) as unknown as APIGatewayProxyEvent;

async function status(c: { handler: PublicHandler }, client: string): Promise<{ status: number; retryAfter?: number }> {
  const r = await c.handler(lookup(client));
  const ra = r.headers?.['retry-after'];
  return { status: r.statusCode, ...(ra === undefined ? {} : { retryAfter: Number(ra) }) };
}

describe('back-off shared through the journal table', () => {
  it('refuses a client in every container once one container blocked it, until the block ends; the next violation doubles it', async () => {
    const clock = { now: 1_000_000 };
    const store = new ClientBackoffTable(env.doc, env.names.journal);
    const a = container(store, clock);
    const b = container(store, clock);
    const flooder = '198.51.100.1';
    // B has seen the client before (bucket full): steady state, then A sees the flood.
    expect((await status(b, flooder)).status).toBe(200);
    clock.now += 1_000;
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) seen.push((await status(a, flooder)).status);
    expect(seen).toEqual([200, 200, 200, 200, 429, 429]);
    // B: its bucket for the client is still high, but the first requests that take it below half read the shared record.
    const inB: Array<{ status: number; retryAfter?: number }> = [];
    for (let i = 0; i < 3; i++) inB.push(await status(b, flooder));
    expect(inB.filter((x) => x.status === 200).length).toBeLessThanOrEqual(RULES.lookup!.burst / 2);
    expect(inB.at(-1)).toEqual({ status: 429, retryAfter: 1 });
    // A container that never saw the client refuses it at once.
    const c = container(store, clock);
    expect(await status(c, flooder)).toEqual({ status: 429, retryAfter: 1 });
    // Others are answered everywhere.
    for (const x of [a, b, c]) expect((await status(x, '198.51.100.2')).status).toBe(200);

    // The block ends; the client empties C's bucket: its second strike (counted from A's) doubles the block, in A and B too.
    clock.now += 1_500;
    const again: number[] = [];
    let refusal: { status: number; retryAfter?: number } | undefined;
    for (let i = 0; i < 6 && !refusal; i++) {
      const r = await status(c, flooder);
      again.push(r.status);
      if (r.status === 429) refusal = r;
    }
    expect(refusal).toEqual({ status: 429, retryAfter: 2 });
    const record = await store.read('lookup', flooder);
    expect(record).toMatchObject({ strikes: 2, blockedUntil: clock.now + 2_000 });
    clock.now += 1_000; // half-way through the doubled block
    expect((await status(a, flooder)).status).toBe(429);
    clock.now += 1_100; // over
    expect((await status(a, flooder)).status).toBe(200);
  });

  it('keeps the shared record to the few requests that need it: first sight, a low bucket, a violation', async () => {
    const clock = { now: 5_000_000 };
    const store = new Counted(new ClientBackoffTable(env.doc, env.names.journal));
    const a = container(store, clock);
    // A steady client (1 request/s, the refill rate) keeps its bucket full: one read at first sight, nothing after.
    for (let i = 0; i < 20; i++) {
      expect((await status(a, '203.0.113.9')).status).toBe(200);
      clock.now += 1_000;
    }
    expect({ reads: store.reads, writes: store.writes }).toEqual({ reads: 1, writes: 0 });
    // A flood: reads once the bucket is below half (at most one per second), then one read and one write for the violation.
    store.reads = 0;
    for (let i = 0; i < 4; i++) await status(a, '203.0.113.10');
    const beforeViolation = store.reads;
    expect(beforeViolation).toBeLessThanOrEqual(2);
    expect((await status(a, '203.0.113.10')).status).toBe(429);
    expect({ reads: store.reads - beforeViolation, writes: store.writes }).toEqual({ reads: 1, writes: 1 });
    // While blocked, refusals cost nothing.
    for (let i = 0; i < 50; i++) expect((await status(a, '203.0.113.10')).status).toBe(429);
    expect({ reads: store.reads - beforeViolation, writes: store.writes }).toEqual({ reads: 1, writes: 1 });
  });

  it('never refuses because the store fails: the local verdict stands and the failure is reported', async () => {
    const clock = { now: 9_000_000 };
    const store = new Counted(new ClientBackoffTable(env.doc, env.names.journal));
    store.fail = true;
    const errors: string[] = [];
    const a = container(store, clock, errors);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await status(a, '192.0.2.200')).status);
    expect(codes).toEqual([200, 200, 200, 200, 429, 429]);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((m) => m.includes('recording a violation failed'))).toBe(true);
  });

  it('does not shorten a longer block another container recorded at the same time', async () => {
    const store = new ClientBackoffTable(env.doc, env.names.journal);
    const long = { strikes: 3, lastStrike: 1_000, blockedUntil: 9_000 };
    expect(await store.write('lookup', '192.0.2.201', long, 20_000)).toEqual(long);
    expect(await store.write('lookup', '192.0.2.201', { strikes: 1, lastStrike: 1_000, blockedUntil: 2_000 }, 20_000)).toEqual(long);
    expect(await store.read('lookup', '192.0.2.201')).toEqual(long);
  });
});

describe('progressive back-off across instances (property)', () => {
  /** The same store semantics as ClientBackoffTable, in memory. */
  class MemoryStore implements BackoffStore {
    private readonly m = new Map<string, BackoffState>();
    async read(kind: string, client: string) {
      return this.m.get(`${kind} ${client}`);
    }
    async write(kind: string, client: string, s: BackoffState) {
      const old = this.m.get(`${kind} ${client}`);
      if (old && old.blockedUntil >= s.blockedUntil) return old;
      this.m.set(`${kind} ${client}`, s);
      return s;
    }
  }

  it('the k-th violation of a client, in whichever instance, blocks it for base * 2^(k-1) seconds; every instance refuses it within half its burst', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 6 }), async (where) => {
        const clock = { now: 0 };
        const store = new MemoryStore();
        const rules = { lookup: { burst: 2, perSecond: 1 } };
        const limiters = [0, 1, 2].map(() => new SharedClientLimiter(new ClientLimiter({ rules, now: () => clock.now, maxBlockSeconds: 3600 }), store));
        for (const [k, i] of where.entries()) {
          // Flood instance i until it refuses; the refusal that is a new violation carries the doubled block.
          let v = await limiters[i]!.take('lookup', 'c');
          for (let n = 0; v.ok && n < 10; n++) v = await limiters[i]!.take('lookup', 'c');
          expect(v.ok).toBe(false);
          const seconds = 2 ** k;
          if (!v.ok) expect(v.retryAfterSeconds).toBe(seconds);
          // Until the block ends, every instance refuses the client at the latest once half its bucket is used.
          clock.now += seconds * 1000 - 1;
          for (const l of limiters) {
            let served = 0;
            while ((await l.take('lookup', 'c')).ok) served++;
            expect(served).toBeLessThanOrEqual(rules.lookup.burst / 2);
          }
          // ... and its bucket has refilled after it (the next violation is within the hour's memory).
          clock.now += 1 + 3000;
        }
      }),
      { numRuns: 40 },
    );
  });
});
