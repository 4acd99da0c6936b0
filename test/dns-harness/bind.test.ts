// The BIND harness must show the DNS structure traps a Route 53 zone has: wildcards, empty
// non-terminals that block wildcards, NODATA vs NXDOMAIN, and exact TXT text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BindServer, checkZoneText, startBind } from '../support/dns/bind.js';
import { answerSet, digBatch } from '../support/dns/dig.js';

const zoneText = (serial: number, extra = '') => `$TTL 300
@ IN SOA ns1.bl.test. hostmaster.bl.test. ${serial} 600 300 86400 300
@ IN NS ns1.bl.test.
@ IN CAA 0 issue "amazon.com"
ns1 IN A 127.0.0.1
ns1 IN AAAA ::1
*.2.0.192 IN A 127.0.0.2
*.2.0.192 IN TXT "Listed, first string; " "second string"
5.9.0.203 IN A 127.0.0.3
*.0.203 IN A 127.0.0.4
q IN TXT "say \\"hi\\" C:\\\\dir $ and $$ caf\\195\\169"
${extra}
`;

describe('startBind', () => {
  let bind: BindServer;
  beforeAll(async () => {
    bind = await startBind({ zone: 'bl.test', zoneFileText: zoneText(1) });
  });
  afterAll(async () => {
    await bind?.stop();
  });

  it('answers wildcards, the empty non-terminal trap, NODATA, NXDOMAIN with SOA', async () => {
    const r = await digBatch(bind.port, [
      { name: '7.2.0.192.bl.test', type: 'A' },
      { name: '7.2.0.192.bl.test', type: 'TXT' },
      { name: '6.9.0.203.bl.test', type: 'A' },
      { name: '9.0.203.bl.test', type: 'A' },
      { name: '5.9.0.203.bl.test', type: 'A' },
      { name: '1.1.0.203.bl.test', type: 'A' },
      { name: 'nothere.bl.test', type: 'A' },
      { name: 'x.example', type: 'A' },
      { name: 'bl.test', type: 'SOA' },
      { name: 'bl.test', type: 'CAA' },
      { name: 'ns1.bl.test', type: 'AAAA' },
    ]);
    const [wild, wildTxt, ent, entItself, exact, viaStar, missing, outside, soa, caa, aaaa] = r;
    expect(answerSet(wild!, wildTxt!)).toEqual({ listed: true, a: ['127.0.0.2'], txt: ['Listed, first string; second string'] });
    expect(wild).toMatchObject({ rcode: 'NOERROR', aa: true });
    // 9.0.203 exists (it has a child), so *.0.203 cannot synthesise 6.9.0.203: NXDOMAIN.
    expect(ent).toMatchObject({ rcode: 'NXDOMAIN', aa: true, authoritySoa: true, answers: [] });
    expect(entItself).toMatchObject({ rcode: 'NOERROR', aa: true, authoritySoa: true, answers: [] });
    expect(answerSet(entItself!).listed).toBe(false);
    expect(exact!.answers).toEqual(['127.0.0.3']);
    expect(viaStar!.answers).toEqual(['127.0.0.4']);
    expect(missing).toMatchObject({ rcode: 'NXDOMAIN', aa: true, authoritySoa: true });
    expect(missing!.authority[0]!.data).toBe('ns1.bl.test. hostmaster.bl.test. 1 600 300 86400 300');
    expect(outside!.rcode).toBe('REFUSED');
    expect(soa!.answers).toEqual(['ns1.bl.test. hostmaster.bl.test. 1 600 300 86400 300']);
    expect(caa!.answers).toEqual(['0 issue "amazon.com"']);
    expect(aaaa!.answers).toEqual(['::1']);
    expect(wild!.answer[0]!.ttl).toBe(300);
  });

  it('decodes TXT with quotes, backslashes, $ and UTF-8 exactly', async () => {
    const [q] = await digBatch(bind.port, [{ name: 'q.bl.test', type: 'TXT' }]);
    expect(q!.answers).toEqual(['say "hi" C:\\dir $ and $$ café']);
  });

  it('answers queries sent the way SpamAssassin sends them (RD, EDNS0 4096)', async () => {
    const [a] = await digBatch(bind.port, [{ name: '7.2.0.192.bl.test', type: 'A' }], { client: 'spamassassin' });
    expect(a).toMatchObject({ rcode: 'NOERROR', aa: true, answers: ['127.0.0.2'] });
    expect(a!.flags).toContain('rd');
    expect(a!.flags).not.toContain('ra');
  });

  it('reloads a new zone text and serves its serial', async () => {
    await bind.reload(zoneText(2, 'new IN A 127.0.0.9'));
    const [n, soa] = await digBatch(bind.port, [
      { name: 'new.bl.test', type: 'A' },
      { name: 'bl.test', type: 'SOA' },
    ]);
    expect(n!.answers).toEqual(['127.0.0.9']);
    expect(soa!.answers[0]).toContain(' 2 600 ');
    await expect(bind.reload(zoneText(3, 'new IN CNAME x\nnew IN A 127.0.0.1'))).rejects.toThrow(/CNAME and other data/);
  });
});

describe('checkZoneText / startBind on a broken zone', () => {
  it('fails with named-checkzone output before starting named', async () => {
    await expect(checkZoneText('bl.test', 'no soa here\n')).rejects.toThrow(/named-checkzone rejected/);
    await expect(startBind({ zone: 'bl.test', zoneFileText: '$TTL 300\nx IN A 1.2.3.4\n' })).rejects.toThrow(/named-checkzone rejected/);
  });
});
