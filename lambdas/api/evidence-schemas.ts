// The evidence routes' shapes for the OpenAPI document (POST /v1/evidence, POST
// /v1/policy/dry-run) and the evidence part of lookup and history. The routes themselves validate
// with core (core/evidence.ts, core/evidence-policy.ts: per-item errors, the policy's own checks);
// these schemas describe the same shapes, and test/evidence/openapi.test.ts holds the routes'
// answers to them and checks the request schemas accept what the routes accept.
import * as z from 'zod';
import { MAX_DETAIL_LENGTH, MAX_EVENT_ID_LENGTH, MAX_EVENTS, MAX_REPORTER_LENGTH } from '../core/evidence.js';

const count = z.number().int().min(0);
const hours = (d: string) => z.number().positive().describe(d);

/** GET /v1/lookup (address queries) and GET /v1/history (a single address): the address's evidence. */
export const operatorEvidenceSchema = z
  .object({
    counts: z.record(z.string(), count).describe('Events by kind (all kept events; evidence expires with the evidence TTL after the last one).'),
    total: count,
    firstSeen: z.string().describe('The earliest observation (ISO 8601).'),
    lastSeen: z.string().describe('The latest observation (ISO 8601).'),
    reporters: z.array(z.string()).describe('Distinct reporters in the order they first reported (the first 20).'),
  })
  .strict()
  .describe('The evidence about the address; absent when there is none or the deployment has no evidence intake.');

export const evidenceEventSchema = z
  .object({
    ip: z.string().describe('One IPv4 or IPv6 address (not a network).'),
    kind: z.string().describe('A kind configured in some list\'s evidence policy, e.g. "spamtrap", "abuse-report".'),
    observedAt: z.union([z.string(), z.number()]).describe('When it was seen: ISO 8601 with a zone, or epoch seconds. At most 5 minutes ahead; not older than the evidence TTL.'),
    reporter: z.string().max(MAX_REPORTER_LENGTH).optional().describe('Who reports it (printable ASCII). Default: the caller.'),
    detail: z.string().max(MAX_DETAIL_LENGTH).optional().describe('Free text kept with the event for operators; never published.'),
    id: z.string().max(MAX_EVENT_ID_LENGTH).optional().describe('The reporter\'s own event id (makes resending idempotent); default: a digest of the event.'),
  })
  .strict();

export const evidenceRequestSchema = z.object({ items: z.array(evidenceEventSchema).min(1).max(MAX_EVENTS) }).strict();

const kindPolicySchema = z.object({ weight: z.number().min(0) }).strict();

export const evidencePolicySchema = z
  .object({
    kinds: z.record(z.string(), kindPolicySchema).describe('Weight per kind; at least one weight above 0.'),
    threshold: z.number().positive().describe('The weighted evidence in the window that lists an address.'),
    minReporters: z.number().int().min(1).optional().describe('Distinct reporters needed as well (default 1).'),
    windowHours: hours('How far back evidence counts.'),
    holdHours: hours('Listed until the last evidence + this.'),
    repeatOffender: z.object({ factor: z.number().min(1), maxHoldHours: z.number().positive(), memoryDays: z.number().positive() }).strict().optional(),
    operatorGraceHours: z.number().min(0).optional().describe('After an operator delisted it, evidence older than the delisting does not relist it for this long (default 168).'),
    evidenceTtlDays: z.number().positive().optional().describe('How long evidence is kept (default 30).'),
    escalation: z
      .object({
        level2: z
          .object({ list: z.string(), rule: z.enum(['uceprotect']).optional(), widest: z.number().int().optional(), narrowest: z.number().int().optional(), maxHoldHours: z.number().positive().optional() })
          .strict()
          .optional(),
        level3: z.object({ list: z.string(), score: z.number().positive(), minImpacts: z.number().int().min(1), maxHoldHours: z.number().positive().optional() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const dryRunRequestSchema = z
  .object({
    policies: z.record(z.string(), evidencePolicySchema).optional().describe('List name -> the policy to try; lists not named keep their configured policy.'),
    limit: z.number().int().min(1).max(1_000_000).optional().describe('At most this many addresses with evidence are evaluated (default 100,000).'),
  })
  .strict();

const problem = z.object({ index: z.number().int(), field: z.string(), message: z.string() }).strict();
const writeOutcome = z.object({ list: z.string(), network: z.string(), status: z.string(), note: z.string().optional() }).strict();
const escalationOutcome = z
  .object({ list: z.string(), network: z.string().describe('A prefix (level 2) or "AS<n>" (level 3).'), level: z.union([z.literal(2), z.literal(3)]), escalate: z.boolean(), count: count, needed: count, reason: z.string() })
  .strict();
const action = z.enum(['list', 'extend', 'delist', 'keep', 'none', 'protected', 'operator', 'grace']);

export const evidenceResponseSchema = z
  .object({
    accepted: count.describe('Events stored (a resent event is stored once).'),
    rejected: z.array(problem).describe('The bad events, each with its own error; the good ones were kept.'),
    decisions: z
      .array(
        z
          .object({ list: z.string(), network: z.string(), action, score: z.number(), reporters: count, expiresAt: z.string().optional(), why: z.string().optional() })
          .strict(),
      )
      .describe('What each list\'s policy decided for each address of the batch.'),
    writes: z.array(writeOutcome).describe('The listing writes made (through the operator write routes: validated, audited).'),
    escalations: z.array(escalationOutcome).describe('The prefixes and ASes re-evaluated, escalated or not.'),
  })
  .strict();

const plannedView = z
  .object({ op: z.enum(['list', 'extend', 'delist', 'exclude']), level: z.union([z.literal(1), z.literal(2), z.literal(3)]), list: z.string(), network: z.string(), reason: z.string(), expiresAt: z.string().optional() })
  .strict();

export const dryRunResponseSchema = z
  .object({
    evaluated: count.describe('Addresses with evidence evaluated.'),
    truncated: z.boolean().describe('More addresses have evidence than limit.'),
    summary: z.record(z.string(), count).describe('"<list>:<action>" -> addresses.'),
    changes: z.array(plannedView).describe('Level-1 listings, extensions and delistings it would write (the first 1,000).'),
    escalations: z.array(plannedView).describe('Escalations, de-escalations and allow-holes it would write (the first 1,000).'),
    escalationChecks: z.array(escalationOutcome),
  })
  .strict();
