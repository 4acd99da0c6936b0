// DynamoDB Local with a fresh set of this product's tables (names tagged per call, so files and
// envs sharing one DynamoDB Local never meet), and the adapters every API-level test builds on.
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Journal } from '../../lambdas/adapters/journal.js';
import { ListingsTable } from '../../lambdas/adapters/listings-table.js';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local.js';

export interface TableEnv<N extends { listings: string; journal: string }> {
  ddb: DynamoDbLocal;
  names: N;
  doc: DynamoDBDocumentClient;
  table: ListingsTable;
  journal: Journal;
}

/** Listings and journal tables, plus the evidence table when asked. */
export async function startTableEnv(): Promise<TableEnv<{ listings: string; journal: string }>>;
export async function startTableEnv(opts: { evidence: true }): Promise<TableEnv<{ listings: string; journal: string; evidence: string }>>;
export async function startTableEnv(opts: { evidence?: boolean } = {}): Promise<TableEnv<{ listings: string; journal: string; evidence?: string }>> {
  const ddb = await startDynamoDbLocal();
  const tag = randomUUID().slice(0, 8);
  const names = { listings: `listings-${tag}`, journal: `journal-${tag}`, ...(opts.evidence ? { evidence: `evidence-${tag}` } : {}) };
  await ensureTables(ddb.client, names);
  const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
  return { ddb, names, doc, table: new ListingsTable(doc, names.listings), journal: new Journal(doc, names.journal) };
}
