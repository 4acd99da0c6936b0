// A throwaway BIND that a program finds through the SYSTEM resolver: for programs (Exim) whose DNS
// lookups go through libc's resolver, which asks the `nameserver` lines of /etc/resolv.conf on
// port 53 and nothing else (resolv.conf(5) has no port option). named runs in a fresh network and
// mount namespace (util-linux unshare, as root): there it owns 127.0.0.1:53 of a private loopback,
// and a private /etc/resolv.conf (bind-mounted over the real one, in that namespace only) names
// it. Programs are run inside with nsenter. The machine's own resolver and port 53 are untouched.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkZoneText } from './bind.js';
import { removeOnExit, spawnServer } from './process.js';
import { findTool, requireTool } from './tools.js';

export interface SystemResolverBind {
  /** named's log so far (stderr, -g). */
  log(): string;
  /** Runs a program inside the namespace (its DNS is this named); a non-zero exit is a result. */
  exec(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }>;
  stop(): Promise<void>;
}

function namespaceTool(name: 'unshare' | 'nsenter' | 'ip'): string {
  const path = findTool(name);
  if (path) return path;
  const pkg = name === 'ip' ? 'iproute2' : 'util-linux';
  throw new Error(`Required tool "${name}" not found. Install it: apt-get install -y ${pkg} (CI does this in .ci/run).`);
}

const namedConf = (dir: string, zone: string, file: string) => `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port 53 { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
zone "${zone}" { type primary; file "${file}"; };
`;

export async function startBindAsSystemResolver(opts: { zone: string; zoneFileText: string; timeoutMs?: number }): Promise<SystemResolverBind> {
  if (process.getuid?.() !== 0) {
    throw new Error('startBindAsSystemResolver needs root (a network and mount namespace; CI runs as root): run the test as root');
  }
  const named = requireTool('named');
  const [unshare, nsenter, ip] = [namespaceTool('unshare'), namespaceTool('nsenter'), namespaceTool('ip')];
  const zone = opts.zone.replace(/\.$/, '').toLowerCase();
  await checkZoneText(zone, opts.zoneFileText); // a zone named would refuse fails here, with named-checkzone's words
  const dir = await mkdtemp(join(tmpdir(), 'bind-resolver-'));
  const forgetDir = removeOnExit(dir);
  const [conf, file, resolv] = [join(dir, 'named.conf'), join(dir, 'zone.db'), join(dir, 'resolv.conf')];
  await writeFile(file, opts.zoneFileText);
  await writeFile(conf, namedConf(dir, zone, file));
  await writeFile(resolv, 'nameserver 127.0.0.1\noptions attempts:1 timeout:2\n');
  // unshare and sh exec into named, so the child's pid is named's: nsenter --target joins its namespaces.
  // A new network namespace has only a loopback, and it is down until brought up.
  const script = `${ip} link set lo up && mount --bind '${resolv}' /etc/resolv.conf && exec '${named}' -g -4 -n 1 -c '${conf}'`;
  const proc = spawnServer(unshare, ['--net', '--mount', '--propagation', 'private', 'sh', '-c', script], dir);
  try {
    // named -g logs "running" once every zone is loaded and it listens.
    await proc.waitForLine((l) => /\brunning\b/.test(l.text) || /loading configuration: |not loaded|exiting/.test(l.text), { timeoutMs: opts.timeoutMs ?? 30_000 });
    if (!proc.lines.some((l) => /\brunning\b/.test(l.text))) throw new Error('named did not start');
  } catch (e) {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
    forgetDir();
    throw new Error(`named in its namespace did not start: ${(e as Error).message}\n${proc.tail()}`);
  }
  const pid = String(proc.child.pid);
  // "running" is logged once named listens; still, prove it answers inside the namespace before
  // any test asks: the zone's SOA from 127.0.0.1:53, as the resolver will ask.
  const dig = requireTool('dig');
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const soa = await new Promise<string>((resolve) =>
      execFile(nsenter, ['--target', pid, '--net', dig, '+norec', '+time=1', '+tries=1', '+short', '@127.0.0.1', zone, 'SOA'], (_err, stdout) => resolve(stdout)),
    );
    if (/^\S+ \S+ \d+ /.test(soa.trim())) break;
    if (Date.now() > deadline || !proc.isAlive()) {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
      forgetDir();
      throw new Error(`named in its namespace does not answer the SOA of ${zone}:\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const exec: SystemResolverBind['exec'] = (cmd, args, input) =>
    new Promise((resolve) => {
      const child = execFile(nsenter, ['--target', pid, '--net', '--mount', cmd, ...args], { maxBuffer: 16 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
        resolve({ stdout, stderr, code });
      });
      child.stdin!.end(input ?? '');
    });
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
    forgetDir();
  };
  return { log: () => proc.lines.map((l) => l.text).join('\n'), exec, stop };
}
