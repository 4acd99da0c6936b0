import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNetwork, parseNetwork } from '../../lambdas/core/ip.js';
import {
  fitTxt, type ListDef, type Listing, parseListableNetwork, renderTxt, validateCode, validateListName, validatePublicNetwork, validateText,
  validateZoneConfig,
} from '../../lambdas/core/listing.js';
import { CFG, networkArb } from './arbitraries.js';

describe('listing model', () => {
  it('refuses the test-point range and the IPv6 views of IPv4', () => {
    expect(() => parseListableNetwork('127.0.0.2')).toThrow(/127.0.0.0\/8, which is reserved for the RFC 5782 test points/);
    expect(() => parseListableNetwork('126.0.0.0/7', 'network', { maxWidth4: 1 })).toThrow(/^126.0.0.0\/7 is wider than \/8 and contains 127.0.0.0\/8/);
    expect(() => parseListableNetwork('127.128.0.0/9', 'network', { maxWidth4: 1 })).toThrow(/overlaps 127.0.0.0\/8/);
    expect(() => parseListableNetwork('::ffff:127.0.0.1')).toThrow(/reserved/);
    expect(() => parseListableNetwork('2002:c000:201::/48')).toThrow(/6to4/);
    expect(() => parseListableNetwork('::/32')).toThrow(/::ffff:0:0\/96/);
    expect(parseListableNetwork('192.0.2.0/24')).toEqual(parseNetwork('192.0.2.0/24'));
  });

  it('a network wider than /8 around 127.0.0.0/8 is "wider than /8", whatever width the caller allows (delist 0.0.0.0/0)', () => {
    expect(() => parseListableNetwork('0.0.0.0/0', 'network', { maxWidth4: 0, maxWidth6: 0 })).toThrow(
      '0.0.0.0/0 is wider than /8 and contains 127.0.0.0/8, which is reserved for the RFC 5782 test points; it can never be listed',
    );
    expect(() => parseListableNetwork('0.0.0.0/0')).toThrow('"0.0.0.0/0" is wider than /8, the widest IPv4 network that may be listed');
  });

  it('refuses special-purpose space (IANA registries) unless overridden, naming the range and the override', () => {
    const check = (s: string) => validatePublicNetwork(parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 }), 'network', 'pass allowReserved to list it anyway');
    expect(() => check('10.0.0.0/8')).toThrow('10.0.0.0/8 is private-use space (RFC 1918); pass allowReserved to list it anyway');
    expect(() => check('192.168.1.7')).toThrow('192.168.1.7 is in 192.168.0.0/16, private-use space (RFC 1918); pass allowReserved to list it anyway');
    expect(() => check('224.0.0.1')).toThrow('224.0.0.1 is in 224.0.0.0/4, multicast space (RFC 5771)');
    expect(() => check('0.0.0.0')).toThrow(/^0.0.0.0 is the unspecified address/);
    expect(() => check('::')).toThrow('is the unspecified address (RFC 4291)');
    expect(() => check('::1')).toThrow('::1 is the loopback address (RFC 4291)');
    expect(() => check('100.0.0.0/8')).toThrow('100.0.0.0/8 overlaps 100.64.0.0/10, shared address space for carrier-grade NAT (RFC 6598)');
    expect(() => check('255.255.255.255')).toThrow('the limited broadcast address (RFC 919)');
    for (const s of ['169.254.1.1', '172.31.0.0/16', '198.18.0.0/15', '240.0.0.1', '192.0.0.8', 'fe80::1', 'fd00::/8', 'ff02::1', '100::/64', '2001:2::/48', '5f00::1', '4000::1', '64:ff9b:1::1']) {
      expect(() => check(s), s).toThrow(/; pass allowReserved to list it anyway$/);
    }
    // Public space, documentation blocks (used by examples and tests; no network uses them) and the
    // registries' globally reachable exceptions inside special blocks.
    for (const s of ['8.8.8.0/24', '11.0.0.0/8', '100.128.0.0/9', '192.0.2.0/24', '198.51.100.7', '203.0.113.0/24', '2001:db8::/32', '3fff::1', '2a00::/16', '192.0.0.9', '2001:20::1', '64:ff9b::808:808']) {
      expect(check(s), s).toEqual(parseNetwork(s, { maxWidth4: 0, maxWidth6: 0 }));
    }
  });

  it('accepts only printable ASCII of bounded length in text', () => {
    expect(validateText('  spam run  ', 'reason', 200)).toBe('spam run');
    expect(() => validateText('a\r\nb', 'reason', 200)).toThrow('reason contains a control character (U+000D) at position 2');
    expect(() => validateText('a\u0000', 'reason', 200)).toThrow(/U\+0000/);
    expect(() => validateText('café', 'reason', 200)).toThrow(/non-ASCII character "é" at position 4/);
    expect(() => validateText('x'.repeat(201), 'reason', 200)).toThrow('reason is 201 characters long; at most 200 are allowed');
    expect(() => validateText('', 'reason', 200)).toThrow('reason must not be empty');
    expect(() => validateText(5, 'reason', 200)).toThrow('reason must be a string');
  });

  it('validates list names, codes and the zone configuration', () => {
    expect(() => validateListName('Spam')).toThrow(/not a valid list name/);
    expect(() => validateCode('127.0.0.1')).toThrow(/cannot be a return code/);
    expect(() => validateCode('127.1')).toThrow(/full dotted quad/);
    expect(() => validateCode('10.0.0.2')).toThrow(/127.0.0.0\/8/);
    expect(validateZoneConfig(CFG)).toBe(CFG);
    expect(() => validateZoneConfig({ ...CFG, lists: [CFG.lists[0]!, { ...CFG.lists[1]!, code: '127.0.0.2' }] })).toThrow(
      /used by two lists/,
    );
    expect(() => validateZoneConfig({ ...CFG, lists: [{ ...CFG.lists[0]!, txtTemplate: 'x {nope}' }] })).toThrow(/unknown placeholder \{nope\}/);
    expect(() => validateZoneConfig({ ...CFG, zone: 'BL.test.' })).toThrow(/not a lower-case zone name/);
    const aOnly = { ...CFG, lists: [{ ...CFG.lists[0]!, route53Txt: false }] };
    expect(validateZoneConfig(aOnly)).toBe(aOnly);
    expect(() => validateZoneConfig({ ...CFG, lists: [{ ...CFG.lists[0]!, route53Txt: 'no' as unknown as boolean }] })).toThrow(
      /lists\[0\]\.route53Txt must be true or false/,
    );
  });

  it('renders TXT exactly as filling the template with one replace pass would (the template is split once per list)', () => {
    // The straightforward form: one regular-expression pass, cleaned, trimmed, cut (fitTxt).
    const byReplace = (list: ListDef, l: Pick<Listing, 'network' | 'reason'>) => {
      const filled = list.txtTemplate.replace(/\{(list|reason|ip|code)\}/g, (_m, k: string) =>
        k === 'list' ? list.name : k === 'reason' ? l.reason : k === 'ip' ? formatNetwork(l.network) : list.code,
      );
      return fitTxt(filled.replace(/[^\x20-\x7e]/g, '?').trim()).trimEnd();
    };
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '$', '=', '{', '}', '{ip}', '{reason}', '{list}', '{code}', '{x}', '\u00e9', '\t'), maxLength: 140 });
    fc.assert(
      fc.property(text, text, networkArb, (template, reason, network) => {
        const list: ListDef = { name: 'spam', code: '127.0.0.2', txtTemplate: template };
        expect(renderTxt(list, { network, reason })).toBe(byReplace(list, { network, reason }));
      }),
      { numRuns: 500 },
    );
  });

  it('renders TXT from the template, cut to 254 bytes, with no way to add lines', () => {
    const list = CFG.lists[0]!;
    const txt = renderTxt(list, { network: parseNetwork('192.0.2.0/24'), reason: 'spam' });
    expect(txt).toBe('Listed in spam: spam - see https://bl.test/lookup?ip=192.0.2.0/24');
    const long = renderTxt(list, { network: parseNetwork('192.0.2.1'), reason: 'y'.repeat(400) });
    expect(long.length).toBe(254);
    expect(renderTxt({ ...list, txtTemplate: '{reason}' }, { network: parseNetwork('192.0.2.1'), reason: 'a\nb\u00e9' })).toBe('a?b?');
  });
});
