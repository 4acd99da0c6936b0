// Export: the listings table -> one rbldnsd "combined" file (+ gzip variant) in S3 for mirrors.
//
// Flow of one run:
//  1. Debounce: a run that is not forced is skipped when the last one started less than
//     minIntervalSeconds ago (state in the journal table). A change-triggered run that is skipped
//     marks the state "pending"; the next scheduled run then runs even inside the interval, so the
//     schedule is the trailing edge of a burst of changes.
//  2. One exporter at a time: a lease in the journal table (ZoneLock on "export:<zone>").
//  3. Render with the core renderer from sorted per-list streams (export-source.ts) and stream the
//     bytes straight into two S3 uploads (the file, and gzip of it) while hashing them: memory holds
//     a few upload parts, never the file.
//  4. Skip when nothing changed: the content hash covers everything but the serial and $TIMESTAMP
//     lines. Known only once the last entry is rendered, so the uploads are still open then; on
//     "unchanged" their bodies are failed instead of ended, which aborts them: a file smaller than
//     one part (8 MiB, ~100k entries) never leaves the process, a larger one leaves only aborted
//     multipart parts (no object, no new manifest: mirrors are not woken). A dead-man $TIMESTAMP
//     forces a republication once half of the published file's lifetime has passed.
//  5. Publish atomically, data first and manifest last: `<serial>.combined` and `.combined.gz` are
//     new, immutable keys (a failed upload leaves no object and touches nothing that exists), then
//     the stable aliases `latest.combined(.gz)` are server-side copies, then `manifest.json` (one
//     PUT) names the data objects with their sha256 and size. Readers of the manifest therefore
//     always find complete objects that match it.
//     Keys are named by serial rather than by sha256: the serial is known before the first byte is
//     uploaded, the hash only after the last, and naming by hash would mean spooling the file or a
//     second copy. Serials are never reused for published content (nextSerial over the previous
//     manifest and the journal state), so the keys are just as immutable.
//  6. Prune objects of publications older than the previous one (mirrors mid-download of the
//     previous file still find it).
import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ExportStore } from '../adapters/export-store.js';
import { DATA_CONTENT_TYPE, GZIP_CONTENT_TYPE } from '../adapters/export-store.js';
import type { ZoneConfig } from '../core/listing.js';
import { type DatasetSource, nextSerial, type RenderCounts, renderRbldnsd } from '../core/rbldnsd-render.js';
import { MANIFEST_NAME, MANIFEST_VERSION, type Manifest } from '../core/export-manifest.js';

/** Environment variables of the export function beyond those in table-schema.ts ENV. */
export const EXPORT_ENV = {
  /** Optional dead-man switch: mirrors stop answering this long after the file was generated. */
  lifetimeSeconds: 'EXPORT_LIFETIME_SECONDS',
  /** Debounce: runs that are not forced are skipped within this many seconds of the last (default 60). */
  minIntervalSeconds: 'EXPORT_MIN_INTERVAL_SECONDS',
  /** "gsi-merge" (default) or "scan-sort": how listings are read (see export-source.ts). */
  readMode: 'EXPORT_READ_MODE',
} as const;

export const DEFAULT_EXPORT_PREFIX = 'rbldnsd';
export const DEFAULT_MIN_INTERVAL_SECONDS = 60;
export const ALIAS_DATA = 'latest.combined';
export const ALIAS_GZIP = 'latest.combined.gz';
/**
 * rbldnsd refuses a file whose $TIMESTAMP lies in the future: the stamp is back-dated by this much
 * (and the lifetime lengthened by as much, so the expiry moment is unchanged) so that mirrors whose
 * clock runs up to 10 minutes behind still load a fresh file.
 */
export const TIMESTAMP_SKEW_SECONDS = 600;
/** Lines are collected into buffers of about this size before hashing and writing. */
const FLUSH_BYTES = 64 * 1024;

export const dataName = (serial: number) => `${serial}.combined`;
export const gzipName = (serial: number) => `${serial}.combined.gz`;
const SERIAL_OBJECT = /^([0-9]+)\.combined(\.gz)?$/;

export interface ExportState {
  /** When the last run started (ms); the debounce compares against it. */
  lastRunAt?: number;
  /** A change-triggered run was skipped at this time (ms) and the data may be newer than the file. */
  pendingSince?: number;
  /** Serial of the last publication (serials stay increasing even if the bucket is emptied). */
  serial?: number;
  contentSha256?: string;
  publishedAt?: number;
}

export interface ExportDeps {
  readonly cfg: ZoneConfig;
  readonly store: ExportStore;
  /** Each list's listings of one family, sorted by networkKey. */
  readonly source: DatasetSource;
  readonly journal: {
    getState<T>(name: string): Promise<T | undefined>;
    putState(name: string, value: unknown): Promise<void>;
  };
  readonly lock?: { acquire(waitMs: number): Promise<boolean>; release(): Promise<void> };
  /** Epoch milliseconds (tests move the clock). */
  readonly now?: () => number;
  readonly log?: (message: string, data?: Record<string, unknown>) => void;
}

export type ExportTrigger = 'schedule' | 'change' | 'manual';

export interface ExportOptions {
  /** Run even if the last run was less than minIntervalSeconds ago. */
  readonly force?: boolean;
  /** Publish even if the content did not change. */
  readonly republish?: boolean;
  readonly trigger?: ExportTrigger;
  readonly minIntervalSeconds?: number;
  readonly lifetimeSeconds?: number;
  /** Milliseconds to wait for another exporter's lease (default 0: report "busy" at once). */
  readonly lockWaitMs?: number;
  readonly gzipLevel?: number;
}

export interface ExportResult {
  readonly status: 'published' | 'unchanged' | 'debounced' | 'busy';
  readonly serial?: number;
  readonly previousSerial?: number;
  readonly manifest?: Manifest;
  /** Entries rendered per list (also for "unchanged"). */
  readonly entries?: Record<string, number>;
  readonly skippedExpired?: number;
  readonly bytes?: number;
  readonly gzipBytes?: number;
  readonly contentSha256?: string;
  readonly reason?: string;
  readonly durationMs: number;
}

export const stateName = (zone: string) => `export#${zone}`;

class Unchanged extends Error {
  constructor(readonly counts: RenderCounts) {
    super('content unchanged: upload abandoned');
    this.name = 'Unchanged';
  }
}

/** Awaits room in a stream's buffer; rejects if the stream fails or closes meanwhile. */
function write(stream: Writable, buf: Buffer): Promise<void> {
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error('stream closed'));
  if (stream.write(buf)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (e: Error) => done(e);
    const onClose = () => done(stream.errored ?? new Error('stream closed'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** A pass-through that hashes and counts what flows through it. */
function tap(hash: Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

/** The header lines as they count for "did anything change": serial and timestamp left out. */
function canonicalHeader(line: string): string {
  if (line.startsWith('#') || line.startsWith('$TIMESTAMP')) return '';
  if (line.startsWith('$SOA ')) {
    const f = line.split(' ');
    f[4] = '-';
    return f.join(' ');
  }
  return line;
}

interface Rendered {
  contentSha256: string;
  counts: RenderCounts;
  data: { size: number; sha256: string };
  gzip: { size: number; sha256: string };
}

/**
 * Renders and uploads. `keep(contentSha256)` is asked once everything is rendered and before the
 * uploads are completed: true abandons them (throws Unchanged, nothing is written).
 */
async function renderAndUpload(
  deps: ExportDeps,
  serial: number,
  nowMs: number,
  opts: ExportOptions,
  keep: (contentSha256: string) => Promise<boolean>,
): Promise<Rendered> {
  const { cfg, store } = deps;
  const counts: RenderCounts = { perList: {}, skippedExpired: 0 };
  const lifetime = opts.lifetimeSeconds;
  const lines = renderRbldnsd(
    cfg,
    {
      serial,
      nowSeconds: nowMs / 1000,
      ...(lifetime
        ? { timestamp: { generatedAt: new Date(nowMs - TIMESTAMP_SKEW_SECONDS * 1000), lifetimeSeconds: lifetime + TIMESTAMP_SKEW_SECONDS } }
        : {}),
    },
    deps.source,
    counts,
  );

  const fileHash = createHash('sha256');
  const contentHash = createHash('sha256');
  const gzHash = createHash('sha256');
  const gzCount = { bytes: 0 };
  let size = 0;

  const rawBody = new PassThrough({ highWaterMark: 1024 * 1024 });
  const gzip = createGzip({ level: opts.gzipLevel ?? 6 });
  const gzBody = new PassThrough({ highWaterMark: 1024 * 1024 });
  const gzPiped = pipeline(gzip, tap(gzHash, gzCount), gzBody);
  // Failures are collected below; a stream without a listener would turn them into a crash.
  rawBody.on('error', () => undefined);
  gzBody.on('error', () => undefined);
  const meta = { serial: String(serial) };
  const rawUpload = store.upload(dataName(serial), rawBody, DATA_CONTENT_TYPE, meta);
  const gzUpload = store.upload(gzipName(serial), gzBody, GZIP_CONTENT_TYPE, meta);

  // Fail fast: an upload that fails stops the rendering at the next write.
  let failure: unknown;
  const fail = (e: unknown) => {
    failure ??= e;
    if (!rawBody.destroyed) rawBody.destroy(e as Error);
    if (!gzip.destroyed) gzip.destroy(e as Error);
  };
  const settled = Promise.allSettled([
    rawUpload.done.catch((e) => {
      fail(e);
      throw e;
    }),
    gzUpload.done.catch((e) => {
      fail(e);
      throw e;
    }),
    gzPiped.catch((e) => {
      fail(e);
      throw e;
    }),
  ]);

  let pending = '';
  const flush = async (hashContent: boolean) => {
    if (pending.length === 0) return;
    const buf = Buffer.from(pending, 'utf8');
    pending = '';
    fileHash.update(buf);
    if (hashContent) contentHash.update(buf);
    size += buf.length;
    if (failure) throw failure;
    await Promise.all([write(rawBody, buf), write(gzip, buf)]);
  };

  try {
    let inHeader = true;
    for await (const line of lines) {
      if (inHeader) {
        if (line.startsWith('$DATASET')) {
          inHeader = false;
          await flush(false);
        } else {
          contentHash.update(canonicalHeader(line));
          pending += line;
          continue;
        }
      }
      pending += line;
      if (pending.length >= FLUSH_BYTES) await flush(true);
    }
    await flush(!inHeader);
    const contentSha256 = contentHash.digest('hex');
    if (failure) throw failure;
    if (await keep(contentSha256)) throw new Unchanged(counts);
    rawBody.end();
    gzip.end();
    const results = await settled;
    const bad = results.find((r) => r.status === 'rejected');
    if (bad) throw (bad as PromiseRejectedResult).reason;
    return {
      contentSha256,
      counts,
      data: { size, sha256: fileHash.digest('hex') },
      gzip: { size: gzCount.bytes, sha256: gzHash.digest('hex') },
    };
  } catch (e) {
    // Fail the bodies instead of ending them: the uploads abort and no object is created.
    fail(e);
    await settled;
    throw e;
  }
}

/**
 * After a failed run, removes whichever of this serial's objects did get written (one upload can
 * succeed while the other fails). No manifest names them: the serial is above the published one.
 */
async function removeUnpublished(store: ExportStore, serial: number): Promise<void> {
  await Promise.allSettled([store.delete(dataName(serial)), store.delete(gzipName(serial))]);
}

/** One export run (see the top of the file). */
export async function runExport(deps: ExportDeps, opts: ExportOptions = {}): Promise<ExportResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const name = stateName(deps.cfg.zone);
  const minInterval = opts.minIntervalSeconds ?? DEFAULT_MIN_INTERVAL_SECONDS;
  const elapsed = () => now() - started;

  const debounced = (s: ExportState | undefined): boolean => {
    if (opts.force) return false;
    const last = s?.lastRunAt ?? 0;
    if (started - last >= minInterval * 1000) return false;
    const pending = (s?.pendingSince ?? 0) > last;
    return !(opts.trigger === 'schedule' && pending);
  };
  const markPending = async (s: ExportState | undefined) => {
    if (opts.trigger === 'change') await deps.journal.putState(name, { ...s, pendingSince: started });
  };

  const before = await deps.journal.getState<ExportState>(name);
  if (debounced(before)) {
    await markPending(before);
    return { status: 'debounced', reason: `last run ${Math.round((started - (before?.lastRunAt ?? 0)) / 1000)} s ago`, durationMs: elapsed() };
  }
  if (deps.lock && !(await deps.lock.acquire(opts.lockWaitMs ?? 0))) {
    await markPending(before);
    return { status: 'busy', reason: 'another export holds the lease', durationMs: elapsed() };
  }
  try {
    // Re-read under the lease: a run that just finished counts for the debounce.
    const state = (await deps.journal.getState<ExportState>(name)) ?? {};
    if (debounced(state)) {
      await markPending(state);
      return { status: 'debounced', reason: 'another run just finished', durationMs: elapsed() };
    }
    await deps.journal.putState(name, { ...state, lastRunAt: started });
    try {
      return await publishRun(deps, opts, state, started, elapsed);
    } catch (e) {
      // A failed run does not count for the debounce: the retry (or the next change) runs at once.
      const latest = (await deps.journal.getState<ExportState>(name).catch(() => undefined)) ?? state;
      await deps.journal
        .putState(name, { ...latest, lastRunAt: state.lastRunAt ?? 0, pendingSince: started } satisfies ExportState)
        .catch(() => undefined);
      throw e;
    }
  } finally {
    await deps.lock?.release();
  }
}

async function publishRun(
  deps: ExportDeps,
  opts: ExportOptions,
  state: ExportState,
  started: number,
  elapsed: () => number,
): Promise<ExportResult> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => undefined);
  const name = stateName(deps.cfg.zone);
  const published = await deps.store.getManifest();
  const prev = published?.manifest;
  const previousSerial = Math.max(prev?.serial ?? 0, state.serial ?? 0);
  const serial = nextSerial(previousSerial, started / 1000);

  // Reasons to publish even if the content hash is the same.
  const refreshReason = async (): Promise<string | undefined> => {
    if (!prev) return 'no manifest yet';
    if (opts.republish) return 'republish requested';
    const lifetime = opts.lifetimeSeconds;
    if (!lifetime && prev.expiresAt) return 'dead-man switch removed';
    if (lifetime) {
      if (!prev.expiresAt) return 'dead-man switch added';
      if (Date.parse(prev.expiresAt) - started < (lifetime * 1000) / 2) return 'half of the lifetime passed';
    }
    const head = await deps.store.head(prev.data.path);
    if (!head || head.size !== prev.data.size) return 'published data object missing';
    if (!(await deps.store.head(prev.gzip.path))) return 'published gzip object missing';
    return undefined;
  };
  let why: string | undefined;
  let rendered: Rendered;
  try {
    rendered = await renderAndUpload(deps, serial, started, opts, async (contentSha256) => {
      if (prev && prev.contentSha256 !== contentSha256) {
        why = 'content changed';
        return false;
      }
      why = await refreshReason();
      return why === undefined;
    });
  } catch (e) {
    if (!(e instanceof Unchanged)) {
      await removeUnpublished(deps.store, serial);
      throw e;
    }
    await deps.journal.putState(name, { ...((await deps.journal.getState<ExportState>(name)) ?? state), lastRunAt: started });
    log('export unchanged', { serial: prev?.serial, contentSha256: prev?.contentSha256 });
    return {
      status: 'unchanged',
      ...(prev ? { serial: prev.serial, manifest: prev } : {}),
      previousSerial,
      entries: e.counts.perList,
      skippedExpired: e.counts.skippedExpired,
      contentSha256: prev?.contentSha256,
      ...(why ? { reason: why } : {}),
      durationMs: elapsed(),
    };
  }

  const { counts } = rendered;
  const lifetime = opts.lifetimeSeconds;
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    zone: deps.cfg.zone,
    format: 'rbldnsd-combined',
    serial,
    generatedAt: new Date(started).toISOString(),
    ...(lifetime ? { expiresAt: new Date(started + lifetime * 1000).toISOString() } : {}),
    entries: counts.perList,
    entriesTotal: Object.values(counts.perList).reduce((a, b) => a + b, 0),
    contentSha256: rendered.contentSha256,
    sha256: rendered.data.sha256,
    size: rendered.data.size,
    key: deps.store.key(dataName(serial)),
    data: { path: dataName(serial), key: deps.store.key(dataName(serial)), ...rendered.data },
    gzip: { path: gzipName(serial), key: deps.store.key(gzipName(serial)), ...rendered.gzip },
    aliases: { data: deps.store.key(ALIAS_DATA), gzip: deps.store.key(ALIAS_GZIP) },
  };
  const meta = (o: { sha256: string }) => ({ serial: String(serial), sha256: o.sha256 });
  try {
    await deps.store.copy(dataName(serial), ALIAS_DATA, DATA_CONTENT_TYPE, meta(rendered.data));
    await deps.store.copy(gzipName(serial), ALIAS_GZIP, GZIP_CONTENT_TYPE, meta(rendered.gzip));
  } catch (e) {
    await removeUnpublished(deps.store, serial);
    throw e;
  }
  // From here on the objects stay, even if this PUT seems to fail: it may have succeeded.
  await deps.store.putManifest(manifest);
  const latest = (await deps.journal.getState<ExportState>(name)) ?? state;
  await deps.journal.putState(name, {
    ...latest,
    lastRunAt: started,
    serial,
    contentSha256: rendered.contentSha256,
    publishedAt: now(),
  } satisfies ExportState);
  log('export published', { serial, why, bytes: manifest.size, gzipBytes: manifest.gzip.size, entries: manifest.entries });

  // Housekeeping; a failure here costs storage, not correctness.
  const keepFrom = prev?.serial ?? serial;
  try {
    for (const obj of await deps.store.list()) {
      const m = SERIAL_OBJECT.exec(obj);
      if (m && Number(m[1]) < keepFrom) await deps.store.delete(obj);
    }
  } catch (e) {
    log('pruning old export objects failed', { error: String(e) });
  }

  return {
    status: 'published',
    serial,
    previousSerial,
    manifest,
    entries: counts.perList,
    skippedExpired: counts.skippedExpired,
    bytes: manifest.size,
    gzipBytes: manifest.gzip.size,
    contentSha256: rendered.contentSha256,
    ...(why ? { reason: why } : {}),
    durationMs: elapsed(),
  };
}

export { MANIFEST_NAME };
