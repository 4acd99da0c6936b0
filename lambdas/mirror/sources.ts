// Where a mirror pulls from: an HTTPS base URL (CloudFront in front of the export bucket) or
// s3://bucket/prefix. Both fetch the manifest conditionally (If-None-Match with the ETag of the
// last one seen) and stream data objects named by the manifest, which lie next to it.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../adapters/export-store.js';
import { MANIFEST_NAME } from '../core/export-manifest.js';

/** A network or HTTP failure (exit code 5): nothing was installed, try again later. */
export class FetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchError';
  }
}

export type ManifestFetch = { notModified: true } | { notModified: false; text: string; etag?: string };

export interface MirrorSource {
  /** Where the manifest is, for messages and the state file. */
  readonly location: string;
  getManifest(ifNoneMatch?: string): Promise<ManifestFetch>;
  /** Streams a data object; `name` is a plain file name next to the manifest. */
  openObject(name: string): Promise<Readable>;
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface HttpSourceOptions {
  /** Limit for fetching the manifest (default 60 s). */
  readonly timeoutMs?: number;
  /** Limit for a whole data download (default 30 min). */
  readonly downloadTimeoutMs?: number;
  /** Plain http is refused except to loopback, unless allowed (the manifest is not signed). */
  readonly allowHttp?: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

export class HttpSource implements MirrorSource {
  readonly location: string;
  private readonly manifestUrl: URL;

  constructor(
    base: string,
    private readonly opts: HttpSourceOptions = {},
  ) {
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new Error(`--source ${JSON.stringify(base)} is not a URL`);
    }
    if (url.protocol === 'http:' && !opts.allowHttp && !isLoopback(url.hostname)) {
      throw new Error(`--source ${base} is plain http; use https (or --allow-http)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--source ${base}: unsupported protocol ${url.protocol}`);
    if (!url.pathname.endsWith('.json')) url.pathname = `${url.pathname.replace(/\/*$/, '/')}${MANIFEST_NAME}`;
    this.manifestUrl = url;
    this.location = url.toString();
  }

  private async get(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
    try {
      return await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new FetchError(`GET ${url} failed: ${(e as Error).message}${(e as Error).cause ? ` (${String((e as Error).cause)})` : ''}`, { cause: e });
    }
  }

  async getManifest(ifNoneMatch?: string): Promise<ManifestFetch> {
    const r = await this.get(
      this.manifestUrl,
      { 'cache-control': 'no-cache', ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}) },
      this.opts.timeoutMs ?? 60_000,
    );
    if (r.status === 304) {
      await r.body?.cancel();
      return { notModified: true };
    }
    if (r.status !== 200) {
      await r.body?.cancel();
      throw new FetchError(`GET ${this.manifestUrl} answered HTTP ${r.status}`);
    }
    const declared = Number(r.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) throw new FetchError(`manifest is ${declared} bytes, more than a manifest can be`);
    let text: string;
    try {
      text = await r.text();
    } catch (e) {
      throw new FetchError(`reading ${this.manifestUrl} failed: ${(e as Error).message}`, { cause: e });
    }
    const etag = r.headers.get('etag');
    return { notModified: false, text, ...(etag ? { etag } : {}) };
  }

  async openObject(name: string): Promise<Readable> {
    const url = new URL(encodeURIComponent(name), this.manifestUrl);
    const r = await this.get(url, {}, this.opts.downloadTimeoutMs ?? 30 * 60_000);
    if (r.status !== 200 || !r.body) {
      await r.body?.cancel();
      throw new FetchError(`GET ${url} answered HTTP ${r.status}`);
    }
    return Readable.fromWeb(r.body as unknown as WebReadableStream<Uint8Array>);
  }
}

export interface S3SourceOptions {
  readonly client?: S3Client;
  /** S3-compatible endpoint (local stand-in); the default is AWS with the usual credential chain. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly timeoutMs?: number;
  readonly downloadTimeoutMs?: number;
}

export class S3Source implements MirrorSource {
  readonly location: string;
  private readonly bucket: string;
  private readonly folder: string;
  private readonly manifestKey: string;
  private readonly client: S3Client;

  constructor(uri: string, private readonly opts: S3SourceOptions = {}) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!m) throw new Error(`--source ${JSON.stringify(uri)} is not s3://bucket/prefix`);
    this.bucket = m[1]!;
    const path = m[2]!.replace(/\/+$/, '');
    this.manifestKey = path.endsWith('.json') ? path : path ? `${path}/${MANIFEST_NAME}` : MANIFEST_NAME;
    this.folder = this.manifestKey.includes('/') ? this.manifestKey.slice(0, this.manifestKey.lastIndexOf('/') + 1) : '';
    this.location = `s3://${this.bucket}/${this.manifestKey}`;
    this.client = opts.client ?? s3Client(opts.endpoint, opts.region ?? process.env.AWS_REGION ?? 'us-east-1');
  }


  async getManifest(ifNoneMatch?: string): Promise<ManifestFetch> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.manifestKey, ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}) }),
        { abortSignal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000) },
      );
      if ((r.ContentLength ?? 0) > MAX_MANIFEST_BYTES) throw new FetchError('manifest is larger than a manifest can be');
      const text = (await r.Body?.transformToString('utf-8')) ?? '';
      return { notModified: false, text, ...(r.ETag ? { etag: r.ETag } : {}) };
    } catch (e) {
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      if (err.$metadata?.httpStatusCode === 304 || err.name === 'NotModified' || err.name === '304') return { notModified: true };
      if (e instanceof FetchError) throw e;
      throw new FetchError(`GetObject ${this.location} failed: ${err.name ?? ''} ${err.message ?? String(e)}`, { cause: e });
    }
  }

  async openObject(name: string): Promise<Readable> {
    const key = `${this.folder}${name}`;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: AbortSignal.timeout(this.opts.downloadTimeoutMs ?? 30 * 60_000),
      });
      if (!(r.Body instanceof Readable)) throw new Error('GetObject returned no stream');
      return r.Body;
    } catch (e) {
      throw new FetchError(`GetObject s3://${this.bucket}/${key} failed: ${(e as Error).name} ${(e as Error).message}`, { cause: e });
    }
  }
}

export function sourceFor(spec: string, opts: HttpSourceOptions & S3SourceOptions = {}): MirrorSource {
  return spec.startsWith('s3://') ? new S3Source(spec, opts) : new HttpSource(spec, opts);
}
