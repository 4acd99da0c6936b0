import { describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import {
  parseListableNetwork, renderTxt, validateCode, validateListName, validateText, validateZoneConfig,
} from '../../lambdas/core/listing.js';
import { CFG } from './arbitraries.js';

describe('listing model', () => {
  it('refuses the test-point range and the IPv6 views of IPv4', () => {
    expect(() => parseListableNetwork('127.0.0.2')).toThrow(/127.0.0.0\/8, which is reserved for the RFC 5782 test points/);
    expect(() => parseListableNetwork('126.0.0.0/7', 'network', { maxWidth4: 1 })).toThrow(/overlaps 127.0.0.0\/8/);
    expect(() => parseListableNetwork('::ffff:127.0.0.1')).toThrow(/reserved/);
    expect(() => parseListableNetwork('2002:c000:201::/48')).toThrow(/6to4/);
    expect(() => parseListableNetwork('::/32')).toThrow(/::ffff:0:0\/96/);
    expect(parseListableNetwork('192.0.2.0/24')).toEqual(parseNetwork('192.0.2.0/24'));
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
