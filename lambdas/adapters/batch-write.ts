// BatchWriteItem for any number of requests: 25 a call, `parallel` calls at a time, unprocessed
// items sent again with backoff. `fence` runs before every call (a zone writer that lost its lease
// must not write the published table or the sync intent either).
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

export async function batchWriteAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  opts: { parallel?: number; fence?: () => void } = {},
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(opts.parallel ?? 4, Math.ceil(requests.length / 25)) }, async () => {
      while (next < requests.length) {
        const chunk = requests.slice(next, next + 25);
        next += 25;
        let pending: Record<string, WriteRequest[]> | undefined = { [tableName]: chunk };
        for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
          opts.fence?.();
          const r = await doc.send(new BatchWriteCommand({ RequestItems: pending as never }));
          pending = r.UnprocessedItems as typeof pending;
          if (pending && Object.keys(pending).length > 0) await new Promise((res) => setTimeout(res, Math.min(1000, 25 * 2 ** attempt)));
        }
      }
    }),
  );
}
