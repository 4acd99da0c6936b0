// The operator API's /v1/requests routes in the OpenAPI document (lambdas/api/openapi.ts): every
// route of a router with the portal's review routes is documented, the request schemas are the
// input-side ones (REQUESTS), and the routes' real answers on DynamoDB Local parse with the
// documented response schemas, strictly (an undocumented field fails the test).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRouter } from '../../lambdas/api/app.js';
import { openApiDocument } from '../../lambdas/api/openapi.js';
import { approveBodySchema, delistRequestSchema, denyBodySchema, requestListSchema } from '../../lambdas/api/requests-schema.js';
import { call } from '../api/support.js';
import { mailTo, PORTAL_CFG, type PortalEnv, startPortalEnv } from './support.js';

let env: PortalEnv;
beforeAll(async () => {
  env = await startPortalEnv();
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

async function inReview(ip: string, email: string): Promise<string> {
  const l = await call(env.apiUrl, 'POST', '/v1/listings', { items: [{ list: 'proxy', network: ip, reason: 'open proxy', source: 'trap:p' }] });
  expect(l.status, l.text).toBe(200);
  const before = (await env.outbox.messages()).length;
  const r = await call(env.publicUrl, 'POST', '/api/delist-requests', { ip, email, statement: 'We closed the proxy on port 3128.' });
  expect(r.status, r.text).toBe(202);
  const link = new URL((await mailTo(env.outbox, email, before)).links.find((x) => x.includes('/delist/confirm'))!);
  const c = await call(env.publicUrl, 'POST', '/api/delist-requests/confirm', { id: link.searchParams.get('id'), token: link.searchParams.get('token') });
  expect(c.json.status, c.text).toBe('in-review');
  return r.json.id as string;
}

describe('/v1/requests in the OpenAPI document', () => {
  it('documents every route of the router with the review routes, request bodies as input schemas', async () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
    const { table, journal } = env;
    const routes = apiRouter({ cfg: PORTAL_CFG, table, journal, delist: {} as never }).routes();
    const review = routes.filter((r) => r.path.startsWith('/v1/requests'));
    expect(review.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /v1/requests', 'GET /v1/requests/{id}', 'POST /v1/requests/{id}/approve', 'POST /v1/requests/{id}/deny']);
    for (const { method, path } of routes) expect(doc.paths[path]?.[method.toLowerCase()], `${method} ${path}`).toBeDefined();
    const deny = doc.paths['/v1/requests/{id}/deny']!.post;
    expect(deny.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/DenyRequest' } } } });
    expect(doc.components.schemas.DenyRequest).toMatchObject({ type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } });
    expect(doc.components.schemas.ApproveRequest).toMatchObject({ type: 'object', additionalProperties: false });
    expect(doc.paths['/v1/requests']!.get.parameters.map((p: { name: string }) => p.name)).toEqual(['limit']);
    expect(doc.paths['/v1/requests/{id}']!.get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(doc.paths['/v1/requests']!.get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DelistRequestList' });
  });

  it('the routes answer what the document says (strict parse of real answers), and refuse what its request schemas refuse', async () => {
    const a = await inReview('192.0.2.91', 'doc-a@sender.test');
    const d = await inReview('192.0.2.92', 'doc-d@sender.test');
    const list = await call(env.apiUrl, 'GET', '/v1/requests?limit=10');
    expect(list.status, list.text).toBe(200);
    const parsed = requestListSchema.parse(list.json);
    expect(parsed.items.map((x) => x.id)).toEqual(expect.arrayContaining([a, d]));
    expect(parsed.items.find((x) => x.id === a)).toMatchObject({ status: 'in-review', contact: 'doc-a@sender.test' });
    delistRequestSchema.parse((await call(env.apiUrl, 'GET', `/v1/requests/${a}`)).json);
    const approved = await call(env.apiUrl, 'POST', `/v1/requests/${a}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect(delistRequestSchema.parse(approved.json)).toMatchObject({ status: 'approved' });
    const denied = await call(env.apiUrl, 'POST', `/v1/requests/${d}/deny`, { reason: 'Still open.' });
    expect(denied.status, denied.text).toBe(200);
    expect(delistRequestSchema.parse(denied.json)).toMatchObject({ status: 'denied', denyReason: 'Still open.' });
    // After the decision (contact forgotten, decidedAt set) the stored request still parses.
    expect(delistRequestSchema.parse((await call(env.apiUrl, 'GET', `/v1/requests/${d}`)).json).contact).toBeUndefined();
    // What the request schemas refuse, the routes refuse.
    for (const [i, [body, path]] of ([
      [{ extra: 1 }, 'approve'],
      [{ reason: 'x', extra: 1 }, 'deny'],
      [{}, 'deny'],
      [{ reason: '' }, 'deny'],
      [{ reason: 'x'.repeat(501) }, 'deny'],
    ] as const).entries()) {
      const schema = path === 'approve' ? approveBodySchema : denyBodySchema;
      expect(schema.safeParse(body).success, JSON.stringify(body)).toBe(false);
      const fresh = await inReview(`192.0.2.${100 + i}`, `refuse-${i}@sender.test`);
      const r = await call(env.apiUrl, 'POST', `/v1/requests/${fresh}/${path}`, body);
      expect(r.status, `${path} ${JSON.stringify(body)}: ${r.text}`).toBe(400);
    }
    expect(approveBodySchema.safeParse({}).success && denyBodySchema.safeParse({ reason: 'Still open.' }).success).toBe(true);
  });
});
