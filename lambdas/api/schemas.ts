// Request and response shapes (zod). Requests: `.strict()` everywhere, so an unknown field is an
// error rather than silently ignored. These check structure and types; the meaning (is it an IP
// network, printable text, a configured list, a future time) is checked by core afterwards
// (validate.ts), so both produce the same messages as the rest of the product.
// The response schemas document the API (openapi.ts derives its schemas from all of these) and the
// tests hold every response to them.
// A namespace import: zod 4's named `z` export keeps every locale in the bundle (about 370 KB more).
import * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { MAX_REASON_LENGTH, MAX_SOURCE_LENGTH } from '../core/listing.js';
import { type Problem, quote } from './errors.js';
import { operatorEvidenceSchema } from './evidence-schemas.js';

export const MAX_ITEMS = 1000;

const text = (description: string) => z.string().describe(description);
const listName = text('A configured list name, e.g. "spam" (see GET /v1/lists).');
const network = text('An IPv4/IPv6 address or CIDR network, e.g. "192.0.2.1", "198.51.100.0/24", "2001:db8::/48". No host bits, no leading zeros, no zone ids.');
const reason = text(`Why (printable ASCII, at most ${MAX_REASON_LENGTH} characters; it is published in the TXT record).`);
// zod 4's int() is a safe integer: above Number.MAX_SAFE_INTEGER it says "at most 9007199254740991" itself.
const ifVersion = z
  .number()
  .int()
  .min(0)
  .describe('Apply only if the entry is at this version now (0 = it must not exist); otherwise 409.');

export const expiresAtSchema = z
  .union([z.string(), z.number()])
  .describe('When it stops answering: an ISO 8601 time with zone ("2030-01-01T00:00:00Z") or epoch seconds. Must be in the future.');
export const durationSchema = z
  .string()
  .describe('How long from now it answers: a number and a unit, s, m, h, d or w ("30m", "12h", "7d"). Exclusive with expiresAt.');

/** An item of POST /v1/listings and POST /v1/exclusions. */
export const upsertItemSchema = z
  .object({
    list: listName,
    network,
    reason,
    expiresAt: expiresAtSchema.optional(),
    duration: durationSchema.optional(),
    source: text(`Who or what reported it (printable ASCII, at most ${MAX_SOURCE_LENGTH} characters). Default: the caller.`).optional(),
    ifVersion: ifVersion.optional(),
    allowReserved: z
      .boolean()
      .describe(
        'List it even though it is special-purpose space (private, shared, loopback, link-local, unspecified, multicast, reserved …; IANA special-purpose registries). Without it such a network is refused (400 reserved-network). Exclusions never need it.',
      )
      .optional(),
  })
  .strict();

/** An item of POST /v1/delistings and POST /v1/exclusions/delete. */
export const removeItemSchema = z
  .object({
    list: listName,
    network,
    reason: text('Why it is removed (kept in the audit trail).'),
    ifVersion: ifVersion.optional(),
  })
  .strict();

export const upsertBodySchema = z.object({ items: z.array(upsertItemSchema).min(1).max(MAX_ITEMS) }).strict();
export const removeBodySchema = z.object({ items: z.array(removeItemSchema).min(1).max(MAX_ITEMS) }).strict();

export type UpsertItem = z.infer<typeof upsertItemSchema>;
export type RemoveItem = z.infer<typeof removeItemSchema>;

const queryInt = (description: string) => z.string().describe(description);

export const lookupQuerySchema = z.object({ ip: z.string().describe('An address, or a network (then the listings inside it are shown too).') }).strict();

export const browseQuerySchema = z
  .object({
    list: listName,
    limit: queryInt('Items per page, 1..1000 (default 100).').optional(),
    cursor: z.string().describe('The cursor of the previous page (opaque).').optional(),
    source: z.string().describe('Only entries with exactly this source.').optional(),
    expiresBefore: z.string().describe('Only entries expiring before this ISO 8601 time (entries without expiry are left out).').optional(),
    expiresAfter: z.string().describe('Only entries expiring after this ISO 8601 time (entries without expiry are left out).').optional(),
  })
  .strict();

export const historyQuerySchema = z
  .object({
    network: z.string().describe('An address or network (its canonical form is looked up).'),
    limit: queryInt('Events per page, 1..1000 (default 100).').optional(),
    cursor: z.string().describe('The cursor of the previous page (opaque).').optional(),
  })
  .strict();

// ---- responses ----

export const problemSchema = z
  .object({
    code: z.string().describe('Stable machine-readable code, e.g. "invalid-network", "unknown-field", "duplicate-network".'),
    message: z.string().describe('What is wrong, naming the field and the value.'),
    field: z.string().optional().describe('The request field, e.g. "items[3].network", "ip", "Content-Type".'),
  })
  .strict();

export const errorBodySchema = z
  .object({
    error: problemSchema.extend({ details: z.array(problemSchema).optional().describe('Every problem found (up to 100), when more than one.') }).strict(),
    items: z
      .array(z.lazy(() => writeResultSchema))
      .optional()
      .describe(
        'On every 409 of a write batch (version-mismatch, exists-as-listing, exists-as-exclusion, conflict): what happened to each item, in request order. "not-applied": nothing was written for it because the batch was refused before any write.',
      ),
  })
  .strict();

export const listsResponseSchema = z
  .object({
    zone: z.string(),
    ttl: z.number().int(),
    negativeTtl: z.number().int(),
    nameservers: z.array(z.string()),
    hostmaster: z.string(),
    ipv4ViaIpv6: z.boolean().describe('Whether the Route 53 zone answers IPv4-mapped and 6to4 names from IPv4 listings (rbldnsd mirrors always do).'),
    lists: z.array(
      z
        .object({
          name: z.string(),
          code: z.string(),
          txtTemplate: z.string(),
          route53Txt: z.boolean().describe('false: the Route 53 zone publishes only A records for this list (mirrors keep the TXT).'),
        })
        .strict(),
    ),
  })
  .strict();

export const writeStatusSchema = z.enum(['created', 'updated', 'unchanged', 'delisted', 'not-listed', 'removed', 'not-excluded', 'conflict', 'not-applied']);

export const writeResultSchema = z
  .object({
    list: z.string(),
    network: z.string().describe('Canonical form.'),
    status: writeStatusSchema,
    version: z.number().int().nullable().describe('The version now stored (removed: the version that was removed; null: none).'),
    note: z.string().optional().describe('E.g. "replaces an expired listing", "it is an exclusion; remove it with POST /v1/exclusions/delete".'),
  })
  .strict();

export const writeResponseSchema = z.object({ items: z.array(writeResultSchema) }).strict();

export const listingViewSchema = z
  .object({
    list: z.string(),
    network: z.string(),
    exclusion: z.boolean(),
    reason: z.string(),
    source: z.string(),
    since: z.string().describe('createdAt (ISO 8601).'),
    updatedAt: z.string(),
    expiresAt: z.string().nullable(),
    expired: z.boolean().describe('Expired but not yet removed by the sweeper: it no longer answers.'),
    version: z.number().int(),
  })
  .strict();

export const dnsAnswerSchema = z
  .object({
    name: z.string().describe('The RFC 5782 query name.'),
    status: z.enum(['listed', 'NXDOMAIN', 'NODATA', 'unavailable']),
    a: z.array(z.string()),
    txt: z.array(z.string()),
    servers: z.array(z.string()),
    matchesComputed: z.boolean().optional().describe('Whether the zone answers what the table says (absent when unavailable).'),
    error: z.string().optional(),
  })
  .strict();

export const lookupResponseSchema = z
  .object({
    query: z.string(),
    network: z.string().describe('Canonical form of the query.'),
    kind: z.enum(['address', 'network']),
    answeredFrom: z.string().optional().describe('For 6to4 queries: the IPv4 address the zone answers from (ipv4ViaIpv6 on).'),
    mirrorsAnswerFrom: z
      .string()
      .optional()
      .describe('For 6to4 queries when the zone does not answer them (ipv4ViaIpv6 off): the IPv4 address rbldnsd mirrors answer from.'),
    mirrorAnswer: z
      .array(z.object({ list: z.string(), code: z.string(), txt: z.string() }).strict())
      .optional()
      .describe('What rbldnsd mirrors answer, when it differs from the zone\'s answer.'),
    listed: z.boolean().optional().describe('Address queries: whether any list answers in the Route 53 zone.'),
    answer: z.array(z.object({ list: z.string(), code: z.string(), txt: z.string() }).strict()).optional(),
    lists: z.array(
      z
        .object({
          list: z.string(),
          code: z.string(),
          covering: z.array(listingViewSchema).describe('Entries of this list containing the query, widest first.'),
          inside: z.array(listingViewSchema).optional().describe('Network queries: entries strictly inside it (capped).'),
          answer: z.object({ code: z.string(), txt: z.string() }).strict().nullable().optional(),
          decidedBy: z.string().nullable().optional().describe('The entry that decides the answer (most specific active one).'),
        })
        .strict(),
    ),
    insideTruncated: z.boolean().optional(),
    dns: dnsAnswerSchema.optional(),
    evidence: operatorEvidenceSchema.optional(),
  })
  .strict();

export const browseResponseSchema = z
  .object({ list: z.string(), items: z.array(listingViewSchema), cursor: z.string().optional().describe('Absent on the last page.') })
  .strict();

export const auditEventSchema = z
  .object({
    at: z.string(),
    id: z.string(),
    action: z.string(),
    list: z.string(),
    network: z.string(),
    actor: z.string(),
    reason: z.string(),
    before: z.record(z.string(), z.unknown()).optional(),
    after: z.record(z.string(), z.unknown()).optional(),
    note: z.string().optional(),
  })
  .strict();

export const historyResponseSchema = z
  .object({ network: z.string(), events: z.array(auditEventSchema), cursor: z.string().optional(), evidence: operatorEvidenceSchema.optional() })
  .strict();

// ---- zod issues -> problems ----

/** items[3].network style. */
export function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string') {
      const key = p.length > 60 ? `${p.slice(0, 60)}…` : p;
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'a JSON object',
  array: 'an array',
};

/** The object schema at `path` (to list the allowed fields of an object with an unknown one). */
function shapeAt(schema: ZodTypeAny, path: ReadonlyArray<PropertyKey>): string[] | undefined {
  let s: ZodTypeAny | undefined = schema;
  for (const p of path) {
    while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as ZodTypeAny;
    if (typeof p === 'number' && s instanceof z.ZodArray) s = s.element as ZodTypeAny;
    else if (typeof p === 'string' && s instanceof z.ZodObject) s = (s.shape as Record<string, ZodTypeAny>)[p];
    else return undefined;
  }
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as ZodTypeAny;
  return s instanceof z.ZodObject ? Object.keys(s.shape as object) : undefined;
}

/** What a value is, in the words of the messages ("got null", "got array"). */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : 'number';
  return typeof value;
}

/** A zod issue, with the input it is about (parsed with reportInput). */
type Issue = z.core.$ZodIssue & { input?: unknown };

function problemsOfIssue(issue: Issue, schema: ZodTypeAny, what: string): Problem[] {
  const field = fieldOf(issue.path) || what;
  const name = fieldOf(issue.path) || `the ${what}`;
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return [{ code: 'missing-field', message: `${name} is required`, field }];
      if (issue.expected === 'int') return [{ code: 'invalid-type', message: `${name} must be an integer`, field }];
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      return [{ code: 'invalid-type', message: `${name} must be ${expected} (got ${typeOf(issue.input)})`, field }];
    }
    case 'unrecognized_keys': {
      const allowed = shapeAt(schema, issue.path);
      const where = issue.path.length > 0 ? ` in ${fieldOf(issue.path)}` : ` in the ${what}`;
      return issue.keys.slice(0, 10).map((k) => ({
        code: 'unknown-field',
        message: `unknown field ${quote(k)}${where}${allowed ? `; allowed fields: ${allowed.join(', ')}` : ''}`,
        field: fieldOf([...issue.path, k]),
      }));
    }
    case 'invalid_union': {
      const last = issue.path[issue.path.length - 1];
      if (last === 'expiresAt') {
        return [{ code: 'invalid-type', message: `${name} must be an ISO 8601 time (e.g. "2030-01-01T00:00:00Z") or epoch seconds`, field }];
      }
      return [{ code: 'invalid-type', message: `${name} has the wrong type`, field }];
    }
    case 'too_small':
      if (issue.origin === 'array') return [{ code: 'invalid-value', message: `${name} must hold at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`, field }];
      return [{ code: 'invalid-value', message: `${name} must be at least ${issue.minimum}`, field }];
    case 'too_big':
      if (issue.origin === 'array') return [{ code: 'too-many-items', message: `${name} holds too many items; at most ${issue.maximum} per request`, field }];
      return [{ code: 'invalid-value', message: `${name} must be at most ${issue.maximum}`, field }];
    default:
      return [{ code: 'invalid-value', message: `${name}: ${issue.message}`, field }];
  }
}

/**
 * Parses `value` with `schema`; on failure throws the problems (400), in document order. `what` names
 * the whole value in messages ("body", "query").
 */
export function parseWith<T extends ZodTypeAny>(schema: T, value: unknown, what: string): { ok: true; value: z.infer<T> } | { ok: false; problems: Problem[] } {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return { ok: true, value: r.data as z.infer<T> };
  return { ok: false, problems: r.error.issues.flatMap((i) => problemsOfIssue(i, schema, what)) };
}

/**
 * A write body: first its envelope ({ "items": [...] }, 1..MAX_ITEMS), then every item on its own,
 * so that one answer reports the problems of all items. Items with structural problems are
 * undefined in `items` (their problems are in `problems`).
 */
export function parseBatch<S extends ZodTypeAny>(
  bodySchema: z.ZodObject<{ items: z.ZodArray<S> }, z.core.$strict>,
  raw: unknown,
): { ok: false; problems: Problem[] } | { ok: true; items: Array<z.infer<S> | undefined>; problems: Problem[] } {
  const envelope = z.object({ items: z.array(z.unknown()).min(1).max(MAX_ITEMS) }).strict();
  const env = envelope.safeParse(raw, { reportInput: true });
  if (!env.success) return { ok: false, problems: env.error.issues.flatMap((i) => problemsOfIssue(i, bodySchema, 'body')) };
  const element = bodySchema.shape.items.element;
  const problems: Problem[] = [];
  const items = env.data.items.map((item, index) => {
    const r = element.safeParse(item, { reportInput: true });
    if (r.success) return r.data as z.infer<S>;
    for (const issue of r.error.issues) problems.push(...problemsOfIssue({ ...issue, path: ['items', index, ...issue.path] }, bodySchema, 'body'));
    return undefined;
  });
  return { ok: true, items, problems };
}
