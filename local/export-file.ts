// The local stack's export, as in AWS: the export service (lambdas/services/export.ts, the same code
// as the export Lambda) writes `<serial>.combined`, its gzip and `manifest.json` to an S3 stand-in
// (s3rver, in this process, data under the stack's data folder), whose plain HTTP answers GETs the
// way CloudFront does in front of the bucket (ETag, If-None-Match -> 304). The stack's own rbldnsd
// is then a mirror like any other: `dnsbl mirror pull` (lambdas/mirror/pull.ts) installs its file
// from that HTTP export. Anyone can pull it too:
//   npx dnsbl mirror pull --source http://127.0.0.1:8081/exports/rbldnsd/<zone>/ --target FILE
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ExportStore, s3Client } from '../lambdas/adapters/export-store.js';
import { Journal } from '../lambdas/adapters/journal.js';
import type { ListingsTable } from '../lambdas/adapters/listings-table.js';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { mirrorPull, type PullResult } from '../lambdas/mirror/pull.js';
import { HttpSource } from '../lambdas/mirror/sources.js';
import { MANIFEST_NAME } from '../lambdas/core/export-manifest.js';
import { DEFAULT_EXPORT_PREFIX, type ExportResult, runExport } from '../lambdas/services/export.js';
import { byListMergeSource } from '../lambdas/services/export-source.js';

/** The bucket of the local export (path-style URLs: http://127.0.0.1:<port>/<bucket>/<key>). */
export const LOCAL_EXPORT_BUCKET = 'exports';

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | NodeJS.ReadableStream | null;
  metadata: Record<string, string>;
}
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: unknown): Promise<S3rverObject | null>;
}
interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
  store: S3rverStore;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;

export interface LocalExportOptions {
  cfg: ZoneConfig;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  journalTable: string;
  /** Where s3rver keeps the bucket. */
  directory: string;
  /** HTTP port on 127.0.0.1 (0 = any free one). */
  port: number;
  /** The file the stack's rbldnsd reads, installed by a mirror pull from the HTTP export. */
  target: string;
}

export interface LocalExport {
  /** The zone's export folder over HTTP, as a mirror's --source. */
  readonly url: string;
  readonly manifestUrl: string;
  readonly port: number;
  /** Export (unless nothing changed), then pull into `target`. */
  publish(): Promise<{ exported: ExportResult; pulled: PullResult }>;
  stop(): Promise<void>;
}

/**
 * s3rver has no AbortMultipartUpload (it answers MethodNotAllowed). The export aborts its uploads
 * when the content is unchanged; for files past one part (8 MiB) that would fail the run: answer it
 * as S3 does. Nothing is left behind that matters (s3rver drops incomplete uploads on restart).
 */
function withAbortStub(client: S3Client): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'AbortMultipartUploadCommand') return { output: { $metadata: { httpStatusCode: 204 } }, response: {} } as never;
      return next(args);
    },
    { step: 'initialize', name: 'abortMultipartStub' },
  );
  return client;
}

/**
 * S3 never shows a partial object: "Amazon S3 never adds partial objects; if you receive a success
 * response, Amazon S3 added the entire object to the bucket"
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), and a GET sees the old object
 * or the new one. s3rver truncates the file and streams into it (and answers before a buffered body
 * is flushed), so a mirror pulling while the export overwrote manifest.json read it half written
 * ("manifest is not JSON"). Here a PUT writes a temporary file, renames it into place and writes its
 * metadata, and a GET reads object and metadata, one at a time: every read sees a whole object.
 */
function wholeObjects(store: S3rverStore): void {
  let turn: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(f: () => Promise<T>): Promise<T> => {
    const run = turn.then(f);
    turn = run.catch(() => undefined);
    return run;
  };
  const get = store.getObject.bind(store);
  store.putObject = (object) =>
    oneAtATime(async () => {
      const content = object.content === null ? Buffer.alloc(0) : Buffer.isBuffer(object.content) ? object.content : await buffer(object.content);
      const path = store.getResourcePath(object.bucket, object.key, 'object');
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, content);
      await rename(temporary, path);
      const md5 = createHash('md5').update(content).digest('hex');
      await store.putMetadata(object.bucket, object.key, object.metadata, md5);
      return { size: content.length, md5 };
    });
  store.getObject = (bucket, key, options) =>
    oneAtATime(async () => {
      const object = await get(bucket, key, options);
      if (object?.content && !Buffer.isBuffer(object.content)) object.content = Readable.from(await buffer(object.content));
      return object;
    });
}

export async function startLocalExport(opts: LocalExportOptions): Promise<LocalExport> {
  // s3rver ships no types; load it through require.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const server = new S3rver({ address: '127.0.0.1', port: opts.port, silent: true, directory: opts.directory, configureBuckets: [{ name: LOCAL_EXPORT_BUCKET }] });
  wholeObjects(server.store);
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(
      err.code === 'EADDRINUSE'
        ? `the export's HTTP port 127.0.0.1:${opts.port} is in use: set DNSBL_EXPORT_PORT to a free port (0 = any)`
        : `the export's HTTP server (s3rver) did not start: ${err.message}`,
    );
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = withAbortStub(s3Client(endpoint));
  const folder = `${DEFAULT_EXPORT_PREFIX}/${opts.cfg.zone}`;
  const store = new ExportStore(s3, LOCAL_EXPORT_BUCKET, folder);
  const url = `${endpoint}/${LOCAL_EXPORT_BUCKET}/${folder}/`;
  const source = new HttpSource(url);
  const journal = new Journal(opts.doc, opts.journalTable);
  // One run at a time, in order.
  let queue: Promise<unknown> = Promise.resolve();
  const publish = () => {
    const run = queue.then(async () => {
      const exported = await runExport(
        { cfg: opts.cfg, store, source: byListMergeSource(opts.table), journal },
        { force: true, trigger: 'change' },
      );
      const pulled = await mirrorPull({ source, target: opts.target });
      return { exported, pulled };
    });
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    url,
    manifestUrl: `${url}${MANIFEST_NAME}`,
    port,
    publish,
    async stop() {
      await queue;
      s3.destroy();
      await server.close();
    },
  };
}
