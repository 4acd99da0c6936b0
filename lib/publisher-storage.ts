// The publisher's tables: listings (with its stream and the byList/byExpiry indexes), published
// (the listings as the live zone publishes them) and journal (locks, state, idempotency, audit).
// Data is retained and deletion-protected unless the removal policy says DESTROY. (Resources in the
// publisher's scope: see lib/publisher-parts.ts.)
import { RemovalPolicy, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { publisherTable } from './publisher-parts.js';
import { JOURNAL_GSI, JOURNAL_TABLE_KEYS, LISTINGS_GSI, LISTINGS_TABLE_KEYS, TTL_ATTRIBUTE } from '../lambdas/adapters/table-schema.js';

export interface PublisherStorageProps {
  readonly removalPolicy: RemovalPolicy;
}

export class PublisherStorage extends Construct {
  readonly listingsTable: dynamodb.Table;
  /** The listings exactly as the live zone publishes them (stream-sync and reconcile only; see table-schema.ts). */
  readonly publishedTable: dynamodb.Table;
  readonly journalTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PublisherStorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy;
    this.listingsTable = publisherTable(scope, 'Listings', { keys: LISTINGS_TABLE_KEYS, removalPolicy, timeToLiveAttribute: TTL_ATTRIBUTE, stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES });
    for (const gsi of [LISTINGS_GSI.byList, LISTINGS_GSI.byExpiry]) {
      this.listingsTable.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // The published table: the listings as the live zone publishes them (same keys). No stream (nothing
    // reacts to it), no indexes, and no TTL: a TTL would delete rows the zone still publishes.
    this.publishedTable = publisherTable(scope, 'Published', { keys: LISTINGS_TABLE_KEYS, removalPolicy });
    this.journalTable = publisherTable(scope, 'Journal', { keys: JOURNAL_TABLE_KEYS, removalPolicy, timeToLiveAttribute: TTL_ATTRIBUTE });
    this.journalTable.addGlobalSecondaryIndex({
      indexName: JOURNAL_GSI.byTime.name,
      partitionKey: { name: JOURNAL_GSI.byTime.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: JOURNAL_GSI.byTime.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
