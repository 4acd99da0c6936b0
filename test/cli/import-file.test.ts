import { describe, expect, it } from 'vitest';
import { parseImport, splitCsv } from '../../lambdas/cli/import-file.js';

const NOW = 1_800_000_000;

describe('import file parsing', () => {
  it('splits CSV with RFC 4180 quotes', () => {
    expect(splitCsv('192.0.2.1, spam run ,7d')).toEqual(['192.0.2.1', 'spam run', '7d']);
    expect(splitCsv('192.0.2.1,"spam, lots of it","2030-01-01T00:00:00Z"')).toEqual(['192.0.2.1', 'spam, lots of it', '2030-01-01T00:00:00Z']);
    expect(splitCsv('a,"say ""hi""",')).toEqual(['a', 'say "hi"', '']);
    expect(() => splitCsv('a,"open')).toThrow('a quote is not closed');
    expect(() => splitCsv('a,"x"y')).toThrow(/after a closing quote/);
  });

  it('validates every line with core and reports line numbers and reasons', () => {
    const text = [
      '# spam sources, week 12', //          1 comment
      'network,reason,expires', //           2 header
      '192.0.2.1', //                        3 plain
      '198.51.100.0/24,"botnet, C&C",30d', // 4 csv
      '', //                                 5 blank
      '192.0.2.300', //                      6 bad
      '2001:db8::/48  # v6 range', //        7 plain + comment
      '192.0.2.7/24', //                     8 host bits
      '::ffff:192.0.2.1', //                 9 duplicate of line 3
      '203.0.113.9,,2000-01-01T00:00:00Z', // 10 expiry in the past
      '203.0.113.10,reason,\tx', //          11 bad expiry
      '127.0.0.1', //                        12 reserved
      '203.0.113.11,caf\u00e9', //           13 non-ASCII reason
      '203.0.113.12,a,b,c', //               14 too many cells
      '203.0.113.13,"unclosed', //           15
      '203.0.113.14,,' + String(NOW + 3600), // 16 epoch expiry
      '\r', //                               17 blank (CRLF)
    ].join('\n');
    const r = parseImport(text, { defaultReason: 'imported', nowSeconds: NOW, defaultDuration: '7d' });
    expect(r.lines).toBe(17);
    expect(r.skipped).toBe(4);
    expect(r.entries.map((e) => [e.line, e.canonical, e.reason, e.expiresAt])).toEqual([
      [3, '192.0.2.1', 'imported', NOW + 7 * 86400],
      [4, '198.51.100.0/24', 'botnet, C&C', NOW + 30 * 86400],
      [7, '2001:db8::/48', 'imported', NOW + 7 * 86400],
      [16, '203.0.113.14', 'imported', NOW + 3600],
    ]);
    expect(r.rejected.map((x) => [x.line, x.reason])).toEqual([
      [6, '"192.0.2.300" is not an IPv4 address (octet 300 is over 255)'],
      [8, '"192.0.2.7/24" has host bits set; did you mean 192.0.2.0/24?'],
      [9, '192.0.2.1 is already on line 3'],
      [10, 'expires 2000-01-01T00:00:00.000Z is not in the future (now is 2027-01-15T08:00:00.000Z)'],
      [11, 'expires "x" is not an ISO 8601 time with a zone, e.g. "2030-01-01T00:00:00Z"'],
      [12, '127.0.0.1 overlaps 127.0.0.0/8, which is reserved for the RFC 5782 test points'],
      [13, 'reason contains the non-ASCII character "é" at position 4; only printable ASCII is allowed in DNS TXT records'],
      [14, '4 cells; expected network,reason[,expires]'],
      [15, 'a quote is not closed'],
    ]);
  });
});
