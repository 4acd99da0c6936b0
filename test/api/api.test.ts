// The operator API over real HTTP (HTTP adapter -> handler -> DynamoDB Local): every endpoint,
// every error path, idempotency, concurrency and the audit trail. Every response is also held to
// the documented (OpenAPI) schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { apiRouter } from '../../lambdas/api/app.js';
import { openApiDocument } from '../../lambdas/api/openapi.js';
import type { EvidenceIntake } from '../../lambdas/evidence/intake.js';
import { evidenceRoutes } from '../../lambdas/evidence/routes.js';
import {
  browseResponseSchema,
  errorBodySchema,
  historyResponseSchema,
  listsResponseSchema,
  lookupResponseSchema,
  writeResponseSchema,
} from '../../lambdas/api/schemas.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { formatNetwork, type Network, parseNetwork } from '../../lambdas/core/ip.js';
import { ALICE, type ApiEnv, CFG, call, snapshot, startApiEnv } from './support.js';

let env: ApiEnv;
beforeAll(async () => {
  env = await startApiEnv();
});
afterAll(async () => {
  await env?.stop();
});

const BOB = 'arn:aws:sts::123456789012:assumed-role/Operators/bob';

function ok<S extends z.ZodTypeAny>(schema: S, r: { status: number; json: unknown; text: string }, status = 200): z.infer<S> {
  expect(r.status, r.text).toBe(status);
  return schema.parse(r.json);
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => call(env.url, 'POST', path, body, headers);
const get = (path: string) => call(env.url, 'GET', path);

async function unchangedBy<T>(f: () => Promise<T>): Promise<T> {
  const before = [await snapshot(env.doc, env.names.listings), await snapshot(env.doc, env.names.journal)];
  const r = await f();
  const after = [await snapshot(env.doc, env.names.listings), await snapshot(env.doc, env.names.journal)];
  expect(after).toEqual(before);
  return r;
}

/** A 4xx with the documented error body; returns the error. */
async function refused(p: Promise<{ status: number; json: any; text: string }>, status: number, code: string, field?: string) {
  const r = await unchangedBy(() => p);
  expect(r.status, r.text).toBe(status);
  const body = errorBodySchema.parse(r.json);
  expect(body.error.code).toBe(code);
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body.error;
}

describe('the Lambda handler', () => {
  it('builds itself from the environment (runtime.ts) and answers API Gateway events', async () => {
    Object.assign(process.env, {
      ZONE_CONFIG: JSON.stringify(CFG),
      LISTINGS_TABLE: env.names.listings,
      JOURNAL_TABLE: env.names.journal,
      HOSTED_ZONE_ID: 'Z0000000000000',
      DYNAMODB_ENDPOINT: env.endpoint,
      ZONE_DNS_SERVERS: `127.0.0.1:${env.dns.port}`,
      AWS_REGION: 'us-east-1',
    });
    const { handler } = await import('../../lambdas/handlers/api.js');
    const event = (method: string, path: string, body?: unknown, query?: Record<string, string>) =>
      ({
        httpMethod: method,
        path,
        resource: '/{proxy+}',
        headers: body ? { 'Content-Type': 'application/json' } : {},
        multiValueHeaders: {},
        queryStringParameters: query ?? null,
        multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
        pathParameters: null,
        stageVariables: null,
        body: body ? JSON.stringify(body) : null,
        isBase64Encoded: false,
        requestContext: { requestId: 'r-1', identity: { userArn: 'arn:aws:iam::123456789012:role/lambda-test', caller: 'AROAEXAMPLE' } },
      }) as never;
    const ctx = { awsRequestId: 'ctx-1' } as never;
    const lists = await handler(event('GET', '/v1/lists'), ctx);
    expect(lists.statusCode).toBe(200);
    expect(listsResponseSchema.parse(JSON.parse(lists.body)).zone).toBe('bl.test');
    const w = await handler(event('POST', '/v1/listings', { items: [{ list: 'dul', network: '192.0.2.250', reason: 'via handler' }] }), ctx);
    expect(writeResponseSchema.parse(JSON.parse(w.body)).items[0]).toMatchObject({ status: 'created' });
    expect(await env.table.get('dul', parseNetwork('192.0.2.250'))).toMatchObject({ source: 'arn:aws:iam::123456789012:role/lambda-test' });
    const l = await handler(event('GET', '/v1/lookup', undefined, { ip: '192.0.2.250' }), ctx);
    expect(lookupResponseSchema.parse(JSON.parse(l.body)).dns).toMatchObject({ status: 'NXDOMAIN', matchesComputed: false });
  });
});

describe('lists and the OpenAPI document', () => {
  it('GET /v1/lists shows the configured lists', async () => {
    const body = ok(listsResponseSchema, await get('/v1/lists'));
    expect(body.lists).toEqual(CFG.lists.map((l) => ({ name: l.name, code: l.code, txtTemplate: l.txtTemplate, route53Txt: true })));
    expect(body.zone).toBe('bl.test');
    expect(body.ipv4ViaIpv6).toBe(false);
  });

  it('GET /v1/openapi.json is OpenAPI 3.1 and documents every route', async () => {
    const r = await get('/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json).toEqual(openApiDocument());
    expect(r.json.openapi).toBe('3.1.0');
    // With the evidence routes (their handlers are not called here) and the portal's review routes (/v1/requests…).
    const evidence = evidenceRoutes({ intake: {} as EvidenceIntake, policies: [], cfg: CFG });
    const routes = apiRouter({ cfg: CFG, table: env.table, journal: env.journal, evidenceRoutes: evidence, delist: {} as never }).routes();
    expect(routes.length).toBe(16);
    for (const { method, path } of routes) expect(r.json.paths[path]?.[method.toLowerCase()], `${method} ${path}`).toBeDefined();
    const upsert = r.json.components.schemas.UpsertRequest;
    expect(upsert.additionalProperties).toBe(false);
    expect(upsert.properties.items.maxItems).toBe(1000);
    expect(upsert.properties.items.items.additionalProperties).toBe(false);
    expect(upsert.properties.items.items.required).toEqual(['list', 'network', 'reason']);
    expect(r.json.paths['/v1/listings'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['list', 'limit', 'cursor', 'source', 'expiresBefore', 'expiresAfter']);
  });
});

describe('POST /v1/listings', () => {
  it('creates listings, canonicalises networks, takes every expiry form, defaults the source to the caller', async () => {
    const inAWeek = Math.floor(Date.now() / 1000) + 7 * 86400;
    const r = ok(
      writeResponseSchema,
      await post('/v1/listings', {
        items: [
          { list: 'spam', network: '192.0.2.10', reason: 'spam run' },
          { list: 'spam', network: '2001:DB8:0:0::1', reason: 'v6 spam', source: 'abuse-report' },
          { list: 'proxy', network: '::ffff:198.51.100.7', reason: 'open proxy', duration: '12h' },
          { list: 'spam', network: '198.51.100.0/24', reason: 'range', expiresAt: '2031-01-01T00:00:00Z' },
          { list: 'dul', network: '203.0.113.0/25', reason: 'dynamic', expiresAt: inAWeek },
        ],
      }),
    );
    expect(r.items).toEqual([
      { list: 'spam', network: '192.0.2.10', status: 'created', version: 1 },
      { list: 'spam', network: '2001:db8::1', status: 'created', version: 1 },
      { list: 'proxy', network: '198.51.100.7', status: 'created', version: 1 },
      { list: 'spam', network: '198.51.100.0/24', status: 'created', version: 1 },
      { list: 'dul', network: '203.0.113.0/25', status: 'created', version: 1 },
    ]);
    const a = await env.table.get('spam', parseNetwork('192.0.2.10'));
    expect(a).toMatchObject({ reason: 'spam run', source: ALICE, exclusion: false, version: 1 });
    expect(a?.expiresAt).toBeUndefined();
    expect((await env.table.get('spam', parseNetwork('2001:db8::1')))?.source).toBe('abuse-report');
    const p = await env.table.get('proxy', parseNetwork('198.51.100.7'));
    expect(Math.abs(p!.expiresAt! - (Date.now() / 1000 + 12 * 3600))).toBeLessThan(30);
    expect((await env.table.get('spam', parseNetwork('198.51.100.0/24')))?.expiresAt).toBe(Date.parse('2031-01-01T00:00:00Z') / 1000);
    expect((await env.table.get('dul', parseNetwork('203.0.113.0/25')))?.expiresAt).toBe(inAWeek);
  });

  it('re-listing identical content is "unchanged" and writes nothing; new content updates and is audited', async () => {
    await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.20', reason: 'first' }] });
    const same = await unchangedBy(() => post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.20', reason: '  first ' }] }));
    expect(ok(writeResponseSchema, same).items).toEqual([{ list: 'spam', network: '192.0.2.20', status: 'unchanged', version: 1 }]);
    const upd = ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.20', reason: 'second', duration: '7d' }] }, { 'x-test-caller': BOB }));
    expect(upd.items[0]).toEqual({ list: 'spam', network: '192.0.2.20', status: 'updated', version: 2 });
    const stored = await env.table.get('spam', parseNetwork('192.0.2.20'));
    expect(stored).toMatchObject({ reason: 'second', source: BOB, version: 2 });
    const h = ok(historyResponseSchema, await get('/v1/history?network=192.0.2.20'));
    expect(h.events.map((e) => e.action)).toEqual(['list', 'update']);
    const e = h.events[1]!;
    expect(e).toMatchObject({ actor: BOB, reason: 'second', list: 'spam', network: '192.0.2.20' });
    expect(e.before).toMatchObject({ reason: 'first', source: ALICE, version: 1, exclusion: false });
    expect(e.after).toMatchObject({ reason: 'second', source: BOB, version: 2, exclusion: false });
    expect(typeof e.after?.expiresAt).toBe('string');
    expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 60_000);
    // Without an expiry the listing becomes permanent again: the item says what the listing is.
    await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.20', reason: 'second' }] }, { 'x-test-caller': BOB });
    expect((await env.table.get('spam', parseNetwork('192.0.2.20')))?.expiresAt).toBeUndefined();
  });

  it('an exclusion never replaces a listing of the same network (409 exists-as-listing), nor a listing an exclusion', async () => {
    ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.30', reason: 'compromised relay' }] }));
    // Today: "updated … was a listing; now an exclusion", and the listing is gone.
    const e = await refused(
      post('/v1/exclusions', {
        items: [
          { list: 'spam', network: '192.0.2.32', reason: 'fine on its own' },
          { list: 'spam', network: '192.0.2.30', reason: 'our relay' },
        ],
      }),
      409,
      'exists-as-listing',
      'items[1].network',
    );
    expect(e.message).toBe(
      'items[1]: 192.0.2.30 is itself listed in list spam (version 1, reason "compromised relay"); an exclusion would replace that listing. ' +
        'To stop listing it, delist it (POST /v1/delistings, or dnsbl delist); an exclusion is a hole inside a wider listing: to exclude this network anyway, delist it first',
    );
    // Nothing of the batch was written (refused() checked both tables).
    expect(await env.table.get('spam', parseNetwork('192.0.2.32'))).toBeUndefined();
    // So exclude --remove finds no exclusion, and the listing survives.
    const rm = ok(writeResponseSchema, await post('/v1/exclusions/delete', { items: [{ list: 'spam', network: '192.0.2.30', reason: 'undo' }] }));
    expect(rm.items[0]).toMatchObject({ status: 'not-excluded', note: 'it is a listing; remove it with POST /v1/delistings' });
    expect(await env.table.get('spam', parseNetwork('192.0.2.30'))).toMatchObject({ exclusion: false, reason: 'compromised relay', version: 1 });

    // The other way round: an exclusion is not silently turned into a listing either.
    ok(writeResponseSchema, await post('/v1/exclusions', { items: [{ list: 'spam', network: '192.0.2.31', reason: 'our relay' }] }));
    const x = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.31', reason: 'compromised' }] }), 409, 'exists-as-exclusion', 'items[0].network');
    expect(x.message).toMatch(/^items\[0\]: 192\.0\.2\.31 is an exclusion in list spam \(version 1, reason "our relay"\); listing it would replace that exclusion\. Remove the exclusion first/);
    // The documented way: remove the existing entry, then write the other kind (versions go on).
    ok(writeResponseSchema, await post('/v1/exclusions/delete', { items: [{ list: 'spam', network: '192.0.2.31', reason: 'relay compromised' }] }));
    const l = ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.31', reason: 'compromised' }] }));
    expect(l.items[0]).toEqual({ list: 'spam', network: '192.0.2.31', status: 'created', version: 2 });
    // Another list is another entry: excluding there is fine.
    ok(writeResponseSchema, await post('/v1/exclusions', { items: [{ list: 'proxy', network: '192.0.2.30', reason: 'not a proxy' }] }));
  });

  it('an expired entry of the other kind may be replaced (it no longer answers)', async () => {
    await post('/v1/listings', { items: [{ list: 'dul', network: '192.0.2.33', reason: 'short', duration: '1h' }] });
    const later = await env.withDeps({ now: () => new Date(Date.now() + 2 * 3600_000) });
    const r = ok(writeResponseSchema, await call(later.url, 'POST', '/v1/exclusions', { items: [{ list: 'dul', network: '192.0.2.33', reason: 'static now' }] }));
    expect(r.items[0]).toEqual({ list: 'dul', network: '192.0.2.33', status: 'created', version: 2, note: 'replaces an expired listing' });
  });

  it('takes a full batch of 1000 items', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ list: 'proxy', network: `11.${(i >> 8) & 255}.${i & 255}.1`, reason: `batch ${i}` }));
    const r = ok(writeResponseSchema, await post('/v1/listings', { items }));
    expect(r.items.filter((x) => x.status === 'created')).toHaveLength(1000);
    expect(r.items[999]).toEqual({ list: 'proxy', network: '11.3.231.1', status: 'created', version: 1 });
  });

  it('re-listing an expired (not yet swept) listing starts it afresh', async () => {
    await post('/v1/listings', { items: [{ list: 'dul', network: '192.0.2.40', reason: 'short', duration: '1h' }] });
    const later = await env.withDeps({ now: () => new Date(Date.now() + 2 * 3600_000) });
    const lk = ok(lookupResponseSchema, await call(later.url, 'GET', '/v1/lookup?ip=192.0.2.40'));
    expect(lk.listed).toBe(false);
    expect(lk.lists.find((l) => l.list === 'dul')!.covering[0]).toMatchObject({ expired: true });
    const r = ok(writeResponseSchema, await call(later.url, 'POST', '/v1/listings', { items: [{ list: 'dul', network: '192.0.2.40', reason: 'again' }] }));
    expect(r.items[0]).toEqual({ list: 'dul', network: '192.0.2.40', status: 'created', version: 2, note: 'replaces an expired listing' });
  });
});

describe('POST /v1/delistings and exclusions', () => {
  it('delists, reports not-listed per item, and keeps the reason in the audit trail', async () => {
    await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.50', reason: 'x' }] });
    await post('/v1/exclusions', { items: [{ list: 'spam', network: '192.0.2.51', reason: 'hole' }] });
    const r = ok(
      writeResponseSchema,
      await post('/v1/delistings', {
        items: [
          { list: 'spam', network: '192.0.2.50', reason: 'cleaned up, ticket 42' },
          { list: 'spam', network: '192.0.2.99', reason: 'never listed' },
          { list: 'spam', network: '192.0.2.51', reason: 'not a listing' },
        ],
      }, { 'x-test-caller': BOB }),
    );
    expect(r.items).toEqual([
      { list: 'spam', network: '192.0.2.50', status: 'delisted', version: 1 },
      { list: 'spam', network: '192.0.2.99', status: 'not-listed', version: null },
      { list: 'spam', network: '192.0.2.51', status: 'not-listed', version: null, note: 'it is an exclusion; remove it with POST /v1/exclusions/delete' },
    ]);
    expect(await env.table.get('spam', parseNetwork('192.0.2.50'))).toBeUndefined();
    expect(await env.table.get('spam', parseNetwork('192.0.2.51'))).toBeDefined();
    const h = ok(historyResponseSchema, await get('/v1/history?network=192.0.2.50'));
    expect(h.events.at(-1)).toMatchObject({ action: 'delist', actor: BOB, reason: 'cleaned up, ticket 42', before: { reason: 'x', version: 1 } });
    expect(h.events.at(-1)!.after).toBeUndefined();
  });

  it('excludes inside a wider listing (lookup: not listed there) and removes exclusions', async () => {
    await post('/v1/listings', { items: [{ list: 'proxy', network: '203.0.113.128/25', reason: 'proxy farm' }] });
    ok(writeResponseSchema, await post('/v1/exclusions', { items: [{ list: 'proxy', network: '203.0.113.130', reason: 'customer mail server', duration: '30d' }] }));
    const hole = ok(lookupResponseSchema, await get('/v1/lookup?ip=203.0.113.130'));
    expect(hole.listed).toBe(false);
    const proxy = hole.lists.find((l) => l.list === 'proxy')!;
    expect(proxy.covering.map((c) => [c.network, c.exclusion])).toEqual([
      ['203.0.113.128/25', false],
      ['203.0.113.130', true],
    ]);
    expect(proxy.decidedBy).toBe('203.0.113.130');
    expect(proxy.answer).toBeNull();
    const next = ok(lookupResponseSchema, await get('/v1/lookup?ip=203.0.113.131'));
    expect(next.answer).toEqual([{ list: 'proxy', code: '127.0.0.3', txt: 'proxy farm' }]);

    const del = ok(
      writeResponseSchema,
      await post('/v1/exclusions/delete', {
        items: [
          { list: 'proxy', network: '203.0.113.130', reason: 'customer left' },
          { list: 'proxy', network: '203.0.113.131', reason: 'no such exclusion' },
          { list: 'proxy', network: '203.0.113.128/25', reason: 'a listing' },
        ],
      }),
    );
    expect(del.items.map((i) => i.status)).toEqual(['removed', 'not-excluded', 'not-excluded']);
    expect(del.items[2]!.note).toBe('it is a listing; remove it with POST /v1/delistings');
    const h = ok(historyResponseSchema, await get('/v1/history?network=203.0.113.130'));
    expect(h.events.map((e) => [e.action, e.reason])).toEqual([
      ['exclude', 'customer mail server'],
      ['unexclude', 'customer left'],
    ]);
    expect(ok(lookupResponseSchema, await get('/v1/lookup?ip=203.0.113.130')).listed).toBe(true);
  });
});

describe('ifVersion', () => {
  it('applies when it matches, 409 (nothing written) when it does not', async () => {
    const c = ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.60', reason: 'a', ifVersion: 0 }] }));
    expect(c.items[0]).toMatchObject({ status: 'created', version: 1 });
    const e = await refused(
      post('/v1/listings', {
        items: [
          { list: 'spam', network: '192.0.2.61', reason: 'fine' },
          { list: 'spam', network: '192.0.2.60', reason: 'b', ifVersion: 0 },
        ],
      }),
      409,
      'version-mismatch',
      'items[1].ifVersion',
    );
    expect(e.message).toBe('items[1]: 192.0.2.60 in list spam is at version 1, not ifVersion 0; read it again and decide');
    expect(await env.table.get('spam', parseNetwork('192.0.2.61'))).toBeUndefined();
    const u = ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.60', reason: 'b', ifVersion: 1 }] }));
    expect(u.items[0]).toMatchObject({ status: 'updated', version: 2 });
    await refused(post('/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.60', reason: 'x', ifVersion: 1 }] }), 409, 'version-mismatch', 'items[0].ifVersion');
    const d = ok(writeResponseSchema, await post('/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.60', reason: 'x', ifVersion: 2 }] }));
    expect(d.items[0]).toMatchObject({ status: 'delisted', version: 2 });
  });
});

describe('versions never repeat for a network in a list', () => {
  it('list, delist, list again: version 2, and a stale ifVersion 1 is 409 (it would have overwritten the new listing)', async () => {
    const net = '192.0.2.62';
    expect(ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'first' }] })).items[0]!.version).toBe(1);
    ok(writeResponseSchema, await post('/v1/delistings', { items: [{ list: 'spam', network: net, reason: 'cleaned up' }] }));
    const again = ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'second' }] }));
    expect(again.items[0]).toEqual({ list: 'spam', network: net, status: 'created', version: 2 });
    // A writer who read version 1 before the delist:
    const e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'stale edit', ifVersion: 1 }] }), 409, 'version-mismatch', 'items[0].ifVersion');
    expect(e.message).toBe(`items[0]: ${net} in list spam is at version 2, not ifVersion 1; read it again and decide`);
    await refused(post('/v1/delistings', { items: [{ list: 'spam', network: net, reason: 'stale delist', ifVersion: 1 }] }), 409, 'version-mismatch');
    expect(await env.table.get('spam', parseNetwork(net))).toMatchObject({ reason: 'second', version: 2 });
    // The history shows the versions in order, without a repeat.
    const h = ok(historyResponseSchema, await get(`/v1/history?network=${net}`));
    expect(h.events.map((x) => [x.action, x.before?.version ?? null, x.after?.version ?? null])).toEqual([
      ['list', null, 1],
      ['delist', 1, null],
      ['list', null, 2],
    ]);
  });

  it('also across deletions that bypass the API (the sweeper, DynamoDB TTL), across kinds, and per list', async () => {
    const net = '192.0.2.63';
    await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'a' }] });
    await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'b' }] });
    // The sweeper deletes with the table adapter directly; TTL deletes without any code of ours.
    await env.table.delete('spam', parseNetwork(net), 2);
    const x = ok(writeResponseSchema, await post('/v1/exclusions', { items: [{ list: 'spam', network: net, reason: 'hole' }] }));
    expect(x.items[0]).toMatchObject({ status: 'created', version: 3 });
    // Another list has its own versions.
    expect(ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'proxy', network: net, reason: 'p' }] })).items[0]!.version).toBe(1);
    // The counters live in the journal: the listings table holds listings only (stream, scans, export).
    const keys: string[] = [];
    for await (const l of env.table.scanAll()) keys.push(`${l.list} ${formatNetwork(l.network)}`);
    expect(keys.filter((k) => k.endsWith(` ${net}`)).sort()).toEqual([`proxy ${net}`, `spam ${net}`]);
    expect(await env.journal.lastVersion('spam', parseNetwork(net))).toBe(3);
  });

  it('a writer racing a delist and re-list does not reuse a version (the counter is checked in the transaction)', async () => {
    const net = parseNetwork('192.0.2.64');
    // 8 rounds of list/delist from 4 writers at once: every created version is new.
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 8; i++) {
          const r = await post('/v1/listings', { items: [{ list: 'dul', network: '192.0.2.64', reason: `w${w} r${i}` }] });
          expect(r.status, r.text).toBe(200);
          const item = writeResponseSchema.parse(r.json).items[0]!;
          if (item.status !== 'unchanged') seen.push(item.version!);
          await post('/v1/delistings', { items: [{ list: 'dul', network: '192.0.2.64', reason: 'x' }] });
        }
      }),
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect(await env.journal.lastVersion('dul', net)).toBe(Math.max(...seen));
  });
});

describe('one 409 shape', () => {
  it('a version conflict found before writing and one found while writing have the same body: error + items', async () => {
    const net = '192.0.2.65';
    await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'v1' }] });
    await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'v2' }] });
    // Found before writing: the stored version is 2.
    const before = await unchangedBy(() => post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.66', reason: 'x' }, { list: 'spam', network: net, reason: 'stale', ifVersion: 1 }] }));
    expect(before.status).toBe(409);
    // Found while writing: the batch read sees version 2, then another writer makes it 3.
    class RacingTable extends ListingsTable {
      race?: () => Promise<unknown>;
      override async getMany(keys: ReadonlyArray<{ list: string; network: Network }>) {
        const r = await super.getMany(keys);
        const race = this.race;
        this.race = undefined;
        if (race) await race();
        return r;
      }
    }
    const racing = new RacingTable(env.doc, env.names.listings);
    racing.race = () => post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'v3 by someone else' }] });
    const racy = await env.withDeps({ table: racing });
    const during = await call(racy.url, 'POST', '/v1/listings', { items: [{ list: 'spam', network: '192.0.2.67', reason: 'x' }, { list: 'spam', network: net, reason: 'stale', ifVersion: 2 }] });
    expect(during.status, during.text).toBe(409);
    for (const r of [before, during]) {
      const body = errorBodySchema.parse(r.json);
      expect(Object.keys(body).sort()).toEqual(['error', 'items']);
      expect(Object.keys(body.error).sort()).toEqual(['code', 'field', 'message']);
      expect(body.error).toMatchObject({ code: 'version-mismatch', field: 'items[1].ifVersion' });
      expect(body.items!.map((i) => i.network)).toEqual([expect.any(String), net]);
      expect(body.items![1]).toMatchObject({ status: 'conflict' });
    }
    // The difference is only what happened to the other item: nothing written before, applied during.
    expect(errorBodySchema.parse(before.json).items![0]).toEqual({ list: 'spam', network: '192.0.2.66', status: 'not-applied', version: null });
    expect(errorBodySchema.parse(during.json).items![0]).toEqual({ list: 'spam', network: '192.0.2.67', status: 'created', version: 1 });
    expect(errorBodySchema.parse(during.json).error.message).toBe(`items[1]: ${net} in list spam is at version 3, not ifVersion 2; read it again and decide`);
  });
});

describe('duplicate keys in a request body', () => {
  it('are a 400 naming the key (JSON.parse would silently keep the last value)', async () => {
    const send = (text: string) => call(env.url, 'POST', '/v1/listings', text, { 'content-type': 'application/json' });
    let e = await refused(send('{"items":[{"list":"spam","network":"192.0.2.68","reason":"keep","reason":"overwrite"}]}'), 400, 'duplicate-key', 'items[0].reason');
    expect(e.message).toBe('the key "reason" appears twice in items[0]; give each key once (JSON.parse would silently keep the last value)');
    e = await refused(send('{"items":[{"list":"spam","network":"192.0.2.68","reason":"a"}],"items":[]}'), 400, 'duplicate-key', 'items');
    expect(e.message).toMatch(/^the key "items" appears twice in the body;/);
    // Escapes do not hide a duplicate; equal keys in different objects are fine.
    await refused(send('{"items":[{"list":"spam","network":"192.0.2.68","reason":"a"},{"list":"spam","network":"192.0.2.69","reason":"b","re\\u0061son":"c"}]}'), 400, 'duplicate-key', 'items[1].reason');
    await refused(
      call(env.url, 'POST', '/v1/delistings', '{"items":[{"list":"spam","network":"192.0.2.30","network":"192.0.2.68","reason":"x"}]}', { 'content-type': 'application/json' }),
      400,
      'duplicate-key',
      'items[0].network',
    );
    ok(writeResponseSchema, await send('{"items":[{"list":"spam","network":"192.0.2.68","reason":"a"},{"list":"spam","network":"192.0.2.69","reason":"a"}]}'));
  });
});

describe('special-purpose space', () => {
  it('is refused for listings unless allowReserved is set, saying what the range is; exclusions and delistings need no flag', async () => {
    const cases: Array<[string, string]> = [
      ['10.0.0.0/8', '10.0.0.0/8 is private-use space (RFC 1918); set items[0].allowReserved to true to list it anyway'],
      ['::1', '::1 is the loopback address (RFC 4291); set items[0].allowReserved to true to list it anyway'],
      ['::', ':: is the unspecified address (RFC 4291); set items[0].allowReserved to true to list it anyway'],
      ['0.0.0.0', '0.0.0.0 is the unspecified address, "this host on this network" (RFC 1122); set items[0].allowReserved to true to list it anyway'],
      ['224.0.0.1', '224.0.0.1 is in 224.0.0.0/4, multicast space (RFC 5771); set items[0].allowReserved to true to list it anyway'],
      ['fe80::/64', 'fe80::/64 is in fe80::/10, link-local space (RFC 4291); set items[0].allowReserved to true to list it anyway'],
    ];
    for (const [network, message] of cases) {
      const e = await refused(post('/v1/listings', { items: [{ list: 'spam', network, reason: 'x' }] }), 400, 'reserved-network', 'items[0].network');
      expect(e.message).toBe(message);
    }
    const forced = ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '10.0.0.0/8', reason: 'lab', allowReserved: true }] }));
    expect(forced.items[0]).toMatchObject({ status: 'created', network: '10.0.0.0/8' });
    // An exclusion only makes the list answer less: allowed anywhere.
    ok(writeResponseSchema, await post('/v1/exclusions', { items: [{ list: 'spam', network: '10.1.2.3', reason: 'our relay' }] }));
    expect(ok(writeResponseSchema, await post('/v1/delistings', { items: [{ list: 'spam', network: '10.0.0.0/8', reason: 'done' }] })).items[0]!.status).toBe('delisted');
    // Documentation space stays listable (examples and tests use it; nobody's hosts live there).
    ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'spam', network: '203.0.113.0/24', reason: 'example' }] }));
  });

  it('delisting 0.0.0.0/0 says it is wider than /8', async () => {
    const e = await refused(post('/v1/delistings', { items: [{ list: 'spam', network: '0.0.0.0/0', reason: 'x' }] }), 400, 'invalid-network', 'items[0].network');
    expect(e.message).toBe('0.0.0.0/0 is wider than /8 and contains 127.0.0.0/8, which is reserved for the RFC 5782 test points; it can never be listed');
  });

  it('the OpenAPI document has allowReserved and the not-applied status', async () => {
    const doc = (await get('/v1/openapi.json')).json;
    expect(doc.components.schemas.UpsertRequest.properties.items.items.properties.allowReserved.type).toBe('boolean');
    expect(doc.components.schemas.WriteResponse.properties.items.items.properties.status.enum).toContain('not-applied');
  });
});

describe('concurrency', () => {
  it('20 parallel updates of one listing: version 21, no lost update, 20 audit events', async () => {
    const net = '192.0.2.77';
    await post('/v1/listings', { items: [{ list: 'spam', network: net, reason: 'initial' }] });
    const rs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post('/v1/listings', { items: [{ list: 'spam', network: net, reason: `update ${i}` }] })),
    );
    for (const r of rs) expect(r.status, r.text).toBe(200);
    const versions = rs.map((r) => ok(writeResponseSchema, r).items[0]!).map((x) => {
      expect(x.status).toBe('updated');
      return x.version;
    });
    expect([...versions].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const stored = await env.table.get('spam', parseNetwork(net));
    expect(stored?.version).toBe(21);
    const events = ok(historyResponseSchema, await get(`/v1/history?network=${net}&limit=1000`)).events;
    const updates = events.filter((e) => e.action === 'update');
    expect(updates).toHaveLength(20);
    // Every update saw the one before it: the before/after chain covers 1..21 without a gap.
    const chain = updates.map((e) => [e.before!.version, e.after!.version] as [number, number]).sort((a, b) => a[0] - b[0]);
    expect(chain).toEqual(Array.from({ length: 20 }, (_, i) => [i + 1, i + 2]));
    expect(new Set(updates.map((e) => e.reason)).size).toBe(20);
    // The last writer's reason is what is stored.
    const last = updates.find((e) => e.after!.version === 21)!;
    expect(stored?.reason).toBe(last.reason);
  });
});

describe('idempotency', () => {
  const body = { items: [{ list: 'spam', network: '192.0.2.88', reason: 'once' }] };

  it('same key and body: the stored response, without running again', async () => {
    const first = await post('/v1/listings', body, { 'Idempotency-Key': 'k-1' });
    expect(ok(writeResponseSchema, first).items[0]).toMatchObject({ status: 'created', version: 1 });
    // Change the listing in between: a re-run would answer "updated"; a replay answers as before.
    await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.88', reason: 'changed' }] });
    const again = await unchangedBy(() =>
      call(env.url, 'POST', '/v1/listings', '{ "items": [ { "reason": "once", "network": "192.0.2.88", "list": "spam" } ] }', {
        'content-type': 'application/json',
        'idempotency-key': 'k-1',
      }),
    );
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('same key with another body is 422; another caller has its own keys', async () => {
    const e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.89', reason: 'other' }] }, { 'Idempotency-Key': 'k-1' }), 422, 'idempotency-key-reused', 'Idempotency-Key');
    expect(e.message).toMatch(/different request body/);
    await refused(post('/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.88', reason: 'once' }] }, { 'Idempotency-Key': 'k-1' }), 422, 'idempotency-key-reused');
    const bob = await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.89', reason: 'other' }] }, { 'Idempotency-Key': 'k-1', 'x-test-caller': BOB });
    expect(ok(writeResponseSchema, bob).items[0]!.status).toBe('created');
  });

  it('a refused request does not use up its key; bad keys are refused', async () => {
    await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.300', reason: 'x' }] }, { 'Idempotency-Key': 'k-2' }), 400, 'invalid-network');
    const fixed = await post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.90', reason: 'x' }] }, { 'Idempotency-Key': 'k-2' });
    expect(ok(writeResponseSchema, fixed).items[0]!.status).toBe('created');
    await refused(post('/v1/listings', body, { 'Idempotency-Key': 'has space' }), 400, 'invalid-idempotency-key', 'Idempotency-Key');
    await refused(post('/v1/listings', body, { 'Idempotency-Key': 'x'.repeat(256) }), 400, 'invalid-idempotency-key');
  });

  it('concurrent requests with one key run once', async () => {
    const b = { items: [{ list: 'dul', network: '192.0.2.91', reason: 'race' }] };
    const rs = await Promise.all(Array.from({ length: 6 }, () => post('/v1/listings', b, { 'Idempotency-Key': 'k-race' })));
    const statuses = rs.map((r) => r.status);
    // One ran; the others replayed its response or were told to retry.
    for (const r of rs) if (r.status === 409) expect(r.json.error.code).toBe('idempotency-key-in-use');
    const ran = rs.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === null);
    expect(ran, JSON.stringify(statuses)).toHaveLength(1);
    const events = ok(historyResponseSchema, await get('/v1/history?network=192.0.2.91')).events;
    expect(events).toHaveLength(1);
  });
});

describe('GET /v1/lookup', () => {
  it('shows covering listings per list, the computed answer and the live DNS answer', async () => {
    await post('/v1/listings', {
      items: [
        { list: 'spam', network: '198.18.0.0/15', reason: 'benchmark net abuse', allowReserved: true },
        { list: 'spam', network: '198.18.5.0/24', reason: 'worse', allowReserved: true },
        { list: 'dul', network: '198.18.5.5', reason: 'dialup', source: 'isp-feed', allowReserved: true },
      ],
    });
    const spamTxt = 'Listed in spam: worse - see https://bl.test/lookup?ip=198.18.5.0/24';
    env.dns.records.set('5.5.18.198.bl.test', { a: ['127.0.0.2', '127.0.0.10'], txt: [spamTxt, 'Dynamic 198.18.5.5'] });
    const r = ok(lookupResponseSchema, await get('/v1/lookup?ip=198.18.5.5'));
    expect(r).toMatchObject({ query: '198.18.5.5', network: '198.18.5.5', kind: 'address', listed: true });
    expect(r.answer).toEqual([
      { list: 'spam', code: '127.0.0.2', txt: spamTxt },
      { list: 'dul', code: '127.0.0.10', txt: 'Dynamic 198.18.5.5' },
    ]);
    const spam = r.lists.find((l) => l.list === 'spam')!;
    expect(spam.covering.map((c) => c.network)).toEqual(['198.18.0.0/15', '198.18.5.0/24']);
    expect(spam.decidedBy).toBe('198.18.5.0/24');
    expect(spam.covering[0]).toMatchObject({ reason: 'benchmark net abuse', source: ALICE, exclusion: false, expiresAt: null, version: 1 });
    expect(Date.parse(spam.covering[0]!.since)).toBeGreaterThan(0);
    expect(r.lists.find((l) => l.list === 'dul')!.covering[0]).toMatchObject({ source: 'isp-feed', reason: 'dialup' });
    expect(r.dns).toMatchObject({ name: '5.5.18.198.bl.test', status: 'listed', a: ['127.0.0.10', '127.0.0.2'], matchesComputed: true });
  });

  it('reports NXDOMAIN, NODATA and a zone that is not in step', async () => {
    const nx = ok(lookupResponseSchema, await get('/v1/lookup?ip=192.0.2.222'));
    expect(nx.listed).toBe(false);
    expect(nx.dns).toMatchObject({ status: 'NXDOMAIN', matchesComputed: true });
    env.dns.records.set('223.2.0.192.bl.test', {});
    expect(ok(lookupResponseSchema, await get('/v1/lookup?ip=192.0.2.223')).dns).toMatchObject({ status: 'NODATA', matchesComputed: true });
    env.dns.records.set('224.2.0.192.bl.test', { a: ['127.0.0.2'], txt: ['stale'] });
    expect(ok(lookupResponseSchema, await get('/v1/lookup?ip=192.0.2.224')).dns).toMatchObject({ status: 'listed', matchesComputed: false });
  });

  it('says "unavailable" after 2 s when the zone does not answer, and still answers the rest', async () => {
    env.dns.silent = true;
    try {
      const t0 = Date.now();
      const r = ok(lookupResponseSchema, await get('/v1/lookup?ip=198.18.5.5'));
      const ms = Date.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(4000);
      expect(r.listed).toBe(true);
      expect(r.dns).toMatchObject({ status: 'unavailable', error: 'no answer within 2000 ms' });
      expect(r.dns!.matchesComputed).toBeUndefined();
    } finally {
      env.dns.silent = false;
    }
  });

  it('answers IPv6, IPv4-mapped and 6to4 queries, the test point, and networks with what is inside', async () => {
    const v6 = ok(lookupResponseSchema, await get(`/v1/lookup?ip=${encodeURIComponent('2001:0db8::1')}`));
    expect(v6.network).toBe('2001:db8::1');
    expect(v6.dns!.name).toMatch(/^1\.0\.0\.0\.(0\.){20}8\.b\.d\.0\.1\.0\.0\.2\.bl\.test$/);
    expect(v6.listed).toBe(true);
    const mapped = ok(lookupResponseSchema, await get(`/v1/lookup?ip=${encodeURIComponent('::ffff:198.18.5.5')}`));
    expect(mapped.network).toBe('198.18.5.5');
    expect(mapped.listed).toBe(true);
    // ipv4ViaIpv6 is off (the default): the zone does not answer 6to4 names; mirrors do, from the IPv4 address.
    const sixToFour = ok(lookupResponseSchema, await get(`/v1/lookup?ip=${encodeURIComponent('2002:c612:505::1')}`));
    expect(sixToFour.answeredFrom).toBeUndefined();
    expect(sixToFour.listed).toBe(false);
    expect(sixToFour.answer).toEqual([]);
    expect(sixToFour.mirrorsAnswerFrom).toBe('198.18.5.5');
    expect(sixToFour.mirrorAnswer!.map((a) => a.list)).toEqual(['spam', 'dul']);
    const tp = ok(lookupResponseSchema, await get('/v1/lookup?ip=127.0.0.2'));
    expect(tp.answer!.map((a) => a.code)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.10']);
    const net = ok(lookupResponseSchema, await get(`/v1/lookup?ip=${encodeURIComponent('198.18.0.0/16')}`));
    expect(net.kind).toBe('network');
    expect(net.listed).toBeUndefined();
    expect(net.dns).toBeUndefined();
    const spam = net.lists.find((l) => l.list === 'spam')!;
    expect(spam.covering.map((c) => c.network)).toEqual(['198.18.0.0/15']);
    expect(spam.inside!.map((c) => c.network)).toEqual(['198.18.5.0/24']);
    expect(net.lists.find((l) => l.list === 'dul')!.inside!.map((c) => c.network)).toEqual(['198.18.5.5']);
    expect(net.insideTruncated).toBe(false);
  });

  it('refuses bad queries naming the parameter', async () => {
    let e = await refused(get('/v1/lookup?ip=192.0.2.300'), 400, 'invalid-network', 'ip');
    expect(e.message).toBe('"192.0.2.300" is not an IPv4 address (octet 300 is over 255)');
    e = await refused(get('/v1/lookup?ip=192.0.2.1/24'), 400, 'invalid-network', 'ip');
    expect(e.message).toBe('"192.0.2.1/24" has host bits set; did you mean 192.0.2.0/24?');
    e = await refused(get(`/v1/lookup?ip=${encodeURIComponent('fe80::1%eth0')}`), 400, 'invalid-network', 'ip');
    expect(e.message).toMatch(/zone id/);
    e = await refused(get('/v1/lookup?ip=010.0.0.1'), 400, 'invalid-network', 'ip');
    expect(e.message).toMatch(/leading zero/);
    e = await refused(get('/v1/lookup?ip=10.0.0.0/7'), 400, 'invalid-network', 'ip');
    expect(e.message).toMatch(/wider than \/8/);
    e = await refused(get('/v1/lookup'), 400, 'missing-field', 'ip');
    expect(e.message).toBe('ip is required');
    e = await refused(get('/v1/lookup?ip=192.0.2.1&verbose=1'), 400, 'unknown-field', 'verbose');
    expect(e.message).toBe('unknown field "verbose" in the query; allowed fields: ip');
    e = await refused(get('/v1/lookup?ip=192.0.2.1&ip=192.0.2.2'), 400, 'duplicate-parameter', 'ip');
    expect(e.message).toBe('query parameter "ip" is given 2 times; give it once');
  });
});

describe('GET /v1/listings (browse)', () => {
  const SOURCES = ['feed-a', 'feed-b', 'feed-c'];
  beforeAll(async () => {
    const now = Math.floor(Date.now() / 1000);
    const items = Array.from({ length: 45 }, (_, i) => ({
      list: 'spam',
      network: `100.64.${i}.0/24`,
      allowReserved: true, // shared address space (RFC 6598)
      reason: `browse ${i}`,
      source: SOURCES[i % 3]!,
      ...(i % 5 === 0 ? {} : { expiresAt: now + 86400 * (i + 1) }),
    }));
    // A separate list keeps the counts exact.
    ok(writeResponseSchema, await post('/v1/listings', { items: items.map((x) => ({ ...x, list: 'dul' })) }));
    // Filler in another list must not show up.
    await post('/v1/listings', { items: [{ list: 'proxy', network: '100.64.0.0/24', reason: 'other list', allowReserved: true }] });
  });

  async function walk(query: string, limit: number): Promise<{ networks: string[]; pages: number }> {
    const networks: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = ok(browseResponseSchema, await get(`/v1/listings?list=dul&limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`));
      expect(r.items.length).toBeLessThanOrEqual(limit);
      networks.push(...r.items.filter((i) => i.network.startsWith('100.64.')).map((i) => i.network));
      cursor = r.cursor;
      pages++;
      expect(pages).toBeLessThan(200);
    } while (cursor);
    return { networks, pages };
  }

  it('walks every entry exactly once with the cursor', async () => {
    const { networks, pages } = await walk('', 7);
    expect(networks).toHaveLength(45);
    expect(new Set(networks).size).toBe(45);
    expect(pages).toBeGreaterThanOrEqual(7);
    const one = ok(browseResponseSchema, await get('/v1/listings?list=dul&limit=1000'));
    expect(one.items.filter((i) => i.network.startsWith('100.64.'))).toHaveLength(45);
  });

  it('filters server-side by source and expiry, and pages still progress', async () => {
    const b = await walk('&source=feed-b', 2);
    expect(b.networks.sort()).toEqual(Array.from({ length: 15 }, (_, i) => `100.64.${i * 3 + 1}.0/24`).sort());
    const soon = new Date(Date.now() + 10.5 * 86400_000).toISOString();
    const before = await walk(`&expiresBefore=${soon}`, 3);
    // i+1 <= 10 days, and i % 5 != 0 (those never expire): i in 1..9 without 5.
    expect(before.networks.sort()).toEqual([1, 2, 3, 4, 6, 7, 8, 9].map((i) => `100.64.${i}.0/24`).sort());
    // i + 1 > 42.5 days and feed-b (i % 3 == 1): only i = 43.
    const after = await walk(`&expiresAfter=${new Date(Date.now() + 42.5 * 86400_000).toISOString()}&source=feed-b`, 1);
    expect(after.networks).toEqual(['100.64.43.0/24']);
    const none = await walk('&source=nobody', 1);
    expect(none.networks).toEqual([]);
  });

  it('refuses bad parameters and foreign cursors', async () => {
    await refused(get('/v1/listings'), 400, 'missing-field', 'list');
    let e = await refused(get('/v1/listings?list=nope'), 400, 'unknown-list', 'list');
    expect(e.message).toBe('list "nope" is not a configured list; configured lists: spam, proxy, dul');
    for (const bad of ['0', '1001', 'abc', '-1', '1.5']) await refused(get(`/v1/listings?list=dul&limit=${bad}`), 400, 'invalid-value', 'limit');
    e = await refused(get('/v1/listings?list=dul&expiresBefore=tomorrow'), 400, 'invalid-time', 'expiresBefore');
    expect(e.message).toMatch(/not an ISO 8601 time/);
    await refused(get('/v1/listings?list=dul&cursor=!!!'), 400, 'invalid-cursor', 'cursor');
    await refused(get(`/v1/listings?list=dul&cursor=${Buffer.from('{"v":1,"l":"dul","b":99}').toString('base64url')}`), 400, 'invalid-cursor');
    const page = ok(browseResponseSchema, await get('/v1/listings?list=dul&limit=1'));
    e = await refused(get(`/v1/listings?list=spam&cursor=${page.cursor}`), 400, 'invalid-cursor', 'cursor');
    expect(e.message).toMatch(/belongs to list "dul"/);
    await refused(get('/v1/listings?list=dul&sort=asc'), 400, 'unknown-field', 'sort');
  });
});

describe('GET /v1/history', () => {
  it('pages with a cursor and refuses bad input', async () => {
    const net = '192.0.2.150';
    for (const reason of ['a', 'b', 'c']) await post('/v1/listings', { items: [{ list: 'spam', network: net, reason }] });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r = ok(historyResponseSchema, await get(`/v1/history?network=${net}&limit=1${cursor ? `&cursor=${cursor}` : ''}`));
      seen.push(...r.events.map((e) => e.reason));
      cursor = r.cursor;
    } while (cursor);
    expect(seen).toEqual(['a', 'b', 'c']);
    const mapped = ok(historyResponseSchema, await get(`/v1/history?network=${encodeURIComponent('::ffff:192.0.2.150')}`));
    expect(mapped.network).toBe(net);
    expect(mapped.events).toHaveLength(3);
    await refused(get('/v1/history?network=192.0.2.1500'), 400, 'invalid-network', 'network');
    await refused(get('/v1/history?network=192.0.2.1&cursor=abc'), 400, 'invalid-cursor', 'cursor');
    const other = Buffer.from(JSON.stringify({ pk: 'STATE', sk: 'x' })).toString('base64url');
    await refused(get(`/v1/history?network=192.0.2.1&cursor=${other}`), 400, 'invalid-cursor', 'cursor');
  });
});

describe('refusals: status, code, field and message, and nothing changes', () => {
  it('unknown routes and methods', async () => {
    let e = await refused(get('/v1/nope'), 404, 'not-found');
    expect(e.message).toMatch(/no such endpoint: "\/v1\/nope"/);
    const r = await call(env.url, 'DELETE', '/v1/listings');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST');
    expect(r.json.error).toMatchObject({ code: 'method-not-allowed', message: '"DELETE" is not allowed on /v1/listings; allowed: GET, POST' });
    e = await refused(call(env.url, 'PUT', '/v1/delistings', { items: [] }), 405, 'method-not-allowed');
    await refused(call(env.url, 'GET', '/v1/delistings'), 405, 'method-not-allowed');
  });

  it('content types, sizes and JSON', async () => {
    const body = JSON.stringify({ items: [{ list: 'spam', network: '192.0.2.1', reason: 'x' }] });
    let e = await refused(call(env.url, 'POST', '/v1/listings', body, { 'content-type': 'text/plain' }), 415, 'unsupported-media-type', 'Content-Type');
    expect(e.message).toBe('Content-Type "text/plain" is not supported; send the body as application/json');
    await refused(call(env.url, 'POST', '/v1/listings', body, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported-media-type');
    e = await refused(call(env.url, 'POST', '/v1/listings', body, {}, { noContentType: true }), 415, 'unsupported-media-type', 'Content-Type');
    expect(e.message).toBe('the request has no Content-Type; send the body as application/json');
    await refused(call(env.url, 'POST', '/v1/listings', body, { 'content-type': 'application/json; charset=latin1' }), 415, 'unsupported-media-type');
    ok(writeResponseSchema, await call(env.url, 'POST', '/v1/listings', body, { 'content-type': 'Application/JSON; charset=UTF-8' }));
    e = await refused(call(env.url, 'POST', '/v1/listings', '{"items": [', {}), 400, 'invalid-json', 'body');
    expect(e.message).toMatch(/^the request body is not valid JSON: /);
    await refused(call(env.url, 'POST', '/v1/listings', '', { 'content-type': 'application/json' }), 400, 'invalid-json', 'body');
    await refused(call(env.url, 'POST', '/v1/listings', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), { 'content-type': 'application/json' }), 400, 'invalid-json', 'body');
    const big = JSON.stringify({ items: [{ list: 'spam', network: '192.0.2.1', reason: 'x'.repeat(1024 * 1024) }] });
    e = await refused(call(env.url, 'POST', '/v1/listings', big, {}), 413, 'payload-too-large', 'body');
    expect(e.message).toMatch(/larger than 1048576 bytes/);
    await refused(call(env.url, 'POST', '/v1/listings', 'x'.repeat(7 * 1024 * 1024), {}), 413, 'payload-too-large');
  });

  it('shapes: wrong types, unknown fields, item counts', async () => {
    let e = await refused(post('/v1/listings', [{ list: 'spam' }]), 400, 'invalid-type', 'body');
    expect(e.message).toBe('the body must be a JSON object (got array)');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'x', color: 'red' }] }), 400, 'unknown-field', 'items[0].color');
    expect(e.message).toBe('unknown field "color" in items[0]; allowed fields: list, network, reason, expiresAt, duration, source, ifVersion, allowReserved');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'x' }], dryRun: true }), 400, 'unknown-field', 'dryRun');
    expect(e.message).toBe('unknown field "dryRun" in the body; allowed fields: items');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: 3221225985, reason: 'x' }] }), 400, 'invalid-type', 'items[0].network');
    expect(e.message).toBe('items[0].network must be a string (got number)');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1' }] }), 400, 'missing-field', 'items[0].reason');
    expect(e.message).toBe('items[0].reason is required');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1', reason: { text: 'x' } }] }), 400, 'invalid-type', 'items[0].reason');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'x', expiresAt: true }] }), 400, 'invalid-type', 'items[0].expiresAt');
    expect(e.message).toBe('items[0].expiresAt must be an ISO 8601 time (e.g. "2030-01-01T00:00:00Z") or epoch seconds');
    e = await refused(post('/v1/listings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'x', ifVersion: 1.5 }] }), 400, 'invalid-type', 'items[0].ifVersion');
    e = await refused(post('/v1/listings', { items: [] }), 400, 'invalid-value', 'items');
    expect(e.message).toBe('items must hold at least 1 item');
    const many = Array.from({ length: 1001 }, (_, i) => ({ list: 'spam', network: `10.9.${i >> 8}.${i & 255}`, reason: 'x' }));
    e = await refused(post('/v1/listings', { items: many }), 400, 'too-many-items', 'items');
    expect(e.message).toBe('items holds 1001 items; at most 1000 per request');
    e = await refused(post('/v1/listings', { items: 'all' }), 400, 'invalid-type', 'items');
  });

  it('meaning: networks, lists, texts, expiry, duplicates — the whole batch is refused, every problem named', async () => {
    const e = await refused(
      post('/v1/listings', {
        items: [
          { list: 'spam', network: '192.0.2.5', reason: 'good one' },
          { list: 'spam', network: '192.0.2.300', reason: 'x' },
          { list: 'spamm', network: '192.0.2.6', reason: 'x' },
          { list: 'spam', network: '192.0.2.7/24', reason: 'x' },
          { list: 'spam', network: '192.0.2.8', reason: 'x\n$ORIGIN evil.' },
          { list: 'spam', network: '192.0.2.9', reason: 'x', duration: '7d', expiresAt: '2099-01-01T00:00:00Z' },
          { list: 'spam', network: '192.0.2.11', reason: 'x', expiresAt: '2001-01-01T00:00:00Z' },
          { list: 'spam', network: '::ffff:192.0.2.5', reason: 'same as items[0]' },
          { list: 'spam', network: '127.0.0.5', reason: 'x' },
          { list: 'spam', network: '192.0.2.12', reason: 'é' },
          { list: 'spam', network: '192.0.2.13', reason: 'x'.repeat(201) },
          { list: 'spam', network: '192.0.2.14', reason: 'x', duration: '7 days' },
          { list: 'spam', network: '192.0.2.15', reason: 'x', expiresAt: 1893456000000 },
        ],
      }),
      400,
      'invalid-network',
      'items[1].network',
    );
    expect(e.details!.map((d) => [d.field, d.code, d.message])).toEqual([
      ['items[1].network', 'invalid-network', '"192.0.2.300" is not an IPv4 address (octet 300 is over 255)'],
      ['items[2].list', 'unknown-list', 'items[2].list "spamm" is not a configured list; configured lists: spam, proxy, dul'],
      ['items[3].network', 'invalid-network', '"192.0.2.7/24" has host bits set; did you mean 192.0.2.0/24?'],
      ['items[4].reason', 'invalid-text', 'items[4].reason contains a control character (U+000A) at position 2'],
      ['items[5].duration', 'invalid-time', 'items[5].expiresAt and items[5].duration are exclusive; give one of them'],
      ['items[6].expiresAt', 'invalid-time', expect.stringMatching(/^items\[6\]\.expiresAt 2001-01-01T00:00:00.000Z is not in the future/)],
      ['items[7].network', 'duplicate-network', 'items[7] and items[0] both name 192.0.2.5 in list spam ("::ffff:192.0.2.5" and "192.0.2.5" are the same network); give each network once per list in a batch'],
      ['items[8].network', 'invalid-network', '127.0.0.5 overlaps 127.0.0.0/8, which is reserved for the RFC 5782 test points'],
      ['items[9].reason', 'invalid-text', 'items[9].reason contains the non-ASCII character "é" at position 1; only printable ASCII is allowed in DNS TXT records'],
      ['items[10].reason', 'invalid-text', 'items[10].reason is 201 characters long; at most 200 are allowed'],
      ['items[11].duration', 'invalid-time', 'items[11].duration "7 days" is not a duration: write a number and a unit (s, m, h, d or w), e.g. "30m", "12h", "7d"'],
      ['items[12].expiresAt', 'invalid-time', 'items[12].expiresAt 1893456000000 looks like milliseconds; give epoch seconds'],
    ]);
    expect(await env.table.get('spam', parseNetwork('192.0.2.5'))).toBeUndefined();
  });

  it('removals are validated the same way', async () => {
    let e = await refused(post('/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'x', expiresAt: 5 }] }), 400, 'unknown-field', 'items[0].expiresAt');
    expect(e.message).toBe('unknown field "expiresAt" in items[0]; allowed fields: list, network, reason, ifVersion');
    e = await refused(
      post('/v1/exclusions/delete', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'x' }, { list: 'spam', network: '192.0.2.1', reason: 'y' }] }),
      400,
      'duplicate-network',
      'items[1].network',
    );
    expect(e.message).toMatch(/^items\[1\] and items\[0\] both name 192.0.2.1 in list spam/);
    await refused(post('/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.1', reason: '' }] }), 400, 'invalid-text', 'items[0].reason');
  });

  it('the same network in two lists is not a duplicate', async () => {
    const r = ok(
      writeResponseSchema,
      await post('/v1/listings', {
        items: [
          { list: 'spam', network: '192.0.2.160', reason: 'x' },
          { list: 'proxy', network: '192.0.2.160', reason: 'x' },
        ],
      }),
    );
    expect(r.items.map((i) => i.status)).toEqual(['created', 'created']);
  });

  it('text that looks like zone-file syntax but is printable ASCII is stored verbatim, not interpreted', async () => {
    const reason = '$ORIGIN evil. "; rm -rf / \\ $TTL 0 @ IN A 1.2.3.4';
    ok(writeResponseSchema, await post('/v1/listings', { items: [{ list: 'proxy', network: '192.0.2.170', reason }] }));
    const lk = ok(lookupResponseSchema, await get('/v1/lookup?ip=192.0.2.170'));
    expect(lk.answer).toEqual([{ list: 'proxy', code: '127.0.0.3', txt: reason }]);
  });
});
