// ResourceRecord Value strings: Route 53's per-type syntax checks (with its "FATAL problem" message
// style) and the conversion to dns-packet rdata for the DNS server. Only the types a DNSBL and its
// zone apex need are implemented; the rest of Route 53's type list is rejected as not implemented.
import { isIPv4, isIPv6 } from 'node:net';
import { NameError, parseName } from './names.js';

/** Every type the Route 53 API knows (RRType enum). */
export const ROUTE53_TYPES = [
  'SOA', 'A', 'TXT', 'NS', 'CNAME', 'MX', 'NAPTR', 'PTR', 'SRV', 'SPF', 'AAAA', 'CAA', 'DS', 'TLSA', 'SSHFP', 'SVCB', 'HTTPS',
] as const;

/** The subset this stand-in stores and serves. */
export const SUPPORTED_TYPES = new Set(['SOA', 'A', 'AAAA', 'TXT', 'SPF', 'NS', 'CNAME', 'MX', 'PTR', 'SRV', 'CAA']);

function fatal(problem: string, explanation: string, value: string): string {
  return `Invalid Resource Record: 'FATAL problem: ${problem} (${explanation}) encountered with '${value}''`;
}

/**
 * Splits a Route 53 character-string list (`"a" "b\"c" "\101"`) into its strings, escapes decoded.
 * Returns a problem name on bad syntax.
 */
export function parseCharacterStrings(value: string): Buffer[] | 'InvalidCharacterString' | 'CharacterStringTooLong' {
  const out: Buffer[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  skipSpace();
  if (i >= value.length) return 'InvalidCharacterString';
  while (i < value.length) {
    if (value[i] !== '"') return 'InvalidCharacterString';
    i++;
    const bytes: number[] = [];
    let closed = false;
    while (i < value.length) {
      const c = value[i]!;
      if (c === '"') {
        closed = true;
        i++;
        break;
      }
      if (c === '\\') {
        const oct = value.slice(i + 1, i + 4);
        if (/^[0-7]{3}$/.test(oct) && parseInt(oct, 8) <= 255) {
          bytes.push(parseInt(oct, 8));
          i += 4;
          continue;
        }
        if (i + 1 >= value.length) return 'InvalidCharacterString';
        bytes.push(...Buffer.from(value[i + 1]!, 'latin1'));
        i += 2;
        continue;
      }
      const code = c.charCodeAt(0);
      if (code > 255) bytes.push(...Buffer.from(c, 'utf8'));
      else bytes.push(code);
      i++;
    }
    if (!closed) return 'InvalidCharacterString';
    if (bytes.length > 255) return 'CharacterStringTooLong';
    out.push(Buffer.from(bytes));
    skipSpace();
  }
  return out;
}

function checkDomainName(value: string): string | undefined {
  try {
    parseName(value);
    return undefined;
  } catch (e) {
    if (e instanceof NameError) return fatal(e.problem, e.message, value);
    throw e;
  }
}

const uint = (s: string | undefined, max: number): boolean =>
  s !== undefined && /^[0-9]+$/.test(s) && Number(s) <= max;

/** One Value of an rrset of `type`: undefined when valid, else Route 53's message. */
export function valueProblem(type: string, value: string): string | undefined {
  switch (type) {
    case 'A':
      // net.isIPv4 accepts exactly the dotted quad with decimal octets 0..255.
      return isIPv4(value) ? undefined : fatal('ARRDATAIllegalIPv4Address', 'Value is not a valid IPv4 address', value);
    case 'AAAA':
      return isIPv6(value) ? undefined : fatal('AAAARRDATAIllegalIPv6Address', 'Value is not a valid IPv6 address', value);
    case 'TXT':
    case 'SPF': {
      const parsed = parseCharacterStrings(value);
      if (parsed === 'InvalidCharacterString') return fatal(parsed, 'Value should be enclosed in quotation marks', value);
      if (parsed === 'CharacterStringTooLong') return fatal(parsed, 'Value is too long', value);
      return undefined;
    }
    case 'CAA': {
      const m = /^([0-9]+)\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value);
      if (!m || !uint(m[1], 255) || m[2]!.length > 15) return fatal('InvalidCAARDATA', 'Value is not a valid CAA record', value);
      const strings = parseCharacterStrings(m[3]!);
      if (!Array.isArray(strings) || strings.length !== 1) return fatal('InvalidCAARDATA', 'Value is not a valid CAA record', value);
      return undefined;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return checkDomainName(value);
    case 'MX': {
      const parts = value.trim().split(/\s+/);
      if (parts.length !== 2 || !uint(parts[0], 65535)) return fatal('InvalidMXRDATA', 'Value is not a valid MX record', value);
      return checkDomainName(parts[1]!);
    }
    case 'SRV': {
      const parts = value.trim().split(/\s+/);
      if (parts.length !== 4 || !parts.slice(0, 3).every((p) => uint(p, 65535))) {
        return fatal('InvalidSRVRDATA', 'Value is not a valid SRV record', value);
      }
      return checkDomainName(parts[3]!);
    }
    case 'SOA': {
      const parts = value.trim().split(/\s+/);
      if (parts.length !== 7 || !parts.slice(2).every((p) => uint(p, 4294967295))) {
        return fatal('InvalidSOARDATA', 'Value is not a valid SOA record', value);
      }
      return checkDomainName(parts[0]!) ?? checkDomainName(parts[1]!);
    }
    default:
      return `The stand-in does not implement type ${type}`;
  }
}

/** A domain name from a value as dns-packet wants it: raw text without the trailing dot. */
function wireName(value: string): string {
  return parseName(value).join('.');
}

/** Parsed SOA fields, used for the negative-answer TTL. */
export interface SoaFields {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export function parseSoa(value: string): SoaFields {
  const [mname, rname, serial, refresh, retry, expire, minimum] = value.trim().split(/\s+/);
  return {
    mname: wireName(mname!),
    rname: wireName(rname!),
    serial: Number(serial),
    refresh: Number(refresh),
    retry: Number(retry),
    expire: Number(expire),
    minimum: Number(minimum),
  };
}

/** A validated value -> dns-packet `data` for its type. */
export function toRdata(type: string, value: string): unknown {
  switch (type) {
    case 'A':
    case 'AAAA':
      return value;
    case 'TXT':
      return parseCharacterStrings(value) as Buffer[];
    case 'SPF':
      // dns-packet has no SPF codec; it writes raw rdata for unknown types.
      return Buffer.concat((parseCharacterStrings(value) as Buffer[]).flatMap((b) => [Buffer.from([b.length]), b]));
    case 'CAA': {
      const m = /^([0-9]+)\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value)!;
      const [str] = parseCharacterStrings(m[3]!) as Buffer[];
      return { flags: Number(m[1]), tag: m[2]!, value: str!.toString('latin1') };
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return wireName(value);
    case 'MX': {
      const [pref, exchange] = value.trim().split(/\s+/);
      return { preference: Number(pref), exchange: wireName(exchange!) };
    }
    case 'SRV': {
      const [priority, weight, port, target] = value.trim().split(/\s+/);
      return { priority: Number(priority), weight: Number(weight), port: Number(port), target: wireName(target!) };
    }
    case 'SOA':
      return parseSoa(value);
    default:
      throw new Error(`no rdata conversion for ${type}`);
  }
}
