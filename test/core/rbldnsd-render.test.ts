import { describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { nextSerial, rbldnsdText, renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import { CFG } from './arbitraries.js';

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
    expect(nextSerial(5, 3)).toBe(6);
    expect(nextSerial(5, 1_700_000_000)).toBe(1_700_000_000);
  });
});
