// Planned rrsets -> a standard master file (RFC 1035), e.g. for BIND or NSD. Route 53's value
// syntax for A, TXT and CAA is the master-file syntax, so values are written as they are.
import { checkNameserversOutsideZone, type ZoneConfig } from './listing.js';
import { compareNames, type RRSet } from './rrset.js';

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** The zone as a master file. Name servers must lie outside the zone: it carries no glue (see listing.ts). */
export function* zoneFileLines(cfg: ZoneConfig, serial: number, rrsets: Iterable<RRSet>): Generator<string> {
  checkNameserversOutsideZone(cfg);
  const apex = `${cfg.zone}.`;
  const hostmaster = fqdn(cfg.hostmaster.replace('@', '.'));
  yield `$ORIGIN ${apex}\n`;
  yield `@ ${cfg.negativeTtl} IN SOA ${fqdn(cfg.nameservers[0]!)} ${hostmaster} ${serial} 600 300 86400 ${cfg.negativeTtl}\n`;
  for (const ns of cfg.nameservers) yield `@ ${cfg.ttl} IN NS ${fqdn(ns)}\n`;
  const sorted = [...rrsets].sort((a, b) => compareNames(a.name, b.name) || a.type.localeCompare(b.type));
  for (const r of sorted) for (const v of r.values) yield `${r.name} ${r.ttl} IN ${r.type} ${v}\n`;
}

export function zoneFile(cfg: ZoneConfig, serial: number, rrsets: Iterable<RRSet>): string {
  return [...zoneFileLines(cfg, serial, rrsets)].join('');
}
