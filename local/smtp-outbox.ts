// The local stack's outbox: a real SMTP server (smtp-server) on loopback that accepts every message,
// writes it to <dir>/<n>.eml (as received) and <n>.json ({to, subject, text, links}, the text body
// decoded), and logs the links it carries, so a person or a test can follow a confirmation link.
// Nothing is relayed anywhere.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface OutboxMessage {
  readonly file: string;
  readonly to: string;
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly links: string[];
  readonly receivedAt: string;
}

export interface SmtpOutbox {
  readonly port: number;
  readonly dir: string;
  /** Every message so far, oldest first. */
  messages(): Promise<OutboxMessage[]>;
  close(): Promise<void>;
}

/** Headers (unfolded) and body of a raw single-part message. */
function split(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c > 0) headers.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
  }
  return { headers, body };
}

/** RFC 2047 encoded words (=?utf-8?B?…?= / =?utf-8?Q?…?=) in a header. */
function decodeWords(v: string): string {
  return v.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _cs: string, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(qp(data.replace(/_/g, ' ')), 'binary').toString('utf8'),
  );
}

function qp(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export function decodeMessage(raw: string): { to: string; from: string; subject: string; text: string } {
  const { headers, body } = split(raw);
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const text =
    cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : cte === 'quoted-printable' ? Buffer.from(qp(body), 'binary').toString('utf8') : body;
  return { to: headers.get('to') ?? '', from: headers.get('from') ?? '', subject: decodeWords(headers.get('subject') ?? ''), text: text.replace(/\r\n/g, '\n') };
}

export async function startSmtpOutbox(opts: { dir: string; port?: number; host?: string; log?: (m: string) => void }): Promise<SmtpOutbox> {
  const log = opts.log ?? (() => undefined);
  await mkdir(opts.dir, { recursive: true });
  let n = (await readdir(opts.dir)).filter((f) => f.endsWith('.json')).length;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'dnsbl-publisher local outbox (nothing is relayed)',
    size: 256 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const m = decodeMessage(raw);
        const links = [...m.text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((x) => x[0]);
        const name = `${String(++n).padStart(6, '0')}-${Date.now()}`;
        const to = m.to || (session.envelope.rcptTo ?? []).map((r) => r.address).join(', ');
        const record: OutboxMessage = { file: `${name}.eml`, to, from: m.from, subject: m.subject, text: m.text, links, receivedAt: new Date().toISOString() };
        Promise.all([writeFile(join(opts.dir, `${name}.eml`), raw), writeFile(join(opts.dir, `${name}.json`), JSON.stringify(record, null, 2))]).then(
          () => {
            log(`outbox: mail to ${to}: ${m.subject}${links.length ? `\n  ${links.join('\n  ')}` : ''}`);
            callback();
          },
          (e: Error) => callback(e),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', (e) => log(`outbox: ${e.message}`));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  return {
    port,
    dir: opts.dir,
    async messages() {
      const files = (await readdir(opts.dir)).filter((f) => f.endsWith('.json')).sort();
      return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(opts.dir, f), 'utf8')) as OutboxMessage));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
