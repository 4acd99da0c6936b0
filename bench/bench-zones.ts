// Zone configurations and the argument reader the benchmarks share (one place, so the figures of
// different benchmarks are of the same zone).
import type { ZoneConfig } from '../lambdas/core/listing.js';

/** One list with README's TXT template: the sync and reconcile benchmarks' zone. */
export const ONE_LIST_ZONE: ZoneConfig = {
  zone: 'bl.example.org',
  lists: [{ name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed: {reason} - see https://bl.example.org/lookup?ip={ip}' }],
  ttl: 300,
  negativeTtl: 300,
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@example.org',
};

/** Two short-text lists: the API benchmarks' zone. */
export const TWO_LIST_ZONE: ZoneConfig = {
  zone: 'bl.test',
  lists: [
    { name: 'spam', code: '127.0.0.2', txtTemplate: 'Listed in {list}: {reason}' },
    { name: 'proxy', code: '127.0.0.3', txtTemplate: '{reason}' },
  ],
  ttl: 300,
  negativeTtl: 60,
  // Outside the zone: in-zone name servers would need glue (see README, "Name servers").
  nameservers: ['ns1.example.net'],
  hostmaster: 'hostmaster@bl.test',
};

/** `--name=value` from the command line as a number, or the default. */
export function numberArg(name: string, dflt: number): number {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return v === undefined ? dflt : Number(v);
}
