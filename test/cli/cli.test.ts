// The dnsbl CLI against the real API stack (HTTP adapter + handler + DynamoDB Local): in-process
// for most commands (exit code, stdout, stderr captured), and as a real process through the
// package's bin shim.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { runCli } from '../../lambdas/cli/main.js';
import { ALICE, type ApiEnv, snapshot, startApiEnv } from '../api/support.js';

let env: ApiEnv;
let dir: string;
beforeAll(async () => {
  env = await startApiEnv();
  dir = await mkdtemp(join(tmpdir(), 'dnsbl-cli-'));
});
afterAll(async () => {
  await env?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
  requests: Array<{ method: string; url: string; headers: Record<string, string> }>;
}

async function dnsbl(args: string[], opts: { tty?: boolean; now?: () => Date } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const requests: Run['requests'] = [];
  const recordingFetch = (async (url: URL, init: RequestInit) => {
    requests.push({ method: String(init.method), url: String(url), headers: { ...(init.headers as Record<string, string>) } });
    return fetch(url, init);
  }) as unknown as typeof fetch;
  const code = await runCli(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: opts.tty ?? false, columns: 100 },
    env: { DNSBL_API: env.url },
    fetch: recordingFetch,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { code, out, err, requests };
}

describe('dnsbl commands', () => {
  it('lists', async () => {
    const r = await dnsbl(['lists']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('zone bl.test');
    expect(r.out).toMatch(/spam\s+127\.0\.0\.2\s+Listed in \{list\}/);
    const j = await dnsbl(['lists', '--json', '--api', env.url]);
    expect(JSON.parse(j.out).lists.map((l: { name: string }) => l.name)).toEqual(['spam', 'proxy', 'dul']);
  });

  it('list, lookup, exclude, delist and history', async () => {
    let r = await dnsbl(['list', 'spam', '192.0.2.1', '--reason', 'spam run', '--duration', '7d']);
    expect([r.code, r.out.trim()]).toEqual([0, 'created spam 192.0.2.1 (version 1)']);
    const stored = await env.table.get('spam', parseNetwork('192.0.2.1'));
    expect(stored).toMatchObject({ reason: 'spam run', source: ALICE, version: 1 });
    expect(stored!.expiresAt! - Date.now() / 1000).toBeGreaterThan(7 * 86400 - 60);
    // Each write carries an Idempotency-Key, so the client's retries are safe.
    expect(r.requests[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);

    r = await dnsbl(['list', 'spam', '198.51.100.0/24', '--reason', 'botnet', '--source', 'abuse-desk']);
    expect(r.out.trim()).toBe('created spam 198.51.100.0/24 (version 1)');
    r = await dnsbl(['exclude', 'spam', '198.51.100.5', '--reason', 'customer relay']);
    expect(r.out.trim()).toBe('created spam 198.51.100.5 (version 1)');

    env.dns.records.set('1.2.0.192.bl.test', { a: ['127.0.0.2'], txt: ['Listed in spam: spam run - see https://bl.test/lookup?ip=192.0.2.1'] });
    r = await dnsbl(['lookup', '192.0.2.1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('192.0.2.1: listed');
    expect(r.out).toMatch(/spam\s+127\.0\.0\.2\s+"Listed in spam: spam run/);
    expect(r.out).toMatch(/spam\s+192\.0\.2\.1\s+listing\s+since \S+\s+expires \S+Z\s+v1\s+source arn:aws:iam::123456789012:user\/alice\s+reason "spam run"/);
    expect(r.out).toContain('DNS 1.2.0.192.bl.test: A 127.0.0.2 TXT "Listed in spam: spam run - see https://bl.test/lookup?ip=192.0.2.1" (agrees with the table)');

    r = await dnsbl(['lookup', '198.51.100.5']);
    expect(r.out).toContain('198.51.100.5: not listed');
    expect(r.out).toMatch(/198\.51\.100\.5\s+exclusion/);
    expect(r.out).toContain('DNS 5.100.51.198.bl.test: NXDOMAIN (agrees with the table)');
    r = await dnsbl(['lookup', '198.51.100.5', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ listed: false, dns: { status: 'NXDOMAIN' } });

    r = await dnsbl(['exclude', 'spam', '198.51.100.5', '--reason', 'relay gone', '--remove']);
    expect(r.out.trim()).toBe('removed spam 198.51.100.5 (version 1)');
    r = await dnsbl(['lookup', '198.51.100.5']);
    expect(r.out).toContain('198.51.100.5: listed');

    r = await dnsbl(['delist', 'spam', '192.0.2.1', '--reason', 'fixed, ticket 7']);
    expect([r.code, r.out.trim()]).toEqual([0, 'delisted spam 192.0.2.1 (version 1)']);
    r = await dnsbl(['delist', 'spam', '192.0.2.1', '--reason', 'again']);
    expect([r.code, r.out.trim()]).toEqual([0, 'not-listed spam 192.0.2.1']);

    r = await dnsbl(['history', '::ffff:192.0.2.1']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/Z\s+list\s+spam\s+by arn:aws:iam::123456789012:user\/alice\s+reason "spam run"$/);
    expect(lines[1]).toMatch(/delist\s+spam\s+by \S+\s+reason "fixed, ticket 7"$/);
    r = await dnsbl(['history', '192.0.2.1', '--json']);
    expect(JSON.parse(r.out).events.map((e: { action: string }) => e.action)).toEqual(['list', 'delist']);

    r = await dnsbl(['browse', 'spam', '--source', 'abuse-desk']);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out).toContain('198.51.100.0/24');
  });

  it('refuses bad input locally (exit 2, nothing sent) and reports API refusals (exit 1)', async () => {
    const before = await snapshot(env.doc, env.names.listings);
    let r = await dnsbl(['list', 'spam', '192.0.2.300', '--reason', 'x']);
    expect([r.code, r.err.trim(), r.requests.length]).toEqual([2, 'dnsbl: "192.0.2.300" is not an IPv4 address (octet 300 is over 255)', 0]);
    r = await dnsbl(['list', 'spam', '192.0.2.9']);
    expect([r.code, r.err.trim()]).toEqual([2, 'dnsbl: list needs --reason "why"']);
    r = await dnsbl(['list', 'spam', '192.0.2.9', '--reason', 'x', '--duration', '7d', '--expires', '2030-01-01T00:00:00Z']);
    expect([r.code, r.err.trim()]).toEqual([2, 'dnsbl: give --expires or --duration, not both']);
    r = await dnsbl(['list', 'spam', '192.0.2.9', '--reason', 'line\nbreak']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('reason contains a control character (U+000A) at position 5');
    r = await dnsbl(['lookup', '192.0.2.1', '--reason', 'x']);
    expect([r.code, r.err.trim()]).toEqual([2, 'dnsbl: --reason is not an option of lookup; usage: dnsbl lookup <address or network>']);
    r = await dnsbl(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
    r = await dnsbl(['list', 'spam']);
    expect(r.code).toBe(2);
    r = await dnsbl(['--bogus']);
    expect(r.code).toBe(2);
    r = await dnsbl(['lists', '--api', 'ftp://x']);
    expect(r.code).toBe(2);
    expect(r.requests).toHaveLength(0);
    // A list the API does not know: its 400 comes back as exit 1 with the API's message.
    r = await dnsbl(['list', 'nolist', '192.0.2.9', '--reason', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('dnsbl: the API refused: 400 unknown-list: items[0].list "nolist" is not a configured list; configured lists: spam, proxy, dul');
    r = await dnsbl(['list', 'spam', '192.0.2.9', '--reason', 'x', '--if-version', '5']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('409 version-mismatch');
    expect(await snapshot(env.doc, env.names.listings)).toEqual(before);
  });

  it('--help works for the CLI and each command', async () => {
    let r = await dnsbl(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: dnsbl <command> [options]');
    r = await dnsbl(['import', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: dnsbl import <file> --list LIST');
  });
});

describe('dnsbl import', () => {
  const FILE = [
    '# weekly feed', //                                 1
    'network,reason,expires', //                        2 header
    '192.0.2.101', //                                   3 ok (default reason, --duration)
    '192.0.2.102   # seen in traps', //                 4 ok
    '198.51.100.0/24,"botnet C&C, confirmed",30d', //   5 ok; already listed in the test above -> updated
    '2001:db8:1::/48,"v6 range"', //                   6 ok
    '192.0.2.300', //                                   7 bad address
    '192.0.2.104/24', //                                8 host bits
    '', //                                              9
    '::ffff:192.0.2.101', //                           10 duplicate of line 3
    '203.0.113.50,too late,2001-01-01T00:00:00Z', //   11 expiry in the past
    '127.0.0.9', //                                    12 reserved
    '203.0.113.51,"quoted ""reason"""', //              13 ok
    '203.0.113.52,caf\u00e9', //                       14 non-ASCII
    '203.0.113.53', //                                 15 ok
    '2001:db8::1%eth0', //                             16 zone id
  ].join('\n');

  it('sends valid lines in batches with an idempotency key each, and summarises with line numbers', async () => {
    const path = join(dir, 'feed.csv');
    await writeFile(path, FILE);
    await dnsbl(['list', 'spam', '203.0.113.53', '--reason', 'imported from feed.csv', '--source', 'import:feed.csv']);
    const r = await dnsbl(['import', path, '--list', 'spam', '--duration', '14d', '--batch-size', '3']);
    expect(r.code, r.err).toBe(1); // some lines were rejected
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(`${path} -> spam: 16 lines, 3 comments/blank/header`);
    // 203.0.113.53 was listed permanently before; the import gives it a 14-day expiry: updated.
    expect(lines[1]).toBe('added 4, updated 2, unchanged 0, rejected 7');
    expect(lines.slice(2)).toEqual([
      '  line 7: "192.0.2.300" is not an IPv4 address (octet 300 is over 255)',
      '  line 8: "192.0.2.104/24" has host bits set; did you mean 192.0.2.0/24?',
      '  line 10: 192.0.2.101 is already on line 3',
      expect.stringMatching(/^ {2}line 11: expires 2001-01-01T00:00:00.000Z is not in the future/),
      '  line 12: 127.0.0.9 overlaps 127.0.0.0/8, which is reserved for the RFC 5782 test points',
      '  line 14: reason contains the non-ASCII character "é" at position 4; only printable ASCII is allowed in DNS TXT records',
      '  line 16: "2001:db8::1%eth0" has a zone id (%…); zone ids are not allowed',
    ]);
    // 6 good lines in batches of 3: 2 POSTs, each with its own key; the progress went to stderr.
    const posts = r.requests.filter((q) => q.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((p) => p.headers['idempotency-key'])).size).toBe(2);
    expect(r.err).toContain('import feed.csv: 0/6 (0%)');
    expect(r.err).toContain('import feed.csv: 3/6 (50%)');
    expect(r.err).toContain('import feed.csv: 6/6 (100%)');
    const l5 = await env.table.get('spam', parseNetwork('198.51.100.0/24'));
    expect(l5).toMatchObject({ reason: 'botnet C&C, confirmed', source: 'import:feed.csv' });
    expect(await env.table.get('spam', parseNetwork('203.0.113.51'))).toMatchObject({ reason: 'quoted "reason"' });
    expect((await env.table.get('spam', parseNetwork('192.0.2.101')))?.reason).toBe('imported from feed.csv');

    // The same file again with --json: nothing new.
    const again = await dnsbl(['import', path, '--list', 'spam', '--json', '--batch-size', '1000'], { tty: true });
    const s = JSON.parse(again.out);
    // Without --duration the five plain lines become permanent: updated. Line 5's "30d" counts from
    // now: renewed, or unchanged if both runs fell in the same second.
    expect([s.added, s.rejectedCount]).toEqual([0, 7]);
    expect(s.updated + s.unchanged).toBe(6);
    expect(s.updated).toBeGreaterThanOrEqual(5);
    expect(s.rejected.map((x: { line: number }) => x.line)).toEqual([7, 8, 10, 11, 12, 14, 16]);
    expect(again.err).toMatch(/\rimport feed\.csv \[#+\] 100% 6\/6/);
    const third = await dnsbl(['import', path, '--list', 'spam', '--json']);
    const t = JSON.parse(third.out);
    expect([t.added, t.updated + t.unchanged]).toEqual([0, 6]);
    expect(t.unchanged).toBeGreaterThanOrEqual(5);
  });

  it('lines the API refuses after all (a clock that differs) are rejected and the rest still sent', async () => {
    const path = join(dir, 'late.csv');
    const soon = new Date(Date.now() - 30 * 60_000).toISOString();
    await writeFile(path, `203.0.113.60\n203.0.113.61,x,${soon}\n203.0.113.62\n`);
    // The CLI's clock is an hour behind: line 2's expiry looks fine locally, the API refuses it.
    const r = await dnsbl(['import', path, '--list', 'dul'], { now: () => new Date(Date.now() - 3600_000) });
    expect(r.code).toBe(1);
    expect(r.out).toContain('added 2, updated 0, unchanged 0, rejected 1');
    expect(r.out).toMatch(/line 2: refused by the API: items\[1\]\.expiresAt \S+ is not in the future/);
    expect(await env.table.get('dul', parseNetwork('203.0.113.62'))).toBeDefined();
  });

  it('a file with only good lines exits 0; an unknown list is an error', async () => {
    const path = join(dir, 'good.txt');
    await writeFile(path, '# ok\n192.0.2.180\n192.0.2.181\n');
    const r = await dnsbl(['import', path, '--list', 'proxy', '--reason', 'open proxy']);
    expect([r.code, r.out.trim().split('\n')[1]]).toEqual([0, 'added 2, updated 0, unchanged 0, rejected 0']);
    const bad = await dnsbl(['import', path, '--list', 'nolist']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('"nolist" is not a configured list');
    const missing = await dnsbl(['import', join(dir, 'nope.txt'), '--list', 'proxy']);
    expect(missing.code).toBe(2);
  });
});

describe('dnsbl export', () => {
  it('renders the rbldnsd file locally from a GET /v1/listings walk', async () => {
    await dnsbl(['exclude', 'spam', '198.51.100.9', '--reason', 'hole']);
    const out = join(dir, 'zone.rbldnsd');
    const r = await dnsbl(['export', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^wrote .*zone\.rbldnsd: \d+ entries \(spam \d+, proxy \d+, dul \d+\), 0 expired skipped; rendered locally from GET \/v1\/listings/);
    const text = await readFile(out, 'utf8');
    expect(text).toContain('$DATASET ip4trie:spam-v4 @');
    expect(text).toContain('198.51.100.0/24 :127.0.0.2:Listed in spam: botnet C&C, confirmed - see https://bl.test/lookup?ip=198.51.100.0/24');
    expect(text).toContain('!198.51.100.9');
    expect(text).toContain('2001:db8:1::/48 :127.0.0.2:');
    expect(text).toContain('192.0.2.180 :127.0.0.3:open proxy');
    let stored = 0;
    for await (const _ of env.table.scanAll()) stored++;
    expect(r.out).toContain(`: ${stored} entries (`);
    // Every stored entry is one line of the file (test points aside).
    const entryLines = text.split('\n').filter((l) => /^!?[0-9a-f:.]+(\/\d+)?( |$)/.test(l) && !l.startsWith('127.0.0.2 '));
    expect(entryLines).toHaveLength(stored);
  });
});

describe('the bin shim', () => {
  const run = promisify(execFile);
  it('runs the TypeScript entry: --help, a lookup over HTTP, and usage errors', async () => {
    const help = await run(process.execPath, ['bin/dnsbl.mjs', '--help'], { cwd: process.cwd() });
    expect(help.stdout).toContain('usage: dnsbl <command>');
    const lookup = await run(process.execPath, ['bin/dnsbl.mjs', '--api', env.url, 'lookup', '198.51.100.0/24', '--json'], { cwd: process.cwd() });
    expect(JSON.parse(lookup.stdout)).toMatchObject({ kind: 'network', network: '198.51.100.0/24' });
    const bad = await run(process.execPath, ['bin/dnsbl.mjs', 'lookup'], { cwd: process.cwd() }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toContain('missing arguments; usage: dnsbl lookup <address or network>');
  });
});
