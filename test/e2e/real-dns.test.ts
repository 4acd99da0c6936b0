// The proof that matters: the planned Route 53 records, loaded into a real BIND, and the rendered
// rbldnsd file, loaded into a real rbldnsd, answer identically and exactly as the semantics say,
// for thousands of addresses: listed, excluded, neighbours, test points, IPv4 seen through IPv6.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareNetworks, queryName } from '../../lambdas/core/ip.js';
import type { Listing } from '../../lambdas/core/listing.js';
import { renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import { answerFor, effectiveListings } from '../../lambdas/core/semantics.js';
import { zoneFile } from '../../lambdas/core/zone-file.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { CFG, listingArb } from '../core/arbitraries.js';
import { startBind } from '../support/dns/bind.js';
import { probeAddresses } from '../support/probes.js';
import { answerSet, digBatch } from '../support/dns/dig.js';
import { checkRbldnsdFile, startRbldnsd } from '../support/dns/rbldnsd.js';

const NOW = 1000;

function sampleListings(): Listing[] {
  // Random listings in a few hot areas (unique by list+network), fixed seed: reproducible.
  const byKey = new Map<string, Listing>();
  for (const l of fc.sample(listingArb, { numRuns: 700, seed: 5782 })) {
    byKey.set(`${l.list}|${l.network.family}|${l.network.start}|${l.network.prefix}`, l);
  }
  return [...byKey.values()];
}

describe('planned zone in BIND and rendered file in rbldnsd answer alike and as the semantics', () => {
  const listings = sampleListings();
  const effective = effectiveListings(CFG, listings, NOW);
  let dir: string;
  let bind: Awaited<ReturnType<typeof startBind>>;
  let rbl: Awaited<ReturnType<typeof startRbldnsd>>;
  let rrsetCount = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-e2e-'));
    const rrsets = [...planZone(CFG, effective)];
    rrsetCount = rrsets.length;
    bind = await startBind({ zone: CFG.zone, zoneFileText: zoneFile(CFG, 1, rrsets) });
    let text = '';
    for await (const chunk of renderRbldnsd(CFG, { serial: 1, nowSeconds: NOW }, (list, family) =>
      listings.filter((l) => l.list === list.name && l.network.family === family).sort((a, b) => compareNetworks(a.network, b.network)),
    )) text += chunk;
    const file = join(dir, 'bl.combined');
    await writeFile(file, text);
    const check = await checkRbldnsdFile(CFG.zone, 'combined', file);
    expect(check.warnings).toEqual([]);
    rbl = await startRbldnsd({ zone: CFG.zone, files: [{ type: 'combined', path: file }] });
  });

  afterAll(async () => {
    await bind?.stop();
    await rbl?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('for thousands of addresses', async () => {
    const points = probeAddresses(listings);
    expect(listings.length).toBeGreaterThan(200);
    expect(points.length).toBeGreaterThan(2000);
    expect(rrsetCount).toBeGreaterThan(100);
    const queries = points.flatMap(([f, a]) => {
      const name = queryName(f, a, CFG.zone);
      return [
        { name, type: 'A' as const },
        { name, type: 'TXT' as const },
      ];
    });
    const [fromBind, fromRbl] = await Promise.all([digBatch(bind.port, queries), digBatch(rbl.port, queries)]);
    let listed = 0;
    for (let i = 0; i < points.length; i++) {
      const [f, a] = points[i]!;
      const want = answerFor(CFG, effective, f, a);
      const expected = {
        listed: want.length > 0,
        a: [...new Set(want.map((w) => w.code))].sort(),
        txt: [...new Set(want.map((w) => w.txt))].sort(),
      };
      const b = { ...answerSet(fromBind[2 * i]!), txt: answerSet(fromBind[2 * i + 1]!).txt };
      const r = { ...answerSet(fromRbl[2 * i]!), txt: answerSet(fromRbl[2 * i + 1]!).txt };
      const name = queries[2 * i]!.name;
      expect({ name, ...b }).toEqual({ name, ...expected });
      expect({ name, ...r }).toEqual({ name, ...expected });
      // Unlisted is NXDOMAIN in rbldnsd; BIND may say NODATA where DNS structure makes a name exist.
      if (!expected.listed) expect(fromRbl[2 * i]!.rcode).toBe('NXDOMAIN');
      expect(fromBind[2 * i]!.aa).toBe(true);
      if (expected.listed) listed++;
    }
    expect(listed).toBeGreaterThan(points.length / 5);
    // The RFC 5782 test points.
    const tp = queries.findIndex((q) => q.name === `2.0.0.127.${CFG.zone}`);
    expect(answerSet(fromBind[tp]!).a).toEqual(['127.0.0.10', '127.0.0.2', '127.0.0.3']);
    const tp1 = queries.findIndex((q) => q.name === `1.0.0.127.${CFG.zone}`);
    expect(answerSet(fromBind[tp1]!).listed).toBe(false);
    expect(answerSet(fromRbl[tp1]!).listed).toBe(false);
  });
});
