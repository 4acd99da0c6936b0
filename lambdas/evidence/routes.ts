// The reporter API: POST /v1/evidence (a batch of up to 1,000 events; bad ones get per-item errors,
// the good ones are kept) and POST /v1/policy/dry-run (a policy change evaluated against the current
// evidence, nothing written). A route list in the style of lambdas/api/*.ts:
//   ...evidenceRoutes({ intake, policies, cfg })
// In AWS, reporters get an IAM policy allowing execute-api:Invoke on POST /v1/evidence only; the
// dry run is an operator's route.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, jsonResult, problemOf, quote } from '../api/errors.js';
import { readJsonBody } from '../api/request.js';
import type { RequestContext, Route } from '../api/router.js';
import { MAX_EVENTS } from '../core/evidence.js';
import { validateEvidencePolicy } from '../core/evidence-policy.js';
import { InputError } from '../core/input-error.js';
import type { ZoneConfig } from '../core/listing.js';
import type { EvidenceIntake, ListPolicy } from './intake.js';

export interface EvidenceRouteDeps {
  readonly intake: EvidenceIntake;
  /** The lists' configured evidence policies. */
  readonly policies: readonly ListPolicy[];
  readonly cfg: ZoneConfig;
}

export const EVIDENCE_PATH = '/v1/evidence';
export const DRY_RUN_PATH = '/v1/policy/dry-run';
export const MAX_DRY_RUN_LIMIT = 1_000_000;

function objectBody(raw: unknown, shape: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ApiError(400, 'invalid-body', `the body must be a JSON object: ${shape}`, 'body');
  return raw as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ApiError(400, 'unknown-field', `unknown field ${quote(k, 40)}; allowed: ${allowed.join(', ')}`, k);
}

export function evidenceRoutes(deps: EvidenceRouteDeps): Route[] {
  const submit = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const o = objectBody(readJsonBody(ctx.event), '{"items": [{ip, kind, observedAt, reporter?, detail?, id?}, ...]}');
    onlyKeys(o, ['items']);
    if (!Array.isArray(o.items) || o.items.length === 0) throw new ApiError(400, 'invalid-items', 'items must be a non-empty array of events', 'items');
    if (o.items.length > MAX_EVENTS) throw new ApiError(400, 'too-many-items', `items holds ${o.items.length} events; at most ${MAX_EVENTS} per request`, 'items');
    const r = await deps.intake.submit(o.items, ctx.caller);
    if (r.accepted === 0) {
      throw ApiError.fromProblems(400, r.rejected.map((p) => ({ code: 'invalid-event', message: p.message, field: p.field })));
    }
    return jsonResult(200, r);
  };

  const dryRun = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const o = objectBody(readJsonBody(ctx.event), '{"policies": {"<list>": <evidence policy>}, "limit"?: number}');
    onlyKeys(o, ['policies', 'limit']);
    const given = o.policies === undefined ? {} : objectBody(o.policies, '{"policies": {"<list>": <evidence policy>}}');
    const names = deps.cfg.lists.map((l) => l.name);
    const policies: ListPolicy[] = deps.policies.filter((p) => !(p.list in given));
    const problems = [];
    for (const [list, value] of Object.entries(given)) {
      const field = `policies.${list}`;
      if (!names.includes(list)) {
        problems.push({ code: 'unknown-list', message: `${field}: ${quote(list)} is not a configured list; configured lists: ${names.join(', ')}`, field });
        continue;
      }
      try {
        policies.push({ list, policy: validateEvidencePolicy(value, field, names) });
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        problems.push(problemOf(e));
      }
    }
    if (problems.length > 0) throw ApiError.fromProblems(400, problems);
    let limit: number | undefined;
    if (o.limit !== undefined) {
      if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 1 || o.limit > MAX_DRY_RUN_LIMIT) {
        throw new ApiError(400, 'invalid-limit', `limit must be an integer in 1..${MAX_DRY_RUN_LIMIT}`, 'limit');
      }
      limit = o.limit;
    }
    return jsonResult(200, await deps.intake.dryRun(policies, limit !== undefined ? { limit } : {}));
  };

  return [
    { method: 'POST', path: EVIDENCE_PATH, handler: submit },
    { method: 'POST', path: DRY_RUN_PATH, handler: dryRun },
  ];
}
