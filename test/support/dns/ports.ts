// Free loopback ports for test servers. A DNS server binds UDP and (BIND) TCP on the same number,
// so a port is only handed out when both protocols can bind it on 127.0.0.1.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';
// Ports handed out by this process: never give the same one twice before its server binds it.
const handedOut = new Set<number>();

function bindTcp(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host: HOST, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

function bindUdp(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(undefined);
    });
    sock.bind({ port, address: HOST, exclusive: true }, () => {
      const got = sock.address().port;
      sock.close(() => resolve(got));
    });
  });
}

/** A port free on 127.0.0.1 for both UDP and TCP; `kind` picks which protocol allocates it. */
export async function freePort(kind: 'udp' | 'tcp' | 'both' = 'both'): Promise<number> {
  const first = kind === 'udp' ? bindUdp : bindTcp;
  const second = kind === 'udp' ? bindTcp : bindUdp;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await first(0);
    if (port === undefined || handedOut.has(port)) continue;
    if ((await second(port)) !== port) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: no port free for both UDP and TCP on 127.0.0.1 after 100 attempts');
}
