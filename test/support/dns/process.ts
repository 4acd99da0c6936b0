// Foreground server children with captured output lines. Every child is killed when the test
// process exits, even after a crash, so no daemon outlives its test run.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Removes a server's temp dir at process exit unless forgotten (normal stop removes it itself). */
export function removeOnExit(dir: string): () => void {
  dirs.add(dir);
  return () => dirs.delete(dir);
}

export interface Line {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Every output line so far, both streams, in arrival order. */
  readonly lines: Line[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isAlive(): boolean;
  /** Resolves with the first line at index >= from matching; rejects on exit or timeout. */
  waitForLine(match: (l: Line) => boolean, opts: { from?: number; timeoutMs: number }): Promise<Line>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  tail(n?: number): string;
}

export function spawnServer(command: string, args: string[], cwd?: string): ServerProcess {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const lines: Line[] = [];
  const listeners = new Set<() => void>();
  let alive = true;
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    const rl = createInterface({ input: child[stream]! });
    rl.on('line', (text) => {
      lines.push({ stream, text });
      notify();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      lines.push({ stream: 'stderr', text: `spawn error: ${err.message}` });
      alive = false;
      live.delete(child);
      notify();
      resolve({ code: null, signal: null });
    });
    // 'close' (not 'exit') so that the last output lines are captured before we resolve.
    child.once('close', (code, signal) => {
      alive = false;
      live.delete(child);
      notify();
      resolve({ code, signal });
    });
  });
  const tail = (n = 30) => lines.slice(-n).map((l) => l.text).join('\n');

  const waitForLine: ServerProcess['waitForLine'] = (match, { from = 0, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for output; last lines:\n${tail()}`)), timeoutMs);
      const finish = (result: Line | Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const check = () => {
        for (let i = from; i < lines.length; i++) if (match(lines[i]!)) return finish(lines[i]!);
        if (!alive) finish(new Error(`${command} exited while waiting for output; last lines:\n${tail()}`));
      };
      listeners.add(check);
      check();
    });

  const stop = async (graceMs = 5000) => {
    if (!alive) return void (await exited);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return { child, lines, exited, isAlive: () => alive, waitForLine, stop, tail };
}
