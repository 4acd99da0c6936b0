import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyDigestSet, keyDigest } from '../../lambdas/core/key-digest-set.js';

describe('KeyDigestSet', () => {
  it('holds exactly what was added (property, any strings, any seed)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 300 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 50 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (added, probes, seed) => {
        const set = new KeyDigestSet(seed);
        const half = Math.floor(added.length / 2);
        for (const k of added.slice(0, half)) set.add(k);
        // Queried between adds too: adding after a lookup must still be found.
        for (const k of added.slice(0, half)) expect(set.has(k)).toBe(true);
        for (const k of added.slice(half)) set.add(k);
        expect(set.size).toBe(added.length);
        for (const k of added) expect(set.has(k)).toBe(true);
        for (const k of probes) if (!added.includes(k)) expect(set.has(k)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('digests are integers below 2^53, and a million listing keys give no collision', () => {
    const digests = new Float64Array(1_000_000);
    let bad = 0;
    for (let i = 0; i < digests.length; i++) {
      const d = keyDigest(`spam#4:${(i * 2654435761) >>> 0}/32`, 7);
      if (!Number.isSafeInteger(d) || d < 0) bad++;
      digests[i] = d;
    }
    expect(bad).toBe(0);
    digests.sort();
    let equal = 0;
    for (let i = 1; i < digests.length; i++) if (digests[i] === digests[i - 1]) equal++;
    expect(equal).toBe(0);
  });

  it('another seed gives other digests (a collision in one pass is not repeated in the next)', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `proxy#6:2001:db8::${i.toString(16)}/128`);
    const same = keys.filter((k) => keyDigest(k, 1) === keyDigest(k, 2)).length;
    expect(same).toBe(0);
    // A large set: grows past its first buffer and still answers.
    const set = new KeyDigestSet(99);
    for (const k of keys) set.add(k);
    expect(keys.every((k) => set.has(k))).toBe(true);
    expect(set.has('proxy#6:2001:db8::1000/128')).toBe(false);
  });
});
