// The views of an address's evidence (core/evidence-summary.ts), against a straightforward reading of
// the aggregate: the operator's has counts, first/last seen and reporters; the public one has the
// counts and the last seen and no other field, whatever the aggregate holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operatorEvidence, publicEvidence } from '../../lambdas/core/evidence-summary.js';

const T = 1_900_000_000;
const aggregate = fc
  .record({
    counts: fc.dictionary(fc.constantFrom('spamtrap', 'abuse-report', 'scan', 'x-feed'), fc.integer({ min: 0, max: 1000 })),
    first: fc.integer({ min: T - 30 * 86_400, max: T }),
    span: fc.integer({ min: 0, max: 30 * 86_400 }),
    reporters: fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 20 }),
    // Whatever else an aggregate carries (recent events with ids, offences …) must not leak.
    recent: fc.array(fc.record({ id: fc.string(), t: fc.integer(), k: fc.string(), r: fc.string() }), { maxLength: 3 }),
  })
  .map((a) => ({ ...a, last: a.first + a.span }));

describe('evidence summaries', () => {
  it('the public view is exactly {counts, total, lastSeen}: positive counts sorted by kind, their sum, the last observation', () => {
    fc.assert(
      fc.property(aggregate, (a) => {
        const v = publicEvidence(a);
        const positive = Object.entries(a.counts).filter(([, n]) => n > 0).sort(([x], [y]) => (x < y ? -1 : 1));
        if (positive.length === 0) {
          expect(v).toBeUndefined();
          return;
        }
        expect(v).toEqual({ counts: Object.fromEntries(positive), total: positive.reduce((s, [, n]) => s + n, 0), lastSeen: new Date(a.last * 1000).toISOString() });
        expect(Object.keys(v!.counts)).toEqual(positive.map(([k]) => k));
        const text = JSON.stringify(v);
        for (const r of a.recent) if (r.id.length > 8) expect(text).not.toContain(r.id);
      }),
    );
  });

  it('the operator view adds first seen and the reporters, in their order', () => {
    fc.assert(
      fc.property(aggregate, (a) => {
        const v = operatorEvidence(a);
        const pub = publicEvidence(a);
        if (!pub) {
          expect(v).toBeUndefined();
          return;
        }
        expect(v).toEqual({ ...pub, firstSeen: new Date(a.first * 1000).toISOString(), reporters: a.reporters });
        expect(Date.parse(v!.firstSeen)).toBeLessThanOrEqual(Date.parse(v!.lastSeen));
      }),
    );
  });

  it('no aggregate, or one without observations: no view', () => {
    expect(publicEvidence(undefined)).toBeUndefined();
    expect(operatorEvidence({ counts: {}, reporters: [] })).toBeUndefined();
    expect(operatorEvidence({ counts: { spamtrap: 2 }, reporters: ['a'] })).toBeUndefined();
  });
});
