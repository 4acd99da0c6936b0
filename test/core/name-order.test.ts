// The name order used to group changes and zone-file lines, and the sort key that implements it
// (not Route 53's listing order, which sorts `*` as the raw ASCII 42: nothing relies on that).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNames, nameSortKey } from '../../lambdas/core/rrset.js';

/** Label by label from the right, a wildcard label as its written form \\052. */
function reference(a: string, b: string): number {
  const la = a.replace(/\.$/, '').split('.').reverse();
  const lb = b.replace(/\.$/, '').split('.').reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const x = la[i] === '*' ? '\\052' : la[i]!;
    const y = lb[i] === '*' ? '\\052' : lb[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return Math.sign(la.length - lb.length);
}

const label = fc.oneof(fc.constantFrom('*', '0', '1', '10', '2', 'a', 'f', 'ff', 'bl', 'example'), fc.stringMatching(/^[0-9a-z-]{1,5}$/));
const nameArb = fc.array(label, { minLength: 1, maxLength: 6 }).map((ls) => `${ls.join('.')}.bl.example.org.`);

describe('DNS name order', () => {
  it('compares as the label-by-label reference does', () => {
    fc.assert(
      fc.property(nameArb, nameArb, (a, b) => {
        expect(Math.sign(compareNames(a, b)) || 0).toBe(reference(a, b) || 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('puts a name before the names below it, "10" before "2", and a wildcard as \\052 (after digits, before letters)', () => {
    const sorted = ['a.bl.', '2.bl.', '10.bl.', '*.bl.', '1.10.bl.', 'bl.'].sort((a, b) => (nameSortKey(a) < nameSortKey(b) ? -1 : 1));
    expect(sorted).toEqual(['bl.', '10.bl.', '1.10.bl.', '2.bl.', '*.bl.', 'a.bl.']);
  });
});
