// `dnsbl mirror pull` against real exports in an S3 stand-in (s3://) and behind an HTTP stand-in
// for CloudFront that can cut downloads short, corrupt them or serve an old manifest.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportStore } from '../../lambdas/adapters/export-store.js';
import { queryName } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { parseManifest } from '../../lambdas/core/export-manifest.js';
import { runExport } from '../../lambdas/services/export.js';
import { memorySource } from '../../lambdas/services/export-source.js';
import { main } from '../../lambdas/mirror/cli.js';
import { EXIT, exitCodeOf, mirrorPull, type PullOptions } from '../../lambdas/mirror/pull.js';
import { HttpSource, S3Source } from '../../lambdas/mirror/sources.js';
import { CFG } from '../core/arbitraries.js';
import { answerSet, digBatch, startRbldnsd } from '../support/dns/index.js';
import { type HttpStub, startHttpStub } from './http-stub.js';
import { BUCKET, getBytes, type S3StandIn, stableListings, startS3 } from './support.js';

const FOLDER = `rbldnsd/${CFG.zone}`;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const extra = (i: number): Listing => ({
  list: 'spam',
  network: { family: 4, start: 0xcb007100n + BigInt(i), prefix: 32 },
  reason: `extra ${i}`,
  source: 'test',
  createdAt: 't',
  updatedAt: 't',
  exclusion: false,
});

async function snapshot(path: string) {
  const st = await stat(path);
  return { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, sha: sha(await readFile(path)) };
}

async function failure(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: exitCodeOf(e), message: (e as Error).message };
  }
  throw new Error('expected the pull to fail');
}

describe('mirror pull', () => {
  let s3: S3StandIn;
  let http: HttpStub;
  let dir: string;
  let now = 1_000_000;
  const base = stableListings();
  const journal = new Map<string, unknown>();
  const manifests: string[] = [];

  /** Publishes `listings` (each call a new serial, even for the same content) and remembers the manifest text. */
  async function publish(listings: Listing[], lifetimeSeconds?: number): Promise<{ serial: number; data: Buffer; at: number }> {
    now += 120_000;
    const r = await runExport(
      {
        cfg: CFG,
        store: new ExportStore(s3.client, BUCKET, FOLDER),
        source: memorySource(listings),
        journal: { getState: async <T,>(n: string) => journal.get(n) as T, putState: async (n, v) => void journal.set(n, v) },
        now: () => now,
      },
      { force: true, republish: true, ...(lifetimeSeconds ? { lifetimeSeconds } : {}) },
    );
    expect(r.status).toBe('published');
    const text = (await getBytes(s3.client, `${FOLDER}/manifest.json`)).body.toString();
    manifests.push(text);
    const m = parseManifest(text);
    return { serial: m.serial, data: (await getBytes(s3.client, m.data.key)).body, at: now };
  }

  const temps = async (d: string) => (await readdir(d)).filter((n) => n.endsWith('.tmp'));

  beforeAll(async () => {
    s3 = await startS3();
    http = await startHttpStub(s3.client, FOLDER);
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-mirror-'));
  });
  afterAll(async () => {
    await http?.stop();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs from s3://, then a 304 Not Modified does nothing', async () => {
    const v1 = await publish(base);
    const target = join(dir, 's3', 'bl.combined');
    const source = new S3Source(`s3://${BUCKET}/${FOLDER}`, { client: s3.client });
    const first = await mirrorPull({ source, target });
    expect(first.status).toBe('updated');
    expect(first.serial).toBe(v1.serial);
    expect((await readFile(target)).equals(v1.data)).toBe(true);
    const state = JSON.parse(await readFile(`${target}.state.json`, 'utf8'));
    expect(state).toMatchObject({ serial: v1.serial, sha256: sha(v1.data), zone: CFG.zone });
    expect(state.manifestEtag).toBeTruthy();
    const before = await snapshot(target);
    const stateText = await readFile(`${target}.state.json`, 'utf8');

    const again = await mirrorPull({ source, target });
    expect(again.status).toBe('not-modified');
    expect(await snapshot(target)).toEqual(before);
    expect(await readFile(`${target}.state.json`, 'utf8')).toBe(stateText);
    expect(await temps(join(dir, 's3'))).toEqual([]);
  });

  it('survives a truncated download, a bad checksum and a stale manifest without touching the installed file', async () => {
    const target = join(dir, 'http', 'bl.combined');
    const source = new HttpSource(http.url);
    const pull = (o: Partial<PullOptions> = {}) => mirrorPull({ source, target, ...o });
    http.mode = 'normal';
    await publish(base);
    const installed = await pull();
    expect(installed.status).toBe('updated');
    const v2 = await publish([...base, extra(1)]);
    const before = await snapshot(target);
    const stateBefore = await readFile(`${target}.state.json`, 'utf8');
    const untouched = async () => {
      expect(await snapshot(target)).toEqual(before);
      expect(await readFile(`${target}.state.json`, 'utf8')).toBe(stateBefore);
      expect(await temps(join(dir, 'http'))).toEqual([]);
    };

    http.mode = 'truncate';
    const cut = await failure(pull());
    expect(cut.code).toBe(EXIT.fetch); // the connection died before Content-Length bytes
    await untouched();
    const cutGz = await failure(pull({ gzip: true }));
    expect([EXIT.fetch, EXIT.verification]).toContain(cutGz.code);
    await untouched();

    http.mode = 'short';
    const short = await failure(pull());
    expect(short.code).toBe(EXIT.verification);
    expect(short.message).toMatch(/truncated/);
    await untouched();

    http.mode = 'corrupt';
    const bad = await failure(pull());
    expect(bad.code).toBe(EXIT.verification);
    expect(bad.message).toMatch(/sha256/);
    await untouched();

    http.mode = 'normal';
    const below = await failure(pull({ minSerial: v2.serial + 1 }));
    expect(below.code).toBe(EXIT.stale);
    await untouched();

    // The good update: a new file (new inode: renamed into place), new mtime, new state.
    const good = await pull();
    expect(good).toMatchObject({ status: 'updated', serial: v2.serial, previousSerial: installed.serial });
    const after = await snapshot(target);
    expect(after.sha).toBe(sha(v2.data));
    expect(after.ino).not.toBe(before.ino);
    expect(after.mtimeMs).not.toBe(before.mtimeMs);

    // A stale manifest (a cache serving the older publication) is refused.
    http.manifestOverride = manifests[manifests.length - 2];
    expect(parseManifest(http.manifestOverride!).serial).toBeLessThan(v2.serial);
    const stale = await failure(pull());
    expect(stale.code).toBe(EXIT.stale);
    expect(await snapshot(target)).toEqual(after);
    // A manifest that is not one at all.
    http.manifestOverride = '{"version": 1, "serial": "x"}';
    expect((await failure(pull())).code).toBe(EXIT.verification);
    http.manifestOverride = undefined;
    expect(await snapshot(target)).toEqual(after);

    // The gzip variant installs the same bytes.
    const gzTarget = join(dir, 'http', 'gz.combined');
    expect((await mirrorPull({ source, target: gzTarget, gzip: true })).status).toBe('updated');
    expect((await readFile(gzTarget)).equals(v2.data)).toBe(true);
  });

  it('replaces atomically (a reader sees the old or the new file, never a mix) and always changes the mtime', async () => {
    const target = join(dir, 'atomic', 'bl.combined');
    const source = new HttpSource(http.url);
    http.mode = 'normal';
    await publish(base);
    await mirrorPull({ source, target });
    const oldSha = sha(await readFile(target));
    // Bigger file, trickled slowly, while another task reads the target in a loop.
    const v = await publish([...base, ...Array.from({ length: 3000 }, (_, i) => extra(100 + i))]);
    http.mode = 'slow';
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        seen.add(sha(await readFile(target)));
        await new Promise((r) => setImmediate(r));
      }
    })();
    // The installed file's mtime is "this second": the new one must get another second.
    const nowSec = Math.floor(Date.now() / 1000) + 5;
    await utimes(target, nowSec, nowSec);
    const r = await mirrorPull({ source, target });
    reading = false;
    await reader;
    http.mode = 'normal';
    expect(r.status).toBe('updated');
    expect([...seen].every((h) => h === oldSha || h === sha(v.data))).toBe(true);
    expect(seen.has(oldSha)).toBe(true);
    expect(Math.floor((await stat(target)).mtimeMs / 1000)).toBe(nowSec + 1);
  });

  it('rbldnsd serving the mirrored file answers from the new file after a pull', async () => {
    const target = join(dir, 'rbldnsd', 'bl.combined');
    const source = new S3Source(`s3://${BUCKET}/${FOLDER}`, { client: s3.client });
    const v = await publish(base);
    await mirrorPull({ source, target });
    const rbl = await startRbldnsd({ zone: CFG.zone, files: [{ type: 'combined', path: target }] });
    try {
      const name = queryName(4, extra(7).network.start, CFG.zone);
      const ask = async () => answerSet(...(await digBatch(rbl.port, [{ name, type: 'A' }, { name, type: 'TXT' }])));
      expect((await ask()).listed).toBe(false);
      const next = await publish([...base, extra(7)]);
      expect(next.serial).toBeGreaterThan(v.serial);
      expect((await mirrorPull({ source, target })).status).toBe('updated');
      expect(await rbl.reload(5000)).toBe(true);
      expect(await ask()).toEqual({ listed: true, a: ['127.0.0.2'], txt: [`Listed in spam: extra 7 - see https://bl.test/lookup?ip=${'203.0.113.7'}`] });
      expect(rbl.warnings).toEqual([]);
    } finally {
      await rbl.stop();
    }
  });

  it('refuses a file rbldnsd would refuse ($TIMESTAMP in the future or expired) and an older file than one installed without state', async () => {
    const target = join(dir, 'clock', 'bl.combined');
    const source = new S3Source(`s3://${BUCKET}/${FOLDER}`, { client: s3.client });
    const v = await publish([...base, extra(9)], 3600);
    // Stamped 600 s before generation: a clock up to 10 minutes behind still installs it.
    expect((await failure(mirrorPull({ source, target, now: () => v.at - 700_000 }))).message).toMatch(/in the future/);
    expect((await failure(mirrorPull({ source, target, now: () => v.at + 3_601_000 }))).message).toMatch(/expired/);
    await expect(stat(target)).rejects.toThrow();
    expect(await temps(join(dir, 'clock'))).toEqual([]);
    expect((await mirrorPull({ source, target, now: () => v.at - 500_000 })).status).toBe('updated');

    // The same file without its state: an older publication is refused by the file's own serial.
    await rm(`${target}.state.json`);
    const before = await snapshot(target);
    http.manifestOverride = manifests[manifests.length - 2];
    const stale = await failure(mirrorPull({ source: new HttpSource(http.url), target, now: () => v.at }));
    http.manifestOverride = undefined;
    expect(stale.code).toBe(EXIT.stale);
    expect(await snapshot(target)).toEqual(before);
  });

  it('the CLI reports by exit code: 0 installed or up to date, 2 usage, 4 stale', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    await publish(base);
    const target = join(dir, 'cli', 'bl.combined');
    const args = ['pull', '--source', `s3://${BUCKET}/${FOLDER}/`, '--s3-endpoint', s3.endpoint, '--target', target];
    expect(await main(args, io)).toBe(0);
    expect(out.join('\n')).toMatch(/installed serial \d+/);
    expect(await main([...args, '--json'], io)).toBe(0);
    expect(JSON.parse(out[out.length - 1]!)).toMatchObject({ status: 'not-modified', exitCode: 0 });
    expect(await main(['pull', '--source', `s3://${BUCKET}/${FOLDER}`, '--s3-endpoint', s3.endpoint, '--target', join(dir, 'cli', 'other'), '--min-serial', '4000000000'], io)).toBe(EXIT.stale);
    expect(await main(['pull', '--target', target], io)).toBe(EXIT.usage);
    expect(await main(['pull', '--source', 'http://example.org/x', '--target', target], io)).toBe(EXIT.usage);
    expect(await main(['pull', '--source', 'http://127.0.0.1:1/zone/', '--target', target, '--timeout', '2'], io)).toBe(EXIT.fetch);
  });
});
