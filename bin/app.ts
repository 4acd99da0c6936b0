// The CDK app (cdk.json: `npx tsx bin/app.ts`). Configure with context values
// (-c dnsbl:zoneName=… -c dnsbl:hostedZoneId=… -c dnsbl:alarmEmail=… -c 'dnsbl:lists=[…]')
// or a JSON file (-c dnsbl:config=dnsbl.config.json); see lib/config.ts.
import { createApp } from '../lib/app.js';

createApp();
