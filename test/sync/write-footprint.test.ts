// writeFootprint (what a write adds to the zone, planned region by region from the table) against
// the whole-zone oracle: planZone of the table after the write minus planZone before, for random
// overlapping listing sets with exclusions and expiries, on DynamoDB Local.
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { listingId } from '../../lambdas/services/region-context.js';
import { writeFootprint } from '../../lambdas/services/write-footprint.js';
import { ensureTables } from '../../local/dynamodb/dynamodb-local.js';
import { CFG, listingSetArb } from '../core/arbitraries.js';
import { useDynamoDbLocal } from './sync-env.js';

const ddb = useDynamoDbLocal();
const NOW = 1000;
const planned = (listings: Iterable<Listing>) => [...planZone(CFG, effectiveListings(CFG, listings, NOW))].length;

describe('writeFootprint', () => {
  it('equals plan(table with the write) - plan(table), for any table and write', async () => {
    await fc.assert(
      fc.asyncProperty(listingSetArb(25), listingSetArb(5), async (base, written) => {
        const name = `fp-${randomUUID().slice(0, 8)}`;
        await ensureTables(ddb().client, { listings: name, journal: `${name}-j` });
        const table = new ListingsTable(DynamoDBDocumentClient.from(ddb().client, { marshallOptions: { removeUndefinedValues: true } }), name);
        await table.putMany(base);
        const after = new Map(base.map((l) => [listingId(l), l] as const));
        for (const l of written) after.set(listingId(l), l);
        const f = await writeFootprint(table, CFG, written, { nowSeconds: NOW });
        expect(f.adds).toBe(planned(after.values()) - planned(base));
      }),
      { numRuns: 25 },
    );
  }, 110_000);
});
