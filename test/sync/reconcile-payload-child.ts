// `tsx test/sync/reconcile-payload-child.ts`: plans the slices of a 1,000,000-listing pass (README's
// mix) and prints {slices, stateBytes, maxIntervals} as JSON. Run in a child process by
// reconcile-payload.test.ts: planning a million listings' slices is synchronous work that would
// block the test's event loop for most of a minute on a loaded machine.
import { networkKey, parseNetworkKey } from '../../lambdas/core/ip.js';
import { planSlices, sliceReads } from '../../lambdas/core/reconcile-slices.js';
import { DEFAULT_SLICE_LISTINGS, weightNode } from '../../lambdas/services/reconcile-pass.js';
import { mixedListings } from '../../bench/mixed-listings.js';

const weights = new Map<string, number>();
for (const l of mixedListings(1_000_000, ['spam'])) {
  const k = networkKey(weightNode(l.network));
  weights.set(k, (weights.get(k) ?? 0) + 1);
}
const slices = planSlices([...weights].map(([k, count]) => ({ network: parseNetworkKey(k), count })), DEFAULT_SLICE_LISTINGS);
const plan = { passId: '00000000-0000-0000-0000-000000000000', dryRun: false, startedAt: new Date().toISOString(), slices: slices.map((slice, index) => ({ index, slice })), seeded: true, lengths: { 4: [], 6: [] }, soaUpdated: false, soaUnparsable: false };
// The largest figures a slice can report (what the Map state collects from each).
const figures = { listings: 19_999, rrsetsRead: 166_000, zoneReads: 560, drift: 12_345, repaired: 12_345, publishedDrift: 19_999, heapMiB: 300, durationMs: 123_456 };
const state = JSON.stringify({ ...plan, reports: slices.map(() => figures) }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
process.stdout.write(JSON.stringify({ slices: slices.length, stateBytes: state.length, maxIntervals: Math.max(...slices.map((s) => sliceReads(s).intervals.length)) }));
