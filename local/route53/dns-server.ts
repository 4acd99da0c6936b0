// DNS over UDP and TCP on one port. Parsing and the wire details live here (EDNS0, truncation,
// error rcodes, echoing the question byte for byte); what to answer comes from dns-resolve.ts.
// Malformed input never throws out of a handler: it gets FORMERR when a header can be read, and
// is dropped otherwise.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import dnsPacket from 'dns-packet';
import { resolve, type WireRecord } from './dns-resolve.js';
import type { ZoneStore } from './zone-store.js';

// Codecs dns-packet exports but its typings do not declare.
const codec = dnsPacket as unknown as {
  answer: { encode(record: unknown): Buffer };
  question: { decode: ((buf: Buffer, offset: number) => unknown) & { bytes: number } };
};

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 0x8000;
/** The payload size we advertise in EDNS replies (the DNS Flag Day 2020 value). */
const OUR_UDP_SIZE = 1232;
const TCP_IDLE_MS = 10_000;

interface Reply {
  flags: number;
  question?: Buffer;
  answers: WireRecord[];
  authorities: WireRecord[];
  additionals: unknown[];
}

function encodeReply(id: number, r: Reply): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(r.flags, 2);
  header.writeUInt16BE(r.question ? 1 : 0, 4);
  header.writeUInt16BE(r.answers.length, 6);
  header.writeUInt16BE(r.authorities.length, 8);
  header.writeUInt16BE(r.additionals.length, 10);
  const parts: Buffer[] = [header];
  if (r.question) parts.push(r.question);
  for (const rec of [...r.answers, ...r.authorities, ...r.additionals]) parts.push(codec.answer.encode(rec));
  return Buffer.concat(parts);
}

/** The reply to one DNS message, or undefined to drop it. */
export function answerMessage(store: ZoneStore, msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const inFlags = msg.readUInt16BE(2);
  if (inFlags & QR) return undefined; // a response: never answer those (avoids reflection loops)
  const opcodeBits = inFlags & 0x7800;
  const rd = inFlags & dnsPacket.RECURSION_DESIRED;
  const headerOnly = (rcode: number): Buffer =>
    encodeReply(id, { flags: QR | opcodeBits | rd | rcode, answers: [], authorities: [], additionals: [] });

  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(msg);
  } catch {
    return headerOnly(RCODE.FORMERR);
  }
  if (opcodeBits !== 0) return headerOnly(RCODE.NOTIMP);
  const questions = packet.questions ?? [];
  const opts = (packet.additionals ?? []).filter((a) => a.type === 'OPT') as dnsPacket.OptAnswer[];
  if (questions.length !== 1 || opts.length > 1) return headerOnly(RCODE.FORMERR);
  const q = questions[0]!;
  codec.question.decode(msg, 12);
  const question = msg.subarray(12, 12 + codec.question.decode.bytes);
  const opt = opts[0];

  const ourOpt = (extendedRcode = 0) => ({
    name: '.',
    type: 'OPT',
    udpPayloadSize: OUR_UDP_SIZE,
    extendedRcode,
    ednsVersion: 0,
    flags: 0,
    options: [],
  });
  const base = QR | rd; // RA stays clear: no recursion here
  if (opt && (opt.ednsVersion ?? 0) > 0) {
    // BADVERS (16): low 4 bits in the header are 0, the high 8 bits (1) go in the OPT record.
    return encodeReply(id, { flags: base, question, answers: [], authorities: [], additionals: [ourOpt(1)] });
  }
  const refuse = (): Buffer =>
    encodeReply(id, { flags: base | RCODE.REFUSED, question, answers: [], authorities: [], additionals: opt ? [ourOpt()] : [] });
  if (q.class !== 'IN') return refuse();
  if (q.type === 'AXFR' || q.type === 'IXFR') return refuse(); // no zone transfers

  let flags: number;
  let full: Buffer;
  try {
    const res = resolve(store, q.name, q.type);
    flags = base | (res.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODE[res.rcode];
    const additionals: unknown[] = [...res.additionals];
    if (opt) additionals.push(ourOpt());
    full = encodeReply(id, { flags, question, answers: res.answers, authorities: res.authorities, additionals });
  } catch {
    return encodeReply(id, { flags: base | RCODE.SERVFAIL, question, answers: [], authorities: [], additionals: opt ? [ourOpt()] : [] });
  }
  // RFC 1035 §4.2.1 / RFC 6891 §6.2.5: over UDP 512 without EDNS, else the client's size; over
  // TCP the 16-bit length prefix is the only limit.
  const limit = transport === 'tcp' ? 0xffff : opt ? Math.max(512, opt.udpPayloadSize ?? 512) : 512;
  if (full.length <= limit) return full;
  return encodeReply(id, {
    flags: flags | dnsPacket.TRUNCATED_RESPONSE,
    question,
    answers: [],
    authorities: [],
    additionals: opt ? [ourOpt()] : [],
  });
}

export interface DnsServer {
  port: number;
  close(): Promise<void>;
}

/** Binds UDP and TCP to the same port; with port 0, retries until both get one. */
export async function startDnsServer(store: ZoneStore, host: string, port: number): Promise<DnsServer> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    try {
      await new Promise<void>((ok, fail) => {
        udp.once('error', fail);
        udp.bind(port, host, () => {
          udp.off('error', fail);
          ok();
        });
      });
      const bound = udp.address().port;
      const conns = new Set<TcpSocket>();
      const tcp = createServer((sock) => {
        conns.add(sock);
        sock.on('close', () => conns.delete(sock));
        serveTcp(store, sock);
      });
      await new Promise<void>((ok, fail) => {
        tcp.once('error', fail);
        tcp.listen(bound, host, () => {
          tcp.off('error', fail);
          ok();
        });
      });
      serveUdp(store, udp);
      return { port: bound, close: () => closeBoth(udp, tcp, conns) };
    } catch (e) {
      udp.close();
      if (port !== 0 || attempt >= 20) throw e;
    }
  }
}

/** answerMessage, but a bug in it drops the one message instead of taking the server down. */
function safeAnswer(store: ZoneStore, msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
  try {
    return answerMessage(store, msg, transport);
  } catch {
    return undefined;
  }
}

function serveUdp(store: ZoneStore, udp: Socket): void {
  udp.on('error', () => {
    /* e.g. ICMP port unreachable from a vanished client: keep serving */
  });
  udp.on('message', (msg, rinfo) => {
    const reply = safeAnswer(store, msg, 'udp');
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
}

function serveTcp(store: ZoneStore, sock: TcpSocket): void {
  let buf = Buffer.alloc(0);
  sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    // RFC 7766: several length-prefixed messages may arrive on one connection, in any chunking.
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      const reply = safeAnswer(store, msg, 'tcp');
      if (!reply) continue;
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      sock.write(framed);
    }
  });
}

function closeBoth(udp: Socket, tcp: Server, conns: Set<TcpSocket>): Promise<void> {
  return new Promise((ok) => {
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) ok();
    };
    udp.close(done);
    tcp.close(() => done());
    for (const c of conns) c.destroy();
  });
}
