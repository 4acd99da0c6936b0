// Escalation reads each outermost candidate prefix once and counts the nested ones from it
// (membersByCover in lambdas/evidence/intake.ts). Checked against the straightforward reading (every
// candidate read on its own) on random level-1 sets and candidate chains.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { level2Candidates, type Member } from '../../lambdas/core/escalation.js';
import { contains, formatNetwork, type Network, networkKey, supernet } from '../../lambdas/core/ip.js';
import { membersByCover } from '../../lambdas/evidence/intake.js';

const host = (v: number): Network => ({ family: 4, start: BigInt(v >>> 0), prefix: 32 });
// Addresses in four /16s close together (two share a /15), so chains overlap and nest.
const addressArb = fc.tuple(fc.constantFrom(0x2d4c0000, 0x2d4d0000, 0x2d500000, 0x51020000), fc.integer({ min: 0, max: 0xffff })).map(([b, o]) => b + o);
const memberArb = fc.record({
  at: addressArb,
  prefix: fc.constantFrom(32, 32, 32, 30, 28, 24),
  expiresAt: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
});

describe('membersByCover', () => {
  it('gives every candidate the members inside it, as reading it alone would, with one read per outermost candidate', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(memberArb, { maxLength: 150 }),
        fc.array(addressArb, { minLength: 1, maxLength: 20 }),
        fc.record({ widest: fc.integer({ min: 12, max: 24 }), span: fc.integer({ min: 0, max: 8 }) }),
        async (raw, events, { widest, span }) => {
          const members: Member[] = raw.map((m) => ({ network: supernet(host(m.at), m.prefix), ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}) }));
          const cfg = { list: 'l2', widest, narrowest: Math.min(32, widest + span) };
          const byKey = new Map<string, Network>();
          for (const e of events) for (const p of level2Candidates(host(e), cfg)) byKey.set(networkKey(p), p);
          const candidates = [...byKey.values()];
          // The table's answer for a prefix: the members whose network lies inside it.
          const reads: Network[] = [];
          const read = async (p: Network) => {
            reads.push(p);
            return members.filter((m) => contains(p, m.network));
          };
          const within = await membersByCover(candidates, read, 4);
          const show = (ms: readonly Member[]) => ms.map((m) => `${formatNetwork(m.network)}@${m.expiresAt ?? '-'}`).sort();
          for (const p of candidates) {
            const got = within(p).filter((m) => contains(p, m.network));
            expect(show(got), formatNetwork(p)).toEqual(show(members.filter((m) => contains(p, m.network))));
          }
          // Read: exactly the candidates no other candidate contains, each once.
          const outermost = candidates.filter((p) => !candidates.some((o) => o !== p && contains(o, p) && o.prefix < p.prefix));
          expect(reads.map(networkKey).sort()).toEqual(outermost.map(networkKey).sort());
        },
      ),
      { numRuns: 200 },
    );
  });
});
