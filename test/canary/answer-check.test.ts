// The canary's pure part: judging answers and choosing addresses.
import { describe, expect, it } from 'vitest';
import { recordDataText } from '../../lambdas/adapters/route53-answers.js';
import {
  answeringHost,
  interleave,
  judgeA,
  judgeTxt,
  randomAddress,
  randomBigInt,
  type Sample,
  sampleInside,
  samplesAround,
  testPointSamples,
} from '../../lambdas/core/answer-check.js';
import { contains, embeddedIpv4, formatAddress, parseNetwork } from '../../lambdas/core/ip.js';
import { type Answer, zoneRecords } from '../../lambdas/core/semantics.js';
import { seeded } from './support.js';

const LISTED: Answer = [
  { list: 'spam', code: '127.0.0.2', txt: 'Listed in spam' },
  { list: 'proxy', code: '127.0.0.3', txt: 'proxy' },
];
const NOT_LISTED: Answer = [];

describe('judging what the zone answered', () => {
  it('accepts exactly the expected A codes (in any order) and asks for TXT next', () => {
    expect(judgeA(LISTED, { rcode: 'NOERROR', values: ['127.0.0.3', '127.0.0.2'] })).toEqual({ ok: true, askTxt: true });
    expect(judgeTxt(LISTED.map((x) => x.txt), { rcode: 'NOERROR', values: ['proxy', 'Listed in spam'] })).toEqual({ ok: true });
  });

  it('rejects missing, extra or different codes and texts', () => {
    expect(judgeA(LISTED, { rcode: 'NOERROR', values: ['127.0.0.2'] })).toMatchObject({ ok: false, askTxt: false });
    expect(judgeA([LISTED[0]!], { rcode: 'NOERROR', values: ['127.0.0.2', '127.0.0.3'] }).ok).toBe(false);
    expect(judgeTxt(LISTED.map((x) => x.txt), { rcode: 'NOERROR', values: ['Listed in spam', 'other'] })).toMatchObject({ ok: false });
    expect(judgeTxt(LISTED.map((x) => x.txt), { rcode: 'NOERROR', values: [] })).toMatchObject({ ok: false, problem: expect.stringContaining('NODATA') });
  });

  it('expects no TXT for a list published A-only in Route 53: NODATA is right, its text is wrong', () => {
    const lists = [
      { name: 'spam', code: '127.0.0.2', txtTemplate: '{reason}', route53Txt: false },
      { name: 'proxy', code: '127.0.0.3', txtTemplate: '{reason}' },
    ];
    expect(zoneRecords({ lists }, LISTED)).toEqual({ a: ['127.0.0.2', '127.0.0.3'], txt: ['proxy'] });
    const spamOnly = zoneRecords({ lists }, [LISTED[0]!]);
    expect(spamOnly).toEqual({ a: ['127.0.0.2'], txt: [] });
    expect(judgeA([LISTED[0]!], { rcode: 'NOERROR', values: ['127.0.0.2'] })).toEqual({ ok: true, askTxt: true });
    expect(judgeTxt(spamOnly.txt, { rcode: 'NOERROR', values: [] })).toEqual({ ok: true });
    expect(judgeTxt(spamOnly.txt, { rcode: 'NOERROR', values: ['Listed in spam'] })).toMatchObject({ ok: false });
    expect(judgeTxt(zoneRecords({ lists }, LISTED).txt, { rcode: 'NOERROR', values: ['proxy', 'Listed in spam'] }).ok).toBe(false);
    // Two lists answering the same text: the zone holds it once.
    expect(zoneRecords({ lists: lists.map((l) => ({ ...l, route53Txt: true })) }, [LISTED[0]!, { ...LISTED[1]!, txt: 'Listed in spam' }]).txt).toEqual(['Listed in spam']);
  });

  it('counts a listed address answered NXDOMAIN or NODATA as wrong', () => {
    expect(judgeA(LISTED, { rcode: 'NXDOMAIN', values: [] })).toMatchObject({ ok: false, problem: expect.stringContaining('NXDOMAIN') });
    expect(judgeA(LISTED, { rcode: 'NOERROR', values: [] })).toMatchObject({ ok: false, problem: expect.stringContaining('NODATA') });
  });

  it('takes NXDOMAIN and NODATA alike as "not listed"; after NXDOMAIN it does not ask for TXT', () => {
    expect(judgeA(NOT_LISTED, { rcode: 'NXDOMAIN', values: [] })).toEqual({ ok: true, askTxt: false });
    expect(judgeA(NOT_LISTED, { rcode: 'NOERROR', values: [] })).toEqual({ ok: true, askTxt: true });
    expect(judgeTxt(NOT_LISTED.map((x) => x.txt), { rcode: 'NOERROR', values: [] })).toEqual({ ok: true });
    expect(judgeTxt(NOT_LISTED.map((x) => x.txt), { rcode: 'NOERROR', values: ['stray'] })).toMatchObject({ ok: false });
    expect(judgeA(NOT_LISTED, { rcode: 'NOERROR', values: ['127.0.0.2'] })).toMatchObject({ ok: false, problem: expect.stringContaining('not listed') });
  });

  it('counts any other response code as wrong', () => {
    for (const rcode of ['SERVFAIL', 'REFUSED']) {
      expect(judgeA(NOT_LISTED, { rcode, values: [] })).toMatchObject({ ok: false, problem: expect.stringContaining(rcode) });
      expect(judgeTxt(LISTED.map((x) => x.txt), { rcode, values: [] }).ok).toBe(false);
    }
  });

  it('reads TestDNSAnswer TXT data as the text a resolver sees', () => {
    expect(recordDataText('TXT', '"Listed in spam: \\"x\\" (192.0.2.0/24)"')).toBe('Listed in spam: "x" (192.0.2.0/24)');
    expect(recordDataText('TXT', '"abc" "def"')).toBe('abcdef');
    expect(recordDataText('TXT', 'unquoted')).toBe('unquoted');
    expect(recordDataText('A', '127.0.0.2')).toBe('127.0.0.2');
  });
});

describe('choosing addresses', () => {
  it('has the RFC 5782 test points of both families', () => {
    const tp = testPointSamples().map((s) => formatAddress(s.family, s.address));
    expect(tp).toEqual(['127.0.0.2', '127.0.0.1', '::ffff:7f00:2', '::ffff:7f00:1']);
    // The IPv6 ones are answered from IPv4 data.
    expect(answeringHost(testPointSamples()[2]!)).toEqual(parseNetwork('127.0.0.2'));
  });

  it('samples a changed network at its start, inside, and just outside', () => {
    const n = parseNetwork('192.0.2.0/24');
    const s = samplesAround(n, 'x', seeded(1)).map((x) => ({ kind: x.kind, a: formatAddress(x.family, x.address) }));
    expect(s[0]).toEqual({ kind: 'changed-inside', a: '192.0.2.0' });
    expect(s[1]!.kind).toBe('changed-inside');
    expect(contains(n, parseNetwork(s[1]!.a))).toBe(true);
    expect(s.slice(2)).toEqual([
      { kind: 'changed-outside', a: '192.0.1.255' },
      { kind: 'changed-outside', a: '192.0.3.0' },
    ]);
    // A host has nothing else inside; the edges of the address space have no outside.
    expect(samplesAround(parseNetwork('0.0.0.0/32'), 'x', seeded(1)).map((x) => formatAddress(4, x.address))).toEqual(['0.0.0.0', '0.0.0.1']);
    expect(samplesAround(parseNetwork('255.255.255.255'), 'x', seeded(1)).map((x) => formatAddress(4, x.address))).toEqual([
      '255.255.255.255',
      '255.255.255.254',
    ]);
    for (let i = 0; i < 50; i++) {
      const v6 = parseNetwork('2001:db8::/32');
      expect(contains(v6, { family: 6, start: samplesAround(v6, 'x', seeded(i))[1]!.address, prefix: 128 })).toBe(true);
      expect(contains(v6, { family: 6, start: sampleInside(v6, 'x', seeded(i)).address, prefix: 128 })).toBe(true);
    }
  });

  it('draws random addresses outside loopback and 6to4, and random numbers below the bound', () => {
    const rng = seeded(7);
    for (let i = 0; i < 500; i++) {
      const v4 = randomAddress(rng, 4).address;
      expect(v4 >> 24n).not.toBe(127n);
      expect(v4 >= 0x01000000n && v4 < 0xe0000000n).toBe(true);
      const v6 = randomAddress(rng, 6).address;
      expect(v6 >> 125n).toBe(1n);
      expect(embeddedIpv4(v6)).toBeUndefined();
      const b = randomBigInt(rng, 1000n);
      expect(b >= 0n && b < 1000n).toBe(true);
    }
  });

  it('takes the first group whole, then the others in turn, each address once', () => {
    const s = (n: number, kind: Sample['kind']): Sample => ({ family: 4, address: BigInt(n), kind });
    const out = interleave([s(1, 'test-point'), s(2, 'test-point')], [[s(10, 'changed-inside'), s(11, 'changed-outside'), s(12, 'changed-inside')], [s(20, 'listed'), s(1, 'listed')], [s(30, 'random')]]);
    expect(out.map((x) => Number(x.address))).toEqual([1, 2, 10, 20, 30, 11, 12]);
  });
});
