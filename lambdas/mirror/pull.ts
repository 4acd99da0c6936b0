// `dnsbl mirror pull`: fetch the newest exported rbldnsd file and install it for a local rbldnsd.
//
// 1. Fetch the manifest conditionally (If-None-Match with the ETag of the last one): 304 -> done,
//    nothing touched.
// 2. Refuse a manifest older than what is installed (serial compare against the state file next
//    to the target), below --min-serial, or with the installed serial but other content.
// 3. Download the data (or its gzip variant, decompressed on the fly) into a temporary file in the
//    target's folder, hashing as it goes; refuse it unless size, sha256 (of the gzip object too)
//    and the file's own $SOA serial match the manifest.
// 4. Give it an mtime different from the installed file's (rbldnsd reloads on a changed mtime in
//    whole seconds or size; a same-second, same-size replacement would go unnoticed), fsync, and
//    rename it over the target: rbldnsd sees the old file or the new one, never a partial one.
// 5. Write the state (serial, sha256, manifest ETag) the same way.
// Any failure before the rename leaves the installed file and the state as they were.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Manifest, ManifestError, type ManifestObject, parseManifest } from '../core/export-manifest.js';
import { FetchError, type MirrorSource } from './sources.js';

/** Exit codes of `dnsbl mirror pull` (documented in docs/mirror.md). */
export const EXIT = {
  /** Installed a newer file, or already up to date (304 / same serial). */
  ok: 0,
  /** Unexpected error (local I/O, permissions, bug). */
  error: 1,
  /** Bad command line. */
  usage: 2,
  /** Refused: the download or manifest failed verification (checksum, size, truncated, malformed). */
  verification: 3,
  /** Refused: the manifest is older than the installed file, or below --min-serial. */
  stale: 4,
  /** Could not fetch (network, HTTP status, timeout). */
  fetch: 5,
} as const;

export class VerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

export class StaleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleError';
  }
}

export interface MirrorState {
  readonly version: 1;
  readonly source: string;
  readonly zone: string;
  readonly serial: number;
  readonly sha256: string;
  readonly size: number;
  readonly generatedAt: string;
  readonly manifestEtag?: string;
  readonly installedAt: string;
}

export interface PullOptions {
  readonly source: MirrorSource;
  /** The file rbldnsd reads. */
  readonly target: string;
  /** State file (default: `<target>.state.json`, next to the target). */
  readonly state?: string;
  /** Refuse anything older than this serial (e.g. on a fresh mirror without state). */
  readonly minSerial?: number;
  /** Download the gzip variant and decompress it. */
  readonly gzip?: boolean;
  /** Epoch ms (tests). */
  readonly now?: () => number;
}

export type PullStatus = 'updated' | 'up-to-date' | 'not-modified';

export interface PullResult {
  readonly status: PullStatus;
  readonly serial?: number;
  readonly previousSerial?: number;
  readonly bytes?: number;
  readonly downloadedBytes?: number;
  readonly message: string;
}

export const defaultStatePath = (target: string) => `${resolve(target)}.state.json`;

async function readState(path: string): Promise<MirrorState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let s: MirrorState | undefined;
  try {
    s = JSON.parse(text) as MirrorState;
  } catch {
    s = undefined;
  }
  if (!s || s.version !== 1 || !Number.isInteger(s.serial) || typeof s.sha256 !== 'string') {
    throw new Error(`state file ${path} is not a dnsbl mirror state; move it away to start afresh`);
  }
  return s;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsConstants.O_RDONLY);
  try {
    await fh.sync();
  } catch {
    /* not supported on every file system */
  } finally {
    await fh.close();
  }
}

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `text` to `path` atomically (temp file in the same folder, fsync, rename). */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = tempName(path);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Temp files of runs that crashed (older than an hour) are removed. */
async function removeStaleTemps(target: string, nowMs: number): Promise<void> {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const p = join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (st && nowMs - st.mtimeMs > 3_600_000) await unlink(p).catch(() => undefined);
  }
}

type Meter = Transform & { bytes: number; digest(): string };

/** Counts and hashes bytes; fails as soon as more arrive than the manifest announced. */
function meter(what: string, expected: number): Meter {
  const hash = createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      t.bytes += chunk.length;
      if (t.bytes > expected) {
        cb(new VerificationError(`${what} is longer than the ${expected} bytes the manifest says`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  }) as Meter;
  t.bytes = 0;
  t.digest = () => hash.digest('hex');
  return t;
}

function checkObject(what: string, o: ManifestObject, got: { bytes: number; sha256: string }): void {
  if (got.bytes !== o.size) throw new VerificationError(`${what} is ${got.bytes} bytes, the manifest says ${o.size} (truncated download?)`);
  if (got.sha256 !== o.sha256) throw new VerificationError(`${what} has sha256 ${got.sha256}, the manifest says ${o.sha256}`);
}

/** The `$SOA` serial and `$TIMESTAMP` (epoch seconds: created, expires) in a file's first lines. */
export function readHeader(head: string): { serial?: number; created?: number; expires?: number } {
  const lines = head.split('\n');
  const soa = lines.find((l) => l.startsWith('$SOA '))?.split(' ')[4];
  const out: { serial?: number; created?: number; expires?: number } = {};
  if (soa !== undefined && /^[0-9]+$/.test(soa)) out.serial = Number(soa);
  const ts = lines.find((l) => l.startsWith('$TIMESTAMP '));
  const m = ts ? /^\$TIMESTAMP (\d{4}):(\d\d):(\d\d):(\d\d):(\d\d):(\d\d) \+(\d+)s$/.exec(ts) : null;
  if (m) {
    out.created = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
    out.expires = out.created + Number(m[7]);
  }
  return out;
}

/**
 * The file must carry the manifest's serial, and rbldnsd must be able to load it here and now: a
 * file stamped in the future (this clock is behind) or already expired would make the whole zone
 * SERVFAIL, so it is refused and the installed one kept.
 */
function checkHeader(head: string, manifest: Manifest, nowMs: number): void {
  const h = readHeader(head);
  if (h.serial !== manifest.serial) {
    throw new VerificationError(`the file's $SOA serial (${h.serial ?? 'none'}) is not the manifest's ${manifest.serial}`);
  }
  if (h.created !== undefined && h.created > nowMs / 1000) {
    throw new VerificationError(
      `the file's $TIMESTAMP ${new Date(h.created * 1000).toISOString()} is in the future here: rbldnsd would refuse it (is this clock behind?)`,
    );
  }
  if (h.expires !== undefined && h.expires <= nowMs / 1000) {
    throw new VerificationError(`the file expired at ${new Date(h.expires * 1000).toISOString()} ($TIMESTAMP): is the publisher down?`);
  }
}

/** Keeps the first bytes that pass through (the header lines). */
function headTap(keep: { text: string }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (keep.text.length < HEAD_BYTES) keep.text += chunk.subarray(0, HEAD_BYTES).toString('latin1');
      cb(null, chunk);
    },
  });
}

const HEAD_BYTES = 4096;

/** Downloads into `tmp` and verifies; returns the bytes transferred. */
async function download(source: MirrorSource, manifest: Manifest, gzip: boolean, tmp: string, nowMs: number): Promise<number> {
  const fh = await open(tmp, 'wx', 0o644);
  const head = { text: '' };
  const raw = meter('the data file', manifest.data.size);
  const compressed = gzip ? meter('the gzip file', manifest.gzip.size) : undefined;
  try {
    const name = gzip ? manifest.gzip.path : manifest.data.path;
    const body = await source.openObject(name);
    const sink = new Writable({
      async write(chunk: Buffer, _enc, cb) {
        try {
          for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          cb();
        } catch (e) {
          cb(e as Error);
        }
      },
    });
    try {
      if (compressed) await pipeline(body, compressed, createGunzip(), raw, headTap(head), sink);
      else await pipeline(body, raw, headTap(head), sink);
    } catch (e) {
      if (e instanceof VerificationError) throw e;
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (code.startsWith('Z_')) throw new VerificationError(`the gzip file does not decompress: ${(e as Error).message}`);
      if (e instanceof FetchError) throw e;
      // Local write errors are local; anything else came from the body stream: the network.
      if (/^E(NOSPC|ACCES|PERM|IO|ROFS|DQUOT|FBIG)$/.test(code)) throw e;
      throw new FetchError(`download of ${name} failed: ${(e as Error).message}`, { cause: e });
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (compressed) checkObject('the gzip file', manifest.gzip, { bytes: compressed.bytes, sha256: compressed.digest() });
  checkObject('the data file', manifest.data, { bytes: raw.bytes, sha256: raw.digest() });
  checkHeader(head.text, manifest, nowMs);
  return compressed ? compressed.bytes : raw.bytes;
}

/** The serial in the header of an installed file (for a target that has no state file). */
async function installedSerial(path: string): Promise<number | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      return readHeader(buf.subarray(0, bytesRead).toString('latin1')).serial;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

export async function mirrorPull(opts: PullOptions): Promise<PullResult> {
  const now = opts.now ?? Date.now;
  const target = resolve(opts.target);
  const statePath = resolve(opts.state ?? defaultStatePath(target));
  await mkdir(dirname(target), { recursive: true });
  await removeStaleTemps(target, now());
  const state = await readState(statePath);
  const installed = await stat(target).catch(() => undefined);
  // State without its file (deleted, or a different size): fetch afresh and allow the same serial.
  const repair = state !== undefined && (!installed || installed.size !== state.size);

  const fetched = await opts.source.getManifest(state && !repair ? state.manifestEtag : undefined);
  if (fetched.notModified) {
    return { status: 'not-modified', serial: state?.serial, message: `manifest not modified; serial ${state?.serial} stays` };
  }
  const manifest = parseManifest(fetched.text);
  if (state && state.zone !== manifest.zone) {
    throw new VerificationError(`the manifest is for zone ${manifest.zone}, the installed file for ${state.zone}`);
  }
  if (opts.minSerial !== undefined && manifest.serial < opts.minSerial) {
    throw new StaleError(`the manifest's serial ${manifest.serial} is below --min-serial ${opts.minSerial}`);
  }
  if (state && manifest.serial < state.serial) {
    throw new StaleError(`the manifest's serial ${manifest.serial} is older than the installed ${state.serial} (stale cache or replay?)`);
  }
  if (!state && installed) {
    // A file is there but no state (first run on an existing mirror): its own serial counts.
    const serial = await installedSerial(target);
    if (serial !== undefined && manifest.serial < serial) {
      throw new StaleError(`the manifest's serial ${manifest.serial} is older than the installed file's ${serial}`);
    }
  }
  if (state && manifest.serial === state.serial) {
    if (manifest.sha256 !== state.sha256) {
      throw new StaleError(`the manifest has the installed serial ${state.serial} but other content; keeping the installed file`);
    }
    if (!repair) {
      // Same publication, new ETag (e.g. another cache): remember it so the next run gets a 304.
      if (fetched.etag && fetched.etag !== state.manifestEtag) {
        await writeAtomically(statePath, `${JSON.stringify({ ...state, manifestEtag: fetched.etag }, null, 2)}\n`);
      }
      return { status: 'up-to-date', serial: state.serial, message: `serial ${state.serial} is installed already` };
    }
  }

  const tmp = tempName(target);
  let downloaded: number;
  try {
    downloaded = await download(opts.source, manifest, opts.gzip === true, tmp, now());
    // rbldnsd notices a new file by mtime (whole seconds) or size: make sure the mtime differs.
    const current = await stat(target).catch(() => undefined);
    const nowSec = Math.floor(now() / 1000);
    const oldSec = current ? Math.floor(current.mtimeMs / 1000) : -1;
    const mtime = oldSec >= nowSec ? oldSec + 1 : nowSec;
    await utimes(tmp, mtime, mtime);
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(target));
  const next: MirrorState = {
    version: 1,
    source: opts.source.location,
    zone: manifest.zone,
    serial: manifest.serial,
    sha256: manifest.sha256,
    size: manifest.size,
    generatedAt: manifest.generatedAt,
    ...(fetched.etag ? { manifestEtag: fetched.etag } : {}),
    installedAt: new Date(now()).toISOString(),
  };
  await writeAtomically(statePath, `${JSON.stringify(next, null, 2)}\n`);
  return {
    status: 'updated',
    serial: manifest.serial,
    ...(state ? { previousSerial: state.serial } : {}),
    bytes: manifest.size,
    downloadedBytes: downloaded,
    message: `installed serial ${manifest.serial}${state ? ` (was ${state.serial})` : ''}: ${manifest.entriesTotal} entries, ${manifest.size} bytes`,
  };
}

/** Maps an error of mirrorPull to its exit code. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof VerificationError || e instanceof ManifestError) return EXIT.verification;
  if (e instanceof StaleError) return EXIT.stale;
  if (e instanceof FetchError) return EXIT.fetch;
  return EXIT.error;
}
