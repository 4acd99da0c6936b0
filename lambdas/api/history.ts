// GET /v1/history?network=<n>&limit=&cursor= — the audit trail of one network (every list), oldest
// first, from the journal; for an address also its evidence (when the deployment reads evidence).
// The network is canonicalised first, so "::ffff:192.0.2.1" and
// "192.0.2.1" have one history.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { operatorEvidence } from '../core/evidence-summary.js';
import { FAMILY_BITS, formatNetwork, networkKey, parseNetwork } from '../core/ip.js';
import { parseLimit } from './browse.js';
import type { ApiDeps } from './deps.js';
import { ApiError, jsonResult } from './errors.js';
import { queryParams } from './request.js';
import type { RequestContext, Route } from './router.js';
import { historyQuerySchema, parseWith } from './schemas.js';

function checkCursor(cursor: string, pk: string): void {
  const bad = () => new ApiError(400, 'invalid-cursor', 'cursor is not a cursor of this history; start again without one', 'cursor');
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) throw bad();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const k = key as Record<string, unknown> | null;
  if (!k || typeof k !== 'object' || Array.isArray(k) || Object.keys(k).sort().join(',') !== 'pk,sk' || k.pk !== pk || typeof k.sk !== 'string') {
    throw bad();
  }
}

export function historyRoutes(deps: ApiDeps): Route[] {
  const handler = async (ctx: RequestContext): Promise<APIGatewayProxyResult> => {
    const parsed = parseWith(historyQuerySchema, queryParams(ctx.event), 'query');
    if (!parsed.ok) throw ApiError.fromProblems(400, parsed.problems);
    const network = parseNetwork(parsed.value.network, { field: 'network', maxWidth4: 0, maxWidth6: 0 });
    const limit = parseLimit(parsed.value.limit);
    if (parsed.value.cursor !== undefined) checkCursor(parsed.value.cursor, `H#${networkKey(network)}`);
    // An address's evidence is shown with its history (on the first page; a network has none of its own).
    const isAddress = network.prefix === FAMILY_BITS[network.family];
    const [page, evidence] = await Promise.all([
      deps.journal.history(network, limit, parsed.value.cursor),
      isAddress && parsed.value.cursor === undefined && deps.evidence ? deps.evidence.aggregates([network]).then((m) => operatorEvidence(m.get(networkKey(network)))) : undefined,
    ]);
    return jsonResult(200, {
      network: formatNetwork(network),
      events: page.events,
      ...(page.cursor ? { cursor: page.cursor } : {}),
      ...(evidence ? { evidence } : {}),
    });
  };
  return [{ method: 'GET', path: '/v1/history', handler }];
}
