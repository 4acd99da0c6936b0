// Readiness: a server is ready when it answers a real SOA query over UDP, not when it prints
// "started". Plain dgram + dns-packet, so polling does not fork a dig process every 50 ms.
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface SoaReply {
  rcode: string;
  serial?: number;
}

/** One SOA query; undefined when no reply arrives within timeoutMs. */
export function querySoa(port: number, zone: string, timeoutMs = 300): Promise<SoaReply | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const done = (r: SoaReply | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      try {
        const p = dnsPacket.decode(msg);
        if (p.id !== id) return;
        const soa = p.answers?.find((a) => a.type === 'SOA');
        const serial = soa && soa.type === 'SOA' ? soa.data.serial : undefined;
        // dns-packet sets rcode at runtime; its types omit it.
        done({ rcode: (p as { rcode?: string }).rcode ?? 'NOERROR', serial });
      } catch {
        done({ rcode: 'FORMERR' });
      }
    });
    const q = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type: 'SOA', class: 'IN', name: zone }] });
    sock.send(q, port, '127.0.0.1');
  });
}

/** Polls until accept(reply) holds; fails fast when the server died (isAlive false). */
export async function waitForSoa(
  port: number,
  zone: string,
  opts: { timeoutMs: number; isAlive: () => boolean; accept: (r: SoaReply) => boolean; describe: () => string },
): Promise<SoaReply> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: SoaReply | undefined;
  while (Date.now() < deadline) {
    if (!opts.isAlive()) throw new Error(`server exited before answering SOA for ${zone} on port ${port}:\n${opts.describe()}`);
    last = await querySoa(port, zone);
    if (last && opts.accept(last)) return last;
    if (last) await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `no acceptable SOA answer for ${zone} on 127.0.0.1:${port} within ${opts.timeoutMs} ms (last: ${JSON.stringify(last)}):\n${opts.describe()}`,
  );
}
