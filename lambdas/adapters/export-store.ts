// S3 side of the export: streamed (multipart) uploads, server-side copies for the stable aliases,
// the manifest, and pruning of old publications. Everything lives under one folder per zone:
//   <prefix>/<zone>/<serial>.combined       immutable data of one publication
//   <prefix>/<zone>/<serial>.combined.gz    the same, gzip-compressed
//   <prefix>/<zone>/latest.combined(.gz)    stable aliases, overwritten by every publication
//   <prefix>/<zone>/manifest.json           written last: names the data objects and checksums
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MANIFEST_NAME, type Manifest, parseManifest } from '../core/export-manifest.js';
import { ENV } from './table-schema.js';

/** s3rver's built-in account; other stand-ins: set S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * S3 client from the environment. With S3_ENDPOINT (a local stand-in): path-style addressing,
 * static credentials and no default checksums; without it the normal AWS chain applies.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env, extra: Partial<S3ClientConfig> = {}): S3Client {
  const endpoint = env[ENV.s3Endpoint];
  const credentials =
    endpoint && env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY } }
      : {};
  return s3Client(endpoint, env.AWS_REGION ?? 'us-east-1', { ...credentials, ...extra });
}

export function s3Client(endpoint: string | undefined, region = 'us-east-1', extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region,
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          credentials: LOCAL_S3_CREDENTIALS,
          // s3rver (and other stand-ins) know nothing of the SDK's default CRC32 trailers.
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
    ...extra,
  });
}

export const DATA_CONTENT_TYPE = 'text/plain; charset=utf-8';
export const GZIP_CONTENT_TYPE = 'application/gzip';
/** Data objects never change once written: caches may keep them forever. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The manifest and aliases change: caches (CloudFront) must revalidate (ETag) every time. */
export const REVALIDATE = 'no-cache';

export interface UploadHandle {
  /** Resolves when the object exists in full; rejects (and aborts any multipart upload) otherwise. */
  readonly done: Promise<void>;
  abort(): Promise<void>;
}

export interface UploadOptions {
  /** Multipart part size (>= 5 MiB). Memory per upload is about (queueSize + 1) * partSize. */
  readonly partSize?: number;
  readonly queueSize?: number;
}

function notFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}

export class ExportStore {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
    /** Folder of this zone's export, without trailing slash, e.g. "rbldnsd/bl.example.org". */
    readonly base: string,
    private readonly uploadOptions: UploadOptions = {},
  ) {}

  key(name: string): string {
    return `${this.base}/${name}`;
  }

  /**
   * Streams `body` to `name`. Small bodies become one PutObject, larger ones a multipart upload
   * (parts of partSize, queueSize in flight). Either way the key appears atomically, only when
   * complete: a failed or aborted upload leaves whatever the key held before.
   */
  upload(name: string, body: Readable, contentType: string, metadata: Record<string, string> = {}): UploadHandle {
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: this.key(name), Body: body, ContentType: contentType, CacheControl: IMMUTABLE, Metadata: metadata },
      partSize: this.uploadOptions.partSize ?? 8 * 1024 * 1024,
      queueSize: this.uploadOptions.queueSize ?? 2,
      leavePartsOnError: false,
    });
    return { done: upload.done().then(() => undefined), abort: () => upload.abort() };
  }

  /** Server-side copy with fresh headers (aliases must be revalidated, unlike their source). */
  async copy(fromName: string, toName: string, contentType: string, metadata: Record<string, string> = {}): Promise<void> {
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        CopySource: `${this.bucket}/${this.key(fromName).split('/').map(encodeURIComponent).join('/')}`,
        Key: this.key(toName),
        MetadataDirective: 'REPLACE',
        ContentType: contentType,
        CacheControl: REVALIDATE,
        Metadata: metadata,
      }),
    );
  }

  async head(name: string): Promise<{ size: number; metadata: Record<string, string> } | undefined> {
    try {
      const r = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return { size: Number(r.ContentLength ?? 0), metadata: r.Metadata ?? {} };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  /** The published manifest, or undefined if none was ever written. */
  async getManifest(): Promise<{ manifest: Manifest; etag?: string } | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(MANIFEST_NAME) }));
      const text = (await r.Body?.transformToString('utf-8')) ?? '';
      return { manifest: parseManifest(text), ...(r.ETag ? { etag: r.ETag } : {}) };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  /** One PutObject: readers see the old manifest or the new one, never a mix. */
  async putManifest(m: Manifest): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(MANIFEST_NAME),
        Body: `${JSON.stringify(m, null, 2)}\n`,
        ContentType: 'application/json',
        CacheControl: REVALIDATE,
      }),
    );
  }

  /** Names (relative to the zone folder) of every object in it. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.base}/`, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.base.length + 1));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(name: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
  }
}
