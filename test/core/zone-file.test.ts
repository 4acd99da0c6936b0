// The master file for BIND/NSD (zone-file.ts) and the zone's name servers (issue 11 item 5): a name
// server inside the zone would need an address record (glue) that neither the Route 53 zone nor the
// files carry, so such a configuration is refused; real named-checkzone and rbldnsd are held to it
// in test/dns-harness/name-servers.test.ts.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/input-error.js';
import { validateZoneConfig, type ZoneConfig } from '../../lambdas/core/listing.js';
import { renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import type { RRSet } from '../../lambdas/core/rrset.js';
import { zoneFile } from '../../lambdas/core/zone-file.js';
import { CFG } from './arbitraries.js';

const withNs = (...nameservers: string[]): ZoneConfig => ({ ...CFG, nameservers });

describe('zone file', () => {
  it('writes SOA, NS and the rrsets in name order (compareNames), values as Route 53 holds them', () => {
    const rrsets: RRSet[] = [
      { name: '*.2.0.192.bl.test.', type: 'TXT', ttl: 300, values: ['"a \\"b\\" $"'] },
      { name: '*.2.0.192.bl.test.', type: 'A', ttl: 300, values: ['127.0.0.2'] },
      { name: '5.2.0.192.bl.test.', type: 'CAA', ttl: 300, values: ['0 issue ";"'] },
    ];
    expect(zoneFile(CFG, 7, rrsets).split('\n')).toEqual([
      '$ORIGIN bl.test.',
      '@ 60 IN SOA ns1.example.net. hostmaster.bl.test. 7 600 300 86400 60',
      '@ 300 IN NS ns1.example.net.',
      '@ 300 IN NS ns2.example.net.',
      '5.2.0.192.bl.test. 300 IN CAA 0 issue ";"',
      '*.2.0.192.bl.test. 300 IN A 127.0.0.2',
      '*.2.0.192.bl.test. 300 IN TXT "a \\"b\\" $"',
      '',
    ]);
  });
});

describe('name servers inside the zone', () => {
  it('are refused by validateZoneConfig, naming the server, the zone and what to do', () => {
    expect(() => validateZoneConfig(withNs('ns1.bl.test'))).toThrow(InputError);
    expect(() => validateZoneConfig(withNs('ns1.example.net', 'ns1.bl.test'))).toThrow(
      'nameservers[1] "ns1.bl.test" is inside the zone bl.test: it would need an address record (glue) in the zone, which the zone ' +
        'does not carry (named-checkzone refuses such a zone; rbldnsd warns "no glue record(s)"). Use name servers outside the zone, e.g. ns1.example.net',
    );
    for (const ns of ['NS1.BL.TEST.', 'bl.test', 'bl.test.', 'a.b.c.bl.test']) {
      expect(() => validateZoneConfig(withNs(ns)), ns).toThrow(/is inside the zone bl\.test/);
    }
    for (const ns of ['ns1.example.net', 'ns1.example.net.', 'xbl.test', 'ns.bl.test.example.net']) {
      expect(() => validateZoneConfig(withNs(ns)), ns).not.toThrow();
    }
  });

  it('are refused by both renderers too, whatever configuration they are given', async () => {
    const cfg = withNs('ns1.bl.test');
    expect(() => zoneFile(cfg, 1, [])).toThrow(/"ns1\.bl\.test" is inside the zone bl\.test/);
    const render = async () => {
      for await (const _ of renderRbldnsd(cfg, { serial: 1, nowSeconds: 0 }, () => [])) void _;
    };
    await expect(render()).rejects.toThrow(/"ns1\.bl\.test" is inside the zone bl\.test/);
  });
});
