// Reads one shard of a DynamoDB stream from a position, surviving iterator expiry.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type GetShardIteratorCommandInput,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';

/** GetRecords' own maximum (DynamoDB Local rejects more with a ValidationException). */
export const MAX_GET_RECORDS = 1000;

/** `retry`: nothing was read, but not because the shard is drained (iterator re-created). */
export type FetchResult = { records: _Record[]; ended: boolean } | 'retry';

type StreamsClient = Pick<DynamoDBStreamsClient, 'send'>;

const errName = (e: unknown) => (e as { name?: string })?.name ?? '';

export class ShardReader {
  private iterator: string | undefined;
  private ended = false;

  /** `after`: last sequence number already read (undefined: from the oldest record, TRIM_HORIZON). */
  constructor(
    private readonly client: StreamsClient,
    private readonly streamArn: string,
    readonly shardId: string,
    private after: string | undefined,
    private readonly signal: AbortSignal,
  ) {}

  /** Last sequence number read so far. */
  get position(): string | undefined {
    return this.after;
  }

  async fetch(limit: number): Promise<FetchResult> {
    if (this.ended) return { records: [], ended: true };
    this.iterator ??= await this.newIterator();
    if (this.ended || this.iterator === undefined) return { records: [], ended: true };
    try {
      const r = await this.client.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }), {
        abortSignal: this.signal,
      });
      const records = r.Records ?? [];
      this.after = records.at(-1)?.dynamodb?.SequenceNumber ?? this.after;
      this.iterator = r.NextShardIterator;
      // No next iterator: the shard is closed and we have read its last record.
      this.ended = !r.NextShardIterator;
      return { records, ended: this.ended };
    } catch (e) {
      switch (errName(e)) {
        case 'ExpiredIteratorException':
          // Iterators live 15 minutes (DynamoDB Local too): continue after the last record read.
          this.iterator = undefined;
          return 'retry';
        case 'TrimmedDataAccessException':
          // Our position fell out of the 24 h retention: records were lost; go on from the oldest.
          console.warn(`stream poller: ${this.shardId} trimmed past ${this.after}; continuing at TRIM_HORIZON`);
          this.after = undefined;
          this.iterator = undefined;
          return 'retry';
        case 'ResourceNotFoundException':
          this.ended = true; // shard or stream gone (trimmed, table deleted)
          return { records: [], ended: true };
        default:
          throw e;
      }
    }
  }

  /** Reads to the current end without returning records: how LATEST starts. Returns false if the shard ended. */
  async skipToEnd(): Promise<boolean> {
    for (;;) {
      const r = await this.fetch(MAX_GET_RECORDS);
      if (r === 'retry') continue;
      if (r.ended) return false;
      if (r.records.length === 0) return true;
    }
  }

  private async newIterator(): Promise<string | undefined> {
    const from: Partial<GetShardIteratorCommandInput> = this.after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: this.after }
      : { ShardIteratorType: 'TRIM_HORIZON' };
    try {
      const r = await this.client.send(
        new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: this.shardId, ...from } as GetShardIteratorCommandInput),
        { abortSignal: this.signal },
      );
      return r.ShardIterator;
    } catch (e) {
      const n = errName(e);
      if (n === 'ResourceNotFoundException') {
        this.ended = true;
        return undefined;
      }
      // A checkpoint the shard no longer has (trimmed, or a foreign file): start at the oldest record.
      if (this.after && (n === 'TrimmedDataAccessException' || n === 'ValidationException')) {
        console.warn(`stream poller: cannot resume ${this.shardId} after ${this.after} (${n}); using TRIM_HORIZON`);
        this.after = undefined;
        return this.newIterator();
      }
      throw e;
    }
  }
}
