// The CDK app (cdk.json: `npx tsx bin/app.ts`). Configure with context values
// (-c dnsbl:zoneName=… -c dnsbl:hostedZoneId=… -c dnsbl:alarmEmail=… -c 'dnsbl:lists=[…]')
// or a JSON file (-c dnsbl:config=dnsbl.config.json); see lib/config.ts. cdk.json names no zone:
// without one the app prints how to set it and exits 1 (nothing is synthesized or deployed).
import { createApp } from '../lib/app.js';
import { ConfigError } from '../lib/config.js';

try {
  createApp();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`dnsbl-publisher: ${e.message}\n`);
  process.exit(1);
}
