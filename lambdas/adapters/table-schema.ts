// The DynamoDB table layout, shared by the CDK construct, the local stack and the adapters.
//
// listings table (stream NEW_AND_OLD_IMAGES):
//   pk  = "N#<shard>"            shard = first 16 bits (IPv4) / first 32 bits (IPv6) of the network,
//                                 e.g. "N#4:c000", "N#6:20010db8". Spreads bulk imports over many
//                                 partitions while every network up to /16 (/32) sits in one partition.
//   sk  = "<networkKey>#<list>"  networkKey sorts by address then prefix (see core/ip.ts), so the
//                                 listings inside a range are one Query with BETWEEN.
//   gsi1 "byList":   gsi1pk = "<list>#<bucket 00..15>", gsi1sk = networkKey  (browse one list)
//   gsi2 "byExpiry": gsi2pk = "EXP#<yyyymmddhh>" (UTC hour of expiry), gsi2sk = "<expiresAt>#<sk>"
//                    (sparse: only listings that expire; the sweeper reads past hours)
//   ttl  = expiresAt + 1 day    DynamoDB TTL as a backstop; the sweeper delists on time.
//   pk = "META", sk = "prefix-lengths": the prefix census (v4, v6 number sets; complete), see
//                 prefix-census.ts. Outside the "N#" partitions and the indexes: scans skip it.
//
// published table (no stream, no indexes, no TTL): the listings exactly as the live zone publishes
//   them, same keys as the listings table. The zone always equals plan(published table); a stream
//   batch diffs plan(published) -> plan(published + the batch) and then records the batch here,
//   so a table that runs ahead of the stream cannot leak into what a batch believes the zone holds.
//   pk = "META", sk = "prefix-lengths": its own prefix census; pk = "META", sk = "seeded": set when
//   it is known to equal the zone (created empty with an empty zone, or filled by reconcile).
//
// journal table (no stream): the audit trail, idempotency keys and publisher state.
//   pk = "H#<networkKey>"  sk = "<iso time>#<id>"        audit event of a network (all lists)
//   pk = "IDEM#<key>"      sk = "IDEM"                   idempotency record (ttl 24 h)
//   pk = "STATE"           sk = "<name>"                 serials, export hashes, sync cursors, the zone
//                                                         lease ("lock#<zone>") and the sync intent
//                                                         ("sync-intent#<zone>", see sync-intent.ts)
//   gsi1 "byTime": gsi1pk = "AUDIT#<yyyymmdd>", gsi1sk = "<iso time>#<id>"  (recent activity)
//   ttl = expiry epoch seconds for idempotency records.

export const LISTINGS_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const JOURNAL_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const TTL_ATTRIBUTE = 'ttl';

/** The prefix census item (prefix-census.ts). */
export const CENSUS_KEY = { pk: 'META', sk: 'prefix-lengths' } as const;
/** The published table's "equals the zone" marker (published-table.ts). */
export const SEEDED_KEY = { pk: 'META', sk: 'seeded' } as const;

export const LISTINGS_GSI = {
  byList: { name: 'byList', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  byExpiry: { name: 'byExpiry', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
} as const;

export const JOURNAL_GSI = {
  byTime: { name: 'byTime', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

export const BY_LIST_BUCKETS = 16;

/** Environment variables every handler reads (set by the CDK construct and by the local stack). */
export const ENV = {
  listingsTable: 'LISTINGS_TABLE',
  journalTable: 'JOURNAL_TABLE',
  publishedTable: 'PUBLISHED_TABLE',
  hostedZoneId: 'HOSTED_ZONE_ID',
  /** JSON of ZoneConfig (zone, lists, ttl, negativeTtl, nameservers, hostmaster). */
  zoneConfig: 'ZONE_CONFIG',
  exportBucket: 'EXPORT_BUCKET',
  exportKey: 'EXPORT_KEY',
  /** Optional endpoints for the local stand-ins. */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  route53Endpoint: 'ROUTE53_ENDPOINT',
  s3Endpoint: 'S3_ENDPOINT',
} as const;

type Index = { readonly name: string; readonly partitionKey: string; readonly sortKey: string };

/**
 * CreateTable input usable with DynamoDB Local (the CDK construct declares the same shapes): string
 * keys pk/sk, on-demand, and the given global indexes (string keys, all attributes projected).
 */
function tableDefinition(tableName: string, indexes: readonly Index[]) {
  const attr = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });
  const keys = (hash: string, range: string) => [
    { AttributeName: hash, KeyType: 'HASH' as const },
    { AttributeName: range, KeyType: 'RANGE' as const },
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [attr('pk'), attr('sk'), ...indexes.flatMap((i) => [attr(i.partitionKey), attr(i.sortKey)])],
    KeySchema: keys('pk', 'sk'),
    ...(indexes.length > 0
      ? { GlobalSecondaryIndexes: indexes.map((i) => ({ IndexName: i.name, KeySchema: keys(i.partitionKey, i.sortKey), Projection: { ProjectionType: 'ALL' as const } })) }
      : {}),
  };
}

export function listingsTableDefinition(tableName: string) {
  return {
    ...tableDefinition(tableName, [LISTINGS_GSI.byList, LISTINGS_GSI.byExpiry]),
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const },
  };
}

/** The published table: the listings table's keys, nothing else (no stream, no index). */
export function publishedTableDefinition(tableName: string) {
  return tableDefinition(tableName, []);
}

export function journalTableDefinition(tableName: string) {
  return tableDefinition(tableName, [JOURNAL_GSI.byTime]);
}
