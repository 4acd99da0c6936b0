// The manifest the export writes last (`<prefix>/<zone>/manifest.json`) and mirrors read first.
// It names the immutable data objects of one publication and their checksums. Mirrors treat it as
// untrusted input: parseManifest checks every field, and object names may only be plain file names
// next to the manifest (a manifest can never point a mirror at another host, bucket or folder).

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_VERSION = 1;

export interface ManifestObject {
  /** File name next to the manifest (resolve it against the manifest's URL or key). */
  readonly path: string;
  /** Full S3 key in the export bucket. */
  readonly key: string;
  readonly size: number;
  /** Lower-case hex SHA-256 of the object's bytes. */
  readonly sha256: string;
}

export interface Manifest {
  readonly version: typeof MANIFEST_VERSION;
  readonly zone: string;
  readonly format: 'rbldnsd-combined';
  /** The file's $SOA serial; strictly increases from one publication to the next. */
  readonly serial: number;
  /** ISO 8601 time the file was rendered. */
  readonly generatedAt: string;
  /** When the file's $TIMESTAMP makes rbldnsd stop answering (ISO 8601), if a lifetime is set. */
  readonly expiresAt?: string;
  /** Entries written per list (listings and exclusions; the RFC 5782 test point not counted). */
  readonly entries: Readonly<Record<string, number>>;
  readonly entriesTotal: number;
  /** SHA-256 of the content without the serial/timestamp lines: equal means nothing changed. */
  readonly contentSha256: string;
  /** The data file as rbldnsd reads it (same as data.sha256 / data.size / data.key). */
  readonly sha256: string;
  readonly size: number;
  readonly key: string;
  readonly data: ManifestObject;
  /** The same file gzip-compressed; `data` is what it decompresses to. */
  readonly gzip: ManifestObject;
  /** Stable keys overwritten by every publication, for consumers that do not read the manifest. */
  readonly aliases: { readonly data: string; readonly gzip: string };
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ManifestError(`manifest ${field} is not an object`);
  return v as Record<string, unknown>;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ManifestError(`manifest ${field} is not an integer in ${min}..${max}`);
  }
  return v;
}

function str(v: unknown, field: string, re?: RegExp): string {
  if (typeof v !== 'string' || (re && !re.test(v))) throw new ManifestError(`manifest ${field} is missing or malformed`);
  return v;
}

function object(v: unknown, field: string): ManifestObject {
  const o = obj(v, field);
  const path = str(o.path, `${field}.path`, FILE_NAME);
  if (path.includes('..')) throw new ManifestError(`manifest ${field}.path must be a plain file name`);
  return {
    path,
    key: str(o.key, `${field}.key`),
    size: int(o.size, `${field}.size`, 0, Number.MAX_SAFE_INTEGER),
    sha256: str(o.sha256, `${field}.sha256`, HEX64),
  };
}

/** Validates a manifest read from the network. Throws ManifestError naming the bad field. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`manifest is not JSON: ${(e as Error).message}`);
  }
  const m = obj(raw, '');
  if (m.version !== MANIFEST_VERSION) throw new ManifestError(`manifest version ${String(m.version)} is not supported (want ${MANIFEST_VERSION})`);
  if (m.format !== 'rbldnsd-combined') throw new ManifestError(`manifest format ${String(m.format)} is not supported`);
  const data = object(m.data, 'data');
  const gzip = object(m.gzip, 'gzip');
  const entries = obj(m.entries, 'entries');
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(entries)) counts[k] = int(v, `entries.${k}`, 0, Number.MAX_SAFE_INTEGER);
  const generatedAt = str(m.generatedAt, 'generatedAt');
  if (Number.isNaN(Date.parse(generatedAt))) throw new ManifestError('manifest generatedAt is not a time');
  const aliases = obj(m.aliases, 'aliases');
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    zone: str(m.zone, 'zone'),
    format: 'rbldnsd-combined',
    serial: int(m.serial, 'serial', 1, 0xffffffff),
    generatedAt,
    ...(m.expiresAt !== undefined ? { expiresAt: str(m.expiresAt, 'expiresAt') } : {}),
    entries: counts,
    entriesTotal: int(m.entriesTotal, 'entriesTotal', 0, Number.MAX_SAFE_INTEGER),
    contentSha256: str(m.contentSha256, 'contentSha256', HEX64),
    sha256: str(m.sha256, 'sha256', HEX64),
    size: int(m.size, 'size', 0, Number.MAX_SAFE_INTEGER),
    key: str(m.key, 'key'),
    data,
    gzip,
    aliases: { data: str(aliases.data, 'aliases.data'), gzip: str(aliases.gzip, 'aliases.gzip') },
  };
  if (manifest.sha256 !== data.sha256 || manifest.size !== data.size || manifest.key !== data.key) {
    throw new ManifestError('manifest sha256/size/key disagree with manifest data');
  }
  return manifest;
}
