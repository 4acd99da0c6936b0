// dig's text output is the contract between the servers and every assertion: pin the parser.
import { describe, expect, it } from 'vitest';
import { answerSet, decodeTxt, parseDigOutput } from '../support/dns/dig.js';
import { freePort } from '../support/dns/ports.js';
import { digBatch } from '../support/dns/dig.js';

const OUT = `;; communications error to 127.0.0.1#1: timed out

; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> 1.2.0.192.bl.test A
; (1 server found)
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; ANSWER SECTION:
1.2.0.192.bl.test.	300	IN	A	127.0.0.3
1.2.0.192.bl.test.	300	IN	A	127.0.0.10

;; AUTHORITY SECTION:
bl.test.		300	IN	NS	ns1.bl.test.

; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> 1.2.0.192.bl.test TXT
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 2
;; flags: qr aa; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1

;; ANSWER SECTION:
1.2.0.192.bl.test.	300	IN	TXT	"a \\"q\\" " "b\\\\c $ caf\\195\\169"

;; communications error to 127.0.0.1#1: timed out
; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> 9.9.9.9.bl.test A
;; no servers could be reached
`;

describe('dig output parsing', () => {
  it('decodes TXT escapes and joins the strings of one record', () => {
    expect(decodeTxt('"a \\"q\\" " "b\\\\c $ caf\\195\\169"')).toBe('a "q" b\\c $ café');
    expect(decodeTxt('""')).toBe('');
  });

  it('splits per query, keeps order, marks a missing reply', () => {
    const r = parseDigOutput(
      [
        { name: '1.2.0.192.bl.test', type: 'A' },
        { name: '1.2.0.192.bl.test', type: 'TXT' },
        { name: '9.9.9.9.bl.test', type: 'A' },
      ],
      OUT,
    );
    expect(r.map((x) => x.rcode)).toEqual(['NOERROR', 'NOERROR', 'TIMEOUT']);
    expect(r[0]).toMatchObject({ aa: true, flags: ['qr', 'aa', 'rd'], answers: ['127.0.0.3', '127.0.0.10'], authoritySoa: false });
    expect(r[1]!.answers).toEqual(['a "q" b\\c $ café']);
    expect(answerSet(r[0]!, r[1]!)).toEqual({ listed: true, a: ['127.0.0.10', '127.0.0.3'], txt: ['a "q" b\\c $ café'] });
    expect(answerSet(r[2]!)).toEqual({ listed: false, a: [], txt: [] });
  });

  it('refuses to misalign results', () => {
    expect(() => parseDigOutput([{ name: 'x.bl.test', type: 'A' }], OUT)).toThrow(/answered 3 of 1/);
    expect(() =>
      parseDigOutput(
        [
          { name: '1.2.0.192.bl.test', type: 'TXT' },
          { name: '1.2.0.192.bl.test', type: 'TXT' },
          { name: '9.9.9.9.bl.test', type: 'A' },
        ],
        OUT,
      ),
    ).toThrow(/expected/);
  });

  it('reports no server as a non-answer, per query', async () => {
    const port = await freePort('both'); // nothing listens there
    const r = await digBatch(port, [
      { name: 'a.bl.test', type: 'A' },
      { name: 'b.bl.test', type: 'TXT' },
    ]);
    expect(r.map((x) => [x.name, x.rcode])).toEqual([
      ['a.bl.test', 'TIMEOUT'],
      ['b.bl.test', 'TIMEOUT'],
    ]);
  });
});
