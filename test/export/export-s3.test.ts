// The export against an S3 stand-in (s3rver), with listings from memory: manifest, skip when
// unchanged, debounce, serials, dead-man timestamp, atomicity under injected failures.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportStore, s3Client } from '../../lambdas/adapters/export-store.js';
import type { Listing } from '../../lambdas/core/listing.js';
import type { DatasetSource } from '../../lambdas/core/rbldnsd-render.js';
import { parseManifest } from '../../lambdas/core/export-manifest.js';
import { type ExportDeps, type ExportOptions, runExport, stateName } from '../../lambdas/services/export.js';
import { memorySource } from '../../lambdas/services/export-source.js';
import { CFG } from '../core/arbitraries.js';
import { BUCKET, bulkListings, getBytes, listKeys, type S3StandIn, stableListings, startS3, withAbortStub } from './support.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const T0 = 1_000_000; // ms: now = 1000 s, inside the arbitraries' expiry range 900..1100

function memoryJournal() {
  const state = new Map<string, unknown>();
  return {
    state,
    getState: async <T,>(n: string) => structuredClone(state.get(n)) as T | undefined,
    putState: async (n: string, v: unknown) => {
      state.set(n, structuredClone(v));
    },
  };
}

describe('export to S3 (s3rver), listings from memory', () => {
  let s3: S3StandIn;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  function setup(base: string, client?: S3Client, partSize?: number) {
    const store = new ExportStore(client ?? s3.client, BUCKET, base, partSize ? { partSize } : {});
    const journal = memoryJournal();
    let now = T0;
    const run = (source: DatasetSource, opts: ExportOptions = {}, s = store) => {
      const deps: ExportDeps = { cfg: CFG, store: s, source, journal, now: () => now };
      return runExport(deps, { minIntervalSeconds: 60, ...opts });
    };
    return { store, journal, run, tick: (ms: number) => (now += ms), at: (ms: number) => (now = ms), now: () => now };
  }

  it('writes data, gzip, aliases and then a manifest whose sha256 and size match the objects', async () => {
    const { run } = setup('rbldnsd/m1');
    const r = await run(memorySource(stableListings()));
    expect(r.status).toBe('published');
    const keys = await listKeys(s3.client, 'rbldnsd/m1/');
    const m = parseManifest((await getBytes(s3.client, 'rbldnsd/m1/manifest.json')).body.toString());
    expect(keys).toEqual(
      [`rbldnsd/m1/${m.serial}.combined`, `rbldnsd/m1/${m.serial}.combined.gz`, 'rbldnsd/m1/latest.combined', 'rbldnsd/m1/latest.combined.gz', 'rbldnsd/m1/manifest.json'].sort(),
    );
    const data = await getBytes(s3.client, m.data.key);
    const gz = await getBytes(s3.client, m.gzip.key);
    expect(data.body.length).toBe(m.size);
    expect(sha(data.body)).toBe(m.sha256);
    expect(gz.body.length).toBe(m.gzip.size);
    expect(sha(gz.body)).toBe(m.gzip.sha256);
    expect(gunzipSync(gz.body).equals(data.body)).toBe(true);
    expect((await getBytes(s3.client, 'rbldnsd/m1/latest.combined')).body.equals(data.body)).toBe(true);
    expect((await getBytes(s3.client, 'rbldnsd/m1/latest.combined.gz')).body.equals(gz.body)).toBe(true);
    expect(data.body.toString().split('\n')[1]!.split(' ')[4]).toBe(String(m.serial)); // $SOA ttl ns hostmaster SERIAL …
    // Counts: entry lines per list (test points excluded).
    const text = data.body.toString();
    const perList: Record<string, number> = {};
    let current = '';
    for (const line of text.split('\n')) {
      const ds = /^\$DATASET ip[46]trie:([a-z-]+)-v[46] @$/.exec(line);
      if (ds) current = ds[1]!;
      else if (current && line && !line.startsWith('$') && !line.startsWith('127.0.0.2 ')) perList[current] = (perList[current] ?? 0) + 1;
    }
    expect(m.entries).toEqual({ spam: perList.spam ?? 0, proxy: perList.proxy ?? 0, dul: perList.dul ?? 0 });
    expect(m.entriesTotal).toBeGreaterThan(200);
    expect(data.cacheControl).toContain('immutable');
    expect(gz.contentType).toBe('application/gzip');
  });

  it('skips unchanged content (no new object, same manifest), debounces, and the serial always increases', async () => {
    const { run, tick, at, store } = setup('rbldnsd/m2');
    const listings = stableListings();
    const first = await run(memorySource(listings));
    expect(first.status).toBe('published');
    const m1 = await getBytes(s3.client, 'rbldnsd/m2/manifest.json');
    const keys1 = await listKeys(s3.client, 'rbldnsd/m2/');

    // Within the interval: debounced; forced: runs, finds nothing changed, uploads nothing.
    tick(10_000);
    expect((await run(memorySource(listings))).status).toBe('debounced');
    const same = await run(memorySource([...listings].reverse()), { force: true });
    expect(same.status).toBe('unchanged');
    expect(same.serial).toBe(first.serial);
    expect((await getBytes(s3.client, 'rbldnsd/m2/manifest.json')).etag).toBe(m1.etag);
    expect(await listKeys(s3.client, 'rbldnsd/m2/')).toEqual(keys1);

    // A change-triggered run inside the interval is skipped but leaves "pending"; the next
    // scheduled run then runs although it is inside the interval too.
    tick(5_000);
    const changed = [...listings, { ...listings[0]!, network: { family: 4 as const, start: 0xc6336401n, prefix: 32 }, expiresAt: undefined }];
    expect((await run(memorySource(changed), { trigger: 'change' })).status).toBe('debounced');
    const caughtUp = await run(memorySource(changed), { trigger: 'schedule' });
    expect(caughtUp.status).toBe('published');
    expect(caughtUp.serial).toBeGreaterThan(first.serial!);

    // The clock goes backwards: the serial still increases.
    at(T0 - 500_000);
    const backwards = await run(memorySource(listings), { force: true });
    expect(backwards.status).toBe('published');
    expect(backwards.serial).toBe(caughtUp.serial! + 1);

    // Expiry alone changes the content.
    const expiring = [...listings, { ...listings[0]!, network: { family: 4 as const, start: 0xc6336402n, prefix: 32 }, expiresAt: T0 / 1000 + 30 }];
    at(T0 + 10_000);
    const withExpiring = await run(memorySource(expiring), { force: true });
    expect(withExpiring.status).toBe('published');
    at(T0 + 50_000);
    const expired = await run(memorySource(expiring), { force: true });
    expect(expired.status).toBe('published');
    expect(expired.serial).toBeGreaterThan(backwards.serial!);
    expect(expired.skippedExpired).toBeGreaterThan(0);

    // Only the current and the previous publication are kept.
    const serials = new Set((await listKeys(s3.client, 'rbldnsd/m2/')).map((k) => /\/(\d+)\.combined/.exec(k)?.[1]).filter(Boolean));
    expect([...serials].sort()).toEqual([String(withExpiring.serial), String(expired.serial)].sort());

    // A deleted data object is noticed: the unchanged content is published again.
    const m = parseManifest((await getBytes(s3.client, 'rbldnsd/m2/manifest.json')).body.toString());
    await store.delete(m.data.path);
    tick(1_000);
    const repaired = await run(memorySource(listings), { force: true });
    expect(repaired.status).toBe('published');
    expect(repaired.reason).toBe('published data object missing');
  });

  it('adds a back-dated $TIMESTAMP with the lifetime and republishes unchanged content after half of it', async () => {
    const { run, tick } = setup('rbldnsd/m3');
    const listings = stableListings();
    const first = await run(memorySource(listings), { lifetimeSeconds: 3600 });
    expect(first.status).toBe('published');
    const m = parseManifest((await getBytes(s3.client, 'rbldnsd/m3/manifest.json')).body.toString());
    expect(m.expiresAt).toBe(new Date(T0 + 3_600_000).toISOString());
    const text = (await getBytes(s3.client, m.data.key)).body.toString();
    // generated 1970-01-01T00:16:40Z, back-dated 600 s, lifetime 3600 + 600 s.
    expect(text).toContain('$TIMESTAMP 1970:01:01:00:06:40 +4200s\n');
    tick(1_700_000);
    expect((await run(memorySource(listings), { lifetimeSeconds: 3600 })).status).toBe('unchanged');
    tick(200_000);
    const refreshed = await run(memorySource(listings), { lifetimeSeconds: 3600 });
    expect(refreshed.status).toBe('published');
    expect(refreshed.reason).toBe('half of the lifetime passed');
    expect(refreshed.contentSha256).toBe(first.contentSha256);
  });

  it('a failed upload (part 2 of a multipart upload fails) leaves the previous manifest and file intact', async () => {
    const aborted = { count: 0 };
    const failing = withAbortStub(s3Client(s3.endpoint), aborted);
    let uploadParts = 0;
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && ++uploadParts === 2) throw new Error('injected: connection reset in part 2');
        return next(args);
      },
      { step: 'initialize', name: 'injectPartFailure' },
    );
    const partSize = 5 * 1024 * 1024;
    const { run, tick } = setup('rbldnsd/m4', undefined, partSize);
    const failingStore = new ExportStore(failing, BUCKET, 'rbldnsd/m4', { partSize, queueSize: 1 });
    const v1 = bulkListings(25_000, 'spam', 'v1'); // ~7 MB: two parts
    const ok = await run(memorySource(v1));
    expect(ok.status).toBe('published');
    expect(ok.bytes!).toBeGreaterThan(partSize);
    const before = await getBytes(s3.client, 'rbldnsd/m4/manifest.json');
    const beforeKeys = await listKeys(s3.client, 'rbldnsd/m4/');
    const beforeData = await getBytes(s3.client, `rbldnsd/m4/${ok.serial}.combined`);

    // Unchanged large content: the multipart upload is aborted, nothing new appears.
    tick(120_000);
    const abortsBefore = s3.aborts.count;
    expect((await run(memorySource(v1))).status).toBe('unchanged');
    expect(s3.aborts.count).toBe(abortsBefore + 1);
    expect(await listKeys(s3.client, 'rbldnsd/m4/')).toEqual(beforeKeys);

    tick(120_000);
    const v2 = bulkListings(25_000, 'spam', 'v2');
    await expect(run(memorySource(v2), {}, failingStore)).rejects.toThrow(/injected: connection reset in part 2/);
    expect(aborted.count).toBe(1);
    const after = await getBytes(s3.client, 'rbldnsd/m4/manifest.json');
    expect(after.body.equals(before.body)).toBe(true);
    expect(after.etag).toBe(before.etag);
    expect(await listKeys(s3.client, 'rbldnsd/m4/')).toEqual(beforeKeys);
    expect((await getBytes(s3.client, `rbldnsd/m4/${ok.serial}.combined`)).body.equals(beforeData.body)).toBe(true);
    expect((await getBytes(s3.client, 'rbldnsd/m4/latest.combined')).body.equals(beforeData.body)).toBe(true);

    // The source failing half-way (DynamoDB error) is the same: nothing is published. (A failed
    // run does not count for the debounce: this one, a second later, is not skipped.)
    tick(1_000);
    const broken: DatasetSource = async function* (list, family) {
      let i = 0;
      for (const l of v2) {
        if (list.name !== l.list || family !== 4) return;
        if (++i === 20_000) throw new Error('injected: ProvisionedThroughputExceededException');
        yield l;
      }
    };
    await expect(run(broken)).rejects.toThrow(/injected: ProvisionedThroughputExceeded/);
    expect((await getBytes(s3.client, 'rbldnsd/m4/manifest.json')).etag).toBe(before.etag);
    expect(await listKeys(s3.client, 'rbldnsd/m4/')).toEqual(beforeKeys);

    // Data uploaded but the manifest PUT fails: the old manifest stays; the next run publishes.
    const noManifest = withAbortStub(s3Client(s3.endpoint), { count: 0 });
    noManifest.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (context.commandName === 'PutObjectCommand' && key.endsWith('manifest.json')) throw new Error('injected: manifest PUT failed');
        return next(args);
      },
      { step: 'initialize', name: 'injectManifestFailure' },
    );
    tick(120_000);
    await expect(run(memorySource(v2), {}, new ExportStore(noManifest, BUCKET, 'rbldnsd/m4', { partSize }))).rejects.toThrow(/manifest PUT failed/);
    expect((await getBytes(s3.client, 'rbldnsd/m4/manifest.json')).etag).toBe(before.etag);
    tick(120_000);
    const next = await run(memorySource(v2));
    expect(next.status).toBe('published');
    expect(next.serial).toBeGreaterThan(ok.serial!);
    const m = parseManifest((await getBytes(s3.client, 'rbldnsd/m4/manifest.json')).body.toString());
    expect(sha((await getBytes(s3.client, m.data.key)).body)).toBe(m.sha256);
    failing.destroy();
    noManifest.destroy();
  });

  it('takes the exporter lease and reports "busy" when another run holds it', async () => {
    const { store, journal } = setup('rbldnsd/m5');
    const lock = { acquire: async () => false, release: async () => undefined };
    const r = await runExport(
      { cfg: CFG, store, source: memorySource([] as Listing[]), journal, lock, now: () => T0 },
      { trigger: 'change' },
    );
    expect(r.status).toBe('busy');
    expect((journal.state.get(stateName(CFG.zone)) as { pendingSince?: number }).pendingSince).toBe(T0);
    expect(await listKeys(s3.client, 'rbldnsd/m5/')).toEqual([]);
  });
});
