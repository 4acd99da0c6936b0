// Creates the listings, journal and published tables (layout from lambdas/adapters/table-schema.ts)
// if missing.
import { evidenceTableDefinition } from '../../lambdas/adapters/evidence-store.js';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PrefixCensus } from '../../lambdas/adapters/prefix-census.js';
import { PublishedTable } from '../../lambdas/adapters/published-table.js';
import { journalTableDefinition, listingsTableDefinition, publishedTableDefinition, TTL_ATTRIBUTE } from '../../lambdas/adapters/table-schema.js';

const ACTIVE_TIMEOUT_MS = 60_000;

export async function ensureTables(client: DynamoDBClient, names: { listings: string; journal: string; published?: string; evidence?: string }): Promise<void> {
  const doc = DynamoDBDocumentClient.from(client);
  const newListings = await ensureTable(client, listingsTableDefinition(names.listings));
  // A new table is empty: its prefix census is complete from the start.
  if (newListings) await new PrefixCensus(doc, names.listings).markComplete();
  await ensureTable(client, journalTableDefinition(names.journal));
  if (names.published && (await ensureTable(client, publishedTableDefinition(names.published), false))) {
    // Empty and new next to an empty new listings table (whose zone is empty too): it equals the
    // zone. Next to older listings it does not, until reconcile fills it.
    const published = new PublishedTable(doc, names.published);
    await published.census.markComplete();
    if (newListings) await published.markSeeded();
  }
  if (names.evidence) await ensureTable(client, evidenceTableDefinition(names.evidence));
}

/** Creates the table if missing; true when this call created it. */
async function ensureTable(client: DynamoDBClient, def: CreateTableCommandInput, ttl = true): Promise<boolean> {
  const name = def.TableName!;
  let created = false;
  if (!(await describe(client, name))) {
    try {
      await client.send(new CreateTableCommand(def));
      created = true;
    } catch (e) {
      // Another process created it in between: fine, we only wait for it below.
      if ((e as Error).name !== 'ResourceInUseException') throw e;
    }
  }
  await waitActive(client, name);
  if (ttl) await enableTtl(client, name);
  return created;
}

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}

/** DynamoDB Local answers ACTIVE at once; real DynamoDB (and GSIs) take a while. */
async function waitActive(client: DynamoDBClient, name: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const t = await describe(client, name);
    const gsisActive = (t?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (t?.TableStatus === 'ACTIVE' && gsisActive) return;
    if (Date.now() > deadline) throw new Error(`table ${name} not ACTIVE after ${ACTIVE_TIMEOUT_MS} ms (${t?.TableStatus})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function enableTtl(client: DynamoDBClient, name: string): Promise<void> {
  try {
    const cur = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const status = cur.TimeToLiveDescription?.TimeToLiveStatus;
    // Enabling twice is a ValidationException on AWS.
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }),
    );
  } catch (e) {
    // TTL is a backstop only (the sweeper delists on time); an emulator without it is still usable.
    const n = (e as Error).name;
    if (n !== 'UnknownOperationException' && n !== 'UnrecognizedClientException' && n !== 'ValidationException') throw e;
  }
}
