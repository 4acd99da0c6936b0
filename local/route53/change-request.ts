// The ChangeResourceRecordSetsRequest body -> RequestedChange[]. Structural problems (missing
// fields, out-of-range TTL, unknown action or type) are InvalidInput, as Route 53's request-model
// validation reports them before it looks at the zone.
import { ApiError } from './errors.js';
import { ROUTE53_TYPES, SUPPORTED_TYPES } from './record-values.js';
import type { ChangeAction, RequestedChange } from './validate-changes.js';
import { child, list, text, type XmlObject } from './xml.js';

const ACTIONS = new Set<ChangeAction>(['CREATE', 'DELETE', 'UPSERT']);
const MAX_TTL = 2147483647;
const MAX_VALUE_LENGTH = 4000;

/** Routing features of Route 53 that this stand-in does not model. */
const UNSUPPORTED_MEMBERS = [
  'SetIdentifier', 'Weight', 'Region', 'GeoLocation', 'Failover', 'MultiValueAnswer', 'AliasTarget', 'HealthCheckId',
  'TrafficPolicyInstanceId', 'CidrRoutingConfig', 'GeoProximityLocation',
];

export function parseChangeRequest(body: XmlObject): { comment?: string; changes: RequestedChange[] } {
  const batch = child(body, 'ChangeBatch');
  if (!batch) throw new ApiError('InvalidInput', 'Invalid XML ; the request must contain a ChangeBatch element');
  const comment = text(batch, 'Comment');
  const raw = list(child(batch, 'Changes'), 'Change');
  if (raw.length === 0) {
    throw new ApiError(
      'InvalidInput',
      "1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  const problems: string[] = [];
  const changes: RequestedChange[] = [];
  raw.forEach((item, i) => {
    const at = `changeBatch.changes.${i + 1}.member`;
    const action = text(item, 'Action') ?? '';
    const rrs = child(item, 'ResourceRecordSet') ?? {};
    const name = text(rrs, 'Name') ?? '';
    const type = text(rrs, 'Type') ?? '';
    if (!ACTIONS.has(action as ChangeAction)) {
      problems.push(`Value '${action}' at '${at}.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]`);
    }
    if (!(ROUTE53_TYPES as readonly string[]).includes(type)) {
      problems.push(`Value '${type}' at '${at}.resourceRecordSet.type' failed to satisfy constraint: Member must satisfy enum value set: [${ROUTE53_TYPES.join(', ')}]`);
    } else if (!SUPPORTED_TYPES.has(type)) {
      problems.push(`Type ${type} at '${at}.resourceRecordSet.type' is not implemented by the Route 53 stand-in`);
    }
    if (name.length === 0 || name.length > 1024) {
      problems.push(`Value '${name}' at '${at}.resourceRecordSet.name' failed to satisfy constraint: Member must have length between 1 and 1024`);
    }
    for (const m of UNSUPPORTED_MEMBERS) {
      if (rrs[m] !== undefined) problems.push(`${m} at '${at}.resourceRecordSet' is not implemented by the Route 53 stand-in`);
    }
    const ttlText = text(rrs, 'TTL');
    const records = rrs['ResourceRecords'] !== undefined ? list(child(rrs, 'ResourceRecords'), 'ResourceRecord') : undefined;
    if (ttlText === undefined || records === undefined) {
      problems.push(
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${action}, Name=${name}, Type=${type}, SetIdentifier=null]`,
      );
      return;
    }
    const ttl = /^-?[0-9]+$/.test(ttlText) ? Number(ttlText) : NaN;
    if (Number.isNaN(ttl)) problems.push(`Value '${ttlText}' at '${at}.resourceRecordSet.tTL' failed to satisfy constraint: Member must be a number`);
    else if (ttl < 0) problems.push(`Value '${ttlText}' at '${at}.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    else if (ttl > MAX_TTL) problems.push(`Value '${ttlText}' at '${at}.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value less than or equal to ${MAX_TTL}`);
    if (records.length === 0) {
      problems.push(`Value '[]' at '${at}.resourceRecordSet.resourceRecords' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
    const values = records.map((r) => text(r, 'Value') ?? '');
    values.forEach((v, j) => {
      if (v.length > MAX_VALUE_LENGTH) {
        problems.push(`Value '${v}' at '${at}.resourceRecordSet.resourceRecords.${j + 1}.member.value' failed to satisfy constraint: Member must have length less than or equal to ${MAX_VALUE_LENGTH}`);
      }
    });
    changes.push({ action: action as ChangeAction, name, type, ttl, values });
  });
  if (problems.length > 0) {
    const n = problems.length;
    throw new ApiError('InvalidInput', `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
  return { ...(comment ? { comment } : {}), changes };
}
