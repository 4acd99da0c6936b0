// A minimal DNS client over UDP and TCP for the tests, built on dns-packet.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';

/** Sends raw bytes over UDP; resolves with the reply, or undefined after `timeoutMs`. */
export function udpExchange(port: number, msg: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(undefined);
    }, timeoutMs);
    sock.once('message', (reply) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.send(msg, port, '127.0.0.1');
  });
}

/** Sends length-prefixed messages over one TCP connection; resolves with the replies. */
export function tcpExchange(port: number, msgs: Buffer[], timeoutMs = 2000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const replies: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP: ${replies.length} of ${msgs.length} replies before timeout`));
    }, timeoutMs);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        replies.push(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
      }
      if (replies.length === msgs.length) {
        clearTimeout(timer);
        sock.end();
        resolve(replies);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // Written in one go, so the server must split several messages from one chunk.
    sock.write(
      Buffer.concat(
        msgs.flatMap((m) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(m.length);
          return [len, m];
        }),
      ),
    );
  });
}

let nextId = 1;

export interface QueryOptions {
  edns?: number; // UDP payload size to advertise; undefined = no OPT record
  rd?: boolean;
}

export function queryMessage(name: string, type: string, opts: QueryOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: nextId++ & 0xffff,
    flags: opts.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A', class: 'IN' }],
    additionals:
      opts.edns === undefined ? [] : [{ name: '.', type: 'OPT', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as never],
  });
}

/** A decoded reply, typed for what the tests read (dns-packet's typings omit rcode). */
export interface Reply {
  id: number;
  rcode: string;
  flag_aa: boolean;
  flag_tc: boolean;
  flag_rd: boolean;
  flag_ra: boolean;
  questions: Array<{ name: string; type: string; class: string }>;
  answers: Array<{ name: string; type: string; ttl: number; data: unknown }>;
  authorities: Array<{ name: string; type: string; ttl: number; data: unknown }>;
  additionals: Array<{ name: string; type: string; udpPayloadSize?: number; extendedRcode?: number; ednsVersion?: number }>;
}

export function decodeReply(buf: Buffer): Reply {
  return dnsPacket.decode(buf) as unknown as Reply;
}

export async function query(port: number, name: string, type: string, opts: QueryOptions = {}): Promise<Reply> {
  const reply = await udpExchange(port, queryMessage(name, type, opts));
  if (!reply) throw new Error(`no reply for ${name} ${type}`);
  return decodeReply(reply);
}

export { dnsPacket };
