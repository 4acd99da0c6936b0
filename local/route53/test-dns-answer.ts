// TestDNSAnswer: what the hosted zone's name servers answer for a name and type, as Route 53
// documents it (API reference: https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html).
//
//   GET /2013-04-01/testdnsanswer?hostedzoneid=Z…&recordname=…&recordtype=…[&resolverip=…]
//       [&edns0clientsubnetip=…&edns0clientsubnetmask=…]
//   200 <TestDNSAnswerResponse> Nameserver, RecordName, RecordType,
//       RecordData/RecordDataEntry*, ResponseCode (an IANA DNS RCODE name: NOERROR, NXDOMAIN, …), Protocol
//   404 NoSuchHostedZone, 400 InvalidInput
//
// The answer is computed exactly as the stand-in's DNS server computes it (dns-resolve.ts), but from
// the zone named by hostedzoneid (as if its own name servers were asked), not from the deepest zone
// of the store. RecordData is "the answer section of dig" (the reference's note): the values of the
// answer records in presentation form (TXT as quoted character-strings, as Route 53 writes record
// values), empty for NXDOMAIN and NODATA; a referral below a delegation is NOERROR with no data. A
// name outside the zone gets REFUSED, as its name servers would answer (a stand-in choice: the
// reference does not say). The resolver and EDNS client-subnet parameters change nothing here (no
// routing policies are implemented); they are only checked for length.
//
// Throttling: TestDNSAnswer is an ordinary Route 53 API request. Route 53 meters every API request of
// the account in one token bucket (50 burst, 10/s) and each operation in its own bucket (50/10 for
// every operation not listed with other values) — see
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html. The
// stand-in's account bucket (api-server.ts) is taken for every request before it is routed, so
// TestDNSAnswer calls draw from the same bucket as the zone writer's ChangeResourceRecordSets; a
// per-operation bucket of the same size could never run out first, so none is kept. It changes no
// record, so the change-throughput bucket does not apply.
import type { ApiContext, OpRequest, OpResponse } from './api-operations.js';
import { resolve, type WireRecord } from './dns-resolve.js';
import { ApiError, MESSAGES } from './errors.js';
import { NameError, nameKey } from './names.js';
import { ROUTE53_TYPES } from './record-values.js';
import { ZoneStore } from './zone-store.js';

/** Presentation of one answer record's data, as dig prints it (and Route 53 writes values). */
export function presentRdata(r: WireRecord): string {
  const d = r.data as never;
  const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);
  const quote = (b: Buffer) =>
    `"${[...b].map((c) => (c === 0x22 || c === 0x5c ? `\\${String.fromCharCode(c)}` : c < 0x20 || c > 0x7e ? `\\${c.toString(8).padStart(3, '0')}` : String.fromCharCode(c))).join('')}"`;
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return String(d);
    case 'TXT':
      return (d as Buffer[]).map(quote).join(' ');
    case 'SPF': {
      // Raw rdata: length-prefixed strings.
      const raw = d as Buffer;
      const parts: Buffer[] = [];
      for (let i = 0; i < raw.length; i += raw[i]! + 1) parts.push(raw.subarray(i + 1, i + 1 + raw[i]!));
      return parts.map(quote).join(' ');
    }
    case 'CAA': {
      const c = d as { flags: number; tag: string; value: string };
      return `${c.flags} ${c.tag} ${quote(Buffer.from(c.value, 'latin1'))}`;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return fqdn(String(d));
    case 'MX': {
      const m = d as { preference: number; exchange: string };
      return `${m.preference} ${fqdn(m.exchange)}`;
    }
    case 'SRV': {
      const s = d as { priority: number; weight: number; port: number; target: string };
      return `${s.priority} ${s.weight} ${s.port} ${fqdn(s.target)}`;
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    default:
      return JSON.stringify(d);
  }
}

function param(req: OpRequest, name: string, required: boolean): string | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') {
    if (required) throw new ApiError('InvalidInput', `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  return v;
}

export function testDnsAnswer(ctx: ApiContext, req: OpRequest): OpResponse {
  const zoneId = param(req, 'hostedzoneid', true)!;
  const recordName = param(req, 'recordname', true)!;
  const recordType = param(req, 'recordtype', true)!;
  for (const [name, max] of [['resolverip', 45], ['edns0clientsubnetip', 45], ['edns0clientsubnetmask', 3]] as const) {
    const v = param(req, name, false);
    if (v !== undefined && v.length > max) throw new ApiError('InvalidInput', `Invalid value for ${name}: ${v}`);
  }
  if (!(ROUTE53_TYPES as readonly string[]).includes(recordType)) throw new ApiError('InvalidInput', `Invalid type: ${recordType}`);
  const zone = ctx.store.zone(zoneId);
  if (!zone) throw new ApiError('NoSuchHostedZone', MESSAGES.noSuchZone(zoneId));
  let qname: string;
  try {
    // resolve() takes the name as a DNS query carries it: raw labels, no trailing dot.
    qname = nameKey(recordName).slice(0, -1);
  } catch (e) {
    if (e instanceof NameError) throw new ApiError('InvalidInput', `Invalid name: ${recordName}: ${e.message}`);
    throw e;
  }
  // The same resolution as the DNS server, restricted to this one zone.
  const only = new ZoneStore();
  only.zones.set(zone.id, zone);
  const r = resolve(only, unescapeForQuery(qname), recordType);
  return {
    status: 200,
    root: 'TestDNSAnswerResponse',
    body: {
      Nameserver: zone.nameServers[0],
      RecordName: recordName,
      RecordType: recordType,
      RecordData: { RecordDataEntry: r.answers.map(presentRdata) },
      ResponseCode: r.rcode,
      Protocol: 'UDP',
    },
  };
}

/** Key-form labels (\052 for "*") back to the raw text resolve() expects from a DNS packet. */
function unescapeForQuery(key: string): string {
  return key.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
