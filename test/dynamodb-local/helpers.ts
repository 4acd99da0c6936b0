// Shared by the DynamoDB Local tests: unique tables, writes, and a handler that records what it got.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { journalTableDefinition, listingsTableDefinition } from '../../lambdas/adapters/table-schema.js';

export const PK = 'N#4:c000';

/**
 * Fresh tables per test, so no test sees another's stream records. Created with the product's
 * table definitions but not with ensureTables, whose prefix census item would be the first record
 * of every stream: these tests are about the stream, not the census.
 */
export async function freshTables(client: DynamoDBClient) {
  const id = randomUUID().slice(0, 8);
  const names = { listings: `listings-${id}`, journal: `journal-${id}` };
  await client.send(new CreateTableCommand(listingsTableDefinition(names.listings)));
  await client.send(new CreateTableCommand(journalTableDefinition(names.journal)));
  const streamArn = (await client.send(new DescribeTableCommand({ TableName: names.listings }))).Table!.LatestStreamArn!;
  return { ...names, streamArn, writer: writer(client, names.listings) };
}

export function writer(client: DynamoDBClient, table: string) {
  const doc = DynamoDBDocumentClient.from(client);
  return {
    put: (sk: string, attrs: Record<string, unknown> = {}) => doc.send(new PutCommand({ TableName: table, Item: { pk: PK, sk, ...attrs } })),
    update: (sk: string, v: number) =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: PK, sk },
          UpdateExpression: 'SET v = :v',
          ExpressionAttributeValues: { ':v': v },
        }),
      ),
    remove: (sk: string) => doc.send(new DeleteCommand({ TableName: table, Key: { pk: PK, sk } })),
    /** Sequential on purpose: the stream order is the write order. */
    putMany: async (sks: string[]) => {
      for (const sk of sks) await doc.send(new PutCommand({ TableName: table, Item: { pk: PK, sk } }));
    },
  };
}

export const skOf = (r: DynamoDBRecord) => r.dynamodb?.Keys?.sk?.S ?? '?';

/** A handler that records every event and answers with `respond` (default: success). */
export function recorder(
  respond: (event: DynamoDBStreamEvent, call: number) => Promise<DynamoDBBatchResponse | void> | DynamoDBBatchResponse | void = () => undefined,
) {
  const events: DynamoDBStreamEvent[] = [];
  return {
    events,
    /** sort keys of each invocation, e.g. [['a','b'],['b']] */
    calls: () => events.map((e) => e.Records.map(skOf)),
    handler: async (event: DynamoDBStreamEvent) => {
      events.push(event);
      return respond(event, events.length);
    },
  };
}

export const range = (from: number, to: number, prefix = 'i') => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
