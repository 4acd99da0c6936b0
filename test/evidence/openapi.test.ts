// The OpenAPI document covers the evidence routes: every route of an API with evidence is
// documented, the request schemas are request bodies (REQUESTS: io "input"), what the routes accept
// the schemas accept (and shapes the schemas refuse the routes refuse), and the routes' answers fit
// the documented response schemas exactly (strict: an undocumented field fails).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRouter } from '../../lambdas/api/app.js';
import { dryRunRequestSchema, dryRunResponseSchema, evidenceRequestSchema, evidenceResponseSchema } from '../../lambdas/api/evidence-schemas.js';
import { openApiDocument } from '../../lambdas/api/openapi.js';
import type { Router } from '../../lambdas/api/router.js';
import { evidenceRoutes } from '../../lambdas/evidence/routes.js';
import { CFG, type EvidenceEnv, POLICIES, startEvidenceEnv, T0, postAsReporter } from './support.js';

let env: EvidenceEnv;
let router: Router;
beforeAll(async () => {
  env = await startEvidenceEnv();
  router = apiRouter({ ...env.apiDeps, evidence: env.store, evidenceRoutes: evidenceRoutes({ intake: env.intake(), policies: POLICIES, cfg: CFG }) });
});
afterAll(async () => {
  await env?.stop();
});

const post = (path: string, body: unknown) => postAsReporter(router, path, body);

describe('OpenAPI: the evidence routes', () => {
  it('documents every route of an API with evidence, with the evidence request bodies as requests', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { requestBody?: unknown }>>; components: { schemas: Record<string, any> } };
    const routes = router.routes();
    expect(routes).toEqual(expect.arrayContaining([{ method: 'POST', path: '/v1/evidence' }, { method: 'POST', path: '/v1/policy/dry-run' }]));
    for (const { method, path } of routes) expect(doc.paths[path]?.[method.toLowerCase()], `${method} ${path}`).toBeDefined();
    const ev = doc.components.schemas.EvidenceRequest;
    expect(ev.additionalProperties).toBe(false);
    expect(ev.properties.items.maxItems).toBe(1000);
    expect(ev.properties.items.items.required).toEqual(['ip', 'kind', 'observedAt']);
    // io "input": optional fields are not required (an output schema would list defaults as required).
    expect(doc.components.schemas.DryRunRequest.required ?? []).toEqual([]);
    expect(doc.components.schemas.LookupResponse.properties.evidence.properties.reporters).toBeDefined();
  });

  it('bodies the reporter route takes fit EvidenceRequest, its answers fit EvidenceResponse (property)', async () => {
    let n = 0;
    const event = fc.record(
      {
        ip: fc.integer({ min: 1, max: 254 }).map((i) => `192.0.2.${i}`),
        kind: fc.constantFrom('spamtrap', 'abuse-report'),
        observedAt: fc.integer({ min: 0, max: 86_000 }).map((ago) => T0 - ago),
        reporter: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        detail: fc.stringMatching(/^[ -~]{1,50}$/).filter((s) => s.trim().length > 0),
      },
      { requiredKeys: ['ip', 'kind', 'observedAt'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 5 }), async (items) => {
        env.clock.now = T0 + n++;
        const body = { items };
        expect(evidenceRequestSchema.safeParse(body).success).toBe(true);
        const r = await post('/v1/evidence', body);
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        evidenceResponseSchema.parse(r.json);
      }),
      { numRuns: 15 },
    );
  });

  it('shapes EvidenceRequest refuses, the route refuses too', async () => {
    const bad = [{}, { items: [] }, { items: Array.from({ length: 1001 }, () => ({ ip: '192.0.2.1', kind: 'spamtrap', observedAt: T0 })) }, { items: [{ ip: '192.0.2.1', kind: 'spamtrap', observedAt: T0 }], extra: 1 }, { items: [{ ip: '192.0.2.1', kind: 'spamtrap' }] }, { items: [{ ip: '192.0.2.1', kind: 'spamtrap', observedAt: T0, colour: 'red' }] }];
    for (const body of bad) {
      expect(evidenceRequestSchema.safeParse(body).success, JSON.stringify(body).slice(0, 80)).toBe(false);
      expect((await post('/v1/evidence', body)).status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
  });

  it('the dry run: its bodies fit DryRunRequest, its answer DryRunResponse; shapes the schema refuses are refused', async () => {
    const body = { policies: { spam: { kinds: { spamtrap: { weight: 1 }, 'abuse-report': { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 1, escalation: { level2: { list: 'spam-l2', widest: 22, narrowest: 24 } } } }, limit: 1000 };
    expect(dryRunRequestSchema.safeParse(body).success).toBe(true);
    const r = await post('/v1/policy/dry-run', body);
    expect(r.status).toBe(200);
    const parsed = dryRunResponseSchema.parse(r.json);
    expect(parsed.evaluated).toBeGreaterThan(0);
    expect(dryRunRequestSchema.safeParse({}).success).toBe(true);
    expect((await post('/v1/policy/dry-run', {})).status).toBe(200);
    for (const b of [{ limit: 0 }, { policies: { spam: { threshold: 1 } } }, { policy: {} }, { policies: { spam: { ...body.policies.spam, colour: 1 } } }]) {
      expect(dryRunRequestSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
      expect((await post('/v1/policy/dry-run', b)).status, JSON.stringify(b)).toBe(400);
    }
  });
});
