// Runs a DynamoDB stream handler against DynamoDB Local the way Lambda's event source mapping does:
// one poller per shard, parents before children, one batch at a time per shard, in order, with the
// retry / bisect / partial-failure rules of batch-invoker.ts, and an optional checkpoint file.
//
// Delivery is at least once. Records are checkpointed right after the handler returned success (or
// after onFailure), so a restart re-delivers only a batch whose handler call was cut off (process
// killed mid-call, or stop() during its retries).
//
// Built for DynamoDB Local, where an empty GetRecords means the shard is read to its current end
// (on AWS an open shard may return empty pages before later records); idle() and LATEST rely on it.
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, type DynamoDBStreamsClient, type Shard } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { processBatch, type InvokerConfig, type InvokerStats } from './batch-invoker.js';
import { loadCheckpoints, saveCheckpoints, type Checkpoints } from './checkpoint-file.js';
import { localClient, localStreamsClient } from './local-client.js';
import { MAX_GET_RECORDS, ShardReader } from './shard-reader.js';
import { toLambdaRecord } from './stream-event.js';
import { Wakeup } from './wakeup.js';

export interface StreamPollerOptions {
  endpoint: string;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  batchSize?: number; // default 100
  /** Lambda also cuts a batch at its 6 MB synchronous payload (default 6,291,456 bytes of event JSON). */
  maxPayloadBytes?: number;
  maximumBatchingWindowMs?: number; // default 0
  pollIntervalMs?: number; // default 200 when idle
  startingPosition?: 'TRIM_HORIZON' | 'LATEST'; // default LATEST at start() for a fresh poller
  /** If set, per-shard progress is saved here and a restart resumes AFTER_SEQUENCE_NUMBER. */
  checkpointFile?: string;
  maximumRetryAttempts?: number; // default 10; -1 = infinite
  bisectBatchOnFunctionError?: boolean; // default true
  onFailure?: (info: { records: DynamoDBRecord[]; error: string }) => Promise<void>;
  reportBatchItemFailures?: boolean; // default true
  /** Tests only: stand-ins for the two APIs used (DescribeTable; DescribeStream, GetShardIterator, GetRecords). */
  clients?: { dynamodb: Pick<DynamoDBClient, 'send'>; streams: Pick<DynamoDBStreamsClient, 'send'> };
}

export interface StreamPoller {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once every change written before the call went to the handler successfully (or to onFailure). */
  idle(): Promise<void>;
  /**
   * batches: handler invocations (retries and bisected halves included); records: records handled
   * successfully; retries: re-invocations counted against maximumRetryAttempts (splits are not);
   * failures: records given up on (sent to onFailure, or dropped without one).
   */
  stats(): { batches: number; records: number; retries: number; failures: number };
}

export function createStreamPoller(opts: StreamPollerOptions): StreamPoller {
  return new Poller(opts);
}

/** New shards appear when DynamoDB rolls a shard over (about every 4 h on AWS; never in DynamoDB Local's server). */
const DESCRIBE_INTERVAL_MS = 1_000;

interface ShardState {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly reader: ShardReader;
  state: 'waiting' | 'active' | 'done';
  /** Read from the stream, not yet handled. */
  buffer: DynamoDBRecord[];
  bufferedSince: number;
  /** Epoch at which a GetRecords was issued that found nothing new (-1: never). */
  drainedAt: number;
  busy: boolean;
}

const seq = (r: DynamoDBRecord) => BigInt(r.dynamodb?.SequenceNumber ?? '0');

class Poller implements StreamPoller {
  private readonly invoker: InvokerConfig;
  private readonly batchSize: number;
  private readonly maxPayloadBytes: number;
  private readonly windowMs: number;
  private readonly pollMs: number;
  /** Woken by idle(), stop() and finished shards: polls and shard loops. */
  private readonly wakeup = new Wakeup();
  /** Woken only by stop(): retry back-off keeps its pace when a test calls idle(). */
  private readonly stopping = new Wakeup();
  private readonly abort = new AbortController();
  private readonly shards = new Map<string, ShardState>();
  private readonly loops: Promise<void>[] = [];
  private readonly idleWaiters = new Set<{ target: number; resolve: () => void; reject: (e: Error) => void }>();
  private readonly counters: InvokerStats = { batches: 0, records: 0, retries: 0, failures: 0 };
  private readonly owned: { destroy(): void }[] = [];
  private streams!: Pick<DynamoDBStreamsClient, 'send'>;
  private streamArn = '';
  private checkpoints: Checkpoints = { streamArn: '', shards: {} };
  private phase: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  // idle() bumps the epoch. Any GetRecords issued at epoch >= n is issued after the n-th idle() call,
  // so it sees every write made before that call (DynamoDB Local shows a record as soon as the write
  // returns). A shard drained at epoch >= n, with nothing buffered or in flight, is idle for call n.
  private epoch = 0;
  private describedAt = -1;

  constructor(private readonly opts: StreamPollerOptions) {
    this.batchSize = opts.batchSize ?? 100;
    if (!(this.batchSize >= 1 && this.batchSize <= 10_000)) throw new Error('batchSize must be 1..10000');
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 6 * 1024 * 1024;
    this.windowMs = opts.maximumBatchingWindowMs ?? 0;
    this.pollMs = opts.pollIntervalMs ?? 200;
    this.invoker = {
      handler: opts.handler,
      maximumRetryAttempts: opts.maximumRetryAttempts ?? 10,
      bisectBatchOnFunctionError: opts.bisectBatchOnFunctionError ?? true,
      reportBatchItemFailures: opts.reportBatchItemFailures ?? true,
      onFailure: opts.onFailure,
    };
  }

  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error('a stream poller can be started once');
    this.phase = 'starting';
    try {
      await this.begin();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async begin(): Promise<void> {
    const clients = this.opts.clients ?? this.makeClients();
    this.streams = clients.streams;
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: this.opts.tableName }));
    const arn = table.Table?.LatestStreamArn;
    if (!arn) throw new Error(`table ${this.opts.tableName} has no stream`);
    this.streamArn = arn;
    const saved = this.opts.checkpointFile ? loadCheckpoints(this.opts.checkpointFile, arn) : undefined;
    this.checkpoints = saved ?? { streamArn: arn, shards: {} };
    const latest = !saved && (this.opts.startingPosition ?? 'LATEST') === 'LATEST';
    const skips: Promise<void>[] = [];
    for (const s of await this.describe()) {
      const st = this.addShard(s);
      if (!latest || st.state === 'done') continue;
      // LATEST: a closed shard has nothing new to give; an open one is read to its end and skipped,
      // which (unlike a LATEST iterator) leaves a sequence number to save in the checkpoint file.
      if (s.SequenceNumberRange?.EndingSequenceNumber) this.finish(st);
      else skips.push(this.skipToEnd(st));
    }
    await Promise.all(skips);
    if (this.phase !== 'starting') throw new Error('stream poller stopped while starting');
    this.describedAt = this.epoch;
    this.save();
    this.phase = 'running';
    for (const st of this.shards.values()) this.launch(st);
    this.loops.push(this.discover());
  }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    this.abort.abort();
    this.wakeup.wake();
    this.stopping.wake();
    for (const w of this.idleWaiters) w.reject(new Error('stream poller stopped'));
    this.idleWaiters.clear();
    // A handler call in progress is allowed to finish (and be checkpointed), as Lambda would.
    await Promise.allSettled(this.loops);
    // A start() that failed half-way saves nothing: the next start is fresh again.
    if (wasRunning) this.save();
    for (const c of this.owned) c.destroy();
  }

  idle(): Promise<void> {
    if (this.phase !== 'running') return Promise.reject(new Error('stream poller is not running'));
    const target = ++this.epoch;
    return new Promise((resolve, reject) => {
      this.idleWaiters.add({ target, resolve, reject });
      this.wakeup.wake(); // poll now instead of after pollIntervalMs
    });
  }

  stats() {
    return { ...this.counters };
  }

  private makeClients() {
    const dynamodb = localClient(this.opts.endpoint);
    const streams = localStreamsClient(this.opts.endpoint);
    this.owned.push(dynamodb, streams);
    return { dynamodb, streams };
  }

  private get running() {
    return this.phase === 'running';
  }

  private addShard(s: Shard): ShardState {
    const id = s.ShardId!;
    const cp = this.checkpoints.shards[id];
    const st: ShardState = {
      id,
      parentId: s.ParentShardId,
      reader: new ShardReader(this.streams, this.streamArn, id, cp?.sequenceNumber, this.abort.signal),
      state: cp?.finished ? 'done' : 'waiting',
      buffer: [],
      bufferedSince: 0,
      drainedAt: -1,
      busy: false,
    };
    this.shards.set(id, st);
    return st;
  }

  private async skipToEnd(st: ShardState): Promise<void> {
    const open = await st.reader.skipToEnd();
    const at = st.reader.position;
    if (at) this.checkpoints.shards[st.id] = { sequenceNumber: at };
    if (!open) this.finish(st);
  }

  private launch(st: ShardState): void {
    this.loops.push(this.runShard(st));
  }

  private async runShard(st: ShardState): Promise<void> {
    let errors = 0;
    while (this.running && st.state !== 'done') {
      try {
        if (st.state === 'waiting') {
          // Lineage: a child shard holds later changes to the same keys than its parent.
          const parent = st.parentId ? this.shards.get(st.parentId) : undefined;
          if (parent && parent.state !== 'done') {
            await this.wakeup.sleep(this.pollMs);
            continue;
          }
          st.state = 'active';
        }
        await this.step(st);
        errors = 0;
      } catch (e) {
        if (!this.running) break;
        // E.g. DynamoDB Local restarting: back off instead of logging every poll.
        console.warn(`stream poller: shard ${st.id}: ${String(e)}`);
        await this.stopping.sleep(Math.min(this.pollMs * 2 ** errors++, 5_000));
      }
    }
  }

  /** One GetRecords, then either wait for more, or hand a batch to the handler. */
  private async step(st: ShardState): Promise<void> {
    const epoch = this.epoch;
    const limit = Math.min(MAX_GET_RECORDS, this.batchSize - st.buffer.length);
    const r = await st.reader.fetch(limit);
    if (r === 'retry') return;
    if (r.records.length > 0) {
      if (st.buffer.length === 0) st.bufferedSince = Date.now();
      st.buffer.push(...r.records.map((x) => toLambdaRecord(x, this.streamArn)));
    } else {
      st.drainedAt = epoch;
    }
    if (st.buffer.length === 0) {
      if (r.ended) this.finish(st);
      else {
        this.notify();
        await this.wakeup.sleep(this.pollMs);
      }
      return;
    }
    if (st.buffer.length < this.batchSize && !r.ended) {
      if (r.records.length === limit) return; // more is there already: fill the batch first
      const wait = this.windowMs - (Date.now() - st.bufferedSince);
      if (wait > 0) {
        await this.wakeup.sleep(Math.min(wait, this.pollMs));
        return;
      }
    }
    await this.invoke(st);
  }

  private async invoke(st: ShardState): Promise<void> {
    const batch = st.buffer.splice(0, this.payloadCut(st.buffer));
    st.busy = true;
    let done: bigint | undefined;
    try {
      await processBatch(batch, this.invoker, {
        stats: this.counters,
        stopped: () => !this.running,
        sleep: (ms) => this.stopping.sleep(ms),
        checkpoint: async (rec) => {
          done = seq(rec);
          this.checkpoints.shards[st.id] = { sequenceNumber: rec.dynamodb!.SequenceNumber! };
          this.save();
        },
      });
    } catch (e) {
      // Never skip records: put back what was not checkpointed, and let runShard retry.
      st.buffer.unshift(...batch.filter((r) => done === undefined || seq(r) > done));
      throw e;
    } finally {
      st.busy = false;
      this.notify();
    }
  }

  /** How many buffered records make the next batch: batchSize, fewer if the event would pass maxPayloadBytes (always at least one). */
  private payloadCut(buffer: readonly DynamoDBRecord[]): number {
    let bytes = '{"Records":[]}'.length;
    const n = Math.min(this.batchSize, buffer.length);
    for (let i = 0; i < n; i++) {
      bytes += Buffer.byteLength(JSON.stringify(buffer[i])) + (i > 0 ? 1 : 0);
      if (bytes > this.maxPayloadBytes) return Math.max(1, i);
    }
    return n;
  }

  private finish(st: ShardState): void {
    st.state = 'done';
    this.checkpoints.shards[st.id] = { ...this.checkpoints.shards[st.id], finished: true };
    this.save();
    this.wakeup.wake(); // children waiting on this shard
    this.notify();
  }

  /** Picks up shards that appear later (children of a rolled-over shard). */
  private async discover(): Promise<void> {
    while (this.running) {
      await this.wakeup.sleep(DESCRIBE_INTERVAL_MS);
      if (!this.running) break;
      try {
        const epoch = this.epoch;
        for (const s of await this.describe()) {
          if (!this.shards.has(s.ShardId!)) this.launch(this.addShard(s));
        }
        this.describedAt = epoch;
        this.notify();
      } catch (e) {
        if (this.running) console.warn(`stream poller: DescribeStream: ${String(e)}`);
      }
    }
  }

  private async describe(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const r = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }), {
        abortSignal: this.abort.signal,
      });
      shards.push(...(r.StreamDescription?.Shards ?? []));
      start = r.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  private save(): void {
    if (this.opts.checkpointFile) saveCheckpoints(this.opts.checkpointFile, this.checkpoints);
  }

  private notify(): void {
    for (const w of this.idleWaiters) {
      if (this.isIdle(w.target)) {
        this.idleWaiters.delete(w);
        w.resolve();
      }
    }
  }

  private isIdle(target: number): boolean {
    if (this.describedAt < target) return false;
    for (const s of this.shards.values()) {
      if (s.state === 'done') continue;
      if (s.busy || s.buffer.length > 0 || s.drainedAt < target) return false;
    }
    return true;
  }
}
