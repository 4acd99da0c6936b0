// CLI: npx tsx local/route53/main.ts --api-port 8053 --dns-port 5300 --zone bl.example.org
//   [--host 127.0.0.1] [--data-file .local-data/route53.json] [--no-throttle]
//   [--insync-after-ms N] [--prior-request-window-ms N]
// Prints the endpoint and each zone's id, then serves until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { startRoute53StandIn } from './index.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    'api-port': { type: 'string', default: '0' },
    'dns-port': { type: 'string', default: '0' },
    zone: { type: 'string', multiple: true, default: [] },
    'data-file': { type: 'string' },
    'no-throttle': { type: 'boolean', default: false },
    'insync-after-ms': { type: 'string', default: '0' },
    'prior-request-window-ms': { type: 'string', default: '0' },
  },
});

const standIn = await startRoute53StandIn({
  host: values.host,
  apiPort: Number(values['api-port']),
  dnsPort: Number(values['dns-port']),
  ...(values['data-file'] ? { dataFile: values['data-file'] } : {}),
  ...(values['no-throttle'] ? { throttle: false as const } : {}),
  insyncAfterMs: Number(values['insync-after-ms']),
  priorRequestWindowMs: Number(values['prior-request-window-ms']),
});

console.log(`endpoint ${standIn.endpoint}`);
console.log(`dns ${values.host}:${standIn.dnsPort} (udp+tcp)`);
const client = new Route53Client({
  endpoint: standIn.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
for (const zone of values.zone ?? []) {
  // With a data file the zone may already exist from an earlier run: reuse it.
  const wanted = zone.toLowerCase().replace(/\.?$/, '.');
  const found = await client.send(new ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 1 }));
  const existing = found.HostedZones?.find((z) => z.Name === wanted);
  const id = existing ? existing.Id!.replace('/hostedzone/', '') : await standIn.createZone(zone);
  console.log(`zone ${wanted} ${id}`);
}

const stop = (): void => {
  void standIn.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
