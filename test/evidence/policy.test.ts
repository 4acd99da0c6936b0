// The evidence policy against a straightforward reference, and its rules as properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AddressEvidence,
  type CurrentEntry,
  evaluate,
  type EvidencePolicyConfig,
  validateEvidencePolicy,
} from '../../lambdas/core/evidence-policy.js';
import { InputError } from '../../lambdas/core/input-error.js';

const H = 3600;
const NOW = 1_700_000_000;

/** The rules as the issue states them, written the plain way. */
function reference(p: EvidencePolicyConfig, events: AddressEvidence[], cur: CurrentEntry | undefined, delistedAt: number | undefined, offences: number[], prot: string | undefined, now: number): { action: string; expiresAt?: number } {
  const weight = (k: string) => p.kinds[k]?.weight ?? 0;
  const weighted = events.filter((e) => weight(e.kind) > 0 && e.t <= now);
  const inWindow = (from: number) => weighted.filter((e) => e.t > from);
  const score = (es: AddressEvidence[]) => Math.round(es.reduce((s, e) => s + weight(e.kind), 0) * 1e9) / 1e9;
  const enough = (es: AddressEvidence[]) => score(es) >= p.threshold && new Set(es.map((e) => e.reporter)).size >= (p.minReporters ?? 1);
  const hold = (before: number) => {
    let n = 0;
    if (p.repeatOffender) for (const t of offences) if (t >= now - p.repeatOffender.memoryDays * 86400 && t < before) n++;
    let h = p.holdHours * H;
    if (p.repeatOffender && n > 0) h = Math.min(h * p.repeatOffender.factor ** n, p.repeatOffender.maxHoldHours * H);
    return Math.round(h);
  };
  if (prot) return { action: 'protected' };
  if (cur && (cur.exclusion || !cur.source.startsWith('evidence:'))) return { action: 'operator' };
  if (cur) {
    if (weighted.length === 0) return { action: 'delist' };
    const last = Math.max(...weighted.map((e) => e.t));
    const target = last + hold(cur.since);
    if (target <= now) return { action: 'delist' };
    if (cur.expiresAt === undefined || target > cur.expiresAt) return { action: 'extend', expiresAt: target };
    return { action: 'keep' };
  }
  const windowStart = now - p.windowHours * H;
  let basis = inWindow(windowStart);
  if (!enough(basis)) return { action: 'none' };
  const grace = (p.operatorGraceHours ?? 168) * H;
  if (delistedAt !== undefined && now < delistedAt + grace) {
    basis = inWindow(Math.max(delistedAt, windowStart));
    if (!enough(basis)) return { action: 'grace' };
  }
  const expiresAt = Math.max(...basis.map((e) => e.t)) + hold(now + 1);
  if (expiresAt <= now) return { action: 'none' };
  return { action: 'list', expiresAt };
}

const policyArb: fc.Arbitrary<EvidencePolicyConfig> = fc.record(
  {
    kinds: fc.record({ spamtrap: fc.record({ weight: fc.constantFrom(0, 0.5, 1, 3) }), 'abuse-report': fc.record({ weight: fc.constantFrom(0.1, 1, 2) }) }),
    threshold: fc.constantFrom(0.3, 1, 2, 3, 5),
    minReporters: fc.constantFrom(1, 2, 3),
    windowHours: fc.constantFrom(1, 24, 72),
    holdHours: fc.constantFrom(1, 24, 168),
    repeatOffender: fc.record({ factor: fc.constantFrom(1, 2, 3), maxHoldHours: fc.constant(2000), memoryDays: fc.constantFrom(1, 30) }),
    operatorGraceHours: fc.constantFrom(0, 12, 168),
  },
  { requiredKeys: ['kinds', 'threshold', 'windowHours', 'holdHours'] },
);

const eventArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: 4 }),
  kind: fc.constantFrom('spamtrap', 'abuse-report', 'scan'),
  t: fc.integer({ min: NOW - 100 * H, max: NOW + 600 }),
  reporter: fc.constantFrom('a', 'b', 'c'),
});

const currentArb: fc.Arbitrary<CurrentEntry | undefined> = fc.option(
  fc.record({
    source: fc.constantFrom('evidence:level1', 'arn:aws:iam::1:user/alice', 'import:x.csv'),
    exclusion: fc.boolean(),
    expiresAt: fc.option(fc.integer({ min: NOW - 10 * H, max: NOW + 400 * H }), { nil: undefined }),
    since: fc.integer({ min: NOW - 200 * H, max: NOW }),
    version: fc.integer({ min: 1, max: 9 }),
  }),
  { nil: undefined },
);

describe('evidence policy', () => {
  it('decides as the reference does', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(eventArb, { maxLength: 12 }),
        currentArb,
        fc.option(fc.integer({ min: NOW - 300 * H, max: NOW }), { nil: undefined }),
        fc.array(fc.integer({ min: NOW - 60 * 86400, max: NOW }), { maxLength: 4 }),
        fc.option(fc.constant('infrastructure'), { nil: undefined, freq: 8 }),
        (p, events, cur, delistedAt, offences, prot) => {
          const d = evaluate(p, { events, ...(cur ? { current: cur } : {}), ...(delistedAt !== undefined ? { operatorDelistedAt: delistedAt } : {}), offences, ...(prot ? { protectedBy: prot } : {}), now: NOW });
          const r = reference(p, events, cur, delistedAt, offences, prot, NOW);
          expect({ action: d.action, expiresAt: 'expiresAt' in d ? d.expiresAt : undefined }).toEqual({ action: r.action, expiresAt: r.expiresAt });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never lists a protected address and never touches an operator entry, whatever the evidence', () => {
    fc.assert(
      fc.property(policyArb, fc.array(eventArb, { minLength: 1, maxLength: 30 }), (p, events) => {
        expect(evaluate(p, { events, protectedBy: 'allow.txt line 1', now: NOW }).action).toBe('protected');
        for (const [source, exclusion] of [['arn:aws:iam::1:user/alice', false], ['arn:aws:iam::1:user/alice', true], ['evidence:level1', true]] as const) {
          const cur = { source, exclusion, since: NOW - H, version: 3 };
          expect(evaluate(p, { events, current: cur, now: NOW }).action).toBe('operator');
        }
      }),
    );
  });

  it('a listing always expires after now, at the last counted evidence + the hold', () => {
    fc.assert(
      fc.property(policyArb, fc.array(eventArb, { maxLength: 20 }), (p, events) => {
        const d = evaluate(p, { events, now: NOW });
        if (d.action !== 'list') return;
        expect(d.expiresAt).toBeGreaterThan(NOW);
        expect(d.expiresAt).toBe(d.last! + p.holdHours * H);
        expect(d.reason.length).toBeLessThanOrEqual(200);
        expect(d.reason).toMatch(/^[\x20-\x7e]+$/);
      }),
    );
  });

  it('more evidence never un-lists: adding an event to a listing batch keeps it listing', () => {
    fc.assert(
      fc.property(policyArb, fc.array(eventArb, { maxLength: 15 }), eventArb, (p, events, extra) => {
        const before = evaluate(p, { events, now: NOW });
        const after = evaluate(p, { events: [...events, extra], now: NOW });
        if (before.action === 'list') {
          expect(after.action).toBe('list');
          expect('expiresAt' in after ? after.expiresAt : 0).toBeGreaterThanOrEqual(before.expiresAt);
        }
      }),
    );
  });

  it('the issue\'s examples: 1 trap hit lists; 3 abuse reports need 2 reporters in 24 h; repeat offenders are held longer', () => {
    const p = validateEvidencePolicy({
      kinds: { spamtrap: { weight: 3 }, 'abuse-report': { weight: 1 } },
      threshold: 3,
      minReporters: 1,
      windowHours: 24,
      holdHours: 168,
      repeatOffender: { factor: 2, maxHoldHours: 672, memoryDays: 90 },
    });
    const ev = (kind: string, hoursAgo: number, reporter = 'r1', id = `${kind}${hoursAgo}${reporter}`) => ({ id, kind, t: NOW - hoursAgo * H, reporter });
    expect(evaluate(p, { events: [ev('spamtrap', 2)], now: NOW })).toMatchObject({ action: 'list', expiresAt: NOW - 2 * H + 168 * H });
    expect(evaluate(p, { events: [ev('spamtrap', 25)], now: NOW }).action).toBe('none');
    const two = { ...p, minReporters: 2 };
    expect(evaluate(two, { events: [ev('abuse-report', 1), ev('abuse-report', 2), ev('abuse-report', 3)], now: NOW }).action).toBe('none');
    expect(evaluate(two, { events: [ev('abuse-report', 1), ev('abuse-report', 2), ev('abuse-report', 3, 'r2')], now: NOW }).action).toBe('list');
    const again = evaluate(p, { events: [ev('spamtrap', 0)], offences: [NOW - 30 * 86400, NOW - 10 * 86400], now: NOW });
    expect(again).toMatchObject({ action: 'list', expiresAt: NOW + 672 * H });
    expect(evaluate(p, { events: [ev('spamtrap', 0)], offences: [NOW - 10 * 86400], now: NOW })).toMatchObject({ expiresAt: NOW + 336 * H });
  });

  it('an operator delisting holds for the grace period unless new evidence alone reaches the threshold', () => {
    const p = validateEvidencePolicy({ kinds: { 'abuse-report': { weight: 1 } }, threshold: 2, windowHours: 24, holdHours: 24, operatorGraceHours: 48 });
    const ev = (hoursAgo: number) => ({ id: `e${hoursAgo}`, kind: 'abuse-report', t: NOW - hoursAgo * H, reporter: 'r' });
    const delisted = NOW - 5 * H;
    expect(evaluate(p, { events: [ev(10), ev(1)], operatorDelistedAt: delisted, now: NOW })).toMatchObject({ action: 'grace', until: delisted + 48 * H });
    expect(evaluate(p, { events: [ev(10), ev(2), ev(1)], operatorDelistedAt: delisted, now: NOW }).action).toBe('list');
    expect(evaluate(p, { events: [ev(10), ev(1)], operatorDelistedAt: NOW - 49 * H, now: NOW }).action).toBe('list');
  });

  it('an evidence listing is extended by new evidence and delisted by a policy whose hold has passed', () => {
    const p = validateEvidencePolicy({ kinds: { spamtrap: { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 24 });
    const cur = { source: 'evidence:level1', exclusion: false, expiresAt: NOW + H, since: NOW - 23 * H, version: 1 };
    expect(evaluate(p, { events: [{ id: 'a', kind: 'spamtrap', t: NOW - 23 * H, reporter: 'r' }, { id: 'b', kind: 'spamtrap', t: NOW, reporter: 'r' }], current: cur, now: NOW })).toMatchObject({ action: 'extend', expiresAt: NOW + 24 * H });
    expect(evaluate({ ...p, holdHours: 12 }, { events: [{ id: 'a', kind: 'spamtrap', t: NOW - 23 * H, reporter: 'r' }], current: cur, now: NOW }).action).toBe('delist');
  });
});

describe('evidence policy configuration', () => {
  const err = (v: unknown, lists?: string[]) => {
    try {
      validateEvidencePolicy(v, 'lists[0].evidence', lists);
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return `${(e as InputError).field}: ${(e as Error).message}`;
    }
    return 'accepted';
  };
  const ok = { kinds: { spamtrap: { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 168 };
  it('names the setting in every error', () => {
    expect(err(ok)).toBe('accepted');
    expect(err({ ...ok, threshold: 0 })).toBe('lists[0].evidence.threshold: lists[0].evidence.threshold must be a number > 0 and at most 1000000; got 0');
    expect(err({ ...ok, kinds: {} })).toMatch(/^lists\[0\]\.evidence\.kinds: .*at least one kind/);
    expect(err({ ...ok, kinds: { Spam: { weight: 1 } } })).toMatch(/^lists\[0\]\.evidence\.kinds\.Spam: "Spam" is not a kind name/);
    expect(err({ ...ok, kinds: { spamtrap: { weight: 0 } } })).toMatch(/every weight is 0/);
    expect(err({ ...ok, holdhours: 3 })).toMatch(/^lists\[0\]\.evidence\.holdhours: lists\[0\]\.evidence\.holdhours is not a setting/);
    expect(err({ ...ok, windowHours: 24 * 40 })).toMatch(/evidenceTtlDays \(30\) is shorter than the window/);
    expect(err({ ...ok, repeatOffender: { factor: 0.5, maxHoldHours: 200, memoryDays: 30 } })).toMatch(/factor must be at least 1/);
    expect(err({ ...ok, escalation: { level2: { list: 'nope' } } }, ['spam', 'spam-l2'])).toMatch(/^lists\[0\]\.evidence\.escalation\.level2\.list: .*"nope" is not a configured list; configured lists: spam, spam-l2/);
    expect(err({ ...ok, escalation: { level2: { list: 'spam-l2', rule: 'spamhaus' } } }, ['spam', 'spam-l2'])).toMatch(/rule "spamhaus" is not a rule/);
  });
});
