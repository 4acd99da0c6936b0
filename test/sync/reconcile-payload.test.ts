// A pass at 1,000,000 listings (README's mix) must fit the Step Functions state it travels in: the
// plan (its slices) and every slice's figures together stay under the 256 KB payload quota
// (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html), with every slice
// bounded by the listing bound where the tree allows.
import { describe, expect, it } from 'vitest';
import { networkKey, parseNetworkKey } from '../../lambdas/core/ip.js';
import { planSlices, sliceReads } from '../../lambdas/core/reconcile-slices.js';
import { DEFAULT_SLICE_LISTINGS, weightNode } from '../../lambdas/services/reconcile-pass.js';
import { mixedListings } from '../../bench/mixed-listings.js';

describe('a 1M-listing pass in the workflow state', () => {
  it('plans slices whose plan and reports fit 256 KB', async () => {
    const weights = new Map<string, number>();
    let i = 0;
    for (const l of mixedListings(1_000_000, ['spam'])) {
      const k = networkKey(weightNode(l.network));
      weights.set(k, (weights.get(k) ?? 0) + 1);
      if (++i % 50_000 === 0) await new Promise((r) => setImmediate(r));
    }
    const slices = planSlices([...weights].map(([k, count]) => ({ network: parseNetworkKey(k), count })), DEFAULT_SLICE_LISTINGS);
    const plan = { passId: '00000000-0000-0000-0000-000000000000', dryRun: false, startedAt: new Date().toISOString(), slices: slices.map((slice, index) => ({ index, slice })), seeded: true, lengths: { 4: [], 6: [] }, soaUpdated: false, soaUnparsable: false };
    const figures = { listings: 19_999, rrsetsRead: 166_000, zoneReads: 560, drift: 12_345, repaired: 12_345, publishedDrift: 19_999, heapMiB: 300, durationMs: 123_456 };
    const state = JSON.stringify({ ...plan, reports: slices.map(() => figures) });
    console.log(`1M listings: ${slices.length} slices, workflow state ${(state.length / 1024).toFixed(0)} KiB`);
    expect(state.length).toBeLessThan(256 * 1024);
    for (const s of slices) expect(sliceReads(s).intervals.length).toBeLessThan(20);
  }, 90_000);
});
