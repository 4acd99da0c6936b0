// Thousands of real DNS queries per test, cheaply: one `dig -f batchfile` process per chunk,
// output parsed per query. +cmd makes dig print "; <<>> DiG ... <<>> NAME TYPE" before EVERY
// query, even one that gets no reply, so results are matched to queries in order (and checked).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from './tools.js';

const run = promisify(execFile);

export type DigType = 'A' | 'TXT' | 'SOA' | 'CAA' | 'AAAA' | 'NS';
export interface DigQuery {
  name: string;
  type: DigType;
}
export interface DigRecord {
  owner: string;
  ttl: number;
  type: string;
  /** rdata as dig prints it (TXT still quoted/escaped here). */
  data: string;
}
export interface DigResult {
  name: string;
  type: string;
  /** NOERROR, NXDOMAIN, REFUSED, SERVFAIL...; TIMEOUT or ERROR when no reply was parsed. */
  rcode: string;
  aa: boolean;
  flags: string[];
  /** rdata of the answer records of the queried type; TXT = each record's strings decoded and joined. */
  answers: string[];
  authoritySoa: boolean;
  answer: DigRecord[];
  authority: DigRecord[];
}
export interface DigOptions {
  /** 'spamassassin': RD set, EDNS0 with a 4096-byte buffer, no cookie, as SpamAssassin 4 sends. */
  client?: 'plain' | 'spamassassin';
  chunkSize?: number;
  /** dig processes run at once (2 cores: the server needs CPU too). */
  concurrency?: number;
  /** Server address (127.0.0.1). */
  server?: string;
  /** How often queries that got no reply are asked again (default 3). */
  retriesLeft?: number;
}

/** Decodes dig's presentation of one TXT rdata: "a\"b" "c\\d\226" -> concatenated bytes as UTF-8. */
export function decodeTxt(rdata: string): string {
  const bytes: number[] = [];
  let i = 0;
  while (i < rdata.length) {
    const c = rdata[i]!;
    if (c !== '"') {
      i++; // whitespace between strings (dig always quotes TXT strings)
      continue;
    }
    i++;
    while (i < rdata.length && rdata[i] !== '"') {
      if (rdata[i] === '\\') {
        const ddd = /^\d{3}/.exec(rdata.slice(i + 1, i + 4));
        if (ddd) {
          bytes.push(Number(ddd[0]));
          i += 4;
        } else {
          bytes.push(...Buffer.from(rdata[i + 1] ?? '', 'utf8'));
          i += 2;
        }
      } else {
        const cp = rdata.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        bytes.push(...Buffer.from(ch, 'utf8'));
        i += ch.length;
      }
    }
    i++; // closing quote
  }
  return Buffer.from(bytes).toString('utf8');
}

// Absolute names: a bare label such as "a" or "txt" on a batch line would be read as a type.
const absolute = (name: string) => (name.endsWith('.') ? name : `${name}.`);

const RR = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/;

function parseBlock(q: DigQuery, block: string[]): DigResult {
  const res: DigResult = { name: q.name, type: q.type, rcode: 'ERROR', aa: false, flags: [], answers: [], authoritySoa: false, answer: [], authority: [] };
  let section: 'answer' | 'authority' | 'other' = 'other';
  let header = false;
  for (const line of block) {
    const status = /^;; ->>HEADER<<- .*status: ([A-Z]+)/.exec(line);
    if (status) {
      res.rcode = status[1]!;
      header = true;
      continue;
    }
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) {
      res.flags = flags[1]!.trim().split(/\s+/).filter(Boolean);
      res.aa = res.flags.includes('aa');
      continue;
    }
    const sec = /^;; ([A-Z]+) (PSEUDO)?SECTION:/.exec(line);
    if (sec) {
      section = sec[1] === 'ANSWER' ? 'answer' : sec[1] === 'AUTHORITY' ? 'authority' : 'other';
      continue;
    }
    if (!header && /timed out|no servers could be reached/.test(line)) res.rcode = 'TIMEOUT';
    if (line === '' || line.startsWith(';') || section === 'other') continue;
    const m = RR.exec(line);
    if (!m) throw new Error(`dig: unparsable record line for ${q.name} ${q.type}: ${line}`);
    const rr: DigRecord = { owner: m[1]!, ttl: Number(m[2]), type: m[4]!, data: m[5]! };
    res[section].push(rr);
  }
  for (const rr of res.answer) if (rr.type === q.type) res.answers.push(q.type === 'TXT' ? decodeTxt(rr.data) : rr.data);
  res.authoritySoa = res.authority.some((rr) => rr.type === 'SOA');
  return res;
}

/** Splits dig's output into one block per "; <<>> DiG" line and parses each against its query. */
export function parseDigOutput(queries: readonly DigQuery[], output: string): DigResult[] {
  const blocks: string[][] = [];
  const cmds: string[] = [];
  for (const line of output.split('\n')) {
    const cmd = /^; <<>> DiG [^<]*<<>> (.*)$/.exec(line);
    if (cmd) {
      cmds.push(cmd[1]!.trim());
      blocks.push([]);
    } else if (blocks.length > 0) blocks[blocks.length - 1]!.push(line);
  }
  if (blocks.length !== queries.length) {
    throw new Error(`dig answered ${blocks.length} of ${queries.length} queries; output starts:\n${output.slice(0, 2000)}`);
  }
  return queries.map((q, i) => {
    const want = `${absolute(q.name)} ${q.type}`.toLowerCase();
    if (cmds[i]!.toLowerCase() !== want && cmds[i]!.toLowerCase() !== `${q.name} ${q.type}`.toLowerCase()) throw new Error(`dig result ${i} is for "${cmds[i]}", expected "${want}"`);
    return parseBlock(q, blocks[i]!);
  });
}

function digArgs(port: number, file: string, opts: DigOptions): string[] {
  const client = opts.client === 'spamassassin' ? ['+rec', '+edns=0', '+bufsize=4096', '+nocookie'] : ['+norec'];
  const output = ['+noall', '+cmd', '+comments', '+answer', '+authority'];
  return ['-f', file, `@${opts.server ?? '127.0.0.1'}`, '-p', String(port), ...client, ...output, '+tries=1', '+time=2'];
}

const NAME_OK = /^[A-Za-z0-9_*.-]+$/;

export async function digBatch(port: number, queries: readonly DigQuery[], opts: DigOptions = {}): Promise<DigResult[]> {
  const dig = requireTool('dig');
  for (const q of queries) if (!NAME_OK.test(q.name)) throw new Error(`digBatch: unsupported query name ${JSON.stringify(q.name)}`);
  const chunkSize = opts.chunkSize ?? 2000;
  const chunks: Array<readonly DigQuery[]> = [];
  for (let i = 0; i < queries.length; i += chunkSize) chunks.push(queries.slice(i, i + chunkSize));
  const dir = await mkdtemp(join(tmpdir(), 'digbatch-'));
  try {
    const results: DigResult[][] = new Array(chunks.length);
    let next = 0;
    const worker = async () => {
      for (let c = next++; c < chunks.length; c = next++) {
        const file = join(dir, `batch-${c}`);
        await writeFile(file, chunks[c]!.map((q) => `${absolute(q.name)} ${q.type}\n`).join(''));
        // dig exits 9 when a query got no reply; that is a result (TIMEOUT), not a failure.
        const out = await run(dig, digArgs(port, file, opts), { maxBuffer: 256 << 20 }).catch(
          (e: { stdout?: string; code?: number; message: string }) => {
            if (typeof e.stdout === 'string' && e.code === 9) return { stdout: e.stdout };
            throw new Error(`dig failed: ${e.message}`);
          },
        );
        results[c] = parseDigOutput(chunks[c]!, out.stdout);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 2, chunks.length) }, worker));
    const all = results.flat();
    // UDP on a loaded 2-core machine drops the odd datagram: ask again for those (never for a
    // wrong answer, only for none), so that a lost packet is not reported as "not listed".
    const lost = all.map((r, i) => (r.rcode === 'TIMEOUT' ? i : -1)).filter((i) => i >= 0);
    if (lost.length > 0 && (opts.retriesLeft ?? 3) > 0) {
      const again = await digBatch(port, lost.map((i) => queries[i]!), { ...opts, retriesLeft: (opts.retriesLeft ?? 3) - 1 });
      lost.forEach((i, k) => (all[i] = again[k]!));
    }
    return all;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface AnswerSet {
  listed: boolean;
  a: string[];
  txt: string[];
}

/** Comparable form of one or more results for the same name (e.g. its A and its TXT query). */
export function answerSet(...results: DigResult[]): AnswerSet {
  const a = new Set<string>();
  const txt = new Set<string>();
  let listed = false;
  for (const r of results) {
    if (r.rcode !== 'NOERROR') continue;
    if (r.type === 'A') for (const x of r.answers) a.add(x);
    if (r.type === 'TXT') for (const x of r.answers) txt.add(x);
    if (r.type === 'A' && r.answers.length > 0) listed = true;
  }
  return { listed, a: [...a].sort(), txt: [...txt].sort() };
}
