// core/delist-policy.ts: each rule decides, in its order, and the lockouts end when they should.
import { describe, expect, it } from 'vitest';
import { decideSelfDelist, selfDelistPolicy, selfServiceLockedUntil } from '../../lambdas/core/delist-policy.js';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { type ListDef, validateZoneConfig } from '../../lambdas/core/listing.js';

const list = (over: Partial<ListDef> = {}): ListDef => ({ name: 'spam', code: '127.0.0.2', txtTemplate: '{reason}', selfDelist: 'auto', ...over });
const host = parseNetwork('192.0.2.1');
const now = new Date('2030-06-30T00:00:00Z');
const day = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
const listing = (over: Partial<{ network: string; source: string; createdAt: string; exclusion: boolean }> = {}) => ({
  network: parseNetwork(over.network ?? '192.0.2.1'),
  source: over.source ?? 'trap:honeypot-3',
  createdAt: over.createdAt ?? day(3),
  exclusion: over.exclusion ?? false,
});
const decide = (l: ListDef, x: ReturnType<typeof listing> | undefined, selfDelistings: string[] = []) =>
  decideSelfDelist({ policy: selfDelistPolicy(l), address: host, listing: x, selfDelistings, now });

describe('decideSelfDelist', () => {
  it('delists an automatically listed host on an auto list', () => {
    expect(decide(list(), listing())).toEqual({ outcome: 'delist' });
  });
  it('refuses on a never list and when nothing is listed (or only an exclusion decides)', () => {
    expect(decide(list({ selfDelist: 'never' }), listing())).toEqual({ outcome: 'refuse', why: 'never' });
    expect(decide(list(), undefined)).toEqual({ outcome: 'refuse', why: 'not-listed' });
    expect(decide(list(), listing({ exclusion: true }))).toEqual({ outcome: 'refuse', why: 'not-listed' });
  });
  it('sends a range, a listing by hand, and a review list to review', () => {
    expect(decide(list(), listing({ network: '192.0.2.0/24' }))).toMatchObject({ outcome: 'review', why: 'range' });
    expect(decide(list(), listing({ source: 'arn:aws:iam::123456789012:user/alice' }))).toMatchObject({ outcome: 'review', why: 'by-hand' });
    expect(decide(list({ selfDelist: 'review' }), listing())).toMatchObject({ outcome: 'review', why: 'policy-review' });
    expect(decide(list({ automatedSources: ['arn:'] }), listing({ source: 'arn:aws:iam::1:user/bot' }))).toEqual({ outcome: 'delist' });
  });
  it('allows 2 self-delistings per 30 days by default, then review; older ones do not count', () => {
    // Relisted by evidence 3 days ago, more than 30 days after the earlier self-delistings: no lockout.
    expect(decide(list(), listing(), [day(100), day(40)])).toEqual({ outcome: 'delist' });
    expect(decide(list(), listing({ createdAt: day(1) }), [day(20), day(25)].sort())).toMatchObject({ outcome: 'review' });
    expect(decide(list({ selfDelistLimit: { count: 3, days: 10 } }), listing({ createdAt: day(1) }), [day(8), day(9)])).toMatchObject({ outcome: 'review', why: 'relisted-after-self-delist' });
  });
  it('counts the limit over the period', () => {
    // Relisted before the self-delistings (no evidence after them), two in the period: limit reached.
    const l = listing({ createdAt: day(60) });
    expect(decide(list(), l, [day(5), day(10)])).toMatchObject({ outcome: 'review', why: 'limit-reached' });
    expect(decide(list(), l, [day(5)])).toEqual({ outcome: 'delist' });
    expect(decide(list({ selfDelistLimit: { count: 0, days: 30 } }), l, [])).toMatchObject({ outcome: 'review', why: 'limit-reached' });
  });
  it('locks self-service out for the period after evidence relists a self-delisted address', () => {
    // Self-delisted 10 days ago, relisted 5 days ago: locked until 25 days from now.
    const d = decide(list(), listing({ createdAt: day(5) }), [day(10)]);
    expect(d).toEqual({ outcome: 'review', why: 'relisted-after-self-delist', lockedUntil: new Date(Date.parse(day(5)) + 30 * 86_400_000).toISOString() });
    expect(selfServiceLockedUntil({ periodDays: 30 }, [day(40)], day(35), now)).toBeUndefined();
    expect(selfServiceLockedUntil({ periodDays: 30 }, [day(10)], day(5), now)).toBe(d.outcome === 'review' ? d.lockedUntil : '');
  });
});

describe('per-list keys and {lookupUrl}', () => {
  const base = { zone: 'bl.test', ttl: 300, negativeTtl: 60, nameservers: ['ns1.example.net'], hostmaster: 'h@bl.test' };
  it('expands {lookupUrl} in templates and refuses a template using it without a lookupUrl', () => {
    const cfg = validateZoneConfig({ ...base, lookupUrl: 'https://bl.test/lookup?ip={ip}', lists: [list({ txtTemplate: 'Listed: {reason} see {lookupUrl}' })] });
    expect(cfg.lists[0]!.txtTemplate).toBe('Listed: {reason} see https://bl.test/lookup?ip={ip}');
    expect(() => validateZoneConfig({ ...base, lists: [list({ txtTemplate: 'see {lookupUrl}' })] })).toThrow(/uses \{lookupUrl\} but the zone configuration has no lookupUrl/);
  });
  it('refuses a lookupUrl that could inject text or placeholders', () => {
    for (const bad of ['javascript:alert(1)', 'https://x.test/"quoted"', 'https://x.test/{reason}', 'https://x.test/a b', `https://x.test/${'a'.repeat(130)}`]) {
      expect(() => validateZoneConfig({ ...base, lookupUrl: bad, lists: [list()] }), bad).toThrow(/lookupUrl/);
    }
  });
  it('refuses bad selfDelist keys, naming the field', () => {
    expect(() => validateZoneConfig({ ...base, lists: [list({ selfDelist: 'sometimes' as never })] })).toThrow(/lists\[0\]\.selfDelist/);
    expect(() => validateZoneConfig({ ...base, lists: [list({ selfDelistLimit: { count: -1, days: 30 } })] })).toThrow(/lists\[0\]\.selfDelistLimit/);
  });

  it('refuses automatedSources that would take a list\'s own evidence listings for listings by hand', () => {
    const evidence = { kinds: { spamtrap: { weight: 1 } }, threshold: 1, windowHours: 24, holdHours: 24 };
    expect(() => validateZoneConfig({ ...base, lists: [list({ evidence, automatedSources: ['trap:'] })] })).toThrow(/lists\[0\]\.automatedSources must include a prefix of "evidence:level1"/);
    for (const ok of [['trap:', 'evidence:'], ['evidence:level1'], ['evi']]) {
      const cfg = validateZoneConfig({ ...base, lists: [list({ evidence, automatedSources: ok })] });
      // And the policy then takes the evidence path's listings as automated.
      expect(decide(cfg.lists[0]!, listing({ source: 'evidence:level1' }))).toEqual({ outcome: 'delist' });
    }
    // Without an evidence policy any prefixes go.
    expect(() => validateZoneConfig({ ...base, lists: [list({ automatedSources: ['trap:'] })] })).not.toThrow();
  });
});
