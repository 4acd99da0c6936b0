// QuotaGuard without AWS: the cached count, the hold on accepted writes, and failing open.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ZoneQuota } from '../../lambdas/adapters/route53-quota.js';
import { QuotaExceeded, QuotaGuard } from '../../lambdas/services/quota-guard.js';

/** A quota source whose count only Route 53 changes (here: never), counting its reads. */
function fixedSource(q: ZoneQuota) {
  const src = { reads: 0, read: async () => (src.reads++, q) };
  return src;
}

describe('QuotaGuard', () => {
  it('never admits more than the room the count leaves within the hold, and reads at most once per ttl', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.record({ adds: fc.integer({ min: -20, max: 60 }), dt: fc.integer({ min: 0, max: 40_000 }) }), { maxLength: 40 }),
        async (count, room, steps) => {
          let now = 0;
          const src = fixedSource({ count, limit: count + room });
          const ttlMs = 30_000;
          const holdMs = 90_000;
          const guard = new QuotaGuard(src, { ttlMs, holdMs, now: () => now });
          const accepted: Array<{ adds: number; at: number }> = [];
          for (const s of steps) {
            now += s.dt;
            try {
              await guard.admit(s.adds);
              if (s.adds > 0) accepted.push({ adds: s.adds, at: now });
            } catch (e) {
              expect(e).toBeInstanceOf(QuotaExceeded);
              // Refused only when it really would not fit beside what is held.
              const held = accepted.filter((a) => a.at >= now - holdMs).reduce((x, a) => x + a.adds, 0);
              expect(count + held + s.adds).toBeGreaterThan(count + room);
            }
            const held = accepted.filter((a) => a.at >= now - holdMs).reduce((x, a) => x + a.adds, 0);
            expect(held).toBeLessThanOrEqual(room);
          }
          // Reads are at least ttlMs apart.
          expect(src.reads).toBeLessThanOrEqual(1 + Math.floor(now / ttlMs));
          if (steps.length > 0) expect(src.reads).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the quota once for writes within the ttl, again after it', async () => {
    let now = 0;
    const src = fixedSource({ count: 10, limit: 1000 });
    const guard = new QuotaGuard(src, { ttlMs: 30_000, now: () => now });
    await Promise.all([guard.admit(1), guard.admit(2), guard.admit(3)]);
    now = 29_999;
    await guard.admit(1);
    expect(src.reads).toBe(1);
    now = 30_000;
    await guard.admit(1);
    expect(src.reads).toBe(2);
  });

  it('lets a write through, saying why, when the quota cannot be read', async () => {
    const reasons: string[] = [];
    const guard = new QuotaGuard({ read: async () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })) }, { onUnreadable: (r) => reasons.push(r) });
    const check = await guard.admit(1_000_000);
    expect(check.unreadable).toBe('Throttling: Rate exceeded');
    expect(reasons).toEqual(['Throttling: Rate exceeded']);
  });
});
