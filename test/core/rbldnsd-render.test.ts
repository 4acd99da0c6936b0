import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNetwork, parseNetwork } from '../../lambdas/core/ip.js';
import { type ListDef, type Listing, MAX_TXT_BYTES, renderTxt, validateZoneConfig } from '../../lambdas/core/listing.js';
import { nextSerial, rbldnsdText, renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import { CFG } from './arbitraries.js';
import { rbldnsdAnswer, txtTemplateArb, txtTextArb } from './rbldnsd-txt.js';

const L = (list: string, net: string, extra: Partial<Listing> = {}): Listing => ({
  list, network: parseNetwork(net, { maxWidth4: 0, maxWidth6: 0 }), reason: 'r $ x', source: 's', createdAt: 't', updatedAt: 't', exclusion: false, ...extra,
});

async function render(listings: Listing[], now = 1000, timestamp?: { generatedAt: Date; lifetimeSeconds: number }) {
  let out = '';
  for await (const chunk of renderRbldnsd(CFG, { serial: 42, nowSeconds: now, timestamp }, (list, family) =>
    listings.filter((l) => l.list === list.name && l.network.family === family),
  )) out += chunk;
  return out;
}

describe('rbldnsd renderer', () => {
  it('writes SOA, NS, one ip4trie and ip6trie dataset per list, entries with their own A and TXT', async () => {
    const text = await render([
      L('spam', '192.0.2.0/24'),
      L('spam', '192.0.2.77', { exclusion: true }),
      L('spam', '198.51.100.1', { expiresAt: 999 }),
      L('spam', '2001:db8::/48'),
      L('proxy', '192.0.2.1'),
    ]);
    const lines = text.split('\n');
    expect(lines[1]).toBe('$SOA 60 ns1.example.net hostmaster.bl.test 42 600 300 86400 60');
    expect(lines[2]).toBe('$NS 300 ns1.example.net ns2.example.net');
    expect(lines).toContain('$DATASET ip4trie:spam-v4 @');
    expect(lines).toContain('$DATASET ip6trie:dul-v6 @');
    expect(lines).toContain('192.0.2.0/24 :127.0.0.2:Listed in spam: r $$ x - see https://bl.test/lookup?ip=192.0.2.0/24');
    expect(lines).toContain('!192.0.2.77');
    expect(lines).toContain('2001:db8::/48 :127.0.0.2:Listed in spam: r $$ x - see https://bl.test/lookup?ip=2001:db8::/48');
    expect(lines).toContain('192.0.2.1 :127.0.0.3:r $$ x');
    expect(lines.filter((l) => l.startsWith('127.0.0.2 :'))).toHaveLength(3);
    expect(text).not.toContain('198.51.100.1');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\r/);
    expect(lines.some((l) => /^[#;]\$/.test(l))).toBe(false);
  });

  it('refuses unsorted or duplicated input instead of writing a prefix twice', async () => {
    await expect(render([L('spam', '192.0.2.1'), L('spam', '192.0.2.1')])).rejects.toThrow(/out of order or duplicated/);
    await expect(render([L('spam', '192.0.2.2'), L('spam', '192.0.2.1')])).rejects.toThrow(/out of order/);
  });

  it('adds a $TIMESTAMP dead-man switch when asked', async () => {
    const text = await render([], 0, { generatedAt: new Date('2026-11-23T10:20:30Z'), lifetimeSeconds: 86400 });
    expect(text).toContain('$TIMESTAMP 2026:11:23:10:20:30 +86400s\n');
  });

  it('escapes $ and keeps serials increasing', () => {
    expect(rbldnsdText('a $ b $$')).toBe('a $$ b $$$$');
    // rbldnsd drops one leading "=" (its "no base template" mark): a text that starts with one keeps it doubled.
    expect(rbldnsdText('=x $')).toBe('==x $$');
    expect(rbldnsdText('x =')).toBe('x =');
    expect(nextSerial(5, 3)).toBe(6);
    expect(nextSerial(5, 1_700_000_000)).toBe(1_700_000_000);
  });
});

// What rbldnsd answers for an entry's TXT as written in the data file: a model of its parser and of
// txtsubst (rbldnsd_util.c, checked against the real daemon in test/e2e/real-dns.test.ts).
describe('rbldnsd TXT as written in the file', () => {
  const spam = CFG.lists[0]!;
  const host = parseNetwork('192.0.2.13');
  const lineText = (line: string) => line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);

  it('a reason of 120 "$" (issue 11): the file text fits rbldnsd\'s 255-byte cut, and rbldnsd answers what the zone answers', async () => {
    const l = { ...L('spam', '192.0.2.13'), reason: '$'.repeat(120) };
    const line = (await render([l])).split('\n').find((x) => x.startsWith('192.0.2.13 '))!;
    const written = lineText(line);
    expect(written.length).toBeLessThanOrEqual(MAX_TXT_BYTES);
    const zone = renderTxt(spam, l);
    expect(rbldnsdAnswer(written, '192.0.2.13')).toBe(zone);
    expect(zone).not.toContain('192.0.2.13'); // no "$" left alone to become the queried address
    expect(zone.endsWith('$')).toBe(true);
  });

  it('keeps every text within 254 bytes as written ($ counted twice, a leading = twice), for any template and reason', () => {
    fc.assert(
      fc.property(txtTemplateArb, txtTextArb, fc.constantFrom('192.0.2.13', '2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120'), (template, reason, net) => {
        const list: ListDef = { name: 'spam', code: '127.0.0.2', txtTemplate: template };
        const listing = { network: parseNetwork(net, { maxWidth4: 0, maxWidth6: 0 }), reason };
        const text = renderTxt(list, listing);
        expect(rbldnsdText(text).length).toBeLessThanOrEqual(MAX_TXT_BYTES);
        expect(rbldnsdAnswer(rbldnsdText(text), formatNetwork(listing.network))).toBe(text);
        expect(text).toBe(text.trim());
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a template whose own text, as written, leaves no room for a reason', () => {
    const cfg = (txtTemplate: string) => ({ ...CFG, lists: [{ name: 'spam', code: '127.0.0.2', txtTemplate }] });
    expect(() => validateZoneConfig(cfg(`${'$'.repeat(110)} {reason} {ip}`))).toThrow(
      /lists\[0\]\.txtTemplate is 2\d\d bytes as written in the rbldnsd file .*at most 254/,
    );
    expect(() => validateZoneConfig(cfg(`${'$'.repeat(60)} {reason} {ip}`))).not.toThrow();
  });
});
