// GetHostedZoneLimit, as the API reference documents it
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZoneLimit.html):
// GET /2013-04-01/hostedzonelimit/{Id}/{Type}, answering
// <GetHostedZoneLimitResponse><Count/><Limit><Type/><Value/></Limit></GetHostedZoneLimitResponse>.
// Type is MAX_RRSETS_BY_ZONE or MAX_VPCS_ASSOCIATED_BY_ZONE; errors NoSuchHostedZone (unknown id),
// InvalidInput (any other type) and HostedZoneNotPrivate (the VPC limit asked of a public zone: the
// stand-in only has public zones). Count for MAX_RRSETS_BY_ZONE is the records in the zone, the apex
// SOA and NS included: the same count its maxRRSetsPerZone check refuses a change batch on.
import type { ApiContext, OpRequest, OpResponse } from './api-operations.js';
import { ApiError, MESSAGES } from './errors.js';

export const HOSTED_ZONE_LIMIT_TYPES = ['MAX_RRSETS_BY_ZONE', 'MAX_VPCS_ASSOCIATED_BY_ZONE'] as const;

export function getHostedZoneLimit(ctx: ApiContext, req: OpRequest): OpResponse {
  const id = req.params['id']!;
  const type = req.params['type']!;
  // Route 53 validates the request before looking the zone up.
  if (!(HOSTED_ZONE_LIMIT_TYPES as readonly string[]).includes(type)) {
    throw new ApiError('InvalidInput', `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [${HOSTED_ZONE_LIMIT_TYPES.join(', ')}]`);
  }
  const zone = ctx.store.zone(id);
  if (!zone) throw new ApiError('NoSuchHostedZone', MESSAGES.noSuchZone(id));
  if (type === 'MAX_VPCS_ASSOCIATED_BY_ZONE') {
    throw new ApiError('HostedZoneNotPrivate', 'The specified hosted zone is a public hosted zone, not a private hosted zone.');
  }
  return {
    status: 200,
    root: 'GetHostedZoneLimitResponse',
    body: { Count: zone.rrsetCount, Limit: { Type: type, Value: ctx.maxRRSetsPerZone } },
  };
}
