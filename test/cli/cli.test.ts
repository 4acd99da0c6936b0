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

async function dnsbl(
  args: string[],
  opts: { tty?: boolean; now?: () => Date; signal?: AbortSignal; fetch?: (url: URL, init: RequestInit) => Promise<Response> } = {},
): Promise<Run> {
  let out = '';
  let err = '';
  const requests: Run['requests'] = [];
  const recordingFetch = (async (url: URL, init: RequestInit) => {
    requests.push({ method: String(init.method), url: String(url), headers: { ...(init.headers as Record<string, string>) } });
    return (opts.fetch ?? fetch)(url, init);
  }) as unknown as typeof fetch;
  const code = await runCli(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: opts.tty ?? false, columns: 100 },
    env: { DNSBL_API: env.url },
    fetch: recordingFetch,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
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
    expect([r.code, r.out.trim()]).toEqual([0, 'created listing spam 192.0.2.1 (version 1)']);
    const stored = await env.table.get('spam', parseNetwork('192.0.2.1'));
    expect(stored).toMatchObject({ reason: 'spam run', source: ALICE, version: 1 });
    expect(stored!.expiresAt! - Date.now() / 1000).toBeGreaterThan(7 * 86400 - 60);
    // Each write carries an Idempotency-Key, so the client's retries are safe.
    expect(r.requests[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);

    r = await dnsbl(['list', 'spam', '198.51.100.0/24', '--reason', 'botnet', '--source', 'abuse-desk']);
    expect(r.out.trim()).toBe('created listing spam 198.51.100.0/24 (version 1)');
    r = await dnsbl(['exclude', 'spam', '198.51.100.5', '--reason', 'customer relay']);
    expect(r.out.trim()).toBe('created exclusion spam 198.51.100.5 (version 1)');

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
    expect(r.out.trim()).toBe('removed exclusion spam 198.51.100.5 (version 1)');
    r = await dnsbl(['lookup', '198.51.100.5']);
    expect(r.out).toContain('198.51.100.5: listed');

    r = await dnsbl(['delist', 'spam', '192.0.2.1', '--reason', 'fixed, ticket 7']);
    expect([r.code, r.out.trim()]).toEqual([0, 'delisted spam 192.0.2.1 (version 1)']);
    r = await dnsbl(['delist', 'spam', '192.0.2.1', '--reason', 'again']);
    expect([r.code, r.out.trim()]).toEqual([4, 'not-listed spam 192.0.2.1']);

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
    expect(r.err).toContain('dnsbl: the API refused: 409 version-mismatch: items[0]: 192.0.2.9 in list spam does not exist (version 0), not ifVersion 5');
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

describe('issue 11: what the CLI says and its exit codes', () => {
  it('delisting or un-excluding what does not exist exits 4, saying nothing was changed', async () => {
    let r = await dnsbl(['delist', 'spam', '192.0.2.240', '--reason', 'typo?']);
    expect([r.code, r.out.trim(), r.err.trim()]).toEqual([4, 'not-listed spam 192.0.2.240', 'dnsbl: spam has no listing of 192.0.2.240; nothing was changed (exit 4)']);
    r = await dnsbl(['exclude', 'spam', '192.0.2.240', '--reason', 'typo?', '--remove']);
    expect([r.code, r.out.trim()]).toEqual([4, 'not-excluded spam 192.0.2.240']);
    expect(r.err).toContain('spam has no exclusion of 192.0.2.240');
    r = await dnsbl(['delist', 'spam', '192.0.2.240', '--reason', 'typo?', '--json']);
    expect([r.code, JSON.parse(r.out).items[0].status]).toEqual([4, 'not-listed']);
  });

  it('exclude says it made an exclusion, and refuses to replace a listing of the same network (exit 1)', async () => {
    let r = await dnsbl(['list', 'spam', '192.0.2.25', '--reason', 'spam run']);
    expect(r.out.trim()).toBe('created listing spam 192.0.2.25 (version 1)');
    r = await dnsbl(['exclude', 'spam', '192.0.2.25', '--reason', "customer's mail server"]);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err.trim()).toBe(
      'dnsbl: the API refused: 409 exists-as-listing: items[0]: 192.0.2.25 is itself listed in list spam (version 1, reason "spam run"); an exclusion would replace that listing. ' +
        'To stop listing it, delist it (POST /v1/delistings, or dnsbl delist); an exclusion is a hole inside a wider listing: to exclude this network anyway, delist it first',
    );
    r = await dnsbl(['exclude', 'spam', '192.0.2.25', '--reason', 'undo', '--remove']);
    expect(r.code).toBe(4);
    expect(await env.table.get('spam', parseNetwork('192.0.2.25'))).toMatchObject({ exclusion: false, reason: 'spam run' });
    r = await dnsbl(['exclude', 'spam', '192.0.2.26', '--reason', 'relay']);
    expect([r.code, r.out.trim()]).toEqual([0, 'created exclusion spam 192.0.2.26 (version 1)']);
  });

  it('delist 0.0.0.0/0 says "wider than /8"; special-purpose space needs --allow-reserved (exit 2, nothing sent)', async () => {
    let r = await dnsbl(['delist', 'spam', '0.0.0.0/0', '--reason', 'x']);
    expect([r.code, r.err.trim(), r.requests.length]).toEqual([
      2,
      'dnsbl: 0.0.0.0/0 is wider than /8 and contains 127.0.0.0/8, which is reserved for the RFC 5782 test points; it can never be listed',
      0,
    ]);
    const cases: Array<[string, string]> = [
      ['::1', '::1 is the loopback address (RFC 4291)'],
      ['::', ':: is the unspecified address (RFC 4291)'],
      ['0.0.0.0', '0.0.0.0 is the unspecified address, "this host on this network" (RFC 1122)'],
      ['10.0.0.0/8', '10.0.0.0/8 is private-use space (RFC 1918)'],
      ['224.0.0.1', '224.0.0.1 is in 224.0.0.0/4, multicast space (RFC 5771)'],
    ];
    for (const [net, what] of cases) {
      r = await dnsbl(['list', 'spam', net, '--reason', 'x']);
      expect([r.code, r.err.trim(), r.requests.length]).toEqual([2, `dnsbl: ${what}; pass --allow-reserved to list it anyway`, 0]);
    }
    r = await dnsbl(['list', 'spam', '10.0.0.0/8', '--reason', 'lab network', '--allow-reserved']);
    expect([r.code, r.out.trim()]).toEqual([0, 'created listing spam 10.0.0.0/8 (version 1)']);
    // Exclusions only make the list answer less: no flag needed.
    r = await dnsbl(['exclude', 'spam', '10.1.2.3', '--reason', 'our relay']);
    expect([r.code, r.out.trim()]).toEqual([0, 'created exclusion spam 10.1.2.3 (version 1)']);
    r = await dnsbl(['delist', 'spam', '10.0.0.0/8', '--reason', 'done']);
    expect(r.code).toBe(0);
  });

  it('an unreachable API is exit 3, a failing one (5xx) too; a refusal stays exit 1', async () => {
    let r = await dnsbl(['lists', '--api', 'http://127.0.0.1:9']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^dnsbl: cannot reach the API at http:\/\/127\.0\.0\.1:9/);
    r = await dnsbl(['lists'], { fetch: async () => new Response('{"error":{"code":"internal","message":"internal error"}}', { status: 503 }) });
    expect([r.code, r.err.trim()]).toEqual([3, 'dnsbl: the API failed: 503 internal: internal error']);
    r = await dnsbl(['list', 'nolist', '192.0.2.9', '--reason', 'x']);
    expect(r.code).toBe(1);
  });

  it('--help lists the exit codes', async () => {
    const r = await dnsbl(['--help']);
    expect(r.out).toContain('exit codes:\n  0  done\n  1  the API refused');
    expect(r.out).toContain('  3  the API could not be reached or failed (5xx), or interrupted; an import says how to resume');
    expect(r.out).toContain('  4  nothing to remove');
  });
});

describe('dnsbl import, interrupted', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `203.0.113.${200 + i}`);

  it('the API going away mid-import: exit 3, what was applied, and the command that resumes it', async () => {
    const path = join(dir, 'crash.txt');
    await writeFile(path, `# header comment\n${lines.join('\n')}\n`);
    const doomed = await env.withDeps({});
    let posts = 0;
    // The first batch is answered; then the API is gone (connections refused).
    const r = await dnsbl(['import', path, '--list', 'dul', '--batch-size', '3', '--api', doomed.url], {
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if (init.method === 'POST' && ++posts === 1) await doomed.close();
        return res;
      },
    });
    expect(r.code, r.err).toBe(3);
    expect(r.out.trim().split('\n')[1]).toBe('added 3, updated 0, unchanged 0, rejected 0 (stopped at line 5)');
    const errLines = r.err.trim().split('\n').filter((l) => l.startsWith('dnsbl:'));
    expect(errLines[0]).toMatch(/^dnsbl: import stopped at line 5: cannot reach the API at http:\/\/127\.0\.0\.1:\d+/);
    expect(errLines[1]).toBe('dnsbl: lines 1-4 are done (3 entries applied, 0 rejected); 7 entries from line 5 on were not confirmed (sending them again is safe)');
    expect(errLines[2]).toBe(`dnsbl: resume with: dnsbl import ${path} --list dul --batch-size 3 --api ${doomed.url} --from-line 5`);
    expect(await env.table.get('dul', parseNetwork('203.0.113.202'))).toBeDefined();
    expect(await env.table.get('dul', parseNetwork('203.0.113.203'))).toBeUndefined();

    // Resume (the API is back at its usual address): the rest, and nothing twice.
    const resumed = await dnsbl(['import', path, '--list', 'dul', '--batch-size', '3', '--from-line', '5']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out.trim().split('\n')).toEqual([`${path} -> dul: 11 lines, 1 comments/blank/header, lines before 5 skipped (--from-line)`, 'added 7, updated 0, unchanged 0, rejected 0']);
    for (const l of lines) expect(await env.table.get('dul', parseNetwork(l)), l).toBeDefined();
    const bad = await dnsbl(['import', path, '--list', 'dul', '--from-line', '99']);
    expect([bad.code, bad.err.trim()]).toEqual([2, `dnsbl: --from-line 99 is past the end of ${path} (11 lines)`]);
  });

  it('Ctrl-C (the signal bin/dnsbl.ts aborts): stops, exit 3, says where to resume; --json has it too', async () => {
    const path = join(dir, 'sigint.txt');
    await writeFile(path, lines.map((l) => l.replace('203.0.113.2', '203.0.113.1')).join('\n'));
    const ctrlC = new AbortController();
    let posts = 0;
    const r = await dnsbl(['import', path, '--list', 'proxy', '--batch-size', '4', '--json'], {
      signal: ctrlC.signal,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if (init.method === 'POST' && ++posts === 1) ctrlC.abort(new Error('SIGINT'));
        return res;
      },
    });
    expect(r.code).toBe(3);
    const s = JSON.parse(r.out);
    expect([s.added, s.stopped.atLine, s.stopped.error, s.stopped.applied, s.stopped.notSent]).toEqual([4, 5, 'interrupted by SIGINT', 4, 6]);
    expect(s.stopped.resume).toBe(`dnsbl import ${path} --list proxy --batch-size 4 --json --from-line 5`);
    expect(posts).toBe(1);
  });

  it('lines in special-purpose space are rejected unless --allow-reserved; a line the API finds in conflict is rejected, the rest applied', async () => {
    await dnsbl(['exclude', 'spam', '203.0.113.231', '--reason', 'customer relay']);
    const path = join(dir, 'mixed.txt');
    await writeFile(path, '203.0.113.230\n10.20.30.40\n203.0.113.231\nff02::1\n203.0.113.232\n');
    const r = await dnsbl(['import', path, '--list', 'spam']);
    expect(r.code).toBe(1);
    const out = r.out.trim().split('\n');
    expect(out[1]).toBe('added 2, updated 0, unchanged 0, rejected 3');
    expect(out.slice(2)).toEqual([
      '  line 2: 10.20.30.40 is in 10.0.0.0/8, private-use space (RFC 1918); pass --allow-reserved to list it anyway',
      expect.stringMatching(/^ {2}line 3: refused by the API: items\[1\]: 203\.0\.113\.231 is an exclusion in list spam \(version 1, reason "customer relay"\); listing it would replace that exclusion/),
      '  line 4: ff02::1 is in ff00::/8, multicast space (RFC 4291); pass --allow-reserved to list it anyway',
    ]);
    expect(await env.table.get('spam', parseNetwork('203.0.113.231'))).toMatchObject({ exclusion: true });
    const forced = await dnsbl(['import', path, '--list', 'spam', '--allow-reserved']);
    expect(forced.out.trim().split('\n')[1]).toBe('added 2, updated 0, unchanged 2, rejected 1');
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
