// Load benchmarks run their servers in a child process, so the load generator (autocannon) and the
// servers do not share one event loop. The child prints its URLs as one JSON line and stops when
// the parent closes its stdin (or sends SIGTERM).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** In the child: announce `urls`, then close everything and exit when the parent is done. */
export function serveUntilParentEnds(urls: Record<string, string>, closers: ReadonlyArray<() => Promise<unknown>>): void {
  process.stdout.write(`${JSON.stringify(urls)}\n`);
  const stop = async () => {
    for (const close of closers) await close();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

/** In the parent: runs `file --serve` (its own serve()) and waits for its URLs. */
export async function startServerChild<T extends Record<string, string>>(file: string): Promise<{ urls: T; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const urls = await new Promise<T>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(JSON.parse(l) as T));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    urls,
    stop: async () => {
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}
export type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

/** autocannon, untyped (no type declarations are installed). */
export async function loadAutocannon(): Promise<Autocannon> {
  return ((await import('autocannon' as string)) as { default: Autocannon }).default;
}
