// The rbldnsd harness must serve a combined file exactly as mirrors will (tries, ranges,
// exclusions, $ substitution, IPv6 nibbles, IPv4-mapped names) and report every bad line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerSet, digBatch, type DigQuery } from '../support/dns/dig.js';
import { checkRbldnsdFile, type RbldnsdServer, startRbldnsd } from '../support/dns/rbldnsd.js';

const ZONE = 'bl.test';
const v4 = (ip: string) => `${ip.split('.').reverse().join('.')}.${ZONE}`;
function v6(ip: string): string {
  const [head, tail] = ip.split('::') as [string, string?];
  const groups = (s?: string) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const hex = all.map((g) => g.padStart(4, '0')).join('');
  return `${[...hex].reverse().join('.')}.${ZONE}`;
}

const HEAD = `$SOA 3600 ns1.example.net hostmaster.example.net 7 600 300 86400 300
$NS 3600 ns1.example.net ns2.example.net
`;
const CLEAN = `${HEAD}$DATASET ip4trie:spam @
$TTL 300
:127.0.0.2:Listed $ see https://bl.test/?ip=$ fee $$5
192.0.2.1
192.0.2.2 :127.0.0.3:Custom $
198.51.100.0/24 :127.0.0.10:Whole /24
!198.51.100.77
$DATASET ip6trie:spam6 @
$TTL 600
:127.0.0.2:Listed6 $
2001:db8:1::/48 :127.0.0.20:Range $
2001:db8:2::5
`;

describe('startRbldnsd on a combined file', () => {
  let dir: string;
  let rbl: RbldnsdServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rbl-harness-'));
    await writeFile(join(dir, 'bl.combined'), CLEAN);
    rbl = await startRbldnsd({ zone: ZONE, files: [{ type: 'combined', path: join(dir, 'bl.combined') }] });
  });
  afterAll(async () => {
    await rbl?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers listed, ranged, excluded, IPv6 and IPv4-mapped names', async () => {
    const names = {
      listed: v4('192.0.2.1'),
      custom: v4('192.0.2.2'),
      inRange: v4('198.51.100.5'),
      excluded: v4('198.51.100.77'),
      unlisted: v4('192.0.2.3'),
      partial: `2.0.192.${ZONE}`,
      v6range: v6('2001:db8:1:abcd::1'),
      v6single: v6('2001:db8:2::5'),
      v6unlisted: v6('2001:db8:2::6'),
      mapped: v6('::ffff:c000:201'), // ::ffff:192.0.2.1
      mappedExcluded: v6('::ffff:c633:644d'), // ::ffff:198.51.100.77
    };
    const keys = Object.keys(names) as Array<keyof typeof names>;
    const queries: DigQuery[] = keys.flatMap((k) => [
      { name: names[k], type: 'A' as const },
      { name: names[k], type: 'TXT' as const },
    ]);
    const r = await digBatch(rbl.port, queries);
    const got = Object.fromEntries(keys.map((k, i) => [k, { ...answerSet(r[2 * i]!, r[2 * i + 1]!), rcode: r[2 * i]!.rcode, soa: r[2 * i]!.authoritySoa }]));
    const nx = { listed: false, a: [], txt: [], rcode: 'NXDOMAIN', soa: true };
    expect(got).toEqual({
      listed: { listed: true, a: ['127.0.0.2'], txt: ['Listed 192.0.2.1 see https://bl.test/?ip=192.0.2.1 fee $5'], rcode: 'NOERROR', soa: false },
      custom: { listed: true, a: ['127.0.0.3'], txt: ['Custom 192.0.2.2'], rcode: 'NOERROR', soa: false },
      inRange: { listed: true, a: ['127.0.0.10'], txt: ['Whole /24'], rcode: 'NOERROR', soa: false },
      excluded: nx,
      unlisted: nx,
      partial: nx,
      v6range: { listed: true, a: ['127.0.0.20'], txt: ['Range 2001:db8:1:abcd::1'], rcode: 'NOERROR', soa: false },
      v6single: { listed: true, a: ['127.0.0.2'], txt: ['Listed6 2001:db8:2::5'], rcode: 'NOERROR', soa: false },
      v6unlisted: nx,
      mapped: { listed: true, a: ['127.0.0.2'], txt: ['Listed 192.0.2.1 see https://bl.test/?ip=192.0.2.1 fee $5'], rcode: 'NOERROR', soa: false },
      mappedExcluded: nx,
    });
    expect(r.every((x) => x.aa)).toBe(true);
    // $TTL applies per dataset.
    expect(r[0]!.answer[0]!.ttl).toBe(300);
    expect(r[2 * keys.indexOf('v6range')]!.answer[0]!.ttl).toBe(600);
    expect(rbl.warnings).toEqual([]);
  });

  it('answers SpamAssassin-style queries and thousands of queries fast', async () => {
    const queries: DigQuery[] = [];
    for (let i = 0; i < 3000; i++) queries.push({ name: v4(`198.51.${100 + (i % 2)}.${i % 256}`), type: i % 3 ? 'A' : 'TXT' });
    const t0 = performance.now();
    const r = await digBatch(rbl.port, queries, { client: 'spamassassin' });
    const secs = (performance.now() - t0) / 1000;
    console.log(`digBatch: ${queries.length} queries in ${secs.toFixed(2)} s = ${Math.round(queries.length / secs)} q/s`);
    r.forEach((x, i) => {
      const inside = queries[i]!.name.endsWith('.100.51.198.bl.test') && !queries[i]!.name.startsWith('77.');
      expect(x.rcode, x.name).toBe(inside ? 'NOERROR' : 'NXDOMAIN');
    });
    expect(r[0]!.flags).toContain('rd');
  });

  it('reloads on SIGHUP when the file changed', async () => {
    await writeFile(join(dir, 'bl.combined'), `${CLEAN.replace('$DATASET ip6trie', '203.0.113.9\n$DATASET ip6trie')}`);
    expect(await rbl.reload()).toBe(true);
    const [a] = await digBatch(rbl.port, [{ name: v4('203.0.113.9'), type: 'A' }]);
    expect(a!.answers).toEqual(['127.0.0.2']);
  });
});

describe('checkRbldnsdFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rbl-check-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports zero warnings and the entry count for a clean file', async () => {
    const file = join(dir, 'clean');
    await writeFile(file, CLEAN);
    expect(await checkRbldnsdFile(ZONE, 'combined', file)).toEqual({ warnings: [], entries: 6, passes: 1 });
  });

  it('reports every bad line, beyond rbldnsd\'s 5-warnings-per-load log cap', async () => {
    const file = join(dir, 'bad');
    const bad = [
      '10.4.0.1/24', // line 8: host bits set
      '192.0.2.1 :127.0.0.4:dup', // line 9: duplicate prefix
      '!192.0.2.1', // line 10: duplicate, even as an exclusion
      ...Array.from({ length: 9 }, (_, i) => `10.${10 + i}.0.1/16`), // lines 11-19: host bits
    ];
    // Lines 1-7 are HEAD (2), $DATASET, $TTL, default, 192.0.2.1, 192.0.2.2.
    await writeFile(file, `${CLEAN.replace('192.0.2.2 :127.0.0.3:Custom $\n', `192.0.2.2 :127.0.0.3:Custom $\n${bad.join('\n')}\n`)}`);
    const r = await checkRbldnsdFile(ZONE, 'combined', file);
    expect(r.warnings).toHaveLength(12);
    expect(r.warnings[0]).toBe(`${file}(8): invalid range (non-zero host part)`);
    expect(r.warnings[1]).toBe(`${file}(9): duplicated entry for 192.0.2.1/32`);
    expect(r.warnings[2]).toBe(`${file}(10): duplicated entry for 192.0.2.1/32`);
    expect(r.warnings.slice(3).map((w) => w.replace(/.*\((\d+)\).*/, '$1'))).toEqual(['11', '12', '13', '14', '15', '16', '17', '18', '19']);
    expect(r.entries).toBe(6);
    expect(r.passes).toBe(3);

    // The running daemon itself shows only the first 5, then a count.
    const rbl = await startRbldnsd({ zone: ZONE, files: [{ type: 'combined', path: file }] });
    try {
      expect(rbl.warnings.filter((w) => w.startsWith('file '))).toHaveLength(5);
      expect(rbl.warnings.some((w) => /7 more warnings suppressed/.test(w))).toBe(true);
    } finally {
      await rbl.stop();
    }
  });

  it('reports a file that cannot load at all, and rejects a missing one', async () => {
    const file = join(dir, 'fatal');
    await writeFile(file, `${HEAD}$DATASET nosuch:x @\n192.0.2.1\n`);
    const r = await checkRbldnsdFile(ZONE, 'combined', file);
    expect(r.entries).toBeUndefined();
    expect(r.warnings).toContain(`${file}(3): unknown dataset type \`nosuch'`);
    expect(r.warnings.join('\n')).toMatch(/zone loading errors, aborting/);
    await expect(checkRbldnsdFile(ZONE, 'ip4trie', join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
