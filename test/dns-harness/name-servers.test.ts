// Issue 11 item 5: a name server inside the zone (ns1.bl.test for bl.test) needs an address record
// (glue) in the zone. Real named-checkzone refuses the zone without one and real rbldnsd warns
// "no glue record(s)"; the product carries no glue, so such a configuration is refused before any
// file is written, and every configuration it accepts renders files both tools load cleanly.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetwork } from '../../lambdas/core/ip.js';
import { type Listing, validateZoneConfig, type ZoneConfig } from '../../lambdas/core/listing.js';
import { renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { zoneFile } from '../../lambdas/core/zone-file.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { CFG } from '../core/arbitraries.js';
import { checkZoneText } from '../support/dns/bind.js';
import { checkRbldnsdFile } from '../support/dns/rbldnsd.js';

const LISTINGS: Listing[] = ['192.0.2.1', '2001:db8::/48'].map((n) => ({
  list: 'spam',
  network: parseNetwork(n, { maxWidth4: 0, maxWidth6: 0 }),
  reason: 'r',
  source: 's',
  createdAt: 't',
  updatedAt: 't',
  exclusion: false,
}));

describe('name servers and the files real tools load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-ns-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Both files for a configuration, loaded by named-checkzone and rbldnsd. */
  async function load(cfg: ZoneConfig): Promise<{ checkzone: string; rbldnsd: string[] }> {
    const zoneText = zoneFile(cfg, 1, planZone(cfg, effectiveListings(cfg, LISTINGS, 0)));
    const checkzone = await checkZoneText(cfg.zone, zoneText).then(
      () => 'loaded',
      (e: Error) => e.message,
    );
    let text = '';
    for await (const chunk of renderRbldnsd(cfg, { serial: 1, nowSeconds: 0 }, (list, family) =>
      LISTINGS.filter((l) => l.list === list.name && l.network.family === family),
    )) {
      text += chunk;
    }
    const file = join(dir, `${cfg.nameservers.join('_')}.combined`);
    await writeFile(file, text);
    return { checkzone, rbldnsd: (await checkRbldnsdFile(cfg.zone, 'combined', file)).warnings };
  }

  it('what the tools do with an in-zone name server and no glue (why such a configuration is refused)', async () => {
    const zoneText = '$ORIGIN bl.test.\n@ 60 IN SOA ns1.bl.test. hostmaster.bl.test. 1 600 300 86400 60\n@ 300 IN NS ns1.bl.test.\n';
    await expect(checkZoneText('bl.test', zoneText)).rejects.toThrow(/NS 'ns1\.bl\.test' has no address records/);
    const file = join(dir, 'noglue.combined');
    await writeFile(file, '$SOA 60 ns1.bl.test hostmaster.bl.test 1 600 300 86400 60\n$NS 300 ns1.bl.test\n$DATASET ip4trie:x @\n192.0.2.1 :127.0.0.2:r\n');
    expect((await checkRbldnsdFile('bl.test', 'combined', file)).warnings).toEqual(['zone bl.test: no glue record(s) for ns1.bl.test NS found']);
  });

  it.each([
    ['outside the zone', ['ns1.example.net', 'ns2.example.net']],
    ['inside the zone', ['ns1.bl.test', 'ns2.bl.test']],
    ['one inside, one outside', ['ns1.example.net', 'NS2.BL.TEST.']],
  ])('name servers %s: the configuration is refused, or both files load without a warning', async (_what, nameservers) => {
    const cfg: ZoneConfig = { ...CFG, nameservers };
    let refused: string | undefined;
    try {
      validateZoneConfig(cfg);
    } catch (e) {
      refused = (e as Error).message;
    }
    if (refused !== undefined) {
      expect(refused).toMatch(/is inside the zone bl\.test: it would need an address record \(glue\).*Use name servers outside the zone/);
      expect(nameservers.some((n) => /bl\.test\.?$/i.test(n))).toBe(true);
      return;
    }
    expect(await load(cfg)).toEqual({ checkzone: 'loaded', rbldnsd: [] });
  });
});
