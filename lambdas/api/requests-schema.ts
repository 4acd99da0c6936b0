// The shapes of the operator API's /v1/requests routes (lambdas/api/requests.ts, the portal's
// requests in review), for the OpenAPI document; test/public/openapi-requests.test.ts parses the
// routes' real answers with them, strictly, so the document cannot drift from what they return.
import * as z from 'zod';
import { MAX_DENY_REASON, STATEMENT_MAX } from '../public/delist-service.js';

const iso = z.string().describe('ISO 8601 time');

const outcomeSchema = z
  .object({
    list: z.string(),
    outcome: z.enum(['delisted', 'queued', 'refused', 'approved', 'denied']).describe('delisted: at once; queued: for review; refused: not by this path; approved/denied: after review'),
    why: z.string().optional().describe('the policy\'s reason (lockout, range, by hand, evidence after a self-delisting, …)'),
    network: z.string().optional().describe('the listing the decision was about (a range for "range")'),
    lockedUntil: z.string().optional(),
  })
  .strict();

export const delistRequestSchema = z
  .object({
    id: z.string().describe('request id (UUID)'),
    address: z.string().describe('the one address the request is about'),
    lists: z.array(z.string()),
    contact: z.string().optional().describe('the requester\'s mailbox: only while the request still needs it (gone once the outcome was mailed)'),
    statement: z.string().max(STATEMENT_MAX).describe('what the requester says was fixed'),
    domain: z.string().optional(),
    proofToken: z.string().optional().describe('the TXT value expected at _dnsbl-delist.<domain> when a list asks for DNS proof'),
    lang: z.string(),
    createdAt: iso,
    status: z.enum(['unconfirmed', 'confirmed', 'done', 'in-review', 'approved', 'denied']),
    tokenExpiresAt: z.number().int().describe('epoch seconds: the end of the confirmation link'),
    outcomes: z.array(outcomeSchema).optional(),
    decidedBy: z.string().optional(),
    decidedAt: iso.optional(),
    denyReason: z.string().optional(),
    confirmedAt: iso.optional(),
  })
  .strict();

export const requestListSchema = z.object({ items: z.array(delistRequestSchema).describe('oldest first') }).strict();

export const requestListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional().describe('at most this many (default 100)') });

/** POST /v1/requests/{id}/approve: an empty object (or no body). */
export const approveBodySchema = z.object({}).strict();

/** POST /v1/requests/{id}/deny: the reason, mailed to the requester. */
export const denyBodySchema = z
  .object({ reason: z.string().min(1).max(MAX_DENY_REASON).describe('why (mailed to the requester); no control characters') })
  .strict();
