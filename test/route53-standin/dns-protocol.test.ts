// Wire-level behaviour of the stand-in's DNS server: EDNS0, truncation, TCP framing, error rcodes,
// question echo, and robustness against malformed packets.
import type { Route53Client } from '@aws-sdk/client-route-53';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Route53StandIn } from '../../local/route53/index.js';
import { decodeReply, dnsPacket, query, queryMessage, type Reply, tcpExchange, udpExchange } from './dns-client.js';
import { rr, send, standInSuite } from './helpers.js';

const Z = 'bl.example.org.';
let standIn: Route53StandIn;
let client: Route53Client;
let port: number;
const BIG_VALUES = Array.from({ length: 12 }, (_, i) => `"${String.fromCharCode(97 + i).repeat(100)}"`); // ~1.3 KB of TXT

let zone: string;

standInSuite({ zone: 'bl.example.org' }, (s) => ({ standIn, client, zone } = s));
beforeAll(async () => {
  port = standIn.dnsPort;
  await send(client, zone, [
    rr('CREATE', `*.2.0.192.${Z}`, 'A', 300, ['127.0.0.2']),
    rr('CREATE', `*.2.0.192.${Z}`, 'TXT', 300, ['"listed" "second"']),
    rr('CREATE', `big.${Z}`, 'TXT', 300, BIG_VALUES),
  ]);
});

const opt = (p: Reply) => p.additionals.find((a) => a.type === 'OPT');

describe('answers', () => {
  it('answers a SpamAssassin-style query (RD, EDNS 4096): AA set, RA clear, OPT echoed', async () => {
    const r = await query(port, `1.2.0.192.${Z}`, 'A', { edns: 4096 });
    expect(r.rcode).toBe('NOERROR');
    expect(r.flag_aa).toBe(true);
    expect(r.flag_ra).toBe(false);
    expect(r.flag_rd).toBe(true);
    expect(r.flag_tc).toBe(false);
    expect(r.answers).toEqual([expect.objectContaining({ name: '1.2.0.192.bl.example.org', type: 'A', ttl: 300, data: '127.0.0.2' })]);
    expect(opt(r)).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0 });
    // Without EDNS in the query there is none in the reply.
    expect(opt(await query(port, `1.2.0.192.${Z}`, 'A'))).toBeUndefined();
  });

  it('returns a TXT with several strings as several strings', async () => {
    const r = await query(port, `7.2.0.192.${Z}`, 'TXT', { edns: 4096 });
    expect(r.answers?.map((a) => (a.data as Buffer[]).map((b) => b.toString()))).toEqual([['listed', 'second']]);
  });

  it('echoes the question exactly as asked, case included', async () => {
    const msg = queryMessage('7.2.0.192.Bl.ExAmPlE.oRg', 'A');
    const reply = (await udpExchange(port, msg))!;
    const qlen = msg.length - 12;
    expect(reply.subarray(12, 12 + qlen).equals(msg.subarray(12))).toBe(true);
    expect(reply.readUInt16BE(0)).toBe(msg.readUInt16BE(0));
    expect(decodeReply(reply).answers?.[0]?.name).toBe('7.2.0.192.Bl.ExAmPlE.oRg');
  });

  it('refuses names outside its zones, and classes other than IN', async () => {
    const out = await query(port, 'www.example.com', 'A');
    expect(out.rcode).toBe('REFUSED');
    expect(out.flag_aa).toBe(false);
    const chaos = dnsPacket.encode({ type: 'query', id: 7, questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] });
    expect(decodeReply((await udpExchange(port, chaos))!).rcode).toBe('REFUSED');
  });

  it('answers ANY with every rrset at the name (wildcard owner rewritten)', async () => {
    const r = await query(port, `9.2.0.192.${Z}`, 'ANY', { edns: 1232 });
    expect(r.answers?.map((a) => `${a.name} ${a.type}`).sort()).toEqual(['9.2.0.192.bl.example.org A', '9.2.0.192.bl.example.org TXT']);
  });
});

describe('truncation', () => {
  it('sets TC over UDP when the answer exceeds 512 bytes without EDNS, or the advertised size', async () => {
    const plain = await query(port, `big.${Z}`, 'TXT');
    expect(plain.flag_tc).toBe(true);
    expect(plain.answers).toEqual([]);
    expect(plain.questions).toEqual([expect.objectContaining({ name: 'big.bl.example.org', type: 'TXT' })]);

    const small = await query(port, `big.${Z}`, 'TXT', { edns: 512 });
    expect(small.flag_tc).toBe(true);
    expect(opt(small)).toBeDefined();

    const large = await query(port, `big.${Z}`, 'TXT', { edns: 4096 });
    expect(large.flag_tc).toBe(false);
    expect(large.answers).toHaveLength(12);
  });

  it('gives the whole answer over TCP, several queries on one connection', async () => {
    const msgs = [queryMessage(`big.${Z}`, 'TXT'), queryMessage(`1.2.0.192.${Z}`, 'A'), queryMessage(`nothere.${Z}`, 'A')];
    const replies = (await tcpExchange(port, msgs)).map((b) => decodeReply(b));
    expect(replies.map((r) => r.id)).toEqual(msgs.map((m) => m.readUInt16BE(0)));
    expect(replies[0]!.flag_tc).toBe(false);
    expect(replies[0]!.answers?.map((a) => (a.data as Buffer[])[0]!.toString('latin1').slice(0, 1)).sort()).toEqual('abcdefghijkl'.split(''));
    expect(replies[1]!.answers?.[0]?.data).toBe('127.0.0.2');
    expect(replies[2]!.rcode).toBe('NXDOMAIN');
  });
});

describe('errors and malformed input', () => {
  const rcodeOf = (b: Buffer | undefined) => (b ? b.readUInt16BE(2) & 0xf : undefined);

  it('FORMERR for an unparsable question, keeping the id', async () => {
    const msg = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 5, 0x61, 0x62]); // label cut short
    const reply = await udpExchange(port, msg);
    expect(reply?.readUInt16BE(0)).toBe(0xabcd);
    expect(rcodeOf(reply)).toBe(1);
    expect(reply!.readUInt16BE(2) & 0x8000).toBe(0x8000);
  });

  it('FORMERR for two questions; NOTIMP for another opcode; BADVERS for EDNS version 1', async () => {
    const two = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [
        { name: `a.${Z}`, type: 'A', class: 'IN' },
        { name: `b.${Z}`, type: 'A', class: 'IN' },
      ],
    });
    expect(rcodeOf(await udpExchange(port, two))).toBe(1);

    const status = queryMessage(`a.${Z}`, 'A');
    status.writeUInt16BE(status.readUInt16BE(2) | (2 << 11), 2); // opcode STATUS
    expect(rcodeOf(await udpExchange(port, status))).toBe(4);

    const v1 = dnsPacket.encode({
      type: 'query',
      id: 10,
      questions: [{ name: `a.${Z}`, type: 'A', class: 'IN' }],
      additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, options: [] } as never],
    });
    const bad = decodeReply((await udpExchange(port, v1))!);
    expect(bad.rcode).toBe('NOERROR'); // the low 4 bits of BADVERS (16)
    expect(opt(bad)?.extendedRcode).toBe(1); // the high 8 bits
    expect(bad.answers).toEqual([]);
  });

  it('drops runts and responses instead of answering them', async () => {
    expect(await udpExchange(port, Buffer.from([1, 2, 3, 4, 5]), 300)).toBeUndefined();
    const response = queryMessage(`1.2.0.192.${Z}`, 'A');
    response.writeUInt16BE(response.readUInt16BE(2) | 0x8000, 2);
    expect(await udpExchange(port, response, 300)).toBeUndefined();
  });

  it('survives random garbage over UDP and TCP and keeps answering', async () => {
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(12 + (i % 60));
      junk.writeUInt16BE(junk.readUInt16BE(2) & 0x7fff, 2); // look like a query, so it is parsed
      // Anything with a full header that claims to be a query gets some reply (FORMERR at worst).
      const reply = await udpExchange(port, junk, 1000);
      expect(reply?.readUInt16BE(0)).toBe(junk.readUInt16BE(0));
    }
    const junk = randomBytes(30);
    junk.writeUInt16BE(junk.readUInt16BE(2) & 0x07ff, 2); // opcode QUERY, not a response
    junk.writeUInt16BE(1, 4);
    const [garbled, good] = await tcpExchange(port, [junk, queryMessage(`1.2.0.192.${Z}`, 'A')]);
    expect(garbled!.readUInt16BE(0)).toBe(junk.readUInt16BE(0));
    expect(decodeReply(good!).answers?.[0]?.data).toBe('127.0.0.2');
    expect((await query(port, `1.2.0.192.${Z}`, 'A')).answers?.[0]?.data).toBe('127.0.0.2');
  });
});
