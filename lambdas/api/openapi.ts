// GET /v1/openapi.json — OpenAPI 3.1, its schemas derived from the same zod schemas that validate
// requests (zod's own z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 uses), so the document
// cannot drift from what the API accepts.
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { MAX_REASON_LENGTH } from '../core/listing.js';
import type { ApiDeps } from './deps.js';
import { jsonResult } from './errors.js';
import { IDEMPOTENCY_HEADER } from './idempotency.js';
import { MAX_BODY_BYTES } from './request.js';
import type { Route } from './router.js';
import {
  browseQuerySchema,
  browseResponseSchema,
  errorBodySchema,
  historyQuerySchema,
  historyResponseSchema,
  listsResponseSchema,
  lookupQuerySchema,
  lookupResponseSchema,
  MAX_ITEMS,
  removeBodySchema,
  upsertBodySchema,
  writeResponseSchema,
} from './schemas.js';
import { approveBodySchema, delistRequestSchema, denyBodySchema, requestListQuerySchema, requestListSchema } from './requests-schema.js';
import { statusResponseSchema } from './status-schema.js';
import { dryRunRequestSchema, dryRunResponseSchema, evidenceRequestSchema, evidenceResponseSchema } from './evidence-schemas.js';

type JsonSchema = Record<string, unknown>;

/**
 * A schema as JSON Schema: requests as the API accepts them (io "input"), responses as it answers
 * (io "output"). A construct JSON Schema cannot express throws, so the OpenAPI test fails rather
 * than the document being wrong. The $schema keyword is left out: the document's dialect applies.
 */
function toJsonSchema(schema: ZodTypeAny, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'throw' }) as JsonSchema;
  return rest;
}

/** The properties of a query schema as OpenAPI query parameters. */
function toQueryParameters(schema: z.ZodObject): JsonSchema[] {
  return Object.entries(schema.shape as Record<string, ZodTypeAny>).map(([name, v]) => {
    const { description, ...rest } = toJsonSchema(v, 'input');
    return { name, in: 'query', required: !v.safeParse(undefined).success, ...(description ? { description } : {}), schema: rest };
  });
}

/** Request bodies (the rest are responses). */
const REQUESTS = new Set(['UpsertRequest', 'RemoveRequest', 'EvidenceRequest', 'DryRunRequest', 'ApproveRequest', 'DenyRequest']);

const components: Record<string, ZodTypeAny> = {
  UpsertRequest: upsertBodySchema,
  RemoveRequest: removeBodySchema,
  WriteResponse: writeResponseSchema,
  ListsResponse: listsResponseSchema,
  LookupResponse: lookupResponseSchema,
  BrowseResponse: browseResponseSchema,
  HistoryResponse: historyResponseSchema,
  StatusResponse: statusResponseSchema,
  EvidenceRequest: evidenceRequestSchema,
  EvidenceResponse: evidenceResponseSchema,
  DryRunRequest: dryRunRequestSchema,
  DryRunResponse: dryRunResponseSchema,
  ApproveRequest: approveBodySchema,
  DenyRequest: denyBodySchema,
  DelistRequest: delistRequestSchema,
  DelistRequestList: requestListSchema,
  Error: errorBodySchema,
};

const ref = (name: keyof typeof components) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof components) => ({ content: { 'application/json': { schema: ref(name) } } });

function errors(...codes: number[]): Record<string, unknown> {
  const text: Record<number, string> = {
    400: 'Invalid request: the error names the field and the problem (a key given twice in one JSON object is duplicate-key; special-purpose space without allowReserved is reserved-network); nothing was changed.',
    403: 'Not signed, or not allowed (API Gateway, IAM).',
    404: 'Unknown route.',
    405: 'Method not allowed on this route (see the Allow header).',
    409: 'Writes: ifVersion did not match (version-mismatch), the network is already an entry of the other kind in that list (exists-as-listing, exists-as-exclusion), or the entry kept changing (conflict); the body then also holds `items`, what happened to each item. Or a request with the same Idempotency-Key is still running (idempotency-key-in-use).',
    413: `Body larger than ${MAX_BODY_BYTES} bytes.`,
    415: 'Body is not application/json (UTF-8).',
    422: 'Idempotency-Key reused with a different body; or a listing/exclusion write that would take the zone past its Route 53 rrset quota (zone-quota-exceeded: the message gives the limit, the count and what the write adds; nothing was written).',
    500: 'Internal error.',
  };
  return Object.fromEntries(codes.map((c) => [String(c), { description: text[c] ?? 'Error', ...json('Error') }]));
}

const idempotencyHeader = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description: 'Makes a write safe to retry: the same key with the same body returns the stored response (for 24 hours, per caller) without running again; with another body, 422.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

function write(summary: string, description: string, body: 'UpsertRequest' | 'RemoveRequest'): Record<string, unknown> {
  return {
    summary,
    description,
    parameters: [idempotencyHeader],
    requestBody: { required: true, ...json(body) },
    responses: {
      '200': { description: 'Every item applied; per item: the canonical network, status and version.', ...json('WriteResponse') },
      ...errors(400, 403, 404, 405, 409, 413, 415, 422, 500),
    },
  };
}

export function openApiDocument(): Record<string, unknown> {
  const read = (summary: string, description: string, query: ZodTypeAny | undefined, response: keyof typeof components) => ({
    summary,
    description,
    ...(query ? { parameters: toQueryParameters(query as never) } : {}),
    responses: { '200': { description: 'OK', ...json(response) }, ...errors(400, 403, 500) },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'dnsbl-publisher operator API',
      version: '1',
      description:
        'List and delist IPv4/IPv6 addresses and networks in a DNS blocklist. Every request is signed with AWS SigV4 ' +
        '(service execute-api) and validated; a bad one is answered 4xx with {"error":{"code","message","field","details"?}} and changes nothing; a 409 of a write batch also holds "items", what happened to each item. ' +
        `Batches of 1..${MAX_ITEMS} items are validated as a whole before anything is written; reasons are printable ASCII, at most ${MAX_REASON_LENGTH} characters.`,
    },
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' },
      },
      schemas: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, toJsonSchema(v, REQUESTS.has(k) ? 'input' : 'output')])),
    },
    security: [{ sigv4: [] }],
    paths: {
      '/v1/lists': { get: read('Configured lists', 'The lists (name, return code, TXT template) and zone settings.', undefined, 'ListsResponse') },
      '/v1/listings': {
        get: read(
          'Browse one list',
          'One list, page by page (byList index: bucket by bucket, each in network order). Filters run server-side; a page may hold fewer than limit items, even none, while a cursor remains: follow the cursor until it is absent.',
          browseQuerySchema,
          'BrowseResponse',
        ),
        post: write(
          'List networks',
          'Adds or updates listings. An item states what the listing should be: absent expiry makes it permanent. Identical content is "unchanged" (nothing written). Special-purpose space (private, loopback, multicast …) needs allowReserved. A network that is an exclusion in that list is refused with 409 exists-as-exclusion (remove the exclusion first). Versions never repeat for a network in a list, even after a delist. Default source: the caller.',
          'UpsertRequest',
        ),
      },
      '/v1/delistings': {
        post: write('Delist networks', 'Removes listings; the reason is kept in the audit trail. A network that is not listed gets status "not-listed".', 'RemoveRequest'),
      },
      '/v1/exclusions': {
        post: write(
          'Exclude networks',
          'Adds allow-holes inside wider listings: the list does not answer inside them. A network that is itself listed in that list is refused with 409 exists-as-listing (delist it instead). Any space may be excluded (allowReserved is not needed: an exclusion only makes the list answer less).',
          'UpsertRequest',
        ),
      },
      '/v1/exclusions/delete': {
        post: write('Remove exclusions', 'Removes exclusions. A network that is not excluded gets status "not-excluded".', 'RemoveRequest'),
      },
      '/v1/lookup': {
        get: read(
          'Look up an address or network',
          'Every entry covering it per list (and, for a network, the entries inside it, capped at 1000); for an address also the computed answer, what the live zone answers over DNS (status "unavailable" after 2 s) and the evidence about it (deployments with evidence).',
          lookupQuerySchema,
          'LookupResponse',
        ),
      },
      '/v1/history': {
        get: read('Audit trail of a network', 'Every change of the network in every list, oldest first: who, when, before/after, why; for an address, on the first page, also its evidence (deployments with evidence).', historyQuerySchema, 'HistoryResponse'),
      },
      '/v1/status': {
        get: read(
          'Zone status and cost',
          'Rrsets against the Route 53 quota, estimated monthly Route 53 cost (queries extra), stream-sync lag, last reconcile passes and their drift, export serial and age, failure-queue depth. Always 200: a figure that cannot be read is {"status":"unknown","reason"}, one that never happened {"status":"never"}.',
          undefined,
          'StatusResponse',
        ),
      },
      '/v1/reconcile': {
        post: {
          summary: 'Start a reconcile pass',
          description: 'Body {"dryRun"?: boolean, "network"?: string}: the whole zone, or one network\'s subtree; dry-run only measures drift. 202 {passId, executionArn?}.',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean' }, network: { type: 'string' } } } } } },
          responses: { '202': { description: 'Started' } },
        },
      },
      '/v1/reconcile/{passId}': {
        get: { summary: 'A reconcile pass', description: 'Status (RUNNING, SUCCEEDED, FAILED …) and, when done, the pass report.', parameters: [{ name: 'passId', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'The pass' }, '404': { description: 'No such pass' } } },
      },
      '/v1/evidence': {
        post: {
          summary: 'Submit evidence (reporters)',
          description:
            'Up to 1,000 events {ip, kind, observedAt, reporter?, detail?, id?} (deployments with an evidence policy only; reporters\' IAM policy allows this route alone). ' +
            'Idempotent by event id (given, or a digest of the event). Bad events get per-item errors in "rejected" and the good ones are kept; 400 only when no event is good. ' +
            'Each list\'s policy is applied to the batch\'s addresses (and escalation to the prefixes around them); listings are written through the operator write routes (validated, audited).',
          requestBody: { required: true, ...json('EvidenceRequest') },
          responses: { '200': { description: 'The good events were stored and evaluated.', ...json('EvidenceResponse') }, ...errors(400, 403, 404, 413, 415, 500) },
        },
      },
      '/v1/policy/dry-run': {
        post: {
          summary: 'Try an evidence policy change',
          description:
            'Evaluates the given policies (the configured ones for lists not named) against the current evidence without writing anything: what would be listed, extended, delisted, escalated and de-escalated. Scans the evidence aggregates (at most limit addresses).',
          requestBody: { required: true, ...json('DryRunRequest') },
          responses: { '200': { description: 'What the policies would do; nothing was written.', ...json('DryRunResponse') }, ...errors(400, 403, 404, 413, 415, 500) },
        },
      },
      ...requestPaths(read),
      '/v1/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } } } } },
    },
  };
}

/** The portal's delisting requests in review (present when the portal is deployed; lambdas/api/requests.ts). */
function requestPaths(read: (summary: string, description: string, query: ZodTypeAny | undefined, response: keyof typeof components) => Record<string, unknown>): Record<string, unknown> {
  const id = { name: 'id', in: 'path', required: true, description: 'the request id (UUID)', schema: { type: 'string', format: 'uuid' } };
  const decide = (summary: string, description: string, body: 'ApproveRequest' | 'DenyRequest', required: boolean) => ({
    summary,
    description,
    parameters: [id],
    requestBody: { required, ...json(body) },
    responses: {
      '200': { description: 'Decided; the requester was mailed and the contact forgotten.', ...json('DelistRequest') },
      '409': { description: 'The request is not in review (not-in-review), or the listing changed meanwhile; nothing changed.', ...json('Error') },
      ...errors(400, 403, 404, 413, 415, 500),
    },
  });
  return {
    '/v1/requests': {
      get: read(
        'Delisting requests in review',
        'The portal\'s confirmed requests an operator must decide (queued by a list\'s policy), oldest first, with contact and statement. Only with the portal deployed.',
        requestListQuerySchema,
        'DelistRequestList',
      ),
    },
    '/v1/requests/{id}': {
      get: { ...read('One delisting request', 'Any status; the contact is gone once the outcome was mailed.', undefined, 'DelistRequest'), parameters: [id] },
    },
    '/v1/requests/{id}/approve': {
      post: decide('Approve a request', 'Delists the address where a host listing holds it, or adds an exclusion for exactly the address inside a listed range; audited with the request id.', 'ApproveRequest', false),
    },
    '/v1/requests/{id}/deny': {
      post: decide('Deny a request', 'Keeps the listing and mails the requester the reason.', 'DenyRequest', true),
    },
  };
}

export function openApiRoutes(_deps: ApiDeps): Route[] {
  let cached: string | undefined;
  const handler = async (): Promise<APIGatewayProxyResult> => {
    cached ??= JSON.stringify(openApiDocument());
    return { ...jsonResult(200, null), body: cached };
  };
  return [{ method: 'GET', path: '/v1/openapi.json', handler }];
}
