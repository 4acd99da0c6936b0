// Lambda: the public portal (look-up page and JSON, self-service delisting) behind its own API
// Gateway REST API (proxy integration, NO IAM: anyone may call it; throttling and a WAF rate rule in
// front, CloudFront before that). Wiring only: the routes live in lambdas/public/.
//
// Environment:
//   ZONE_CONFIG            JSON of the ZoneConfig (as every handler; per-list selfDelist keys, lookupUrl)
//   LISTINGS_TABLE         the listings table: read (covering listings), and the self-service delete
//                          (TransactWriteItems with the journal's audit event)
//   JOURNAL_TABLE          the journal: audit events, version counters, requests (DREQ#…), self-delisting
//                          counts (SELFDL#…), client back-off (BACKOFF#…): GetItem, PutItem, UpdateItem,
//                          Query on the byTime index
//   PUBLIC_BASE_URL        the site's address the confirmation link starts with, e.g. https://bl.example.org
//   MAIL_FROM              the SES identity mails come from, e.g. "DNSBL <delist@bl.example.org>" (ses:SendEmail)
//   SES_CONFIGURATION_SET  optional SES configuration set
//   ZONE_DNS_SERVERS       optional "ip[:port]," list for the live DNS answer (unset: the zone's NS addresses)
//   DELIST_PROOF_DNS_SERVERS optional resolvers for DNS proof of control (unset: the system resolver)
//   PUBLIC_TRUSTED_PROXIES how many proxies append to X-Forwarded-For before API Gateway (default 0)
//   PUBLIC_CLIENT_IP_HEADER the header CloudFront's viewer-request function overwrites with the viewer's
//                          address (x-dnsbl-viewer-ip; set by lib/public-portal.ts), trusted as the client
//   PUBLIC_RATE_LOOKUP, PUBLIC_RATE_REQUEST  optional "burst/perSecond" per client, e.g. "30/1" and "5/0.0167"
//   DYNAMODB_ENDPOINT      optional (local stand-ins)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Journal } from '../adapters/journal.js';
import { ListingsTable } from '../adapters/listings-table.js';
import { sdkLogger } from '../adapters/sdk-logger.js';
import { MAIL_FROM_ENV } from '../adapters/ses-mailer.js';
import { ENV } from '../adapters/table-schema.js';
import { DnsZoneProbe, parseDnsServers, ZONE_DNS_SERVERS_ENV } from '../api/dns-probe.js';
import { validateZoneConfig, type ZoneConfig } from '../core/listing.js';
import { type PublicDeps, type PublicHandler, publicHandler } from '../public/app.js';
import { ClientLimiter, DEFAULT_PUBLIC_RULES, type RateRule } from '../public/rate-limit.js';
import { SharedClientLimiter } from '../public/shared-limiter.js';
import { ClientBackoffTable } from '../adapters/client-backoff-table.js';
import { evidenceReaderFromEnv } from '../adapters/evidence-store.js';
import { delistServiceFromEnv, PUBLIC_BASE_URL_ENV } from '../public/delist-from-env.js';
import { PUBLIC_CLIENT_IP_HEADER_ENV } from '../public/viewer-ip.js';
import { logger, requireEnv } from './runtime.js';

export { PUBLIC_BASE_URL_ENV };

export const PUBLIC_TRUSTED_PROXIES_ENV = 'PUBLIC_TRUSTED_PROXIES';

/** The handler for given adapters (tests and the local stack pass their own). */
export function createPublicHandler(deps: PublicDeps): PublicHandler {
  return publicHandler(deps);
}

/** "30/1" -> { burst: 30, perSecond: 1 }. */
export function parseRateRule(text: string | undefined, dflt: RateRule, name: string): RateRule {
  if (!text) return dflt;
  const [b, r] = text.split('/').map(Number);
  if (!Number.isInteger(b) || b! < 1 || !(r! > 0)) throw new Error(`${name}=${text} is not "burst/perSecond", e.g. "30/1"`);
  return { burst: b!, perSecond: r! };
}

let instance: PublicHandler | undefined;

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  if (!instance) {
    const env = process.env;
    const cfg = validateZoneConfig(JSON.parse(requireEnv(ENV.zoneConfig)) as ZoneConfig);
    const endpoint = env[ENV.dynamodbEndpoint];
    const ddb = new DynamoDBClient({ logger: sdkLogger, ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}) });
    const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
    const journalTable = requireEnv(ENV.journalTable);
    const table = new ListingsTable(doc, requireEnv(ENV.listingsTable));
    const journal = new Journal(doc, journalTable);
    const zoneServers = env[ZONE_DNS_SERVERS_ENV];
    const delist = delistServiceFromEnv(env, { cfg, doc, journalTable, table, journal });
    const evidence = evidenceReaderFromEnv(env, doc);
    if (!delist) throw new Error(`${MAIL_FROM_ENV} and ${PUBLIC_BASE_URL_ENV} must be set for the portal`);
    instance = createPublicHandler({
      cfg,
      table,
      delist,
      // With an evidence policy: the look-up shows counts by kind and last seen.
      ...(evidence ? { evidence } : {}),
      zoneProbe: new DnsZoneProbe({ zone: cfg.zone, ...(zoneServers ? { servers: parseDnsServers(zoneServers) } : {}) }),
      // The bucket in this container, the back-off shared through the journal (shared-limiter.ts).
      limiter: new SharedClientLimiter(
        new ClientLimiter({
          rules: {
            lookup: parseRateRule(env.PUBLIC_RATE_LOOKUP, DEFAULT_PUBLIC_RULES.lookup, 'PUBLIC_RATE_LOOKUP'),
            request: parseRateRule(env.PUBLIC_RATE_REQUEST, DEFAULT_PUBLIC_RULES.request, 'PUBLIC_RATE_REQUEST'),
          },
        }),
        new ClientBackoffTable(doc, journalTable),
        { onError: (message, error) => logger.warn(message, { error: String(error) }) },
      ),
      trustedProxies: Number(env[PUBLIC_TRUSTED_PROXIES_ENV] ?? 0),
      ...(env[PUBLIC_CLIENT_IP_HEADER_ENV] ? { clientIpHeader: env[PUBLIC_CLIENT_IP_HEADER_ENV] } : {}),
      log: { error: (message, extra) => logger.error(message, extra) },
    });
  }
  return instance(event, context);
};
