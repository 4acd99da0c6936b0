// Issue 11 item 8: the zone writers may change only the records the planner writes. The test reads
// the synthesized IAM statements and evaluates them as IAM does for ChangeResourceRecordSets:
// every name of a planned zone (random listings, both ipv4ViaIpv6 settings) is allowed, and names
// the planner never writes (_acme-challenge, www, the apex, other zones, escapes) are refused.
//
// Evaluation rules used (AWS IAM User Guide):
//  - condition operators of a statement AND together; several values of one operator OR together,
//    of a negated operator (StringNotLike) NOR together:
//    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
//  - ForAllValues: every value in the request matches (true for an empty set); ForAnyValue: at
//    least one does; Null "false": the key is present:
//    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
//  - StringLike: case-sensitive, "*" any run of characters, "?" one character:
//    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
//  - Route 53 normalizes the names before matching (lower case, no trailing dot, characters other
//    than a-z 0-9 - _ . as \ooo, so "*" is \052):
//    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ZoneConfig } from '../../lambdas/core/listing.js';
import { effectiveListings } from '../../lambdas/core/semantics.js';
import { planZone } from '../../lambdas/core/zone-plan.js';
import { DnsblPublisher } from '../../lib/index.js';
import { CFG, listingSetArb } from '../core/arbitraries.js';
import { asArray, type CfnTemplate, logicalId, type Statement, statementsOfRole } from './helpers.js';

const ZONE = CFG.zone; // bl.test

interface Request {
  names: string[];
  types: string[];
}

/** Route 53's normalization of a record name for the condition key. */
function normalize(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

const compiled = new Map<string, RegExp>();
function like(value: string, pattern: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

function keyValues(req: Request, key: string): string[] | undefined {
  if (key === 'route53:ChangeResourceRecordSetsNormalizedRecordNames') return req.names.map(normalize);
  if (key === 'route53:ChangeResourceRecordSetsRecordTypes') return req.types;
  return undefined;
}

function conditionHolds(condition: Statement['Condition'], req: Request): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, raw] of Object.entries(keys)) {
      const wanted = asArray(raw as string | string[]).map(String);
      const values = keyValues(req, key);
      if (operator === 'Null') {
        if ((values === undefined || values.length === 0) !== (wanted[0] === 'true')) return false;
        continue;
      }
      const [set, op] = operator.includes(':') ? (operator.split(':') as [string, string]) : ['', operator];
      const one = (v: string): boolean => {
        switch (op) {
          case 'StringEquals':
            return wanted.includes(v);
          case 'StringLike':
            return wanted.some((p) => like(v, p));
          case 'StringNotLike':
            return !wanted.some((p) => like(v, p));
          default:
            throw new Error(`operator ${operator} not modelled`);
        }
      };
      const vs = values ?? [];
      if (set === 'ForAllValues' && !vs.every(one)) return false;
      else if (set === 'ForAnyValue' && !vs.some(one)) return false;
      else if (set === '') throw new Error(`${operator} on the multivalued key ${key} needs ForAllValues/ForAnyValue`);
    }
  }
  return true;
}

describe('Route 53 writes are limited to the names and types the planner writes', () => {
  let json: CfnTemplate;
  let writers: Array<{ role: string; statements: Statement[] }>;

  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: mkdtempSync(path.join(tmpdir(), 'dnsbl-r53-')) });
    const stack = new Stack(app, 'S');
    const p = new DnsblPublisher(stack, 'D', { zoneName: ZONE, nameservers: ['ns1.example.net'] });
    json = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
    writers = [p.streamSyncFunction, p.reconcileFunction].map((fn) => {
      const role = logicalId(fn.role!);
      return { role, statements: statementsOfRole(json, role).filter((s) => asArray(s.Action).includes('route53:ChangeResourceRecordSets')) };
    });
    expect(writers.every((w) => w.statements.length > 0)).toBe(true);
  });

  /** Whether each zone writer's policy allows the request (any Allow statement; no Deny in them). */
  const allowedFor = (req: Request) =>
    writers.map((w) => {
      if (!w.statements.every((s) => s.Effect === 'Allow')) throw new Error('a Deny statement is not modelled here');
      return w.statements.some((s) => conditionHolds(s.Condition, req));
    });

  it.each([false, true])('allows every name of a planned zone (ipv4ViaIpv6 %s), in A, TXT and CAA', (ipv4ViaIpv6) => {
    const cfg: ZoneConfig = { ...CFG, ipv4ViaIpv6 };
    let names = 0;
    fc.assert(
      fc.property(listingSetArb(40), (listings) => {
        const planned = [...planZone(cfg, effectiveListings(cfg, listings, 1000))];
        for (const r of planned) {
          if (!['A', 'TXT', 'CAA'].includes(r.type)) expect(r.type, r.name).toBe('A, TXT or CAA');
          const allowed = allowedFor({ names: [r.name], types: [r.type] });
          if (!allowed.every(Boolean)) expect({ name: r.name, allowed }).toEqual({ name: r.name, allowed: [true, true] });
        }
        // A whole change batch at once too (the condition sees every name of the request).
        expect(allowedFor({ names: planned.map((r) => r.name), types: [...new Set(planned.map((r) => r.type))] })).toEqual([true, true]);
        names += planned.length;
      }),
      { numRuns: 50 },
    );
    expect(names).toBeGreaterThan(1000);
  });

  it.each([
    `_acme-challenge.${ZONE}.`,
    `_acme-challenge.2.0.192.${ZONE}.`,
    `www.${ZONE}.`,
    `mail.${ZONE}.`,
    `ns1.${ZONE}.`,
    `_dmarc.${ZONE}.`,
    `x-y.1.${ZONE}.`,
    `${ZONE}.`,
    `*.${ZONE}.`,
    `1.*.${ZONE}.`,
    `**.1.${ZONE}.`,
    `@.1.${ZONE}.`,
    `2.0.192.example.org.`,
    `2.0.192.x${ZONE}.`,
    `2.0.192.${ZONE}.example.org.`,
  ])('refuses %s, alone or in a batch of planner names', (name) => {
    expect(allowedFor({ names: [name], types: ['TXT'] })).toEqual([false, false]);
    expect(allowedFor({ names: [`2.0.0.127.${ZONE}.`, name], types: ['A', 'TXT'] })).toEqual([false, false]);
  });

  it('refuses other record types and requests without names or types', () => {
    for (const t of ['NS', 'MX', 'CNAME', 'AAAA', 'SOA']) {
      const allowed = allowedFor({ names: [`2.0.0.127.${ZONE}.`], types: [t] });
      expect(allowed[0], t).toBe(false); // stream-sync
      // reconcile may change the apex SOA, and only that.
      expect(allowed[1], t).toBe(false);
    }
    expect(allowedFor({ names: [`${ZONE}.`], types: ['SOA'] })).toEqual([false, true]);
    expect(allowedFor({ names: [], types: ['A'] })).toEqual([false, false]);
    expect(allowedFor({ names: [`2.0.0.127.${ZONE}.`], types: [] })).toEqual([false, false]);
  });
});
