// A stand-in for the DynamoDB Streams API with shards that close and split, which DynamoDB Local's
// server never does (it has one shard per stream for life; rollover exists only in its embedded mode).
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { PK } from './helpers.js';

export const FAKE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/fake/stream/2024-01-01T00:00:00.000';

interface FakeShard {
  id: string;
  parent?: string;
  records: _Record[];
  closed: boolean;
}

const pad = (n: number) => String(n).padStart(21, '0');

export class FakeStreams {
  private readonly shards: FakeShard[] = [];
  private seq = 0;
  /** How many coming GetRecords calls fail with ExpiredIteratorException. */
  expireNext = 0;
  /** Every GetShardIterator call, as "shard type [sequence number]". */
  readonly iteratorRequests: string[] = [];

  addShard(id: string, parent?: string): this {
    this.shards.push({ id, parent, records: [], closed: false });
    return this;
  }

  write(shardId: string, sk: string, extra: Partial<_Record> = {}): this {
    const n = ++this.seq;
    this.shard(shardId).records.push({
      eventID: `event-${n}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: new Date(),
        Keys: { pk: { S: PK }, sk: { S: sk } },
        NewImage: { pk: { S: PK }, sk: { S: sk } },
        SequenceNumber: pad(n),
        SizeBytes: 20,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      ...extra,
    });
    return this;
  }

  close(shardId: string): this {
    this.shard(shardId).closed = true;
    return this;
  }

  async send(cmd: unknown): Promise<unknown> {
    if (cmd instanceof DescribeTableCommand) return { Table: { LatestStreamArn: FAKE_ARN } };
    if (cmd instanceof DescribeStreamCommand) {
      const Shards = this.shards.map((s) => ({
        ShardId: s.id,
        ParentShardId: s.parent,
        SequenceNumberRange: {
          StartingSequenceNumber: s.records[0]?.dynamodb?.SequenceNumber ?? pad(0),
          EndingSequenceNumber: s.closed ? s.records.at(-1)?.dynamodb?.SequenceNumber : undefined,
        },
      }));
      return { StreamDescription: { StreamArn: FAKE_ARN, Shards } };
    }
    if (cmd instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, SequenceNumber } = cmd.input;
      const s = this.shard(ShardId!);
      this.iteratorRequests.push([ShardId, ShardIteratorType, SequenceNumber].filter(Boolean).join(' '));
      const at =
        ShardIteratorType === 'TRIM_HORIZON'
          ? 0
          : ShardIteratorType === 'LATEST'
            ? s.records.length
            : s.records.findIndex((r) => r.dynamodb?.SequenceNumber === SequenceNumber) + (ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' ? 1 : 0);
      return { ShardIterator: `${s.id}|${at}` };
    }
    if (cmd instanceof GetRecordsCommand) {
      if (this.expireNext > 0) {
        this.expireNext--;
        throw Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
      }
      const [id, at] = cmd.input.ShardIterator!.split('|');
      const s = this.shard(id!);
      const from = Number(at);
      const Records = s.records.slice(from, from + (cmd.input.Limit ?? 1000));
      const next = from + Records.length;
      const ended = s.closed && next >= s.records.length;
      return { Records, NextShardIterator: ended ? undefined : `${s.id}|${next}` };
    }
    throw new Error(`FakeStreams: unexpected ${String(cmd)}`);
  }

  private shard(id: string): FakeShard {
    const s = this.shards.find((x) => x.id === id);
    if (!s) throw Object.assign(new Error('Shard does not exist'), { name: 'ResourceNotFoundException' });
    return s;
  }
}
