// Pure pieces of the export: the k-way merge of the byList buckets, and manifest validation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { networkKey } from '../../lambdas/core/ip.js';
import { ManifestError, parseManifest } from '../../lambdas/core/export-manifest.js';
import { mergeSorted } from '../../lambdas/services/export-source.js';
import { listingSetArb } from '../core/arbitraries.js';

async function* slowly<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const x of items) {
    if (Math.random() < 0.2) await new Promise((r) => setImmediate(r));
    yield x;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('mergeSorted', () => {
  it('merges sorted streams into one sorted stream holding every element once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.string({ maxLength: 4 }), { maxLength: 30 }), { maxLength: 16 }), async (lists) => {
        const sorted = lists.map((l) => [...l].sort());
        const merged = await collect(mergeSorted(sorted.map(slowly), (s) => s));
        expect(merged).toEqual(sorted.flat().sort());
      }),
      { numRuns: 200 },
    );
  });

  it('merging a list spread over 16 buckets gives the networkKey order the renderer needs', async () => {
    await fc.assert(
      fc.asyncProperty(listingSetArb(60), async (listings) => {
        const buckets: (typeof listings)[] = Array.from({ length: 16 }, () => []);
        for (const l of listings) buckets[Number(BigInt.asUintN(4, l.network.start ^ BigInt(l.network.prefix)))]!.push(l);
        const streams = buckets.map((b) => slowly([...b].sort((x, y) => (networkKey(x.network) < networkKey(y.network) ? -1 : 1))));
        const keys = (await collect(mergeSorted(streams, (l) => networkKey(l.network)))).map((l) => networkKey(l.network));
        expect(keys).toEqual(listings.map((l) => networkKey(l.network)).sort());
      }),
      { numRuns: 100 },
    );
  });

  it('closes every stream when the consumer stops early or a stream fails', async () => {
    const closed: number[] = [];
    const stream = (i: number, failAt?: number) =>
      (async function* () {
        try {
          for (let k = 0; k < 100; k++) {
            if (k === failAt) throw new Error(`stream ${i} failed`);
            yield `${k.toString().padStart(3, '0')}-${i}`;
          }
        } finally {
          closed.push(i);
        }
      })();
    for await (const x of mergeSorted([stream(0), stream(1), stream(2)], (s) => s)) if (x.startsWith('005')) break;
    expect(closed.sort()).toEqual([0, 1, 2]);
    closed.length = 0;
    await expect(collect(mergeSorted([stream(0), stream(1, 7), stream(2)], (s) => s))).rejects.toThrow('stream 1 failed');
    expect(closed.sort()).toEqual([0, 1, 2]);
  });
});

describe('parseManifest (mirrors treat the manifest as untrusted)', () => {
  const good = {
    version: 1,
    zone: 'bl.test',
    format: 'rbldnsd-combined',
    serial: 5,
    generatedAt: '2026-01-01T00:00:00.000Z',
    entries: { spam: 1 },
    entriesTotal: 1,
    contentSha256: 'a'.repeat(64),
    sha256: 'b'.repeat(64),
    size: 10,
    key: 'rbldnsd/bl.test/5.combined',
    data: { path: '5.combined', key: 'rbldnsd/bl.test/5.combined', size: 10, sha256: 'b'.repeat(64) },
    gzip: { path: '5.combined.gz', key: 'rbldnsd/bl.test/5.combined.gz', size: 5, sha256: 'c'.repeat(64) },
    aliases: { data: 'rbldnsd/bl.test/latest.combined', gzip: 'rbldnsd/bl.test/latest.combined.gz' },
  };
  it('accepts a manifest the export writes', () => {
    expect(parseManifest(JSON.stringify(good)).serial).toBe(5);
  });
  it.each([
    ['a path outside the folder', { data: { ...good.data, path: '../../etc/passwd' } }],
    ['an absolute URL as path', { gzip: { ...good.gzip, path: 'https://evil.example/x' } }],
    ['a serial of 0', { serial: 0 }],
    ['a serial past 2^32-1', { serial: 2 ** 32 }],
    ['a malformed sha256', { sha256: 'B'.repeat(64), data: { ...good.data, sha256: 'B'.repeat(64) } }],
    ['sha256 differing from data.sha256', { sha256: 'd'.repeat(64) }],
    ['another version', { version: 2 }],
  ])('refuses %s', (_what, patch) => {
    expect(() => parseManifest(JSON.stringify({ ...good, ...patch }))).toThrow(ManifestError);
  });
  it('refuses text that is not JSON', () => {
    expect(() => parseManifest('<html>')).toThrow(ManifestError);
  });
});
