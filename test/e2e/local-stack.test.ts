// The local stack end to end: list through the HTTP API, see the answer in a real DNS query to the
// local zone server and from the rbldnsd file loaded by a real rbldnsd; delist and see NXDOMAIN in
// both; the export over HTTP pulled by `dnsbl mirror pull` into a fresh mirror; data survives a
// restart.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../lambdas/core/export-manifest.js';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { answerSet, digBatch } from '../support/dns/dig.js';
import { startRbldnsd } from '../support/dns/rbldnsd.js';
import { requireTool } from '../support/dns/tools.js';

const DNSBL_BIN = fileURLToPath(new URL('../../bin/dnsbl.mjs', import.meta.url));

/** The real `dnsbl` command, as an operator or a mirror's timer runs it. */
async function dnsbl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [DNSBL_BIN, ...args], { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function post(stack: LocalStack, path: string, body: unknown) {
  const r = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function ask(port: number, names: string[]) {
  const res = await digBatch(port, names.flatMap((name) => [{ name, type: 'A' as const }, { name, type: 'TXT' as const }]));
  return names.map((_, i) => ({ ...answerSet(res[2 * i]!, res[2 * i + 1]!), rcode: res[2 * i]!.rcode }));
}

/** rbldnsd re-reads its file every 2 s: poll until it answers what the zone answers. */
async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('local stack (npm start)', () => {
  let stack: LocalStack;
  let dir: string;
  beforeAll(async () => {
    requireTool('rbldnsd');
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-stack-'));
    stack = await startLocalStack({ dataDir: dir, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const names = (zone: string) => ({
    host: `1.2.0.192.${zone}`,
    inRange: `9.100.51.198.${zone}`,
    excluded: `77.100.51.198.${zone}`,
    v6: `${'1.'.repeat(20)}0.0.0.0.8.b.d.0.1.0.0.2.${zone}`,
    testPoint: `2.0.0.127.${zone}`,
    unlisted: `1.0.0.127.${zone}`,
  });

  it('lists through the API and answers from the zone and from rbldnsd alike; delists to NXDOMAIN in both', async () => {
    const n = names(stack.cfg.zone);
    const r = await post(stack, '/v1/listings', {
      items: [
        { list: 'spam', network: '192.0.2.1', reason: 'trap hits' },
        { list: 'spam', network: '198.51.100.0/24', reason: 'snowshoe range' },
        { list: 'proxy', network: '2001:db8::/48', reason: 'open proxy' },
      ],
    });
    expect(r.status).toBe(200);
    expect((await post(stack, '/v1/exclusions', { items: [{ list: 'spam', network: '198.51.100.77', reason: 'customer mail server' }] })).status).toBe(200);
    await stack.settle();
    const all = Object.values(n);
    const zone = await ask(stack.dnsPort, all);
    expect(zone[0]).toMatchObject({ listed: true, a: ['127.0.0.2'], txt: [`Listed in spam: trap hits - see ${stack.publicUrl}/lookup?ip=192.0.2.1`] });
    expect(zone[1]).toMatchObject({ listed: true, txt: [`Listed in spam: snowshoe range - see ${stack.publicUrl}/lookup?ip=198.51.100.0/24`] });
    expect(zone[2]!.listed).toBe(false);
    expect(zone[3]).toMatchObject({ listed: true, a: ['127.0.0.3'], txt: ['Open proxy 2001:db8::/48: open proxy'] });
    expect(zone[4]).toMatchObject({ listed: true, a: ['127.0.0.2', '127.0.0.3'] });
    expect(zone[5]).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
    const strip = (x: Array<{ listed: boolean; a: string[]; txt: string[] }>) => x.map(({ listed, a, txt }) => ({ listed, a, txt }));
    const mirror = await eventually(() => ask(stack.rbldnsdPort!, all), (m) => JSON.stringify(strip(m)) === JSON.stringify(strip(zone)));
    expect(strip(mirror)).toEqual(strip(zone));

    const d = await post(stack, '/v1/delistings', { items: [{ list: 'spam', network: '192.0.2.1', reason: 'cleaned up' }] });
    expect(d.status).toBe(200);
    await stack.settle();
    const [gone] = await ask(stack.dnsPort, [n.host]);
    expect(gone).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
    const [goneMirror] = await eventually(() => ask(stack.rbldnsdPort!, [n.host]), (m) => m[0]!.rcode === 'NXDOMAIN');
    expect(goneMirror).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
  });

  it('lists from evidence: a spam-trap hit posted to /v1/evidence answers in the zone, abuse reports below the threshold do not, a bad event is refused by itself', async () => {
    const now = new Date().toISOString();
    const r = await post(stack, '/v1/evidence', {
      items: [
        { ip: '203.0.113.50', kind: 'spamtrap', observedAt: now, reporter: 'trap-1' },
        { ip: '203.0.113.51', kind: 'abuse-report', observedAt: now, reporter: 'isp-a' },
        { ip: '203.0.113.300', kind: 'spamtrap', observedAt: now },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    const rejected = r.body.rejected as Array<{ index: number; message: string }>;
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ index: 2 });
    expect(rejected[0]!.message).toMatch(/203\.0\.113\.300/);
    await stack.settle();
    const [trapped, reported] = await ask(stack.dnsPort, [`50.113.0.203.${stack.cfg.zone}`, `51.113.0.203.${stack.cfg.zone}`]);
    expect(trapped).toMatchObject({ listed: true, a: ['127.0.0.2'] });
    expect(reported).toMatchObject({ listed: false, rcode: 'NXDOMAIN' });
    const lookup = (await (await fetch(`${stack.apiUrl}/v1/lookup?ip=203.0.113.50`)).json()) as { listings?: Array<{ source?: string }> };
    expect(JSON.stringify(lookup)).toContain('evidence:level1');
  });

  it('serves its export over HTTP: `dnsbl mirror pull` installs it in a fresh mirror whose rbldnsd answers as the zone', async () => {
    const n = names(stack.cfg.zone);
    // Something new since the last export, to see it travel: list, settle (export + the stack's own pull).
    expect((await post(stack, '/v1/listings', { items: [{ list: 'proxy', network: '203.0.113.7', reason: 'open socks' }] })).status).toBe(200);
    await stack.settle();
    const manifest = parseManifest(await (await fetch(`${stack.exportUrl}manifest.json`)).text());
    expect(manifest.zone).toBe(stack.cfg.zone);
    expect(stack.exportUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    const mirror = await mkdtemp(join(tmpdir(), 'dnsbl-mirror-e2e-'));
    const target = join(mirror, `${stack.cfg.zone}.combined`);
    try {
      const pulled = await dnsbl(['mirror', 'pull', '--source', stack.exportUrl, '--target', target, '--gzip', '--json']);
      expect(pulled, pulled.stderr).toMatchObject({ code: 0 });
      expect(JSON.parse(pulled.stdout)).toMatchObject({ status: 'updated', serial: manifest.serial, exitCode: 0 });
      // The same bytes the stack's own mirror installed (the manifest checked them both).
      expect(await readFile(target, 'utf8')).toBe(await readFile(stack.exportPath, 'utf8'));
      const again = await dnsbl(['mirror', 'pull', '--source', stack.exportUrl, '--target', target, '--json']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).status).toBe('not-modified');

      const rbldnsd = await startRbldnsd({ zone: stack.cfg.zone, files: [{ type: 'combined', path: target }] });
      try {
        expect(rbldnsd.warnings).toEqual([]);
        const all = [...Object.values(n), `7.113.0.203.${stack.cfg.zone}`];
        // Answers, not rcodes: an exclusion inside a range is NODATA in the zone, NXDOMAIN in rbldnsd (README).
        const strip = (x: Array<{ listed: boolean; a: string[]; txt: string[] }>) => x.map(({ listed, a, txt }) => ({ listed, a, txt }));
        const zone = strip(await ask(stack.dnsPort, all));
        expect(zone[zone.length - 1]).toMatchObject({ listed: true, a: ['127.0.0.3'], txt: ['Open proxy 203.0.113.7: open socks'] });
        expect(strip(await ask(rbldnsd.port, all))).toEqual(zone);
      } finally {
        await rbldnsd.stop();
      }
    } finally {
      await rm(mirror, { recursive: true, force: true });
    }
  });

  it('keeps its data across a restart', async () => {
    await stack.stop();
    stack = await startLocalStack({ dataDir: dir, apiPort: 0, dnsPort: 0, route53Port: 0, rbldnsdPort: false });
    const n = names(stack.cfg.zone);
    const [range, host] = await ask(stack.dnsPort, [n.inRange, n.host]);
    expect(range!.listed).toBe(true);
    expect(host!.listed).toBe(false);
    const lookup = (await (await fetch(`${stack.apiUrl}/v1/lookup?ip=198.51.100.9`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(lookup)).toContain('snowshoe range');
  });
});
