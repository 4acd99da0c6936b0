// Escalation (UCEPROTECT's level-2 rule, level 3 by origin AS), pfx2as, the protected set and
// event validation: against straightforward references and the documented numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escalationExpiry, level2Candidates, level2Decision, level2Threshold, level3Decision, level3Needed, maximal, type Member } from '../../lambdas/core/escalation.js';
import { validateEvents } from '../../lambdas/core/evidence.js';
import { contains, formatNetwork, type Network, networkSize, parseNetwork } from '../../lambdas/core/ip.js';
import { parsePfx2As } from '../../lambdas/core/pfx2as.js';
import { ProtectedSet, parseAllowFile } from '../../lambdas/core/protected-set.js';

const NOW = 1_700_000_000;
const net = (s: string) => parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 });
const v4 = fc.integer({ min: 0, max: 0xffffffff }).map((n) => ({ family: 4 as const, start: BigInt(n), prefix: 32 }));

describe('level 2 rule (UCEPROTECT)', () => {
  it('has the thresholds of their policy and removal pages', () => {
    // "smaller than /26 ... a single IP", "/25 if 2", "/24 if more than 4", "/23 more than 9, /22 more than 14, /21 more than 24"
    expect([32, 28, 27, 26, 25, 24, 23, 22, 21].map((p) => level2Threshold(p))).toEqual([1, 1, 1, 1, 2, 5, 10, 15, 25]);
  });

  it('follows "netmask - 1 = abusers + abusers at netmask + 1" for every wider prefix and never falls as prefixes widen', () => {
    for (let p = 8; p <= 22; p++) expect(level2Threshold(p)).toBe(level2Threshold(p + 1) + level2Threshold(p + 2));
    for (let p = 8; p < 32; p++) expect(level2Threshold(p)).toBeGreaterThanOrEqual(level2Threshold(p + 1));
  });

  it('escalates exactly when the live level-1 addresses inside reach the threshold, and de-escalates at the expiry it gives', () => {
    const member = fc.record({ host: fc.integer({ min: 0, max: 1023 }), expiresAt: fc.option(fc.integer({ min: NOW - 1000, max: NOW + 100_000 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(member, { maxLength: 40 }), fc.integer({ min: 22, max: 28 }), (ms, prefix) => {
        const base = 0xc6336400; // 198.51.100.0
        const members: Member[] = ms.map((m) => ({ network: { family: 4, start: BigInt(base + m.host), prefix: 32 }, ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}) }));
        const p: Network = { family: 4, start: BigInt(base), prefix };
        const cfg = { list: 'l2', maxHoldHours: 1000 };
        const d = level2Decision(p, members, cfg, NOW);
        // Reference: count live members inside.
        const live = (at: number) => members.filter((m) => contains(p, m.network) && (m.expiresAt ?? Infinity) > at).length;
        expect(d.count).toBe(live(NOW));
        expect(d.escalate).toBe(live(NOW) >= level2Threshold(prefix));
        if (d.escalate && d.expiresAt! < NOW + 1000 * 3600) {
          expect(live(d.expiresAt! - 1)).toBeGreaterThanOrEqual(d.needed);
          expect(level2Decision(p, members, cfg, d.expiresAt!).escalate).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('does not count abusers inside excluded (allow) ranges', () => {
    const members: Member[] = Array.from({ length: 5 }, (_, i) => ({ network: net(`198.51.100.${i * 10}`), expiresAt: NOW + 100 }));
    expect(level2Decision(net('198.51.100.0/24'), members, { list: 'l2' }, NOW).escalate).toBe(true);
    expect(level2Decision(net('198.51.100.0/24'), members, { list: 'l2' }, NOW, [net('198.51.100.0/28')]).escalate).toBe(false);
  });

  it('candidates: aligned supernets from narrowest to widest, plus announced prefixes in between', () => {
    const c = level2Candidates(net('198.51.100.77'), { list: 'l2', widest: 22, narrowest: 24 }, [net('198.51.100.64/26'), net('198.51.96.0/21'), net('198.51.100.0/23')]);
    expect(c.map(formatNetwork)).toEqual(['198.51.100.0/24', '198.51.100.0/23', '198.51.100.0/22']);
    expect(level2Candidates(net('2001:db8::1'), { list: 'l2' })).toEqual([]);
  });

  it('escalationExpiry is the needed-th latest live expiry', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: NOW - 10, max: NOW + 50 })), fc.integer({ min: 1, max: 6 }), (es, k) => {
        const at = escalationExpiry(es, k, NOW);
        const liveAt = (t: number) => es.filter((e) => e > t).length;
        if (liveAt(NOW) < k) expect(at).toBeUndefined();
        else {
          expect(liveAt(at! - 1)).toBeGreaterThanOrEqual(k);
          expect(liveAt(at!)).toBeLessThan(k);
        }
      }),
    );
  });

  it('maximal keeps only networks not inside another', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(v4, fc.integer({ min: 16, max: 32 })).map(([a, p]) => ({ ...a, start: (a.start >> BigInt(32 - p)) << BigInt(32 - p), prefix: p })), { maxLength: 12 }), (ns) => {
        const m = maximal(ns);
        for (const n of ns) expect(m.some((o) => contains(o, n))).toBe(true);
        for (const a of m) for (const b of m) if (a !== b) expect(contains(a, b)).toBe(false);
      }),
    );
  });
});

describe('level 3 (origin AS)', () => {
  it('needs impacts / addresses * 100,000 >= score and impacts >= minimum (exact arithmetic reference)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 8, max: 24 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 3000 }), (score, prefix, minImpacts, impacts) => {
        const addresses = 1n << BigInt(32 - prefix);
        const needed = level3Needed(addresses, { score, minImpacts });
        const ok = BigInt(impacts) * 100_000n >= BigInt(score) * addresses && impacts >= minImpacts;
        expect(impacts >= needed).toBe(ok);
      }),
    );
  });

  it('counts level-1 listings in all the AS prefixes once, and names the counts in its reason', () => {
    const prefixes = [net('198.51.100.0/24'), net('203.0.113.0/24')];
    const members: Member[] = [net('198.51.100.1'), net('198.51.100.2'), net('203.0.113.9'), net('192.0.2.1')].map((n) => ({ network: n, expiresAt: NOW + 3600 }));
    const d = level3Decision('64500', prefixes, 512n, members, { list: 'l3', score: 500, minImpacts: 3 }, NOW);
    expect(d).toMatchObject({ escalate: true, count: 3, needed: 3, expiresAt: NOW + 3600 });
    expect(d.reason).toBe('level 3: AS64500 has 3 impacts in 512 addresses (score 585.9; 3 needed)');
    expect(level3Decision('64500', prefixes, 512n, members, { list: 'l3', score: 600, minImpacts: 3 }, NOW).escalate).toBe(false);
  });
});

describe('pfx2as', () => {
  const FILE = ['# CAIDA routeviews pfx2as', '198.51.100.0\t24\t64500', '198.51.0.0\t16\t64501', '203.0.113.0\t24\t64500_64502', '2001:db8::\t32\t64503,64504', '', '198.51.100.0\t33\t1', 'x\t8\t1', '192.0.2.0\t24\tAS1', '192.0.2.0 24'].join('\n');

  it('parses announced prefixes and origins, and names each bad line', () => {
    const { table, problems } = parsePfx2As(FILE, 'routeviews.pfx2as');
    expect(table.entries).toHaveLength(4);
    expect(table.lookup(net('198.51.100.7'))?.origins).toEqual(['64500']);
    expect(table.lookup(net('198.51.7.7'))?.origins).toEqual(['64501']);
    expect(table.lookup(net('203.0.113.1'))?.origins).toEqual(['64500', '64502']);
    expect(table.lookup(net('2001:db8:1::1'))?.origins).toEqual(['64503', '64504']);
    expect(table.lookup(net('192.0.2.1'))).toBeUndefined();
    expect(problems.map((p) => p.message)).toEqual([
      'routeviews.pfx2as line 7: "198.51.100.0/33" has prefix /33, longer than /32 for IPv4',
      'routeviews.pfx2as line 8: "x/8" is not an IPv4 or IPv6 address',
      'routeviews.pfx2as line 9: "AS1" is not an AS number (or "_"/"," separated AS numbers)',
      'routeviews.pfx2as line 10: expected "<address> <prefix length> <origin AS>", got 2 fields',
    ]);
    expect(table.prefixesOf('64500').map(formatNetwork)).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    expect(table.addressesOf('64500')).toBe(512n);
  });

  it('lookup is the longest match a linear scan finds; addressesOf counts each address once', () => {
    const entry = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 20, max: 28 }), fc.integer({ min: 1, max: 4 }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }), (es, probes) => {
        const lines = es.map(([a, p, asn]) => {
          const start = ((0xc6330000 + a) >>> (32 - p)) << (32 - p);
          return `${formatNetwork({ family: 4, start: BigInt(start >>> 0), prefix: p })}\t${p}\t${asn}`.replace(/\/\d+\t/, '\t');
        });
        const { table, problems } = parsePfx2As(lines.join('\n'));
        expect(problems).toEqual([]);
        for (const x of probes) {
          const host: Network = { family: 4, start: BigInt(0xc6330000 + x), prefix: 32 };
          const best = table.entries.filter((e) => contains(e.network, host)).sort((a, b) => b.network.prefix - a.network.prefix)[0];
          expect(table.lookup(host)?.network.prefix).toBe(best?.network.prefix);
        }
        for (const asn of ['1', '2', '3', '4']) {
          const nets = table.entries.filter((e) => e.origins.includes(asn)).map((e) => e.network);
          const seen = new Set<bigint>();
          for (const n of nets) for (let i = 0n; i < networkSize(n); i++) seen.add(n.start + i);
          expect(table.addressesOf(asn)).toBe(BigInt(seen.size));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('protected set', () => {
  const set = ProtectedSet.build({
    infrastructure: ['198.51.100.25', '2001:db8:53::/48'],
    allow: ['203.0.113.0/28'],
    allowFiles: [{ name: 'partners.txt', text: '# partners\n\n192.0.2.128/25  # a partner\n' }],
  });
  it('says why an address may never be listed', () => {
    expect(set.why(net('198.51.100.25'))).toBe("198.51.100.25 is in 198.51.100.25, the deployment's own infrastructure (infrastructure[0])");
    expect(set.why(net('203.0.113.5'))).toBe('203.0.113.5 is in 203.0.113.0/28, an allow range (allow[0])');
    expect(set.why(net('192.0.2.200'))).toBe('192.0.2.200 is in 192.0.2.128/25, an allow range (partners.txt line 3)');
    expect(set.why(net('127.0.0.2'))).toMatch(/RFC 5782 test points/);
    expect(set.why(net('10.1.2.3'))).toBe('10.1.2.3 is in 10.0.0.0/8, private-use space (RFC 1918)');
    expect(set.why(net('2002:c000:201::1'))).toMatch(/2002::\/16 \(6to4\)/);
    expect(set.why(net('fe80::1'))).toMatch(/link-local/);
    expect(set.why(net('198.51.100.26'))).toBeUndefined();
    expect(set.holesIn(net('203.0.113.0/24')).map(formatNetwork)).toEqual(['203.0.113.0/28']);
  });
  it('names the file and line of a bad allow-file line', () => {
    expect(() => parseAllowFile('allow.txt', '192.0.2.0/24\n192.0.2.300\n')).toThrow('allow.txt line 2: "192.0.2.300" is not an IPv4 address (octet 300 is over 255)');
  });
});

describe('event validation', () => {
  const ctx = { kinds: new Set(['spamtrap', 'abuse-report']), nowSeconds: NOW, caller: 'arn:aws:iam::1:user/feed' };
  it('keeps the good events and gives each bad one its own error', () => {
    const r = validateEvents(
      [
        { ip: '192.0.2.1', kind: 'spamtrap', observedAt: NOW - 10 },
        { ip: '192.0.2.300', kind: 'spamtrap', observedAt: NOW },
        { ip: '192.0.2.0/24', kind: 'spamtrap', observedAt: NOW },
        { ip: '192.0.2.2', kind: 'scan', observedAt: NOW },
        { ip: '192.0.2.3', kind: 'spamtrap', observedAt: '2023-11-14T22:13:20Z', reporter: 'trap-net', detail: 'trap@x', id: 'ev-1' },
        { ip: '192.0.2.4', kind: 'spamtrap', observedAt: NOW + 3600 },
        { ip: '192.0.2.5', kind: 'spamtrap', observedAt: NOW, colour: 'red' },
        { ip: '192.0.2.6', kind: 'spamtrap', observedAt: NOW, id: 'ev-1' },
        { ip: '192.0.2.1', kind: 'spamtrap', observedAt: NOW - 10 },
        'nope',
      ],
      ctx,
    );
    expect(r.events.map((e) => formatNetwork(e.ip))).toEqual(['192.0.2.1', '192.0.2.3']);
    expect(r.events[0]!.reporter).toBe(ctx.caller);
    expect(r.events[0]!.id).toMatch(/^c-/);
    expect(r.problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'items[1].ip: "192.0.2.300" is not an IPv4 address (octet 300 is over 255)',
      'items[2].ip: "192.0.2.0/24" is a network, not a single address',
      'items[3].kind: items[3].kind "scan" is not a configured kind; configured: abuse-report, spamtrap',
      'items[5].observedAt: items[5].observedAt 2023-11-14T23:13:20.000Z is in the future (now is 2023-11-14T22:13:20.000Z, 300 s of clock skew allowed)',
      'items[6].colour: items[6].colour is not a field of an event (allowed: id, ip, kind, observedAt, reporter, detail)',
      'items[7].id: items[7].id "ev-1" is also the id of items[4], a different event',
      'items[9]: items[9] must be an object {ip, kind, observedAt, reporter?, detail?, id?}',
    ]);
  });
});
