// syncProgressOf: the lag is measured from the oldest record of the invocation, the newest is
// reported, and records without a creation time do not count.
import fc from 'fast-check';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { syncProgressOf } from '../../lambdas/services/sync-progress.js';

const rec = (t?: number): DynamoDBRecord => ({ eventName: 'INSERT', dynamodb: t === undefined ? {} : { ApproximateCreationDateTime: t } });

describe('syncProgressOf', () => {
  it('lag = now - oldest record, newest = the latest record, for any batch', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 1_700_000_000, max: 1_800_000_000 }), { nil: undefined }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 0, max: 3_600_000 }), (times, after) => {
        const known = times.filter((t): t is number => t !== undefined);
        const now = (known.length > 0 ? Math.max(...known) * 1000 : 1_750_000_000_000) + after;
        const p = syncProgressOf(times.map(rec), now);
        expect(p.records).toBe(times.length);
        expect(p.syncedAt).toBe(new Date(now).toISOString());
        if (known.length === 0) {
          expect(p.lagMs).toBe(0);
          expect(p.newestRecordAt).toBeUndefined();
        } else {
          expect(p.lagMs).toBe(now - Math.min(...known) * 1000);
          expect(p.newestRecordAt).toBe(new Date(Math.max(...known) * 1000).toISOString());
        }
      }),
    );
  });
});
