// Shared pieces of the export tests: an s3rver stand-in, small S3 helpers, listing samples and
// probe addresses around them.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { s3Client } from '../../lambdas/adapters/export-store.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { listingSetArb } from '../core/arbitraries.js';

interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;

export const BUCKET = 'exports';

export interface S3StandIn {
  endpoint: string;
  /** Client with AbortMultipartUpload stubbed (see withAbortStub). */
  client: S3Client;
  /** AbortMultipartUpload calls made through `client`. */
  aborts: { count: number };
  stop(): Promise<void>;
}

/**
 * s3rver does not implement AbortMultipartUpload (it answers MethodNotAllowed, which lib-storage
 * would report instead of the error that made it abort). Answer it locally like S3 does, and count.
 */
export function withAbortStub(client: S3Client, aborts: { count: number }): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'AbortMultipartUploadCommand') {
        aborts.count++;
        return { output: { $metadata: { httpStatusCode: 204 } }, response: {} } as never;
      }
      return next(args);
    },
    { step: 'initialize', name: 'abortMultipartStub' },
  );
  return client;
}

/** s3rver on 127.0.0.1 with a free port and a temporary folder, bucket `exports` created. */
export async function startS3(): Promise<S3StandIn> {
  // s3rver ships no types; load it through require rather than declaring a global module.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const directory = await mkdtemp(join(tmpdir(), 'dnsbl-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const aborts = { count: 0 };
  const client = withAbortStub(s3Client(endpoint), aborts);
  return {
    endpoint,
    client,
    aborts,
    stop: async () => {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export async function getBytes(client: S3Client, key: string): Promise<{ body: Buffer; etag?: string; contentType?: string; cacheControl?: string }> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const body = Buffer.from(await r.Body!.transformToByteArray());
  return { body, etag: r.ETag, contentType: r.ContentType, cacheControl: r.CacheControl };
}

export async function listKeys(client: S3Client, prefix = ''): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

/** Several random overlapping listing sets merged (unique by list+network), reproducible. */
export function sampleListings(seed = 5782, runs = 100): Listing[] {
  const sets = fc.sample(listingSetArb(40), { numRuns: runs, seed });
  const byKey = new Map<string, Listing>();
  for (const s of sets) for (const l of s) byKey.set(`${l.list}|${l.network.family}|${l.network.start}|${l.network.prefix}`, l);
  return [...byKey.values()];
}

/** Addresses worth asking about (shared with the plan and real-DNS tests). */
export { probeAddresses as probes } from '../support/probes.js';

/** The sample without expiry times: its content does not change as the clock moves. */
export function stableListings(seed = 5782): Listing[] {
  return sampleListings(seed).map(({ expiresAt: _e, ...l }) => l);
}

/** `count` sorted IPv4 host listings in one list with long reasons: ~280 bytes per line. */
export function bulkListings(count: number, list = 'spam', reasonTag = 'bulk'): Listing[] {
  const out: Listing[] = [];
  const reason = `${reasonTag} `.padEnd(190, 'x');
  for (let i = 0; i < count; i++) {
    out.push({
      list,
      network: { family: 4, start: 0x0b000000n + BigInt(i), prefix: 32 },
      reason,
      source: 'test',
      createdAt: 't',
      updatedAt: 't',
      exclusion: false,
    });
  }
  return out;
}
