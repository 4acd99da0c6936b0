// The proof that matters: the planned Route 53 records, loaded into a real BIND, and the rendered
// rbldnsd file, loaded into a real rbldnsd, answer identically and exactly as the semantics say,
// for thousands of addresses: listed, excluded, neighbours, test points, IPv4 seen through IPv6.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareNetworks, formatNetwork, parseNetwork, queryName } from '../../lambdas/core/ip.js';
import { type ListDef, type Listing, renderTxt, validateZoneConfig, type ZoneConfig } from '../../lambdas/core/listing.js';
import { renderRbldnsd } from '../../lambdas/core/rbldnsd-render.js';
import { answerFor, effectiveListings, mirrorConfig, zoneRecords } from '../../lambdas/core/semantics.js';
import { zoneFile } from '../../lambdas/core/zone-file.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { CFG, listingArb } from '../core/arbitraries.js';
import { txtTemplateArb, txtTextArb } from '../core/rbldnsd-txt.js';
import { startBind } from '../support/dns/bind.js';
import { probeAddresses } from '../support/probes.js';
import { aOnlyList } from '../support/zones.js';
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

// rbldnsd mirrors answer IPv4-mapped and 6to4 names from their IPv4 data and every list's TXT text
// whatever the zone's settings; the Route 53 zone (BIND here) does what ipv4ViaIpv6 and each list's
// route53Txt say (semantics.zoneRecords). The rows cover the default, mirroring, and an A-only list.
const A_ONLY_DUL: ZoneConfig = aOnlyList(CFG, 'dul');

describe.each([
  ['IPv4 not answered through IPv6 (default)', CFG],
  ['IPv4 answered through IPv6 too', { ...CFG, ipv4ViaIpv6: true }],
  ['list dul published A-only in Route 53', A_ONLY_DUL],
])('planned zone in BIND and rendered file in rbldnsd answer as the semantics: %s', (_name, cfg: ZoneConfig) => {
  const listings = sampleListings();
  const effective = effectiveListings(cfg, listings, NOW);
  const mirrorCfg = mirrorConfig(cfg);
  let dir: string;
  let bind: Awaited<ReturnType<typeof startBind>>;
  let rbl: Awaited<ReturnType<typeof startRbldnsd>>;
  let rrsetCount = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dnsbl-e2e-'));
    const rrsets = [...planZone(cfg, effective)];
    rrsetCount = rrsets.length;
    bind = await startBind({ zone: cfg.zone, zoneFileText: zoneFile(cfg, 1, rrsets) });
    let text = '';
    for await (const chunk of renderRbldnsd(cfg, { serial: 1, nowSeconds: NOW }, (list, family) =>
      listings.filter((l) => l.list === list.name && l.network.family === family).sort((a, b) => compareNetworks(a.network, b.network)),
    )) text += chunk;
    const file = join(dir, 'bl.combined');
    await writeFile(file, text);
    const check = await checkRbldnsdFile(cfg.zone, 'combined', file);
    expect(check.warnings).toEqual([]);
    rbl = await startRbldnsd({ zone: cfg.zone, files: [{ type: 'combined', path: file }] });
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
      const name = queryName(f, a, cfg.zone);
      return [
        { name, type: 'A' as const },
        { name, type: 'TXT' as const },
      ];
    });
    const [fromBind, fromRbl] = await Promise.all([digBatch(bind.port, queries), digBatch(rbl.port, queries)]);
    let listed = 0;
    let aWithoutTxt = 0;
    for (let i = 0; i < points.length; i++) {
      const [f, a] = points[i]!;
      const inZone = zoneRecords(cfg, answerFor(cfg, effective, f, a));
      const zoneExpected = { listed: inZone.a.length > 0, a: [...inZone.a].sort(), txt: [...inZone.txt].sort() };
      const onMirror = answerFor(mirrorCfg, effective, f, a);
      const mirrorExpected = {
        listed: onMirror.length > 0,
        a: [...new Set(onMirror.map((w) => w.code))].sort(),
        txt: [...new Set(onMirror.map((w) => w.txt))].sort(),
      };
      const b = { ...answerSet(fromBind[2 * i]!), txt: answerSet(fromBind[2 * i + 1]!).txt };
      const r = { ...answerSet(fromRbl[2 * i]!), txt: answerSet(fromRbl[2 * i + 1]!).txt };
      const name = queries[2 * i]!.name;
      expect({ name, ...b }).toEqual({ name, ...zoneExpected });
      expect({ name, ...r }).toEqual({ name, ...mirrorExpected });
      // Unlisted is NXDOMAIN in rbldnsd; BIND may say NODATA where DNS structure makes a name exist.
      if (!mirrorExpected.listed) expect(fromRbl[2 * i]!.rcode).toBe('NXDOMAIN');
      // A listed name without text in the zone (A-only lists) answers TXT with NODATA, not NXDOMAIN.
      if (zoneExpected.listed && zoneExpected.txt.length === 0) {
        expect({ name, rcode: fromBind[2 * i + 1]!.rcode, answers: fromBind[2 * i + 1]!.answers }).toEqual({ name, rcode: 'NOERROR', answers: [] });
        aWithoutTxt++;
      }
      expect(fromBind[2 * i]!.aa).toBe(true);
      if (zoneExpected.listed) listed++;
    }
    expect(listed).toBeGreaterThan(points.length / 5);
    if (cfg.lists.some((l) => l.route53Txt === false)) expect(aWithoutTxt).toBeGreaterThan(20);
    // The RFC 5782 test points.
    const tp = queries.findIndex((q) => q.name === `2.0.0.127.${cfg.zone}`);
    expect(answerSet(fromBind[tp]!).a).toEqual(['127.0.0.10', '127.0.0.2', '127.0.0.3']);
    const tp1 = queries.findIndex((q) => q.name === `1.0.0.127.${cfg.zone}`);
    expect(answerSet(fromBind[tp1]!).listed).toBe(false);
    expect(answerSet(fromRbl[tp1]!).listed).toBe(false);
  });
});

// Issue 11 item 3: rbldnsd cuts the text as written in its file at 255 bytes before undoing "$$",
// and drops a leading "=". Every text must reach the mirrors exactly as the zone answers it.
describe('TXT texts with $, quotes, backslashes and "=": the zone (BIND) and rbldnsd answer the same text', () => {
  interface Case {
    list: string;
    network: string;
    reason: string;
  }

  /** Loads the planned zone into BIND and the rendered file into rbldnsd; both TXT answers per case. */
  async function serveBoth(cfg: ZoneConfig, cases: readonly Case[]) {
    const listings: Listing[] = cases.map((c) => ({
      list: c.list,
      network: parseNetwork(c.network, { maxWidth4: 0, maxWidth6: 0 }),
      reason: c.reason,
      source: 't',
      createdAt: 't',
      updatedAt: 't',
      exclusion: false,
    }));
    const dir = await mkdtemp(join(tmpdir(), 'dnsbl-txt-'));
    const bind = await startBind({ zone: cfg.zone, zoneFileText: zoneFile(cfg, 1, planZone(cfg, effectiveListings(cfg, listings, NOW))) });
    try {
      let text = '';
      for await (const chunk of renderRbldnsd(cfg, { serial: 1, nowSeconds: NOW }, (list, family) =>
        listings.filter((l) => l.list === list.name && l.network.family === family).sort((a, b) => compareNetworks(a.network, b.network)),
      )) text += chunk;
      const file = join(dir, 'bl.combined');
      await writeFile(file, text);
      // "TXT RR truncated to 255 bytes" would be a warning here.
      const check = await checkRbldnsdFile(cfg.zone, 'combined', file);
      const rbl = await startRbldnsd({ zone: cfg.zone, files: [{ type: 'combined', path: file }] });
      try {
        // Query an address inside each network (not its first: a range answers for all of it).
        const names = listings.map((l) => queryName(l.network.family, l.network.start + (l.network.prefix < (l.network.family === 4 ? 32 : 128) ? 5n : 0n), cfg.zone));
        const queries = names.map((name) => ({ name, type: 'TXT' as const }));
        const [fromBind, fromRbl] = await Promise.all([digBatch(bind.port, queries), digBatch(rbl.port, queries)]);
        return {
          warnings: [...check.warnings, ...rbl.warnings],
          results: listings.map((l, i) => ({
            network: formatNetwork(l.network),
            reason: l.reason,
            template: cfg.lists.find((x) => x.name === l.list)!.txtTemplate,
            expected: [renderTxt(cfg.lists.find((x) => x.name === l.list)!, l)],
            zone: fromBind[i]!.answers,
            mirror: fromRbl[i]!.answers,
          })),
        };
      } finally {
        await rbl.stop();
      }
    } finally {
      await bind.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }

  const differing = (results: Awaited<ReturnType<typeof serveBoth>>['results']) =>
    results.filter((r) => JSON.stringify(r.zone) !== JSON.stringify(r.expected) || JSON.stringify(r.mirror) !== JSON.stringify(r.expected));

  it('a reason of 120 "$" and texts starting with "=": both answer the text the semantics give', async () => {
    const cases: Case[] = [
      { list: 'spam', network: '192.0.2.13', reason: '$'.repeat(120) },
      { list: 'proxy', network: '192.0.2.14', reason: '$'.repeat(200) },
      { list: 'proxy', network: '192.0.2.15', reason: '=' },
      { list: 'proxy', network: '192.0.2.16', reason: '==x' },
      { list: 'proxy', network: '192.0.2.17', reason: '=$ $1 $= "q" \\ #x ;y' },
      { list: 'spam', network: '2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120', reason: `${'$'.repeat(99)}x` },
      { list: 'dul', network: '192.0.2.18', reason: 'a'.repeat(200) },
    ];
    const { warnings, results } = await serveBoth(CFG, cases);
    expect(warnings).toEqual([]);
    expect(differing(results)).toEqual([]);
    // The case: 120 "$" is cut in both to the same text, never followed by the address.
    expect(results[0]!.mirror[0]).toMatch(/^Listed in spam: \$+$/);
  });

  it('for hundreds of random templates and reasons (fast-check; one BIND and one rbldnsd load per run)', async () => {
    const LISTS = 12;
    const batch = fc.record({
      templates: fc.array(txtTemplateArb, { minLength: LISTS, maxLength: LISTS }),
      reasons: fc.array(txtTextArb, { minLength: 240, maxLength: 240 }),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(batch, async ({ templates, reasons }) => {
        runs++;
        const lists: ListDef[] = templates.map((t, i) => {
          const list = { name: `l${i}`, code: `127.0.1.${i + 2}`, txtTemplate: t };
          try {
            validateZoneConfig({ ...CFG, lists: [list] });
            return list;
          } catch {
            return { ...list, txtTemplate: '{reason} $ {ip}' }; // a template the config would refuse
          }
        });
        const cfg: ZoneConfig = validateZoneConfig({ ...CFG, lists });
        const cases: Case[] = reasons.map((reason, i) => ({
          list: `l${i % LISTS}`,
          network:
            i % 3 === 0
              ? `198.18.${i >> 8}.${i & 255}`
              : i % 3 === 1
                ? `2001:db8:ffff:ffff:ffff:ffff:ffff:${(i + 0x100).toString(16)}`
                : `2001:db8:ffff:ffff:ffff:ffff:${(i + 0x100).toString(16)}:ff00/120`,
          reason,
        }));
        const { warnings, results } = await serveBoth(cfg, cases);
        expect(warnings).toEqual([]);
        expect(differing(results).slice(0, 5)).toEqual([]);
      }),
      {
        numRuns: 5,
        endOnFailure: true,
        // The failing batch is hundreds of texts: report the assertion (which names the texts that differ), not the batch.
        asyncReporter: async (d) => {
          if (d.failed) throw d.errorInstance instanceof Error ? d.errorInstance : new Error(String(d.errorInstance));
        },
      },
    );
    expect(runs).toBe(5);
  });
});
