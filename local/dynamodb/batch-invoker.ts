// What the Lambda event source mapping does with one batch of a shard: invoke, and on failure retry,
// bisect, resume after partial success, or give up and hand the records to the on-failure destination.
//
// Rules (AWS Lambda developer guide, DynamoDB Streams error handling and partial batch response):
// - The handler throws: the whole batch failed. With bisect on and more than one record, the batch is
//   split in halves, first half first; a split does not count as a retry. Otherwise it is retried.
// - `batchItemFailures` with valid identifiers: everything before the lowest failed sequence number is
//   done; the failed record and all after it are retried (a retry). An empty/missing identifier or one
//   not in the batch means the whole batch failed (retried whole, not bisected).
// - Empty/null response or empty list: success. With reportBatchItemFailures off the response is ignored.
// - After maximumRetryAttempts retries (-1: never) the records still failing go to onFailure and the
//   shard moves on past them.
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export interface InvokerConfig {
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  onFailure?: (info: { records: DynamoDBRecord[]; error: string }) => Promise<void>;
}

export interface InvokerStats {
  /** Handler invocations. */
  batches: number;
  /** Records the handler processed successfully. */
  records: number;
  /** Re-invocations that count against maximumRetryAttempts. */
  retries: number;
  /** Records given up on (sent to onFailure, or dropped when there is none). */
  failures: number;
}

export interface InvokerHooks {
  stats: InvokerStats;
  /** True once the poller is stopping: leave the rest of the batch unprocessed (it is re-read later). */
  stopped(): boolean;
  /** Interruptible by stop(). */
  sleep(ms: number): Promise<void>;
  /** Everything up to and including this record is done. */
  checkpoint(record: DynamoDBRecord): Promise<void>;
}

type Outcome = { ok: true } | { ok: false; from: number; error: string; thrown: boolean };

/** Resolves true when every record was processed or given up on, false when stopped before. */
export async function processBatch(batch: DynamoDBRecord[], cfg: InvokerConfig, hooks: InvokerHooks): Promise<boolean> {
  const { stats } = hooks;
  // Pending sub-batches in stream order, each with the retries already spent on its records.
  const work = [{ records: batch, retries: 0 }];
  while (work.length > 0) {
    if (hooks.stopped()) return false;
    const { records, retries } = work.shift()!;
    stats.batches++;
    const out = await invoke(cfg, records);
    if (out.ok) {
      stats.records += records.length;
      await hooks.checkpoint(records.at(-1)!);
      continue;
    }
    if (out.from > 0) {
      stats.records += out.from;
      await hooks.checkpoint(records[out.from - 1]!);
    }
    const rest = records.slice(out.from);
    if (out.thrown && cfg.bisectBatchOnFunctionError && rest.length > 1) {
      const mid = Math.ceil(rest.length / 2);
      work.unshift({ records: rest.slice(0, mid), retries }, { records: rest.slice(mid), retries });
      continue;
    }
    if (cfg.maximumRetryAttempts >= 0 && retries >= cfg.maximumRetryAttempts) {
      if (!(await giveUp(rest, out.error, cfg, hooks))) return false;
      continue;
    }
    stats.retries++;
    await hooks.sleep(retryDelayMs(retries));
    work.unshift({ records: rest, retries: retries + 1 });
  }
  return true;
}

async function invoke(cfg: InvokerConfig, records: DynamoDBRecord[]): Promise<Outcome> {
  let res: DynamoDBBatchResponse | void | null;
  try {
    // A fresh copy each time: Lambda's event is JSON, so a handler can't mutate what a retry gets.
    res = await cfg.handler({ Records: structuredClone(records) });
  } catch (e) {
    return { ok: false, from: 0, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), thrown: true };
  }
  const failures = cfg.reportBatchItemFailures ? res?.batchItemFailures : undefined;
  if (!failures || failures.length === 0) return { ok: true };
  const seqs = records.map((r) => r.dynamodb?.SequenceNumber);
  let from = records.length;
  for (const f of failures) {
    const id: unknown = f?.itemIdentifier;
    const i = typeof id === 'string' && id !== '' ? seqs.indexOf(id) : -1;
    from = Math.min(from, i < 0 ? 0 : i);
  }
  return { ok: false, from, error: `batchItemFailures: ${JSON.stringify(failures)}`, thrown: false };
}

/** onFailure must succeed before the shard moves on (like a destination that is down: keep trying). */
async function giveUp(records: DynamoDBRecord[], error: string, cfg: InvokerConfig, hooks: InvokerHooks): Promise<boolean> {
  for (let attempt = 0; cfg.onFailure; attempt++) {
    try {
      await cfg.onFailure({ records: structuredClone(records), error });
      break;
    } catch (e) {
      console.warn(`stream poller: onFailure failed, retrying: ${String(e)}`);
      await hooks.sleep(retryDelayMs(attempt));
      if (hooks.stopped()) return false;
    }
  }
  hooks.stats.failures += records.length;
  await hooks.checkpoint(records.at(-1)!);
  return true;
}

/** Exponential, short at first so tests stay quick, capped so an endless retry doesn't spin. */
function retryDelayMs(retriesSoFar: number): number {
  return Math.min(20 * 2 ** retriesSoFar, 2_000);
}
