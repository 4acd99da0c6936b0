// `npm start`: the whole product on loopback (see local/local-stack.ts).
// Environment: DNSBL_DATA_DIR (default .local-data; data persists across restarts),
// DNSBL_EPHEMERAL=1 (keep nothing), DNSBL_API_PORT (8080), DNSBL_DNS_PORT (5300),
// DNSBL_RBLDNSD_PORT (5301), DNSBL_ROUTE53_PORT (8053), DNSBL_CONFIG (a JSON ZoneConfig file),
// DNSBL_MAX_RRSETS (the stand-in's rrset quota; default as if raised to 10,000,000).
import { readFileSync } from 'node:fs';
import type { ZoneConfig } from '../lambdas/core/listing.js';
import { startLocalStack } from '../local/local-stack.js';

const env = process.env;
const port = (name: string, dflt: number) => Number(env[name] ?? dflt);
const log = (msg: string) => console.log(`[local] ${msg}`);

try {
  const stack = await startLocalStack({
    cfg: env.DNSBL_CONFIG ? (JSON.parse(readFileSync(env.DNSBL_CONFIG, 'utf8')) as ZoneConfig) : undefined,
    ephemeral: env.DNSBL_EPHEMERAL === '1',
    dataDir: env.DNSBL_DATA_DIR,
    apiPort: port('DNSBL_API_PORT', 8080),
    dnsPort: port('DNSBL_DNS_PORT', 5300),
    route53Port: port('DNSBL_ROUTE53_PORT', 8053),
    rbldnsdPort: port('DNSBL_RBLDNSD_PORT', 5301),
    log,
  });
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log('shutting down…');
      void stack.stop().then(() => process.exit(0));
    });
  }
  const { cfg, apiUrl, dnsPort, rbldnsdPort } = stack;
  const first = cfg.lists[0]!.name;
  console.log(`
dnsbl-publisher is running locally (Ctrl-C to stop)
  operator API     ${apiUrl}/v1   (OpenAPI: ${apiUrl}/v1/openapi.json)
  Route 53 API     ${stack.route53Endpoint}  (stand-in; hosted zone ${stack.zoneId})
  DNS (the zone)   127.0.0.1 port ${dnsPort}, UDP and TCP
  data             ${stack.dataDir}
  rbldnsd file     ${stack.exportPath}${rbldnsdPort ? `\n  rbldnsd (mirror) 127.0.0.1 port ${rbldnsdPort}` : '\n  (install rbldnsd to also serve the file: apt-get install -y rbldnsd)'}

Try it:
  curl -s -X POST ${apiUrl}/v1/listings -H 'content-type: application/json' \\
    -d '{"items":[{"list":"${first}","network":"192.0.2.1","reason":"spam run seen by our traps"}]}'
  dig @127.0.0.1 -p ${dnsPort} +short 1.2.0.192.${cfg.zone} A
  dig @127.0.0.1 -p ${dnsPort} +short 1.2.0.192.${cfg.zone} TXT${rbldnsdPort ? `\n  dig @127.0.0.1 -p ${rbldnsdPort} +short 1.2.0.192.${cfg.zone} TXT    # the mirror, from the rbldnsd file` : ''}
  npx dnsbl lookup 192.0.2.1 --api ${apiUrl}
  npx dnsbl delist ${first} 192.0.2.1 --reason "fixed" --api ${apiUrl}
  dig @127.0.0.1 -p ${dnsPort} 2.0.0.127.${cfg.zone} A      # RFC 5782 test point
`);
} catch (e) {
  console.error(`[local] failed to start: ${(e as Error).message}`);
  process.exit(1);
}
