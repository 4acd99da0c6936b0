// GET /v1/lists — the configured lists, and the zone settings a client needs to render the zone's
// data (the CLI's export uses them).
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApiDeps } from './deps.js';
import { jsonResult } from './errors.js';
import type { Route } from './router.js';

export function listsRoutes(deps: ApiDeps): Route[] {
  const { cfg } = deps;
  const body = {
    zone: cfg.zone,
    ttl: cfg.ttl,
    negativeTtl: cfg.negativeTtl,
    nameservers: [...cfg.nameservers],
    hostmaster: cfg.hostmaster,
    // What the Route 53 zone publishes beyond the listings' own names (mirrors always answer both).
    ipv4ViaIpv6: cfg.ipv4ViaIpv6 === true,
    lists: cfg.lists.map((l) => ({ name: l.name, code: l.code, txtTemplate: l.txtTemplate, route53Txt: l.route53Txt !== false })),
  };
  const handler = async (): Promise<APIGatewayProxyResult> => jsonResult(200, body);
  return [{ method: 'GET', path: '/v1/lists', handler }];
}
