// Builds the adapters every handler needs from its environment (the CDK construct or the local
// stack sets these variables). Clients are created once per container and reused.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { validateZoneConfig, type ZoneConfig } from '../core/listing.js';
import { ListingsTable } from '../adapters/listings-table.js';
import { ROUTE53_CLIENT_CONFIG, Route53Zone } from '../adapters/route53-zone.js';
import { sdkLogger } from '../adapters/sdk-logger.js';
import { ENV } from '../adapters/table-schema.js';

export const logger = new Logger({ serviceName: 'dnsbl-publisher' });

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export interface Runtime {
  cfg: ZoneConfig;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  journalTable: string;
  zone: Route53Zone;
  route53: Route53Client;
}

export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): Runtime {
  const cfg = validateZoneConfig(JSON.parse(requireEnv(ENV.zoneConfig, env)) as ZoneConfig);
  const region = env.AWS_REGION ?? 'us-east-1';
  const local = (endpoint: string | undefined) =>
    endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
  const ddb = new DynamoDBClient({ region, logger: sdkLogger, ...local(env[ENV.dynamodbEndpoint]) });
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  // Route53Zone retries every transient fault itself (backoff within a deadline, writes fenced), so
  // the SDK makes one attempt; a hung request fails after 10 s to be retried (ROUTE53_CLIENT_CONFIG).
  const route53 = new Route53Client({ region: 'us-east-1', ...ROUTE53_CLIENT_CONFIG, logger: sdkLogger, ...local(env[ENV.route53Endpoint]) });
  return {
    cfg,
    doc,
    table: new ListingsTable(doc, requireEnv(ENV.listingsTable, env)),
    journalTable: requireEnv(ENV.journalTable, env),
    zone: new Route53Zone(route53, requireEnv(ENV.hostedZoneId, env), cfg.zone),
    route53,
  };
}

let cached: Runtime | undefined;
export function runtime(): Runtime {
  cached ??= runtimeFromEnv();
  return cached;
}
