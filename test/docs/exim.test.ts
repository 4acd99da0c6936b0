// docs/mail-servers.md's Exim snippet, read from the document, run by Debian's own exim4
// (exim4-daemon-light 4.96). exim4 and postfix exclude each other in Debian (both provide
// mail-transport-agent), so .ci/run unpacks the package with `dpkg -x` instead of installing it.
// Each test writes a minimal Exim configuration around the snippet (`-C`, an alternate file):
//   - `exim4 -bV` must accept it, and refuse a broken copy naming the line;
//   - `exim4 -bh IP` (a host-checking SMTP session: the ACLs run for real, nothing is delivered)
//     must accept an allow-listed client before any DNSBL lookup, and refuse a listed one with the
//     zone's TXT in the reply.
// Exim has no option for the DNS server or port: its lookups are libc's res_search, and its dns_*
// options only tune that resolver (retrans, retry, EDNS0, DNSSEC: Exim source src/src/dns.c,
// dns_init and dns_basic_lookup; its fake resolver exists only in Exim's own test harness). libc
// asks /etc/resolv.conf's servers on port 53 only (resolv.conf(5) has no port). So the zone this product planned is
// served by a real BIND on 127.0.0.1:53 of a private network namespace whose own /etc/resolv.conf
// names it (test/support/dns/bind-as-system-resolver.ts), and exim runs inside that namespace.
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { zoneFile } from '../../lambdas/core/zone-file.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { findTool } from '../support/dns/index.js';
import { startBindAsSystemResolver, type SystemResolverBind } from '../support/dns/bind-as-system-resolver.js';
import { testZone } from '../support/zones.js';
import { snippet } from './doc-snippets.js';

/** Where .ci/run unpacks Debian's exim4-daemon-light; EXIM4 overrides, an installed exim4 also does. */
const EXIM_UNPACKED = '/opt/exim-unpacked/usr/sbin/exim4';
function exim4(): string {
  for (const candidate of [process.env.EXIM4, EXIM_UNPACKED]) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  const installed = findTool('exim4');
  if (installed) return installed;
  throw new Error(
    `Debian's exim4 binary is missing (looked at $EXIM4, ${EXIM_UNPACKED}, PATH). It is unpacked, not installed ` +
      '(it would replace postfix); .ci/run does this, or as root: cd "$(mktemp -d)" && apt-get download exim4-daemon-light && ' +
      'mkdir -p /opt/exim-unpacked && dpkg -x exim4-daemon-light_*.deb /opt/exim-unpacked && ' +
      'useradd --system --user-group --home-dir /var/spool/exim4 --no-create-home --shell /usr/sbin/nologin Debian-exim',
  );
}

// The document's zone and lists (bl.example.org: spam answers 127.0.0.2, proxy 127.0.0.3), plus a
// third list with another code: the snippet must act on the document's two codes only.
const cfg: ZoneConfig = testZone(
  [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: 'Open proxy {ip}: {reason}' },
    { name: 'other', code: '127.0.0.9', txtTemplate: 'Other: {reason}' },
  ],
  { zone: 'bl.example.org', hostmaster: 'hostmaster@example.net' },
);
const listing = (list: string, network: string, reason: string): Listing => ({
  list, network: parseNetwork(network), reason, source: 'test', createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z', exclusion: false,
});
const LISTINGS = [
  listing('spam', '192.0.2.0/24', 'relayed spam'), // holds the allow-listed 192.0.2.25
  listing('proxy', '203.0.113.9', 'open SOCKS proxy'),
  listing('spam', '2001:db8::/48', 'relayed spam v6'), // holds the allow-listed 2001:db8::/64
  listing('other', '198.51.100.7', 'something else'),
];

/**
 * The path the snippet names for the allow-list; the test's copy lives in its temp dir. An IPv6 key
 * of an iplsearch file must be quoted, or its first colon ends the key (Exim spec, "File and
 * database lookups": https://www.exim.org/exim-html-current/doc/html/spec_html/ch-file_and_database_lookups.html).
 */
const ALLOW_PATH = '/etc/exim4/dnsbl-allow';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'exim-'));
  chmodSync(tmp, 0o755); // exim gives up root for its exim user, which must reach the files (mkdtemp makes 0700)
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * A minimal Exim configuration: the snippet in the RCPT ACL after the relay check (as the
 * document says), the allow file in the test's dir. Returns the configuration's path.
 */
function eximConf(opts: { acl?: string; allow?: string } = {}): string {
  const dir = mkdtempSync(join(tmp, 'conf-'));
  chmodSync(dir, 0o755);
  const acl = opts.acl ?? snippet('exim/acl_check_rcpt');
  expect(acl.split(ALLOW_PATH).length - 1).toBe(1); // the one path the test replaces
  const allow = join(dir, 'dnsbl-allow');
  writeFileSync(allow, opts.allow ?? snippet('exim/dnsbl-allow'));
  const conf = join(dir, 'exim.conf');
  writeFileSync(
    conf,
    `primary_hostname = mx.receiver.example
domainlist local_domains = receiver.example
acl_smtp_rcpt = acl_check_rcpt
keep_environment =
log_file_path = ${dir}/%slog
spool_directory = ${dir}/spool

begin acl

acl_check_rcpt:
  require message = relay not permitted
          domains = +local_domains
${acl.replace(ALLOW_PATH, allow)}  accept
`,
  );
  return conf;
}

const run = (args: string[], input?: string) => runIn(undefined, args, input);
function runIn(ns: SystemResolverBind | undefined, args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  if (ns) return ns.exec(exim4(), args, input);
  return new Promise((resolve) => {
    const child = execFile(exim4(), args, { maxBuffer: 16 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0 });
    });
    child.stdin!.end(input ?? '');
  });
}

interface Session {
  /** The SMTP reply to RCPT TO, continuation lines joined ("550-a" + "550 b" -> "550 a b"). */
  rcpt: string;
  /** Exim's -bh trace (the ACL steps, ">>> " lines). */
  trace: string;
}

/** An SMTP session as if from `ip` to a local recipient, run by `exim4 -bh` (nothing delivered). */
async function session(ns: SystemResolverBind | undefined, conf: string, ip: string, rcpt = 'user@receiver.example'): Promise<Session> {
  const smtp = ['EHLO client.example', 'MAIL FROM:<sender@sender.example>', `RCPT TO:<${rcpt}>`, 'QUIT', ''].join('\r\n');
  const r = await runIn(ns, ['-C', conf, '-bh', ip], smtp);
  if (r.code !== 0) throw new Error(`exim4 -bh ${ip} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  // Replies in order: 220 greeting, EHLO (multi-line 250), MAIL, RCPT, QUIT.
  const replies: string[] = [];
  let current: string[] = [];
  for (const line of r.stdout.split(/\r?\n/)) {
    const m = /^(\d{3})([- ])(.*)$/.exec(line);
    if (!m) continue;
    current.push(m[3]!);
    if (m[2] === ' ') {
      replies.push(`${m[1]} ${current.join(' ')}`);
      current = [];
    }
  }
  const rcptReply = replies[3];
  if (rcptReply === undefined) throw new Error(`exim4 -bh ${ip}: no reply to RCPT TO in:\n${r.stdout}`);
  return { rcpt: rcptReply, trace: r.stderr };
}

describe('Exim: the configuration', () => {
  it('exim4 -bV accepts the snippet', async () => {
    const conf = eximConf();
    const r = await run(['-C', conf, '-bV']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Exim version 4\.\d+/);
    expect(r.stdout).toContain(`Configuration file is ${conf}`);
  });

  it('the check is real: exim4 -bV refuses a broken copy and names the line', async () => {
    const broken = snippet('exim/acl_check_rcpt').replace('dnslists =', 'dnslist =');
    const r = await run(['-C', eximConf({ acl: broken }), '-bV']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/configuration error in line \d+ of .*exim\.conf:\s+error in ACL: unknown ACL condition\/modifier in "deny\s+dnslist = bl\.example\.org/);
  });

  it('the snippet asks the document zone for the document codes only', () => {
    // The exact dnslists condition: the zone and its two codes (spam 127.0.0.2, proxy 127.0.0.3).
    expect(snippet('exim/acl_check_rcpt')).toMatch(/^\s*deny\s+dnslists = bl\.example\.org=127\.0\.0\.2,127\.0\.0\.3$/m);
  });
});

describe('Exim: SMTP sessions (exim4 -bh) against the zone served by BIND', () => {
  let dns: SystemResolverBind;
  let conf: string;
  beforeAll(async () => {
    exim4(); // a missing exim fails here, with how to get it, before BIND is started
    dns = await startBindAsSystemResolver({ zone: cfg.zone, zoneFileText: zoneFile(cfg, 1, planZone(cfg, effectiveListings(cfg, LISTINGS, 0))) });
    conf = eximConf();
  }, 60_000);
  afterAll(async () => {
    await dns?.stop();
  });

  it('refuses a client inside a listed range, with the list TXT in the reply', async () => {
    const s = await session(dns, conf, '192.0.2.77');
    expect(s.trace).toContain('DNS lookup for 77.2.0.192.bl.example.org succeeded (yielding 127.0.0.2)');
    expect(s.rcpt).toBe('550 5.7.1 Service unavailable; client [192.0.2.77] blocked using bl.example.org; Listed in spam: relayed spam');
  });

  it('refuses a listed open proxy (the other code) with its own TXT', async () => {
    const s = await session(dns, conf, '203.0.113.9');
    expect(s.trace).toContain('(yielding 127.0.0.3)');
    expect(s.rcpt).toBe('550 5.7.1 Service unavailable; client [203.0.113.9] blocked using bl.example.org; Open proxy 203.0.113.9: open SOCKS proxy');
  });

  it('refuses a listed IPv6 client (its 32 nibbles under the zone)', async () => {
    const s = await session(dns, conf, '2001:db8:0:1::25');
    expect(s.trace).toContain('DNS lookup for 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example.org succeeded (yielding 127.0.0.2)');
    // Exim writes $sender_host_address of an IPv6 client in full.
    expect(s.rcpt).toBe('550 5.7.1 Service unavailable; client [2001:0db8:0000:0001:0000:0000:0000:0025] blocked using bl.example.org; Listed in spam: relayed spam v6');
  });

  it('refuses the always-listed test point and accepts the never-listed one', async () => {
    expect((await session(dns, conf, '127.0.0.2')).rcpt).toMatch(/^550 5\.7\.1 .* blocked using bl\.example\.org/);
    const never = await session(dns, conf, '127.0.0.1');
    expect(never.trace).toContain('127.0.0.1 is not listed at bl.example.org');
    expect(never.rcpt).toBe('250 Accepted');
  });

  it('accepts an unlisted client after asking the zone', async () => {
    const s = await session(dns, conf, '203.0.113.10');
    expect(s.trace).toContain('DNS lookup for 10.113.0.203.bl.example.org failed');
    expect(s.rcpt).toBe('250 Accepted');
  });

  it('accepts a client the zone answers with a code outside the snippet', async () => {
    const s = await session(dns, conf, '198.51.100.7');
    expect(s.trace).toMatch(/7\.100\.51\.198\.bl\.example\.org succeeded \(yielding 127\.0\.0\.9\)/);
    expect(s.rcpt).toBe('250 Accepted');
  });

  it('accepts allow-listed clients (IPv4 and IPv6) inside listed ranges before any DNSBL lookup', async () => {
    for (const ip of ['192.0.2.25', '2001:db8::7']) {
      const s = await session(dns, conf, ip);
      expect(s.trace).toMatch(/host in "net-iplsearch;[^"]*dnsbl-allow"\? yes/);
      expect(s.trace).not.toContain('dnslists check');
      expect(s.rcpt).toBe('250 Accepted');
    }
  });

  it('an IPv6 network in the allow file must be quoted, as the document says', async () => {
    const unquoted = eximConf({ allow: snippet('exim/dnsbl-allow').replace(/"/g, '') });
    const s = await session(dns, unquoted, '2001:db8::7');
    expect(s.trace).toMatch(/host in "net-iplsearch;[^"]*dnsbl-allow"\? no/);
    expect(s.rcpt).toMatch(/^550 5\.7\.1 .* blocked using bl\.example\.org/);
  });

  it('an allow-listed client still cannot relay: the snippet sits after the relay check', async () => {
    const s = await session(dns, conf, '192.0.2.25', 'someone@elsewhere.example');
    expect(s.rcpt).toBe('550 relay not permitted');
  });
});
