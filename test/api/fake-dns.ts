// A tiny authoritative DNS server for tests: answers A and TXT from a map the test fills, NXDOMAIN
// for other names in the zone; `silent` makes it drop queries (to test the lookup's timeout).
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface FakeRecords {
  a?: string[];
  txt?: string[];
}

export interface FakeDns {
  readonly port: number;
  readonly records: Map<string, FakeRecords>;
  silent: boolean;
  queries: number;
  stop(): Promise<void>;
}

export async function startFakeDns(zone: string): Promise<FakeDns> {
  const socket: Socket = createSocket('udp4');
  const state: FakeDns = {
    port: 0,
    records: new Map(),
    silent: false,
    queries: 0,
    stop: () => new Promise<void>((r) => socket.close(() => r())),
  };
  socket.on('message', (msg, rinfo) => {
    state.queries++;
    if (state.silent) return;
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const inZone = name === zone || name.endsWith(`.${zone}`);
    const rec = state.records.get(name);
    const answers: dnsPacket.Answer[] = [];
    if (rec && question.type === 'A') for (const a of rec.a ?? []) answers.push({ type: 'A', name: question.name, ttl: 60, data: a });
    if (rec && question.type === 'TXT') for (const t of rec.txt ?? []) answers.push({ type: 'TXT', name: question.name, ttl: 60, data: [t] });
    const rcode = !inZone ? 'REFUSED' : rec ? 'NOERROR' : 'NXDOMAIN';
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (rcode === 'NXDOMAIN' ? 3 : rcode === 'REFUSED' ? 5 : 0),
      questions: q.questions,
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  (state as { port: number }).port = socket.address().port;
  return state;
}
