// Runs many queries through one dig process (-f batch file) and parses each reply's status, flags
// and sections into comparable form.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigReply {
  question: string; // "name type" as asked
  status: string; // NOERROR, NXDOMAIN, REFUSED, ...
  flags: string[]; // qr, aa, rd, ...
  answer: string[]; // normalized records, sorted
  authority: string[];
}

/** "name. TTL IN TYPE rdata" with the owner lower-cased and whitespace collapsed. */
function normalizeRecord(line: string): string {
  const [owner, ttl, cls, type, ...rdata] = line.trim().split(/\s+/);
  return [owner!.toLowerCase(), ttl, cls, type, rdata.join(' ')].join(' ');
}

/**
 * `queries` are dig batch lines such as "a.b.example. TXT"; `options` apply to all
 * (e.g. "+tcp", "+noedns"). Replies come back in query order.
 */
export async function digBatch(port: number, queries: string[], options: string[] = []): Promise<DigReply[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dig-'));
  try {
    const file = join(dir, 'batch');
    writeFileSync(file, queries.join('\n') + '\n');
    const args = ['-p', String(port), '@127.0.0.1', '-f', file, '+noall', '+comments', '+question', '+answer', '+authority', '+nocookie', '+tries=1', '+time=3', ...options];
    const { stdout } = await run('dig', args, { maxBuffer: 16 * 1024 * 1024 });
    return parseDigOutput(stdout, queries);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseDigOutput(stdout: string, queries: string[]): DigReply[] {
  const blocks = stdout.split(/^;; Got answer:$/m).slice(1);
  if (blocks.length !== queries.length) {
    throw new Error(`dig gave ${blocks.length} replies for ${queries.length} queries:\n${stdout.slice(0, 4000)}`);
  }
  return blocks.map((block, i) => {
    const status = /status: ([A-Z]+)/.exec(block)?.[1] ?? '?';
    const flags = (/;; flags: ([a-z ]*);/.exec(block)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).sort();
    const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [] };
    let current: string | undefined;
    for (const line of block.split('\n')) {
      const header = /^;; ([A-Z]+) SECTION:$/.exec(line);
      if (header) {
        current = header[1];
        continue;
      }
      if (line.startsWith(';') || line.trim() === '') continue;
      if (current) sections[current]?.push(normalizeRecord(line));
    }
    return {
      question: queries[i]!,
      status,
      flags,
      answer: sections['ANSWER']!.sort(),
      authority: sections['AUTHORITY']!.sort(),
    };
  });
}
