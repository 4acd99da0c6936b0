// The proof end to end: listings in DynamoDB Local -> export (byList index, 16 merged buckets) ->
// S3 (s3rver) -> the file loads into real rbldnsd with zero warnings and answers exactly as the
// semantics say for thousands of addresses, queried with dig.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportStore } from '../../lambdas/adapters/export-store.js';
import { Journal } from '../../lambdas/adapters/journal.js';
import { toItem } from '../../lambdas/adapters/listing-item.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { ZoneLock } from '../../lambdas/adapters/zone-lock.js';
import { queryName } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { type DatasetSource, renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import { answerFor, effectiveListings, mirrorConfig } from '../../lambdas/core/semantics.js';
import { exportOnce, exportRuntimeFromEnv } from '../../lambdas/handlers/export.js';
import { parseManifest } from '../../lambdas/core/export-manifest.js';
import { runExport, stateName } from '../../lambdas/services/export.js';
import { byListMergeSource, memorySource, scanSortSource } from '../../lambdas/services/export-source.js';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';
import { CFG } from '../core/arbitraries.js';
import { answerSet, checkRbldnsdFile, digBatch, startRbldnsd } from '../support/dns/index.js';
import { BUCKET, getBytes, listKeys, probes, type S3StandIn, sampleListings, startS3 } from './support.js';

const NOW = 1000; // seconds: about half of the sample's expiring listings have expired
const TABLES = { listings: 'export-listings', journal: 'export-journal' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function writeAll(doc: DynamoDBDocumentClient, listings: readonly Listing[]): Promise<void> {
  for (let i = 0; i < listings.length; i += 25) {
    let request: Record<string, Array<Record<string, unknown>>> | undefined = {
      [TABLES.listings]: listings.slice(i, i + 25).map((l) => ({ PutRequest: { Item: toItem(l, 1) } })),
    };
    while (request && Object.keys(request).length > 0) {
      const r = await doc.send(new BatchWriteCommand({ RequestItems: request as never }));
      request = r.UnprocessedItems as typeof request;
    }
  }
}

async function render(source: DatasetSource): Promise<string> {
  let s = '';
  for await (const chunk of renderRbldnsd(CFG, { serial: 7, nowSeconds: NOW }, source)) s += chunk;
  return s;
}

describe('export from DynamoDB Local through S3 into real rbldnsd', () => {
  let ddb: DynamoDbLocal;
  let s3: S3StandIn;
  let doc: DynamoDBDocumentClient;
  let table: ListingsTable;
  let dir: string;
  const listings = sampleListings();

  beforeAll(async () => {
    [ddb, s3] = await Promise.all([startDynamoDbLocal(), startS3()]);
    await ensureTables(ddb.client, TABLES);
    doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
    table = new ListingsTable(doc, TABLES.listings);
    await writeAll(doc, listings);
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-export-'));
  });

  afterAll(async () => {
    await Promise.allSettled([ddb?.stop(), s3?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads each list in network order: the 16-bucket merge, the scan+sort and memory agree byte for byte', async () => {
    const fromMerge = await render(byListMergeSource(table));
    expect(fromMerge).toBe(await render(scanSortSource(table)));
    expect(fromMerge).toBe(await render(memorySource(listings)));
  });

  it('publishes a file that real rbldnsd loads with zero warnings and that answers as the semantics for thousands of addresses', async () => {
    const journal = new Journal(doc, TABLES.journal);
    const result = await runExport(
      {
        cfg: CFG,
        store: new ExportStore(s3.client, BUCKET, `rbldnsd/${CFG.zone}`),
        source: byListMergeSource(table),
        journal,
        lock: new ZoneLock(doc, TABLES.journal, `export:${CFG.zone}`),
        now: () => NOW * 1000,
      },
      { trigger: 'schedule' },
    );
    expect(result.status).toBe('published');
    expect(result.skippedExpired).toBeGreaterThan(10);
    const manifest = parseManifest((await getBytes(s3.client, `rbldnsd/${CFG.zone}/manifest.json`)).body.toString());
    const data = (await getBytes(s3.client, manifest.data.key)).body;
    expect(sha(data)).toBe(manifest.sha256);
    expect(data.length).toBe(manifest.size);
    expect((await journal.getState<{ serial: number }>(stateName(CFG.zone)))?.serial).toBe(manifest.serial);

    const effective = effectiveListings(CFG, listings, NOW);
    // Entries per list = active listings of that list (test points are not counted).
    for (const list of CFG.lists) {
      expect(manifest.entries[list.name]).toBe(effective.filter((l) => l.list === list.name).length - 1);
    }

    const file = join(dir, 'bl.combined');
    await writeFile(file, data);
    const check = await checkRbldnsdFile(CFG.zone, 'combined', file);
    expect(check.warnings).toEqual([]);
    expect(check.entries).toBeGreaterThan(manifest.entriesTotal);

    const rbl = await startRbldnsd({ zone: CFG.zone, files: [{ type: 'combined', path: file }] });
    try {
      const points = probes(listings);
      expect(points.length).toBeGreaterThan(2000);
      const queries = points.flatMap(([f, a]) => {
        const name = queryName(f, a, CFG.zone);
        return [
          { name, type: 'A' as const },
          { name, type: 'TXT' as const },
        ];
      });
      const answers = await digBatch(rbl.port, queries);
      let listed = 0;
      const mismatches: unknown[] = [];
      for (let i = 0; i < points.length; i++) {
        const [f, a] = points[i]!;
        // Mirrors answer IPv4-mapped and 6to4 names from the IPv4 data whatever the zone does.
        const want = answerFor(mirrorConfig(CFG), effective, f, a);
        const expected = { listed: want.length > 0, a: [...new Set(want.map((w) => w.code))].sort(), txt: [...new Set(want.map((w) => w.txt))].sort() };
        const got = { ...answerSet(answers[2 * i]!), txt: answerSet(answers[2 * i + 1]!).txt };
        if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push({ name: queries[2 * i]!.name, got, expected });
        if (!expected.listed && answers[2 * i]!.rcode !== 'NXDOMAIN') mismatches.push({ name: queries[2 * i]!.name, rcode: answers[2 * i]!.rcode });
        if (expected.listed) listed++;
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(listed).toBeGreaterThan(points.length / 5);
      expect(rbl.warnings).toEqual([]);
    } finally {
      await rbl.stop();
    }
  });

  it('the Lambda handler wiring (env -> table, journal, S3) publishes, debounces and skips unchanged content', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LISTINGS_TABLE: TABLES.listings,
      JOURNAL_TABLE: TABLES.journal,
      ZONE_CONFIG: JSON.stringify(CFG),
      DYNAMODB_ENDPOINT: ddb.endpoint,
      S3_ENDPOINT: s3.endpoint,
      EXPORT_BUCKET: BUCKET,
      EXPORT_KEY: 'handler/',
      EXPORT_MIN_INTERVAL_SECONDS: '300',
      EXPORT_LIFETIME_SECONDS: '86400',
    };
    delete env.HOSTED_ZONE_ID;
    const x = exportRuntimeFromEnv(env);
    const first = await exportOnce(x, { force: true });
    expect(first.status).toBe('published');
    expect(await listKeys(s3.client, `handler/${CFG.zone}/`)).toContain(`handler/${CFG.zone}/manifest.json`);
    const text = (await getBytes(s3.client, `handler/${CFG.zone}/latest.combined`)).body.toString();
    expect(text).toMatch(/^\$TIMESTAMP \d{4}:\d\d:\d\d:\d\d:\d\d:\d\d \+87000s$/m);
    // A burst of change notifications within the interval: all skipped.
    for (let i = 0; i < 3; i++) expect((await exportOnce(x, { source: 'stream-sync' })).status).toBe('debounced');
    // The scheduled run catches up on them; the content is unchanged, so nothing is uploaded.
    const scheduled = await exportOnce(x, { source: 'aws.events', 'detail-type': 'Scheduled Event' });
    expect(scheduled.status).toBe('unchanged');
    expect(scheduled.serial).toBe(first.serial);

    // A change in the table is published with a higher serial.
    await table.put({ ...listings[0]!, network: { family: 4, start: 0xcb007101n, prefix: 32 }, expiresAt: undefined, exclusion: false }, undefined);
    const changed = await exportOnce(x, { force: true });
    expect(changed.status).toBe('published');
    expect(changed.serial!).toBeGreaterThan(first.serial!);
    x.s3.destroy();
  });
});
