// A throwaway authoritative BIND (named) serving one primary zone from text, on a free loopback
// port, in the foreground as our child. Used to prove what the Route 53 zone answers.
import { execFile } from 'node:child_process';
import { mkdtemp, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { waitForSoa } from './probe.js';
import { removeOnExit, spawnServer } from './process.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);

export interface BindServer {
  port: number;
  dir: string;
  /** named's log (stderr, -g) so far. */
  log(): string;
  /** Replaces the zone (checked first), SIGHUPs named and waits until it serves the new serial. */
  reload(zoneFileText: string): Promise<void>;
  stop(): Promise<void>;
}

const norm = (zone: string) => zone.replace(/\.$/, '').toLowerCase();

/** Runs named-checkzone; throws with its full output when the zone would not load. */
export async function checkZoneText(zone: string, zoneFileText: string): Promise<{ serial: number; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'checkzone-'));
  try {
    const file = join(dir, 'zone.db');
    await writeFile(file, zoneFileText);
    return await checkZoneFile(zone, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkZoneFile(zone: string, file: string): Promise<{ serial: number; output: string }> {
  const bin = requireTool('named-checkzone');
  let output: string;
  try {
    const r = await run(bin, [norm(zone), file], { maxBuffer: 64 << 20 });
    output = r.stdout + r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`named-checkzone rejected zone ${zone}:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
  const m = /loaded serial (\d+)/.exec(output);
  if (!m) throw new Error(`named-checkzone gave no serial for ${zone}:\n${output}`);
  return { serial: Number(m[1]), output };
}

function namedConf(dir: string, port: number, zone: string, file: string): string {
  // reuseport no: two nameds must not silently share one port (load-balanced sockets) when two
  // tests race for it; even so Linux lets the UDP bind succeed, and only the TCP bind fails.
  // No rndc: an empty controls block stops named from opening 127.0.0.1#953 with the system
  // /etc/bind/rndc.key, which would clash between parallel instances. Every path is ours.
  return `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  reuseport no;
  allow-transfer { 127.0.0.1; };
};
controls { };
zone "${zone}" { type primary; file "${file}"; };
`;
}

export async function startBind(opts: { zone: string; zoneFileText: string; timeoutMs?: number }): Promise<BindServer> {
  const named = requireTool('named');
  const zone = norm(opts.zone);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'bind-'));
  const forgetDir = removeOnExit(dir);
  const file = join(dir, 'zone.db');
  const conf = join(dir, 'named.conf');
  let serial: number;
  try {
    await writeFile(file, opts.zoneFileText);
    serial = (await checkZoneFile(zone, file)).serial;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  // Retry on a port race with another process (we free the port before named binds it).
  for (let attempt = 1; ; attempt++) {
    const port = await freePort('both');
    await writeFile(conf, namedConf(dir, port, zone, file));
    // -g: foreground, log to stderr, no fork. No -u: as root named then stays root and can read
    // our 0700 temp dir; with -u bind it could not. -n 1: one worker, the machine has 2 cores.
    const proc = spawnServer(named, ['-g', '-4', '-n', '1', '-c', conf], dir);
    // named keeps running when a listener fails ("address in use"): treat that as a failed start.
    const portTaken = () => proc.lines.some((l) => /address in use/i.test(l.text));
    try {
      await waitForSoa(port, zone, {
        timeoutMs,
        isAlive: () => proc.isAlive() && !portTaken(),
        accept: (r) => r.rcode === 'NOERROR' && r.serial === serial,
        describe: () => proc.tail(),
      });
    } catch (e) {
      await proc.stop();
      if (attempt < 3 && portTaken()) continue;
      await rm(dir, { recursive: true, force: true });
      throw e;
    }

    let mtime = (await stat(file)).mtimeMs / 1000;
    const reload = async (zoneFileText: string) => {
      const tmp = `${file}.new`;
      await writeFile(tmp, zoneFileText);
      const next = await checkZoneFile(zone, tmp).catch(async (e: unknown) => {
        await rm(tmp, { force: true });
        throw e;
      }).then((r) => r.serial);
      // named reloads a file only when its mtime moved: force it forward even within one second.
      mtime = Math.max(Date.now() / 1000, mtime + 1);
      await utimes(tmp, mtime, mtime);
      await rename(tmp, file);
      const from = proc.lines.length;
      proc.child.kill('SIGHUP');
      const loaded = new RegExp(`zone ${zone.replace(/\./g, '\\.')}/IN: (loaded serial ${next}\\b|.*(not loaded|error))`, 'i');
      const line = await proc.waitForLine((l) => loaded.test(l.text), { from, timeoutMs });
      if (!line.text.includes('loaded serial')) throw new Error(`named did not load the new zone: ${line.text}\n${proc.tail()}`);
      await waitForSoa(port, zone, {
        timeoutMs,
        isAlive: proc.isAlive,
        accept: (r) => r.rcode === 'NOERROR' && r.serial === next,
        describe: () => proc.tail(),
      });
      serial = next;
    };
    const stop = async () => {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
      forgetDir();
    };
    return { port, dir, log: () => proc.lines.map((l) => l.text).join('\n'), reload, stop };
  }
}
