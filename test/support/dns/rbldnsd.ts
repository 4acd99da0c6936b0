// A throwaway rbldnsd serving data files on a free loopback port, plus a whole-file validator.
//
// Flags (rbldnsd 1.0~20210120, man rbldnsd): -n = no fork (foreground child); -b ADDR/PORT binds
// (UDP only); NOT -f (it forks a child to serve during each reload: an orphan risk, and mirrors'
// choice); NOT -e (it would silence the "non-zero host part" check mirrors run with); NOT -q (it
// hides load stats and makes load errors non-fatal). Progress/stats go to stdout, every problem
// (bad line, duplicate, unreadable file) to stderr. As root it drops to user "rbldns" BEFORE
// reading data (and refuses -u root), so data files must be readable by that user.
import { chmod, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { freePort } from './ports.js';
import { waitForSoa } from './probe.js';
import { type Line, spawnServer } from './process.js';
import { requireTool } from './tools.js';

export type RbldnsdFileType = 'combined' | 'ip4trie' | 'ip6trie';
export interface RbldnsdFile {
  type: RbldnsdFileType;
  path: string;
}

export interface RbldnsdServer {
  port: number;
  /** Every stderr line so far (all loads), "rbldnsd: " prefix removed. Live. */
  readonly warnings: string[];
  log(): string;
  /** SIGHUP; true when rbldnsd reloaded (it only does when a file's mtime-second or size changed). */
  reload(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

const strip = (t: string) => t.replace(/^rbldnsd: /, '');
const problemLines = (lines: Line[]) => lines.filter((l) => l.stream === 'stderr').map((l) => strip(l.text));
const isStarted = (l: Line) => l.stream === 'stdout' && / started \(/.test(l.text);

/** rbldnsd runs as "rbldns" when we are root: open up our own temp files (only those) for it. */
async function ensureReadableByDaemon(path: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const abs = resolve(path);
  const tmp = resolve(tmpdir());
  if (relative(tmp, abs).startsWith('..')) return;
  await chmod(abs, (await stat(abs)).mode | 0o044);
  for (let d = dirname(abs); d.startsWith(tmp) && d !== tmp; d = dirname(d)) await chmod(d, (await stat(d)).mode | 0o011);
}

export async function startRbldnsd(opts: {
  zone: string;
  files: RbldnsdFile[];
  timeoutMs?: number;
  extraArgs?: string[];
}): Promise<RbldnsdServer> {
  const bin = requireTool('rbldnsd');
  const zone = opts.zone.replace(/\.$/, '').toLowerCase();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  for (const f of opts.files) await ensureReadableByDaemon(f.path);
  // One zone:type:file spec per file: several datasets in one zone answer with their union.
  const specs = opts.files.map((f) => `${zone}:${f.type}:${resolve(f.path)}`);

  for (let attempt = 1; ; attempt++) {
    const port = await freePort('udp');
    const proc = spawnServer(bin, ['-n', '-b', `127.0.0.1/${port}`, ...(opts.extraArgs ?? []), ...specs]);
    try {
      await proc.waitForLine(isStarted, { timeoutMs });
      // Any reply to SOA means it serves (without $SOA rbldnsd REFUSES the apex SOA query).
      await waitForSoa(port, zone, { timeoutMs, isAlive: proc.isAlive, accept: () => true, describe: () => proc.tail() });
    } catch (e) {
      await proc.stop();
      if (attempt < 3 && /in use/i.test(proc.tail(50))) continue;
      const hint = /Permission denied/.test(proc.tail(50))
        ? '\n(rbldnsd runs as user rbldns when started as root: make the data files and their directories readable by it)'
        : '';
      throw new Error(`${(e as Error).message}${hint}`);
    }
    const reload = async (waitMs = 2000) => {
      const from = proc.lines.length;
      proc.child.kill('SIGHUP');
      return proc
        .waitForLine((l) => l.stream === 'stdout' && l.text.includes('zones reloaded'), { from, timeoutMs: waitMs })
        .then(() => true, () => false);
    };
    return {
      port,
      get warnings() {
        return problemLines(proc.lines);
      },
      log: () => proc.tail(Number.MAX_SAFE_INTEGER),
      reload,
      stop: () => proc.stop(),
    };
  }
}

interface LoadResult {
  problems: string[];
  entries: number;
  ok: boolean;
}

/** One real load of the file, exactly as a mirror's daemon would do it, then terminate. */
async function loadOnce(zone: string, type: RbldnsdFileType, path: string, timeoutMs: number): Promise<LoadResult> {
  // Port 0: the kernel picks any free port, so checks never race for ports.
  const proc = spawnServer(requireTool('rbldnsd'), ['-n', '-b', '127.0.0.1/0', `${zone}:${type}:${path}`]);
  const ok = await proc.waitForLine(isStarted, { timeoutMs }).then(() => true, () => false);
  await proc.stop();
  let entries = 0;
  for (const l of proc.lines) {
    const m = l.stream === 'stdout' ? / ents=(\d+) /.exec(l.text) : null;
    if (m) entries += Number(m[1]);
  }
  return { problems: problemLines(proc.lines), entries, ok };
}

/**
 * Loads a data file and returns EVERY warning, as "PATH(LINE): message" lines.
 *
 * rbldnsd logs only the first 5 warnings per load, then "N more warnings suppressed"; its -d
 * (dump as BIND zone, then exit) mode uses the same loader and the same cap, and exits 0 with
 * warnings, so neither mode validates a whole file on its own. Every warned line is skipped by
 * rbldnsd, so we blank the reported lines (line numbers kept) in a private copy and load again,
 * 5 more warnings per pass, until nothing is suppressed. `entries` is the ents= total of the
 * first load (what a mirror would serve).
 */
export async function checkRbldnsdFile(
  zone: string,
  type: RbldnsdFileType,
  path: string,
  opts: { maxWarnings?: number; timeoutMs?: number } = {},
): Promise<{ warnings: string[]; entries?: number; passes: number }> {
  const maxWarnings = opts.maxWarnings ?? 500;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dir = await mkdtemp(join(tmpdir(), 'rbldnsd-check-'));
  try {
    await chmod(dir, 0o755);
    const copy = join(dir, 'data');
    await copyFile(path, copy);
    await ensureReadableByDaemon(copy);
    const lines = (await readFile(copy, 'utf8')).split('\n');
    const lineRe = new RegExp(`^file ${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\((\\d+)\\): (.*)$`);
    const warnings: string[] = [];
    let entries: number | undefined;
    let passes = 0;
    for (;;) {
      passes++;
      const r = await loadOnce(zone.replace(/\.$/, ''), type, copy, timeoutMs);
      if (passes === 1 && r.ok) entries = r.entries;
      const blank: number[] = [];
      let suppressed = 0;
      for (const p of r.problems) {
        const m = lineRe.exec(p);
        const s = /: (\d+) more warnings suppressed$/.exec(p);
        if (m) {
          blank.push(Number(m[1]));
          warnings.push(`${path}(${m[1]}): ${m[2]}`);
        } else if (s) suppressed = Math.max(suppressed, Number(s[1]));
        else if (passes === 1 || !r.ok) warnings.push(p.replaceAll(copy, path));
      }
      if (!r.ok || suppressed === 0 || blank.length === 0) break;
      if (warnings.length >= maxWarnings) {
        warnings.push(`${path}: ${suppressed} more warnings not enumerated (maxWarnings ${maxWarnings})`);
        break;
      }
      for (const n of blank) lines[n - 1] = '';
      await writeFile(copy, lines.join('\n'));
    }
    return { warnings, entries, passes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
