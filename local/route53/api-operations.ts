// The Route 53 operations the stand-in implements, each taking a parsed request and returning the
// response document. Element names and order follow the 2013-04-01 API reference (and are checked
// by tests against the real @aws-sdk/client-route-53).
import { parseChangeRequest } from './change-request.js';
import { ApiError, invalidChangeBatch, MESSAGES } from './errors.js';
import { compareAscii, labelsToKey, listingKey, NameError, nameKey, parseName, sortKey } from './names.js';
import { ROUTE53_TYPES } from './record-values.js';
import { testDnsAnswer } from './test-dns-answer.js';
import type { TokenBucket } from './token-bucket.js';
import { getHostedZoneLimit } from './hosted-zone-limit.js';
import { validateChangeBatch } from './validate-changes.js';
import type { NodeObject, XmlObject } from './xml.js';
import { child, text } from './xml.js';
import { type ChangeRecord, newId, type StoredRRSet, Zone, type ZoneStore } from './zone-store.js';

export interface Stats {
  requests: Record<string, number>;
  throttled: number;
  changesApplied: number;
  recordChanges: number;
}

export interface ApiContext {
  store: ZoneStore;
  stats: Stats;
  insyncAfterMs: number;
  priorRequestWindowMs: number;
  maxRRSetsPerZone: number;
  changeBucket: TokenBucket | undefined;
  /** Time of the last accepted change per zone id, for PriorRequestNotComplete. */
  lastChangeAt: Map<string, number>;
  /** Called after every accepted change (the data file). */
  persist(): void;
  endpoint(): string;
  now(): number;
}

export interface OpRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: XmlObject | undefined;
}

export interface OpResponse {
  status: number;
  root: string;
  body: NodeObject;
  headers?: Record<string, string>;
}

/** Route 53's defaults for a new zone's apex. */
const NS_TTL = 172800;
const SOA_TTL = 900;
const SOA_TAIL = 'awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400';

function nameServersFor(seed: number): string[] {
  // Shaped like Route 53's: ns-N.awsdns-NN.{com,net,org,co.uk}; the first zone gets ns-1.awsdns-00.com.
  const tlds = ['com', 'net', 'org', 'co.uk'];
  return tlds.map((tld, i) => {
    const n = (seed * 4 + i * 517 + 1) % 2048;
    return `ns-${n}.awsdns-${String(Math.floor(n / 32)).padStart(2, '0')}.${tld}`;
  });
}

/**
 * A change is reported PENDING when submitted (as Route 53 always does) and by GetChange until
 * insyncAfterMs have passed; with the default 0 the first GetChange already sees INSYNC.
 */
function changeInfo(ctx: ApiContext, rec: ChangeRecord, justSubmitted = false): NodeObject {
  const insync = !justSubmitted && ctx.now() - rec.submittedAt >= ctx.insyncAfterMs;
  return {
    Id: `/change/${rec.id}`,
    Status: insync ? 'INSYNC' : 'PENDING',
    SubmittedAt: new Date(rec.submittedAt).toISOString(),
    Comment: rec.comment,
  };
}

function hostedZoneNode(z: Zone): NodeObject {
  return {
    Id: `/hostedzone/${z.id}`,
    Name: z.name,
    CallerReference: z.callerReference,
    Config: { Comment: z.comment, PrivateZone: false },
    ResourceRecordSetCount: z.rrsetCount,
  };
}

function delegationSetNode(z: Zone): NodeObject {
  return { NameServers: { NameServer: z.nameServers } };
}

function zoneOr404(ctx: ApiContext, id: string): Zone {
  const z = ctx.store.zone(id);
  if (!z) throw new ApiError('NoSuchHostedZone', MESSAGES.noSuchZone(id));
  return z;
}

function maxItems(query: URLSearchParams, def: number, max: number): number {
  const raw = query.get('maxitems');
  if (raw === null) return def;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1) throw new ApiError('InvalidInput', `Invalid value for maxitems: ${raw}`);
  return Math.min(Number(raw), max);
}

/** Creates a zone with Route 53's default apex SOA and NS; shared by the API and createZone(). */
export function createZone(ctx: ApiContext, name: string, callerReference: string, comment?: string): { zone: Zone; change: ChangeRecord } {
  let key: string;
  try {
    const labels = parseName(name);
    if (labels.length === 0 || labels.some((l) => l.includes('*'))) throw new NameError('InvalidCharacter', name);
    key = labelsToKey(labels);
  } catch (e) {
    if (e instanceof NameError) throw new ApiError('InvalidDomainName', `${name} is not a valid domain name: ${e.message}`);
    throw e;
  }
  for (const z of ctx.store.zones.values()) {
    if (z.callerReference === callerReference) {
      throw new ApiError('HostedZoneAlreadyExists', 'A hosted zone has already been created with the specified caller reference.');
    }
  }
  const ns = nameServersFor(ctx.store.zones.size);
  const zone = new Zone(newId('Z'), key, callerReference, comment, ns, ctx.now());
  zone.apply([
    { name: key, type: 'SOA', rrset: { name: key, type: 'SOA', ttl: SOA_TTL, values: [`${ns[0]}. ${SOA_TAIL}`] } },
    { name: key, type: 'NS', rrset: { name: key, type: 'NS', ttl: NS_TTL, values: ns.map((n) => `${n}.`) } },
  ]);
  ctx.store.zones.set(zone.id, zone);
  const change = ctx.store.recordChange(undefined, ctx.now());
  ctx.persist();
  return { zone, change };
}

function createHostedZone(ctx: ApiContext, req: OpRequest): OpResponse {
  const body = req.body ?? {};
  const name = text(body, 'Name');
  const callerReference = text(body, 'CallerReference');
  if (!name || !callerReference) throw new ApiError('InvalidInput', 'Name and CallerReference are required');
  const config = child(body, 'HostedZoneConfig');
  if (body['VPC'] !== undefined || text(config, 'PrivateZone') === 'true') {
    throw new ApiError('InvalidInput', 'Private hosted zones are not implemented by the Route 53 stand-in');
  }
  if (body['DelegationSetId'] !== undefined) {
    throw new ApiError('InvalidInput', 'Reusable delegation sets are not implemented by the Route 53 stand-in');
  }
  const { zone, change } = createZone(ctx, name, callerReference, text(config, 'Comment'));
  return {
    status: 201,
    root: 'CreateHostedZoneResponse',
    headers: { location: `${ctx.endpoint()}/2013-04-01/hostedzone/${zone.id}` },
    body: { HostedZone: hostedZoneNode(zone), ChangeInfo: changeInfo(ctx, change, true), DelegationSet: delegationSetNode(zone) },
  };
}

function getHostedZone(ctx: ApiContext, req: OpRequest): OpResponse {
  const zone = zoneOr404(ctx, req.params['id']!);
  return { status: 200, root: 'GetHostedZoneResponse', body: { HostedZone: hostedZoneNode(zone), DelegationSet: delegationSetNode(zone) } };
}

function listHostedZones(ctx: ApiContext, req: OpRequest): OpResponse {
  const max = maxItems(req.query, 100, 100);
  const all = [...ctx.store.zones.values()];
  const marker = req.query.get('marker');
  let start = 0;
  if (marker) {
    start = all.findIndex((z) => z.id === marker);
    if (start < 0) throw new ApiError('InvalidInput', `Invalid marker: ${marker}`);
  }
  const page = all.slice(start, start + max);
  const next = all[start + max];
  return {
    status: 200,
    root: 'ListHostedZonesResponse',
    body: {
      HostedZones: { HostedZone: page.map(hostedZoneNode) },
      Marker: marker ?? undefined,
      IsTruncated: next !== undefined,
      NextMarker: next?.id,
      MaxItems: max,
    },
  };
}

function listHostedZonesByName(ctx: ApiContext, req: OpRequest): OpResponse {
  const max = maxItems(req.query, 100, 100);
  const dnsName = req.query.get('dnsname');
  const zoneId = req.query.get('hostedzoneid');
  if (zoneId && !dnsName) throw new ApiError('InvalidInput', 'hostedzoneid requires dnsname');
  const order = (z: Zone): [string, string] => [sortKey(z.name), z.id];
  const all = [...ctx.store.zones.values()].sort((a, b) => {
    const [ak, ai] = order(a);
    const [bk, bi] = order(b);
    return compareAscii(ak, bk) || compareAscii(ai, bi);
  });
  let start = 0;
  if (dnsName) {
    let k: string;
    try {
      k = sortKey(nameKey(dnsName));
    } catch {
      throw new ApiError('InvalidDomainName', `${dnsName} is not a valid domain name`);
    }
    start = all.findIndex((z) => {
      const [zk, zi] = order(z);
      return compareAscii(zk, k) > 0 || (zk === k && compareAscii(zi, zoneId ?? '') >= 0);
    });
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + max);
  const next = all[start + max];
  return {
    status: 200,
    root: 'ListHostedZonesByNameResponse',
    body: {
      HostedZones: { HostedZone: page.map(hostedZoneNode) },
      DNSName: dnsName ?? undefined,
      HostedZoneId: zoneId ?? undefined,
      IsTruncated: next !== undefined,
      NextDNSName: next?.name,
      NextHostedZoneId: next?.id,
      MaxItems: max,
    },
  };
}

function deleteHostedZone(ctx: ApiContext, req: OpRequest): OpResponse {
  const zone = zoneOr404(ctx, req.params['id']!);
  const extra = zone.sorted().some((r) => !(r.name === zone.name && (r.type === 'SOA' || r.type === 'NS')));
  if (extra) {
    throw new ApiError('HostedZoneNotEmpty', 'The specified hosted zone contains non-required resource record sets and so cannot be deleted.');
  }
  ctx.store.zones.delete(zone.id);
  ctx.lastChangeAt.delete(zone.id);
  const change = ctx.store.recordChange(undefined, ctx.now());
  ctx.persist();
  return { status: 200, root: 'DeleteHostedZoneResponse', body: { ChangeInfo: changeInfo(ctx, change, true) } };
}

function changeResourceRecordSets(ctx: ApiContext, req: OpRequest): OpResponse {
  const zone = zoneOr404(ctx, req.params['id']!);
  const { comment, changes } = parseChangeRequest(req.body ?? {});
  const now = ctx.now();
  const last = ctx.lastChangeAt.get(zone.id);
  if (ctx.priorRequestWindowMs > 0 && last !== undefined && now - last < ctx.priorRequestWindowMs) {
    throw new ApiError('PriorRequestNotComplete', MESSAGES.priorRequest);
  }
  const result = validateChangeBatch(zone, changes, ctx.maxRRSetsPerZone);
  if (!result.ok) throw invalidChangeBatch(result.messages);
  if (ctx.changeBucket && !ctx.changeBucket.tryTakeAllowingDebt(changes.length)) {
    ctx.stats.throttled++;
    throw new ApiError('Throttling', MESSAGES.throttling);
  }
  zone.apply(result.writes);
  ctx.lastChangeAt.set(zone.id, now);
  ctx.stats.changesApplied++;
  ctx.stats.recordChanges += changes.length;
  const change = ctx.store.recordChange(comment, now);
  ctx.persist();
  return { status: 200, root: 'ChangeResourceRecordSetsResponse', body: { ChangeInfo: changeInfo(ctx, change, true) } };
}

function rrsetNode(r: StoredRRSet): NodeObject {
  return { Name: r.name, Type: r.type, TTL: r.ttl, ResourceRecords: { ResourceRecord: r.values.map((v) => ({ Value: v })) } };
}

function listResourceRecordSets(ctx: ApiContext, req: OpRequest): OpResponse {
  const zone = zoneOr404(ctx, req.params['id']!);
  const max = maxItems(req.query, 300, 300);
  const startName = req.query.get('name');
  const startType = req.query.get('type');
  if (startType !== null && startName === null) throw new ApiError('InvalidInput', 'The input is not valid: type requires name');
  if (startType !== null && !(ROUTE53_TYPES as readonly string[]).includes(startType)) {
    throw new ApiError('InvalidInput', `Invalid type: ${startType}`);
  }
  const order = ctx.store.listingOrder;
  const all = zone.sorted(order);
  let start = 0;
  if (startName !== null) {
    let k: string;
    try {
      k = listingKey(nameKey(startName), order);
    } catch {
      throw new ApiError('InvalidInput', `Invalid name: ${startName}`);
    }
    const t = startType ?? '';
    // First rrset at or after (name, type) in listing order.
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = all[mid]!;
      const c = compareAscii(listingKey(r.name, order), k) || compareAscii(r.type, t);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = all.slice(start, start + max);
  const next = all[start + max];
  return {
    status: 200,
    root: 'ListResourceRecordSetsResponse',
    body: {
      ResourceRecordSets: { ResourceRecordSet: page.map(rrsetNode) },
      IsTruncated: next !== undefined,
      NextRecordName: next?.name,
      NextRecordType: next?.type,
      MaxItems: max,
    },
  };
}

function getChange(ctx: ApiContext, req: OpRequest): OpResponse {
  const id = req.params['id']!;
  const rec = ctx.store.changes.get(id);
  if (!rec) throw new ApiError('NoSuchChange', MESSAGES.noSuchChange(id));
  return { status: 200, root: 'GetChangeResponse', body: { ChangeInfo: changeInfo(ctx, rec) } };
}

export interface Operation {
  name: string;
  method: string;
  path: RegExp; // named groups become params
  handle(ctx: ApiContext, req: OpRequest): OpResponse;
}

const ID = '(?<id>[^/]+)';
export const OPERATIONS: Operation[] = [
  { name: 'CreateHostedZone', method: 'POST', path: /^\/2013-04-01\/hostedzone\/?$/, handle: createHostedZone },
  { name: 'ListHostedZones', method: 'GET', path: /^\/2013-04-01\/hostedzone\/?$/, handle: listHostedZones },
  { name: 'ListHostedZonesByName', method: 'GET', path: /^\/2013-04-01\/hostedzonesbyname\/?$/, handle: listHostedZonesByName },
  { name: 'GetHostedZone', method: 'GET', path: new RegExp(`^/2013-04-01/hostedzone/${ID}/?$`), handle: getHostedZone },
  { name: 'DeleteHostedZone', method: 'DELETE', path: new RegExp(`^/2013-04-01/hostedzone/${ID}/?$`), handle: deleteHostedZone },
  { name: 'ChangeResourceRecordSets', method: 'POST', path: new RegExp(`^/2013-04-01/hostedzone/${ID}/rrset/?$`), handle: changeResourceRecordSets },
  { name: 'ListResourceRecordSets', method: 'GET', path: new RegExp(`^/2013-04-01/hostedzone/${ID}/rrset/?$`), handle: listResourceRecordSets },
  { name: 'GetHostedZoneLimit', method: 'GET', path: new RegExp(`^/2013-04-01/hostedzonelimit/${ID}/(?<type>[^/]+)/?$`), handle: getHostedZoneLimit },
  { name: 'GetChange', method: 'GET', path: new RegExp(`^/2013-04-01/change/${ID}/?$`), handle: getChange },
  { name: 'TestDNSAnswer', method: 'GET', path: /^\/2013-04-01\/testdnsanswer\/?$/, handle: testDnsAnswer },
];
