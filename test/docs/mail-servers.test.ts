// docs/mail-servers.md's snippets, read from the document itself, run through the real programs
// Debian ships: Postfix's postconf/postmap parse them (any warning fails), rspamd's configtest and
// configdump merge them, and SpamAssassin scores messages with them against a real BIND serving a
// zone this product planned (its `dns_server` option takes an address:port, so the test needs no
// system resolver). The Exim snippets are run by test/docs/exim.test.ts.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import type { Listing, ZoneConfig } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { zoneFile } from '../../lambdas/core/zone-file.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { type BindServer, requireTool, startBind } from '../support/dns/index.js';
import { testZone } from '../support/zones.js';
import { SNIPPETS, snippet } from './doc-snippets.js';

const run = promisify(execFile);

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** stdout, stderr and exit code of a program (a non-zero exit is a result here, not an error). */
async function exec(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = run(cmd, args, { maxBuffer: 16 << 20, timeout: 60_000 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    const r = await child;
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: typeof err.code === 'number' ? err.code : -1 };
  }
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mail-servers-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('the document', () => {
  it('has every snippet the tests run', () => {
    expect([...SNIPPETS.keys()].sort()).toEqual(
      ['exim/acl_check_rcpt', 'exim/dnsbl-allow', 'postfix/dnsbl_allow.cidr', 'postfix/main.cf', 'postfix/rbl_reply', 'rspamd/local.d/multimap.conf', 'rspamd/local.d/rbl.conf', 'spamassassin/local.cf'].sort(),
    );
  });
});

describe('Postfix', () => {
  const postconf = () => requireTool('postconf');
  const postmap = () => requireTool('postmap');
  function configDir(mainCf: string): string {
    const dir = mkdtempSync(join(tmp, 'postfix-'));
    writeFiles(dir, { 'main.cf': mainCf, 'master.cf': '', rbl_reply: snippet('postfix/rbl_reply'), 'dnsbl_allow.cidr': snippet('postfix/dnsbl_allow.cidr') });
    return dir;
  }

  it('postconf reads main.cf without a warning, the allow-list checked before the RBL', async () => {
    const dir = configDir(snippet('postfix/main.cf'));
    const r = await exec(postconf(), ['-c', dir, '-n']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const restrictions = (await exec(postconf(), ['-c', dir, '-h', 'smtpd_recipient_restrictions'])).stdout.split(/,\s*/).map((s) => s.trim());
    const allow = restrictions.findIndex((s) => s.startsWith('check_client_access cidr:'));
    const rbl = restrictions.findIndex((s) => s === 'reject_rbl_client bl.example.org=127.0.0.[2..3]');
    expect(allow).toBeGreaterThan(restrictions.indexOf('reject_unauth_destination'));
    expect(rbl).toBeGreaterThan(allow);
    expect((await exec(postconf(), ['-c', dir, '-h', 'rbl_reply_maps'])).stdout.trim()).toBe('texthash:${config_directory}/rbl_reply');
  });

  it('the warning check is real: postconf warns about a misspelt parameter', async () => {
    const dir = configDir(`${snippet('postfix/main.cf')}rbl_reply_map = texthash:/nowhere\n`);
    expect((await exec(postconf(), ['-c', dir, '-n'])).stderr).toMatch(/unused parameter: rbl_reply_map=/);
  });

  it('postmap finds the allow-listed networks, nothing else, and the reply template with the TXT', async () => {
    const dir = configDir(snippet('postfix/main.cf'));
    const q = (key: string, table: string) => exec(postmap(), ['-c', dir, '-q', key, table]);
    const cidr = `cidr:${join(dir, 'dnsbl_allow.cidr')}`;
    expect(await q('192.0.2.25', cidr)).toMatchObject({ stdout: 'OK\n', code: 0 });
    expect(await q('2001:db8::7', cidr)).toMatchObject({ stdout: 'OK\n', code: 0 });
    expect((await q('192.0.2.26', cidr)).code).toBe(1);
    expect((await q('2001:db8:1::7', cidr)).code).toBe(1);
    const reply = await q('bl.example.org', `texthash:${join(dir, 'rbl_reply')}`);
    expect(reply.code).toBe(0);
    expect(reply.stdout).toMatch(/^\$rbl_code 5\.7\.1 .*blocked using \$rbl_domain\$\{rbl_reason\?; \$rbl_reason\}\n$/);
  });
});

describe('rspamd', () => {
  const rspamadm = () => requireTool('rspamadm');
  function localConf(rbl: string): string {
    const dir = mkdtempSync(join(tmp, 'rspamd-'));
    writeFiles(dir, {
      'local.d/rbl.conf': rbl,
      'local.d/multimap.conf': snippet('rspamd/local.d/multimap.conf'),
      'local.d/dnsbl_allow.map': '192.0.2.25\n2001:db8::/64\n',
    });
    return dir;
  }
  const rspamd = (dir: string, ...args: string[]) => exec(rspamadm(), [`--var=LOCAL_CONFDIR=${dir}`, ...args, '-c', '/etc/rspamd/rspamd.conf']);

  it('configtest accepts the snippets and configdump shows the list and the allow map merged', async () => {
    const dir = localConf(snippet('rspamd/local.d/rbl.conf'));
    const test = await rspamd(dir, 'configtest');
    expect(test.stdout).toMatch(/syntax OK/);
    expect(test.code).toBe(0);
    const rbl = (await exec(rspamadm(), [`--var=LOCAL_CONFDIR=${dir}`, 'configdump', '-c', '/etc/rspamd/rspamd.conf', 'rbl'])).stdout;
    const block = rbl.slice(rbl.indexOf('example_bl {'));
    expect(block).toMatch(/^example_bl \{[\s\S]*?rbl = "bl\.example\.org";/);
    expect(block).toMatch(/RBL_EXAMPLE_BL_SPAM = "127\.0\.0\.2";/);
    expect(block).toMatch(/RBL_EXAMPLE_BL_PROXY = "127\.0\.0\.3";/);
    const multimap = (await exec(rspamadm(), [`--var=LOCAL_CONFDIR=${dir}`, 'configdump', '-c', '/etc/rspamd/rspamd.conf', 'multimap'])).stdout;
    const allow = multimap.slice(multimap.indexOf('DNSBL_ALLOW_IP {'));
    expect(allow).toMatch(/^DNSBL_ALLOW_IP \{[\s\S]*?action = "accept";/);
    expect(allow.slice(0, allow.indexOf('}'))).toMatch(/prefilter = true;/);
    expect(allow.slice(0, allow.indexOf('}'))).toContain(join(dir, 'local.d/dnsbl_allow.map'));
  });

  it('the check is real: configtest refuses a broken rbl.conf', async () => {
    const dir = localConf(snippet('rspamd/local.d/rbl.conf').replace('returncodes {', 'returncodes {{'));
    const r = await rspamd(dir, 'configtest');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/syntax OK/);
  });
});

describe('SpamAssassin against the zone served by BIND', () => {
  // The document's zone and lists (bl.example.org: spam answers 127.0.0.2, proxy 127.0.0.3).
  const cfg: ZoneConfig = testZone(
    [
      { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}' },
      { name: 'proxy', code: '127.0.0.3', txtTemplate: 'Open proxy {ip}: {reason}' },
    ],
    { zone: 'bl.example.org', hostmaster: 'hostmaster@example.net' },
  );
  const listing = (list: string, network: string, reason: string): Listing => ({
    list, network: parseNetwork(network), reason, source: 'test', createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z', exclusion: false,
  });
  const LISTINGS = [listing('spam', '192.0.2.0/24', 'relayed spam'), listing('proxy', '203.0.113.9', 'open SOCKS proxy')];
  let bind: BindServer;
  let siteDir: string;
  beforeAll(async () => {
    bind = await startBind({ zone: cfg.zone, zoneFileText: zoneFile(cfg, 1, planZone(cfg, effectiveListings(cfg, LISTINGS, 0))) });
    siteDir = mkdtempSync(join(tmp, 'sa-'));
    // The site configuration: Debian's plugin loaders, the document's rules, and where DNS is.
    for (const f of readdirSync('/etc/spamassassin')) if (f.endsWith('.pre')) copyFileSync(join('/etc/spamassassin', f), join(siteDir, f));
    writeFiles(siteDir, {
      'local.cf': `${snippet('spamassassin/local.cf')}dns_available yes\ndns_server 127.0.0.1:${bind.port}\ntrusted_networks 198.51.100.10\n`,
    });
  }, 60_000);
  afterAll(async () => {
    await bind?.stop();
  });

  const message = (relayName: string, relayIp: string, from: string) =>
    [
      `Received: from ${relayName} (${relayName} [${relayIp}])`,
      '\tby mx.receiver.example (Postfix) with ESMTP id 4ABC',
      '\tfor <user@receiver.example>; Tue, 1 Dec 2026 00:00:00 +0000 (UTC)',
      `From: ${from}`,
      'To: user@receiver.example',
      'Subject: quarterly report',
      'Date: Tue, 1 Dec 2026 00:00:00 +0000',
      `Message-ID: <report-${relayIp}@sender.example>`,
      '',
      'Please find the report attached.',
      '',
    ].join('\n');
  /** The rules that hit (X-Spam-Status tests=...) and whether it is spam. */
  async function check(msg: string): Promise<{ spam: boolean; tests: string[] }> {
    const r = await exec(requireTool('spamassassin'), [`--siteconfigpath=${siteDir}`, '-t'], msg);
    const status = /^X-Spam-Status: (Yes|No), [^\n]*(?:\n\t[^\n]*)*/m.exec(r.stdout);
    if (!status) throw new Error(`spamassassin printed no X-Spam-Status (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
    const tests = /tests=([\s\S]*?)(?:\s+autolearn=|$)/.exec(status[0])?.[1]?.split(/[,\s]+/).filter(Boolean) ?? [];
    return { spam: status[1] === 'Yes', tests };
  }

  it('lints clean', async () => {
    const r = await exec(requireTool('spamassassin'), ['--lint', `--siteconfigpath=${siteDir}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('scores a relay inside a listed range, tells the lists apart, and leaves an unlisted relay alone', async () => {
    const spamRelay = await check(message('mail.sender.example', '192.0.2.77', 'a@sender.example'));
    expect(spamRelay.tests).toEqual(expect.arrayContaining(['RCVD_IN_EXAMPLE_BL', 'RCVD_IN_EXAMPLE_BL_SPAM']));
    const proxy = await check(message('gw.proxy.example', '203.0.113.9', 'b@proxy.example'));
    expect(proxy.tests).toContain('RCVD_IN_EXAMPLE_BL');
    expect(proxy.tests).not.toContain('RCVD_IN_EXAMPLE_BL_SPAM');
    const clean = await check(message('mail.clean.example', '203.0.113.10', 'c@clean.example'));
    expect(clean.tests).not.toContain('RCVD_IN_EXAMPLE_BL');
  });

  it('lets the welcome-listed sender through although its relay is listed', async () => {
    const partner = await check(message('mail.partner.example', '192.0.2.25', 'billing@partner.example'));
    expect(partner.tests).toEqual(expect.arrayContaining(['RCVD_IN_EXAMPLE_BL_SPAM', 'USER_IN_WELCOMELIST']));
    expect(partner.spam).toBe(false);
  });
});
