// The local export's S3 stand-in shows whole objects only, as S3 does ("Amazon S3 never adds partial
// objects", PutObject API reference): a mirror pulling while the export overwrites manifest.json
// must read the old manifest or the new one, never half of one. s3rver alone fails this.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { s3Client } from '../../lambdas/adapters/export-store.js';
import { LOCAL_EXPORT_BUCKET, type LocalExport, startLocalExport } from '../../local/export-file.js';
import { SPAM, testZone } from '../support/zones.js';

let dir: string;
let exporter: LocalExport;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'whole-objects-'));
  // Only the HTTP side is used here: no table behind it.
  exporter = await startLocalExport({ cfg: testZone([SPAM]), doc: {} as never, table: {} as never, journalTable: 'journal', directory: join(dir, 's3'), port: 0, target: join(dir, 'zone.combined') });
}, 30_000);
afterAll(async () => {
  await exporter?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a GET racing PUTs of the same key gets one whole version, never a part', async () => {
  const endpoint = new URL(exporter.url).origin;
  const s3 = s3Client(endpoint, 'us-east-1', { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
  const key = 'race/manifest.json';
  const versions = ['a', 'b', 'c'].map((ch) => JSON.stringify({ v: ch, pad: ch.repeat(1 << 20) }));
  await s3.send(new PutObjectCommand({ Bucket: LOCAL_EXPORT_BUCKET, Key: key, Body: versions[0] }));
  let writing = true;
  const writer = (async () => {
    for (let i = 1; i < 25; i++) await s3.send(new PutObjectCommand({ Bucket: LOCAL_EXPORT_BUCKET, Key: key, Body: versions[i % 3] }));
    writing = false;
  })();
  const seen = new Set<string>();
  let reads = 0;
  while (writing) {
    const body = await (await fetch(`${endpoint}/${LOCAL_EXPORT_BUCKET}/${key}`)).text();
    reads++;
    expect(versions, `read ${reads}: ${body.length} bytes`).toContain(body);
    seen.add(body.slice(6, 7));
  }
  await writer;
  s3.destroy();
  expect(reads).toBeGreaterThan(3);
  expect(seen.size).toBeGreaterThan(1);
}, 60_000);
