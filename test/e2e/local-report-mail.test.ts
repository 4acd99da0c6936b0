// Abuse reports by mail on the local stack (npm start): the RFC 5965 example report and a forwarded
// spam sent over real SMTP (nodemailer, and curl as the banner shows it) to the stack's report
// server become evidence, list the relay, and the zone's DNS server answers it (dig); a mail naming
// no relay, a report too old to count and a mail over the size limit are refused with a reply that
// says why, and list nothing.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, queryName } from '../../lambdas/core/ip.js';
import { type LocalStack, DEFAULT_CONFIG, startLocalStack } from '../../local/local-stack.js';
import { answerSet, digBatch } from '../support/dns/dig.js';
import { requireTool } from '../support/dns/tools.js';

const fixture = (name: string) => readFileSync(new URL(`../evidence/fixtures/${name}`, import.meta.url), 'utf8');

// One abuse report lists in "spam" here (the default local policy needs three).
const CFG = {
  ...DEFAULT_CONFIG,
  lists: DEFAULT_CONFIG.lists.map((l) =>
    l.name === 'spam' ? { ...l, evidence: { kinds: { spamtrap: { weight: 3 }, 'abuse-report': { weight: 3 } }, threshold: 3, windowHours: 24, holdHours: 168 } } : l,
  ),
};

let stack: LocalStack;
let dir: string;
let transport: Transporter;

beforeAll(async () => {
  requireTool('dig');
  dir = await mkdtemp(join(tmpdir(), 'dnsbl-report-mail-'));
  stack = await startLocalStack({
    cfg: CFG,
    ephemeral: true,
    apiPort: 0,
    dnsPort: 0,
    route53Port: 0,
    rbldnsdPort: false,
    exportPort: 0,
    publicPort: 0,
    smtpPort: 0,
    reportSmtpPort: 0,
    // The reporter's own mail server (the forwarded spam's top Received hop).
    reportTrustedRelays: ['2001:db8:25::/64'],
  });
  transport = nodemailer.createTransport({ host: '127.0.0.1', port: stack.reportSmtpPort!, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  transport?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Sends a raw message; the server's reply (code and text) whether it took it or not. */
async function send(raw: string, from = 'reporter@example.net'): Promise<{ code: number; text: string }> {
  try {
    const info = await transport.sendMail({ envelope: { from, to: [`abuse@${CFG.zone}`] }, raw });
    const response = String(info.response ?? '');
    return { code: Number(response.slice(0, 3)), text: response };
  } catch (e) {
    const err = e as { responseCode?: number; response?: string; message: string };
    return { code: err.responseCode ?? -1, text: err.response ?? err.message };
  }
}

async function answers(ips: string[]) {
  const names = ips.map((ip) => {
    const a = parseAddress(ip);
    return queryName(a.family, a.start, CFG.zone);
  });
  const res = await digBatch(stack.dnsPort, names.flatMap((name) => [{ name, type: 'A' as const }, { name, type: 'TXT' as const }]));
  return names.map((_, i) => ({ ...answerSet(res[2 * i]!, res[2 * i + 1]!), rcode: res[2 * i]!.rcode }));
}

async function spamCount(): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const r = (await (await fetch(`${stack.apiUrl}/v1/listings?list=spam&limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { items: unknown[]; cursor?: string };
    n += r.items.length;
    cursor = r.cursor;
  } while (cursor);
  return n;
}

describe('abuse reports by mail (local stack)', () => {
  it('an ARF report and a forwarded spam list their relays; dig answers them; the operator sees the reporter, the public only counts', async () => {
    // RFC 5965's example, arriving now (its own Arrival-Date, 2005, is older than any evidence kept).
    const arf = fixture('arf-rfc5965.eml').replace(/^Arrival-Date: .*$/m, `Arrival-Date: ${new Date(Date.now() - 60_000).toUTCString()}`);
    const a = await send(arf);
    expect(a.code, a.text).toBe(250);
    expect(a.text).toMatch(/accepted: arf report about 192\.0\.2\.1 \(from the report's Source-IP\); event arf:<report-42@example\.com>; spam list until /);

    // The forwarded spam exactly as the npm start banner shows it: curl speaking SMTP.
    const file = join(dir, 'forwarded.eml');
    await writeFile(file, fixture('forwarded.eml'));
    const curl = await promisify(execFile)('curl', ['-sS', '-v', `smtp://127.0.0.1:${stack.reportSmtpPort}`, '--mail-from', 'user@example.org', '--mail-rcpt', `abuse@${CFG.zone}`, '-T', file], { encoding: 'utf8' });
    expect(curl.stderr).toMatch(/< 250 2\.6\.0 accepted: forwarded report about 2001:db8:bad::7 \(from Received header 2 of the attached message\)/);

    await stack.settle();
    const [arfRelay, spamRelay, trusted] = await answers(['192.0.2.1', '2001:db8:bad::7', '2001:db8:25::1']);
    expect(arfRelay).toMatchObject({ listed: true, a: ['127.0.0.2'] });
    expect(arfRelay!.txt[0]).toMatch(/^Listed in spam: evidence: abuse-report x1 from 1 reporter/);
    expect(spamRelay).toMatchObject({ listed: true, a: ['127.0.0.2'] });
    expect(trusted).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });

    const op = (await (await fetch(`${stack.apiUrl}/v1/lookup?ip=192.0.2.1`)).json()) as { evidence?: { counts: Record<string, number>; reporters: string[] } };
    expect(op.evidence).toMatchObject({ counts: { 'abuse-report': 1 }, reporters: ['abusedesk@example.com'] });
    const pub = await (await fetch(`${stack.publicUrl}/api/lookup?ip=192.0.2.1`)).text();
    expect(JSON.parse(pub).evidence).toMatchObject({ counts: { 'abuse-report': 1 }, total: 1 });
    expect(pub).not.toContain('abusedesk');

    // The same report again: stored once (idempotent by its Message-ID), nothing new.
    const again = await send(arf);
    expect(again.code).toBe(250);
    const op2 = (await (await fetch(`${stack.apiUrl}/v1/lookup?ip=192.0.2.1`)).json()) as { evidence?: { total: number } };
    expect(op2.evidence?.total).toBe(1);
  });

  it('refuses with a reason and lists nothing: no relay (550 5.6.0), a report too old to count (550 5.7.1), a mail over the size limit (552)', async () => {
    await stack.settle();
    const before = await spamCount();
    const none = await send('From: someone@example.org\r\nTo: abuse@bl.example.org\r\nSubject: spam!\r\nMessage-ID: <x-1@example.org>\r\n\r\nI got spam, please block it.\r\n');
    expect(none.code).toBe(550);
    expect(none.text).toMatch(/5\.6\.0 no address to report: the message has no Received headers; nothing was kept/);
    const old = await send(fixture('arf-rfc5965.eml'));
    expect(old.code).toBe(550);
    expect(old.text).toMatch(/5\.7\.1 the report about 192\.0\.2\.1 was refused: .*older than 30 days/);
    const big = await send(`From: a@example.org\r\nSubject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(15_000)}`);
    expect(big.code).toBe(552);
    expect(big.text).toMatch(/larger than 1048576 bytes/);
    await stack.settle();
    expect(await spamCount()).toBe(before);
  });
});
