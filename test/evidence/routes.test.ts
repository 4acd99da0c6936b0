// POST /v1/evidence and POST /v1/policy/dry-run behind the API's router and error mapping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../../lambdas/api/router.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { evidenceRoutes } from '../../lambdas/evidence/routes.js';
import { CFG, type EvidenceEnv, POLICIES, startEvidenceEnv, T0, postAsReporter } from './support.js';

const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
let env: EvidenceEnv;
let router: Router;
beforeAll(async () => {
  env = await startEvidenceEnv();
  router = new Router(evidenceRoutes({ intake: env.intake(), policies: POLICIES, cfg: CFG }));
});
afterAll(async () => {
  await env?.stop();
});

const post = (path: string, body: unknown) => postAsReporter(router, path, body);

describe('reporter API', () => {
  it('keeps the good events of a batch and names each bad one', async () => {
    env.clock.now = T0;
    const r = await post('/v1/evidence', { items: [{ ip: '192.0.2.50', kind: 'spamtrap', observedAt: '2029-12-31T23:00:00Z' }, { ip: '192.0.2.300', kind: 'spamtrap', observedAt: T0 }] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: 1, rejected: [{ index: 1, field: 'items[1].ip', message: '"192.0.2.300" is not an IPv4 address (octet 300 is over 255)' }], writes: [{ network: '192.0.2.50', status: 'created' }] });
    expect((await env.table.get('spam', net('192.0.2.50')))?.source).toBe('evidence:level1');
  });

  it('answers 400 with every problem when no event is good, and refuses oversized or malformed bodies', async () => {
    const r = await post('/v1/evidence', { items: [{ ip: '192.0.2.1', kind: 'scan', observedAt: T0 }, { ip: 'x', kind: 'spamtrap', observedAt: T0 }] });
    expect(r.status).toBe(400);
    expect(r.json.error.details.map((d: { field: string }) => d.field)).toEqual(['items[0].kind', 'items[1].ip']);
    expect((await post('/v1/evidence', { items: Array.from({ length: 1001 }, () => ({})) })).json.error.code).toBe('too-many-items');
    expect((await post('/v1/evidence', { events: [] })).json.error).toMatchObject({ code: 'unknown-field', field: 'events' });
  });

  it('a dry run shows what a policy change would list, extend, delist and escalate, and writes nothing', async () => {
    env.clock.now = T0;
    await post('/v1/evidence', { items: [1, 2, 3].map((i) => ({ ip: `198.51.100.${i}`, kind: 'abuse-report', observedAt: T0 - i * 60, reporter: `isp${i}` })) });
    expect(await env.table.get('spam', net('198.51.100.1'))).toBeUndefined();
    const r = await post('/v1/policy/dry-run', {
      policies: {
        spam: {
          kinds: { spamtrap: { weight: 1 }, 'abuse-report': { weight: 1 } },
          threshold: 1,
          windowHours: 24,
          holdHours: 1,
          escalation: { level2: { list: 'spam-l2', widest: 24, narrowest: 30 } },
        },
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.summary['spam:list']).toBe(3);
    expect(r.json.changes.filter((c: { op: string }) => c.op === 'list').map((c: { network: string }) => c.network).sort()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    // 192.0.2.50's hit was an hour before now: a 1 h hold would delist it.
    expect(r.json.changes).toContainEqual(expect.objectContaining({ op: 'delist', network: '192.0.2.50' }));
    // Three abusers in 198.51.100.0/30: a /25 needs 2, a /24 5, so the /25 is the widest escalated;
    // the deployment's own 198.51.100.25 inside it becomes a hole.
    expect(r.json.escalations.map((e: { op: string; network: string }) => `${e.op} ${e.network}`)).toEqual(['list 198.51.100.0/25', 'exclude 198.51.100.25']);
    expect(await env.table.get('spam', net('198.51.100.1'))).toBeUndefined();
    expect(await env.table.get('spam-l2', net('198.51.100.0/25'))).toBeUndefined();
    const bad = await post('/v1/policy/dry-run', { policies: { nope: {}, spam: { threshold: 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.map((d: { field: string }) => d.field)).toEqual(['policies.nope', 'policies.spam.kinds']);
  });
});
