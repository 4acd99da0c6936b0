// What one stream-sync invocation leaves for `dnsbl status`: when it finished, how old the oldest
// record it applied was by then (the lag a listing change saw), and the newest record's time.
// Stream records carry ApproximateCreationDateTime in epoch seconds (DynamoDB Streams' StreamRecord,
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html).
import type { DynamoDBRecord } from 'aws-lambda';
import type { SyncProgressRecord } from '../adapters/publisher-state.js';

export function syncProgressOf(records: readonly DynamoDBRecord[], nowMs: number): SyncProgressRecord {
  const times = records.map((r) => r.dynamodb?.ApproximateCreationDateTime).filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
  const oldest = times.length > 0 ? Math.min(...times) * 1000 : undefined;
  const newest = times.length > 0 ? Math.max(...times) * 1000 : undefined;
  return {
    syncedAt: new Date(nowMs).toISOString(),
    ...(newest !== undefined ? { newestRecordAt: new Date(newest).toISOString() } : {}),
    lagMs: oldest !== undefined ? Math.max(0, nowMs - oldest) : 0,
    records: records.length,
  };
}
