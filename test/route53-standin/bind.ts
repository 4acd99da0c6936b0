// A real BIND (named) serving the same rrsets as a zone file, as the reference the stand-in's DNS
// answers are compared with. named runs as a non-daemon child on 127.0.0.1 and a free port, with
// its own configuration and working directory (nothing from /etc/bind is read).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeReply, queryMessage, udpExchange } from './dns-client.js';

export const NAMED = '/usr/sbin/named';
const INSTALL_HINT = 'apt-get install bind9 bind9-dnsutils';

export interface ZoneData {
  name: string; // with trailing dot
  rrsets: Array<{ name: string; type: string; ttl: number; values: string[] }>;
}

export interface BindServer {
  port: number;
  stop(): Promise<void>;
}

/** Throws with the install command if named or dig is missing. */
export function requireBindTools(): void {
  const missing: string[] = [];
  if (!existsSync(NAMED)) missing.push(NAMED);
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
  } catch {
    missing.push('dig');
  }
  if (missing.length > 0) throw new Error(`${missing.join(' and ')} not found: ${INSTALL_HINT}`);
}

/** Route 53 escapes are octal (\052); zone files use decimal (\042). */
function octalToDecimalEscapes(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, o: string) => `\\${String(parseInt(o, 8)).padStart(3, '0')}`);
}

export function zoneFileText(zone: ZoneData): string {
  const lines = [`$ORIGIN ${zone.name}`];
  for (const r of zone.rrsets) {
    for (const v of r.values) lines.push(`${octalToDecimalEscapes(r.name)}\t${r.ttl}\tIN\t${r.type}\t${octalToDecimalEscapes(v)}`);
  }
  return lines.join('\n') + '\n';
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((ok, fail) => {
      udp.once('error', fail);
      udp.bind(0, '127.0.0.1', () => ok(udp.address().port));
    });
    const tcpOk = await new Promise<boolean>((ok) => {
      const srv = createServer();
      srv.once('error', () => ok(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => ok(true)));
    });
    udp.close();
    if (tcpOk) return port;
  }
}

export async function startBind(zones: ZoneData[]): Promise<BindServer> {
  requireBindTools();
  const dir = mkdtempSync(join(tmpdir(), 'bind-ref-'));
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const zoneStatements = zones.map((z, i) => {
      writeFileSync(join(dir, `zone${i}.db`), zoneFileText(z));
      return `zone "${z.name}" { type primary; file "${join(dir, `zone${i}.db`)}"; };`;
    });
    const conf = join(dir, 'named.conf');
    writeFileSync(
      conf,
      [
        'options {',
        `  directory "${dir}";`,
        `  listen-on port ${port} { 127.0.0.1; };`,
        '  listen-on-v6 { none; };',
        '  recursion no;',
        `  pid-file "${join(dir, 'named.pid')}";`,
        `  session-keyfile "${join(dir, 'session.key')}";`,
        `  managed-keys-directory "${dir}";`,
        '  dnssec-validation no;',
        '  notify no;',
        '  allow-transfer { none; };',
        // No NS/glue added to positive answers (BIND adds them when RD is clear): the stand-in
        // answers minimally, so compare like with like. Negative answers keep their SOA.
        '  minimal-responses yes;',
        '};',
        'controls { };', // no rndc channel: parallel instances would fight over port 953
        ...zoneStatements,
      ].join('\n'),
    );
    // -g: foreground, log to stderr; no -u: stay the current user (tests may run as root); -n 1: one worker.
    const child = spawn(NAMED, ['-g', '-c', conf, '-n', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const ready = await waitUntilAnswering(child, port, zones[0]!.name);
    if (ready) {
      return {
        port,
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    lastError = stderr.split('\n').slice(-15).join('\n');
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`named did not start:\n${lastError}`);
}

async function waitUntilAnswering(child: ChildProcess, port: number, zone: string): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const reply = await udpExchange(port, queryMessage(zone, 'SOA'), 300).catch(() => undefined);
    if (reply) {
      const p = decodeReply(reply);
      if (p.rcode === 'NOERROR' && p.answers.length === 1) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
