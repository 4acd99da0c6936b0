// The listing and list model, and validation of the untrusted text that ends up in DNS.
import { EVIDENCE_SOURCE_PREFIX, type EvidencePolicyConfig, LEVEL1_SOURCE, validateEvidencePolicy } from './evidence-policy.js';
import { InputError } from './input-error.js';
import {
  contains,
  formatNetwork,
  MAPPED_RANGE,
  type Network,
  overlaps,
  parseNetwork,
  SIX_TO_FOUR_RANGE,
  specialPurposeRange,
} from './ip.js';

/** A list: one return code (A value) and one TXT template, all lists sharing one zone. */
export interface ListDef {
  /** Lower-case name, e.g. "spam". */
  readonly name: string;
  /** Return code in 127.0.0.0/8, e.g. "127.0.0.2". */
  readonly code: string;
  /** TXT template; {list}, {reason}, {ip} (the listed network) and {code} are substituted. */
  readonly txtTemplate: string;
  /**
   * Whether the Route 53 zone publishes this list's TXT records (default true). false: A records
   * only, half the rrsets of the list (Route 53 bills each rrset past 10,000). The reason stays in
   * the API, look-ups and the rbldnsd export: mirrors do not pay per record and keep answering TXT,
   * so for such a list a TXT query gets the text from a mirror and NODATA from Route 53.
   */
  readonly route53Txt?: boolean;
  /**
   * Self-service delisting through the public portal (core/delist-policy.ts): "auto" delists a
   * single automatically listed host at once, within `selfDelistLimit`; "review" queues every
   * request for an operator; "never" refuses requests (default "review").
   */
  readonly selfDelist?: 'auto' | 'review' | 'never';
  /** auto: at most `count` self-delistings of an address per `days` (default 2 per 30), then review. */
  readonly selfDelistLimit?: { readonly count: number; readonly days: number };
  /** Also require DNS proof of control: a TXT token at `_dnsbl-delist.<domain>`, `<domain>` resolving to the address. */
  readonly selfDelistDnsProof?: boolean;
  /** The list's evidence policy (core/evidence-policy.ts): when reports and trap hits list an address. */
  readonly evidence?: EvidencePolicyConfig;
  /**
   * Listing sources that count as automatic (prefixes; default "trap:", "feed:", "import:",
   * "abuse-report", "evidence:"). Any other source is an operator listing by hand: review.
   */
  readonly automatedSources?: readonly string[];
}

export interface Listing {
  readonly list: string;
  readonly network: Network;
  readonly reason: string;
  /** Who or what created it: an operator name, "abuse-report", "import:file.csv" … */
  readonly source: string;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Epoch seconds after which the listing no longer answers. */
  readonly expiresAt?: number;
  /** An allow-hole: the list does not answer inside it, even under a wider listing. */
  readonly exclusion: boolean;
}

export interface ZoneConfig {
  /** Zone apex without trailing dot, lower case, e.g. "bl.example.org". */
  readonly zone: string;
  readonly lists: readonly ListDef[];
  /** TTL of the listing records. */
  readonly ttl: number;
  /** SOA minimum: how long resolvers cache "not listed". */
  readonly negativeTtl: number;
  readonly nameservers: readonly string[];
  readonly hostmaster: string;
  /**
   * Answer IPv6 queries for IPv4-mapped (::ffff:a.b.c.d) and 6to4 (2002:aabb:ccdd::/48) addresses
   * from the IPv4 listings in the Route 53 zone, as rbldnsd mirrors always do.
   *
   * Default false: the Route 53 zone answers those names only for the test point (::ffff:7f00:2),
   * and mirrors (which answer them from their IPv4 data whatever this says) differ from it there.
   * Mail servers do not send such queries: Postfix presents IPv4 clients in dotted-quad form
   * (IPV6_README, https://www.postfix.org/IPV6_README.html: "Postfix always presents IPv4 client IP
   * addresses in the traditional dotted quad IPv4 format", the one exception being IPv6-only
   * listeners on old Linux and Solaris), Exim turns an IPv4-mapped peer into its IPv4 form
   * (host_ntoa in src/host.c: "If the result is a mapped IPv4 address, show it in V4 format", so
   * dnslists reverse the IPv4 octets), and 6to4 is deprecated (RFC 7526). true mirrors every IPv4
   * listing into both ranges: three times the rrsets of IPv4 listings, for queries nobody sends.
   */
  readonly ipv4ViaIpv6?: boolean;
  /**
   * The public look-up page for an address, `{ip}` standing for it, e.g.
   * "https://bl.example.org/lookup?ip={ip}". A TXT template's `{lookupUrl}` is replaced by it when
   * the configuration is validated (so the planner and the rbldnsd renderer see one template).
   */
  readonly lookupUrl?: string;
}

/** What a lookupUrl may hold: an http(s) URL of URL-safe characters, `{ip}` its only placeholder. */
const LOOKUP_URL = /^https?:\/\/[A-Za-z0-9.\-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~\-/?=&%+]*)?$/;

/** Checks `lookupUrl` and replaces `{lookupUrl}` in every list's template by it. */
export function expandLookupUrl(cfg: ZoneConfig): ZoneConfig {
  const uses = cfg.lists.some((l) => l.txtTemplate.includes('{lookupUrl}'));
  if (cfg.lookupUrl === undefined) {
    const i = cfg.lists.findIndex((l) => l.txtTemplate.includes('{lookupUrl}'));
    if (uses) throw new InputError(`lists[${i}].txtTemplate uses {lookupUrl} but the zone configuration has no lookupUrl`, `lists[${i}].txtTemplate`);
    return cfg;
  }
  const url = cfg.lookupUrl;
  if (typeof url !== 'string' || url.length > 120 || !LOOKUP_URL.test(url.replace(/\{ip\}/g, 'x'))) {
    throw new InputError(
      `lookupUrl ${JSON.stringify(String(url).slice(0, 130))} is not an http(s) URL of at most 120 URL-safe characters ({ip} may stand for the address), e.g. "https://bl.example.org/lookup?ip={ip}"`,
      'lookupUrl',
    );
  }
  if (!uses) return cfg;
  return { ...cfg, lists: cfg.lists.map((l) => (l.txtTemplate.includes('{lookupUrl}') ? { ...l, txtTemplate: l.txtTemplate.split('{lookupUrl}').join(url) } : l)) };
}

export const MAX_REASON_LENGTH = 200;
export const MAX_TEMPLATE_LENGTH = 200;
export const MAX_SOURCE_LENGTH = 100;
/**
 * The longest TXT text, counted as written in the rbldnsd data file (see rbldnsdText): rbldnsd keeps
 * at most 255 bytes of the text as written and answers at most 254 bytes after undoing its escapes,
 * so a text within 254 bytes as written reaches mirrors whole, exactly as the zone answers it.
 */
export const MAX_TXT_BYTES = 254;
/** The longest network text ({ip} in a template): a full IPv6 address with its prefix length. */
export const MAX_NETWORK_TEXT = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120'.length;
export const TEST_POINT_REASON = 'RFC 5782 test point';

/** The RFC 5782 test points live here: nothing in 127.0.0.0/8 can be listed or excluded. */
export const LOOPBACK: Network = { family: 4, start: 0x7f000000n, prefix: 8 };
export const TEST_POINT: Network = { family: 4, start: 0x7f000002n, prefix: 32 };

/**
 * Checks untrusted text that ends up in a TXT record: printable ASCII only, bounded length.
 * Leading/trailing spaces are trimmed (rbldnsd drops trailing spaces, so they cannot be kept alike).
 */
export function validateText(value: unknown, field: string, maxLength: number, allowEmpty = false): string {
  if (typeof value !== 'string') throw new InputError(`${field} must be a string`, field);
  const text = value.trim();
  if (!allowEmpty && text.length === 0) throw new InputError(`${field} must not be empty`, field);
  if (text.length > maxLength) {
    throw new InputError(`${field} is ${text.length} characters long; at most ${maxLength} are allowed`, field);
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      const hex = c.toString(16).toUpperCase().padStart(4, '0');
      throw new InputError(`${field} contains a control character (U+${hex}) at position ${i + 1}`, field);
    }
    if (c > 0x7e) {
      throw new InputError(
        `${field} contains the non-ASCII character ${JSON.stringify(text[i])} at position ${i + 1}; only printable ASCII is allowed in DNS TXT records`,
        field,
      );
    }
  }
  return text;
}

const LIST_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export function validateListName(value: unknown, field = 'list'): string {
  if (typeof value !== 'string') throw new InputError(`${field} must be a string`, field);
  if (!LIST_NAME.test(value)) {
    throw new InputError(
      `${JSON.stringify(value.slice(0, 40))} is not a valid list name (lower-case letters, digits and "-", starting with a letter, at most 31 characters)`,
      field,
    );
  }
  return value;
}

export function validateCode(value: unknown, field = 'code'): string {
  if (typeof value !== 'string' || !/^127\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.test(value)) {
    throw new InputError(`${JSON.stringify(value)} is not a return code: write a full dotted quad in 127.0.0.0/8`, field);
  }
  const octets = value.split('.').map(Number);
  if (octets.some((o) => o > 255)) throw new InputError(`${JSON.stringify(value)} is not a valid IPv4 address`, field);
  if (value === '127.0.0.0' || value === '127.0.0.1') {
    throw new InputError(`${value} cannot be a return code: it means "not listed" to many clients`, field);
  }
  return value;
}

export function validateZoneConfig(input: ZoneConfig): ZoneConfig {
  const cfg = expandLookupUrl(input);
  if (!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(cfg.zone)) {
    throw new InputError(`${JSON.stringify(cfg.zone)} is not a lower-case zone name without trailing dot`, 'zone');
  }
  if (cfg.lists.length === 0) throw new InputError('at least one list must be configured', 'lists');
  const names = new Set<string>();
  const codes = new Set<string>();
  cfg.lists.forEach((l, i) => {
    validateListName(l.name, `lists[${i}].name`);
    validateCode(l.code, `lists[${i}].code`);
    // The template as configured ({lookupUrl} still a placeholder) is what MAX_TEMPLATE_LENGTH bounds.
    validateText(input.lists[i]?.txtTemplate ?? l.txtTemplate, `lists[${i}].txtTemplate`, MAX_TEMPLATE_LENGTH);
    const unknown = [...l.txtTemplate.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter(
      (v) => !['list', 'reason', 'ip', 'code'].includes(v ?? ''),
    );
    if (unknown.length > 0) {
      throw new InputError(`lists[${i}].txtTemplate has unknown placeholder {${unknown[0]}}`, `lists[${i}].txtTemplate`);
    }
    // The template's own text must fit in a TXT record as written in the rbldnsd file, {ip} at its
    // longest; what is left is the room for the reason (a longer reason is cut, alike everywhere).
    const fixed = rbldnsdText(fillTemplate(l, { ip: 'x'.repeat(MAX_NETWORK_TEXT), reason: '' }).trim()).length;
    if (fixed > MAX_TXT_BYTES) {
      throw new InputError(
        `lists[${i}].txtTemplate is ${fixed} bytes as written in the rbldnsd file (each "$" is written "$$", a leading "=" as "=="; ` +
          `{ip} counted at its longest, ${MAX_NETWORK_TEXT} characters, {reason} empty): at most ${MAX_TXT_BYTES} fit in a TXT record`,
        `lists[${i}].txtTemplate`,
      );
    }
    if (l.route53Txt !== undefined && typeof l.route53Txt !== 'boolean') {
      throw new InputError(`lists[${i}].route53Txt must be true or false (false: A records only in Route 53)`, `lists[${i}].route53Txt`);
    }
    validateSelfDelist(l, i);
    if (l.evidence !== undefined) validateEvidencePolicy(l.evidence, `lists[${i}].evidence`, cfg.lists.map((x) => x.name));
    if (names.has(l.name)) throw new InputError(`list ${l.name} is configured twice`, `lists[${i}].name`);
    if (codes.has(l.code)) throw new InputError(`return code ${l.code} is used by two lists`, `lists[${i}].code`);
    names.add(l.name);
    codes.add(l.code);
  });
  for (const [field, v, min, max] of [
    ['ttl', cfg.ttl, 0, 2_147_483_647],
    ['negativeTtl', cfg.negativeTtl, 0, 86_400],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`${field} must be an integer in ${min}..${max}`, field);
  }
  if (cfg.nameservers.length === 0) throw new InputError('at least one name server is needed', 'nameservers');
  checkNameserversOutsideZone(cfg);
  if (cfg.ipv4ViaIpv6 !== undefined && typeof cfg.ipv4ViaIpv6 !== 'boolean') throw new InputError('ipv4ViaIpv6 must be true or false', 'ipv4ViaIpv6');
  return cfg;
}

/** The per-list self-service keys (see ListDef). */
function validateSelfDelist(l: ListDef, i: number): void {
  if (l.selfDelist !== undefined && !['auto', 'review', 'never'].includes(l.selfDelist)) {
    throw new InputError(`lists[${i}].selfDelist must be "auto", "review" or "never"`, `lists[${i}].selfDelist`);
  }
  const lim = l.selfDelistLimit;
  if (lim !== undefined) {
    const ok = typeof lim === 'object' && lim !== null && Number.isInteger(lim.count) && lim.count >= 0 && lim.count <= 100 && Number.isInteger(lim.days) && lim.days >= 1 && lim.days <= 3650;
    if (!ok) throw new InputError(`lists[${i}].selfDelistLimit must be {"count": 0..100, "days": 1..3650}`, `lists[${i}].selfDelistLimit`);
  }
  if (l.selfDelistDnsProof !== undefined && typeof l.selfDelistDnsProof !== 'boolean') {
    throw new InputError(`lists[${i}].selfDelistDnsProof must be true or false`, `lists[${i}].selfDelistDnsProof`);
  }
  if (l.automatedSources !== undefined && (!Array.isArray(l.automatedSources) || l.automatedSources.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 100))) {
    throw new InputError(`lists[${i}].automatedSources must be an array of non-empty source prefixes`, `lists[${i}].automatedSources`);
  }
  // The evidence path's listings would otherwise count as made by hand: every self-service request
  // for them would go to review, and no review queue is meant for that.
  if (l.evidence !== undefined && l.automatedSources !== undefined && !l.automatedSources.some((p) => LEVEL1_SOURCE.startsWith(p))) {
    throw new InputError(
      `lists[${i}].automatedSources must include a prefix of "${LEVEL1_SOURCE}" (e.g. "${EVIDENCE_SOURCE_PREFIX}"): the list has an evidence policy, and its listings would otherwise be taken as made by hand`,
      `lists[${i}].automatedSources`,
    );
  }
}

/**
 * Refuses a name server at or below the zone apex. It would need an address record (glue) inside
 * the zone, and the zone holds listing records only: the Route 53 zone's writers may write nothing
 * else (their IAM name condition), and an address that rbldnsd mirrors served (it can, from a
 * generic dataset) would be one more name where they answer differently from Route 53. Without glue
 * named-checkzone refuses the zone and rbldnsd warns "no glue record(s)". A name server outside the
 * zone needs nothing of it.
 */
export function checkNameserversOutsideZone(cfg: Pick<ZoneConfig, 'zone' | 'nameservers'>): void {
  cfg.nameservers.forEach((ns, i) => {
    const name = String(ns).trim().toLowerCase().replace(/\.$/, '');
    if (name === cfg.zone || name.endsWith(`.${cfg.zone}`)) {
      throw new InputError(
        `nameservers[${i}] ${JSON.stringify(ns)} is inside the zone ${cfg.zone}: it would need an address record (glue) in the zone, ` +
          'which the zone does not carry (named-checkzone refuses such a zone; rbldnsd warns "no glue record(s)"). ' +
          'Use name servers outside the zone, e.g. ns1.example.net',
        `nameservers[${i}]`,
      );
    }
  });
}

/** Refuses networks that may never be listed: the test-point range and the IPv6 views of IPv4. */
export function validateListable(n: Network, field = 'network'): Network {
  if (n.family === 4 && n.prefix < LOOPBACK.prefix && contains(n, LOOPBACK)) {
    // Say the width first: "0.0.0.0/0 overlaps 127.0.0.0/8" hides that no network this wide can
    // ever be listed (the widest listable IPv4 network is a /8, and one containing 127/8 never).
    throw new InputError(
      `${formatNetwork(n)} is wider than /8 and contains 127.0.0.0/8, which is reserved for the RFC 5782 test points; it can never be listed`,
      field,
    );
  }
  if (overlaps(n, LOOPBACK)) {
    throw new InputError(
      `${formatNetwork(n)} overlaps 127.0.0.0/8, which is reserved for the RFC 5782 test points`,
      field,
    );
  }
  if (n.family === 6 && overlaps(n, MAPPED_RANGE)) {
    throw new InputError(`${formatNetwork(n)} overlaps ::ffff:0:0/96; list the IPv4 addresses instead`, field);
  }
  if (n.family === 6 && overlaps(n, SIX_TO_FOUR_RANGE)) {
    throw new InputError(
      `${formatNetwork(n)} overlaps 2002::/16 (6to4), which is answered from the IPv4 data; list the IPv4 address instead`,
      field,
    );
  }
  return n;
}

export interface ListingLimits {
  maxWidth4?: number;
  maxWidth6?: number;
}

export function parseListableNetwork(input: unknown, field = 'network', limits: ListingLimits = {}): Network {
  if (typeof input !== 'string') throw new InputError(`${field} must be a string`, field);
  return validateListable(parseNetwork(input, { ...limits, field }), field);
}

/**
 * Refuses networks in special-purpose space (private, shared, loopback, link-local, unspecified,
 * multicast, reserved, benchmarking …; the table and its IANA sources are in ip.ts) unless the
 * caller said it means it: a listing there would make every mail server using the list block its
 * own internal hosts, and nothing on the public Internet sends mail from such an address.
 * `override` tells how to say so, e.g. "set items[0].allowReserved to true to list it anyway".
 * Exclusions and removals are not checked: they can only make the list answer less.
 */
export function validatePublicNetwork(n: Network, field: string, override: string): Network {
  const r = specialPurposeRange(n);
  if (!r) return n;
  const net = formatNetwork(n);
  const range = formatNetwork(r.network);
  const what = `${r.name} (${r.ref})`;
  const text = contains(r.network, n)
    ? net === range
      ? `${net} is ${what}`
      : `${net} is in ${range}, ${what}`
    : overlaps(r.network, n)
      ? `${net} overlaps ${range}, ${what}`
      : `${net} is ${what}`;
  throw new InputError(`${text}; ${override}`, field);
}

export function isActive(l: Listing, nowSeconds: number): boolean {
  return l.expiresAt === undefined || l.expiresAt > nowSeconds;
}

export function findList(cfg: ZoneConfig, name: string): ListDef | undefined {
  return cfg.lists.find((l) => l.name === name);
}

function fillTemplate(list: ListDef, values: { ip: string; reason: string }): string {
  return list.txtTemplate.replace(/\{(list|reason|ip|code)\}/g, (_m, key: string) => {
    switch (key) {
      case 'list':
        return list.name;
      case 'reason':
        return values.reason;
      case 'ip':
        return values.ip;
      default:
        return list.code;
    }
  });
}

/**
 * A TXT text as written in an rbldnsd data file. rbldnsd replaces "$" by the queried address and
 * "$$" by "$" (rbldnsd(8), "Resulting A values and TXT templates"), so every "$" is doubled; and it
 * drops one leading "=" (the mark that turns its base template off), so a leading "=" is doubled too.
 */
export function rbldnsdText(text: string): string {
  const escaped = text.replace(/\$/g, '$$$$');
  return escaped.startsWith('=') ? `=${escaped}` : escaped;
}

/**
 * The longest start of `text` that fits in `max` bytes as written in the rbldnsd file (each "$" and
 * a leading "=" count twice). rbldnsd cuts the written text at 255 bytes before undoing "$$", so a
 * cut there could split "$$" and leave a lone "$", answered as the queried address: cutting here,
 * on whole characters, keeps the zone and the mirrors answering the same text.
 */
export function fitTxt(text: string, max = MAX_TXT_BYTES): string {
  let written = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const cost = text[i] === '$' || (i === 0 && text[i] === '=') ? 2 : 1;
    if (written + cost > max) break;
    written += cost;
  }
  return text.slice(0, i);
}

/** A template split at its placeholders: literal text and placeholder names, alternating. */
type CompiledTemplate = readonly string[];
const compiledTemplates = new WeakMap<ListDef, CompiledTemplate>();

function compileTemplate(list: ListDef): CompiledTemplate {
  let c = compiledTemplates.get(list);
  if (!c) {
    // split with a capturing group: even indexes are literal text, odd ones placeholder names.
    c = list.txtTemplate.split(/\{(list|reason|ip|code)\}/);
    compiledTemplates.set(list, c);
  }
  return c;
}

/**
 * The text a listing answers with, in the zone and on mirrors alike: the template filled in,
 * printable ASCII, trimmed (rbldnsd drops leading and trailing spaces), and cut to at most 254 bytes
 * as written in the rbldnsd file (fitTxt). The template is split once per list (the planner renders
 * a million texts; a regular-expression replace per text cost seconds there).
 */
export function renderTxt(list: ListDef, listing: Pick<Listing, 'network' | 'reason'>): string {
  const parts = compileTemplate(list);
  let filled = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const key = parts[i];
    filled += key === 'reason' ? listing.reason : key === 'ip' ? formatNetwork(listing.network) : key === 'list' ? list.name : list.code;
    filled += parts[i + 1]!;
  }
  // Defence in depth: whatever got through, only printable ASCII reaches DNS.
  const safe = (NOT_PRINTABLE.test(filled) ? filled.replace(NOT_PRINTABLE_ALL, '?') : filled).trim();
  // Each character costs at most 2 bytes as written, so a short text always fits.
  return safe.length * 2 <= MAX_TXT_BYTES ? safe : fitTxt(safe).trimEnd();
}

const NOT_PRINTABLE = /[^\x20-\x7e]/;
const NOT_PRINTABLE_ALL = /[^\x20-\x7e]/g;

/** One synthetic test-point listing per list (127.0.0.2, and through it ::ffff:7f00:2). */
export function testPointListings(cfg: ZoneConfig): Listing[] {
  return cfg.lists.map((l) => ({
    list: l.name,
    network: TEST_POINT,
    reason: TEST_POINT_REASON,
    source: 'rfc5782',
    createdAt: '1970-01-01T00:00:00.000Z',
    updatedAt: '1970-01-01T00:00:00.000Z',
    exclusion: false,
  }));
}

export function isTestPoint(n: Network): boolean {
  return contains(LOOPBACK, n);
}

/**
 * Whether two stored states of one listing (same list and network) are the same: what the zone
 * publishes of it and what the published table records (reason, exclusion, expiry, source, time).
 * Both absent counts as the same.
 */
export function sameListingState(a: Listing | undefined, b: Listing | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.reason === b.reason && a.exclusion === b.exclusion && a.expiresAt === b.expiresAt && a.source === b.source && a.updatedAt === b.updatedAt;
}
