// The shape of GET /v1/status (services/zone-status.ts), for the OpenAPI document and the tests.
import * as z from 'zod';

const never = z.object({ status: z.literal('never') }).strict();
const unknown = z.object({ status: z.literal('unknown'), reason: z.string() }).strict();
const figure = <T extends z.ZodRawShape>(shape: T) => z.union([z.object({ status: z.literal('ok'), ...shape }).strict(), never, unknown]);

const iso = z.string().describe('ISO 8601 time');
const pass = {
  passId: z.string(),
  startedAt: iso,
  finishedAt: iso,
  full: z.boolean(),
  network: z.string().optional(),
  dryRun: z.boolean(),
  slices: z.number().int(),
  rrsetsRead: z.number().int(),
  drift: z.number().int().describe('changes the pass found needed'),
  repaired: z.number().int().describe('changes it sent (0 when dry)'),
  durationMs: z.number(),
  ageSeconds: z.number().int().describe('seconds since it finished'),
};

export const statusResponseSchema = z
  .object({
    zone: z.string(),
    generatedAt: iso,
    rrsets: figure({
      count: z.number().int().describe('records in the hosted zone now (Route 53 GetHostedZoneLimit), apex SOA and NS included'),
      limit: z.number().int().describe('the zone\'s MAX_RRSETS_BY_ZONE quota'),
      usedPercent: z.number(),
    }),
    monthlyCost: figure({
      usd: z.number().describe('hosted zone + records past 10,000, per month'),
      hostedZoneUsd: z.number(),
      rrsetUsd: z.number(),
      billableRRSets: z.number().int(),
      note: z.string(),
    }),
    streamSync: figure({
      syncedAt: iso,
      newestRecordAt: iso.optional(),
      lagMs: z.number().describe('how long the oldest record of the last invocation waited to reach the zone'),
      records: z.number().int(),
      ageSeconds: z.number().int().describe('seconds since the last invocation finished'),
    }),
    lastPass: figure(pass),
    lastFullPass: figure(pass),
    export: figure({ serial: z.number().int(), publishedAt: iso, ageSeconds: z.number().int(), pendingSince: iso.optional() }),
    failureQueue: figure({
      messages: z.number().int().describe('batches of stream records given up on, waiting in the on-failure destination'),
      records: z.number().int().optional(),
    }),
  })
  .strict();
