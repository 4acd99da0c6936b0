// Lambda: the listings table's stream -> the live Route 53 zone.
// Thin wiring: parse records, take the zone lease, sync the batch (services/zone-sync.ts), and
// report the records that could not be synced so that only they (and later ones) are retried.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { PublisherState } from '../adapters/publisher-state.js';
import { PublishedTable } from '../adapters/published-table.js';
import { Journal } from '../adapters/journal.js';
import { isTransient } from '../adapters/route53-zone.js';
import { SyncIntent } from '../adapters/sync-intent.js';
import { type LeaseLostError, ZoneLock } from '../adapters/zone-lock.js';
import { TEST_POINT } from '../core/listing.js';
import { batchListings, changedNetworks } from '../services/stream-records.js';
import { syncProgressOf } from '../services/sync-progress.js';
import { type SyncDeps, syncListings, syncRegionsFromZone } from '../services/zone-sync.js';
import { logger, requireEnv, runtime } from './runtime.js';
import { ENV } from '../adapters/table-schema.js';

export interface StreamSyncDeps extends SyncDeps {
  readonly lock: Pick<ZoneLock, 'acquire' | 'release' | 'fence'>;
  /** Called after changes reached the zone (e.g. to schedule an export). */
  readonly afterSync?: () => Promise<void>;
  /** Where a fully synced invocation records its progress for `dnsbl status` (one PutItem). */
  readonly progress?: Pick<PublisherState, 'recordSync'>;
}

/** Errors that say nothing about the records: the whole batch is retried, nothing is isolated. */
function retryWhole(e: unknown): boolean {
  return (e as LeaseLostError).name === 'LeaseLostError' || isTransient(e);
}

export function createStreamSyncHandler(deps: StreamSyncDeps) {
  // The RFC 5782 test points are in no table record: make sure of them once per container.
  let testPointsChecked = false;
  return async (event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<DynamoDBBatchResponse> => {
    const records = event.Records ?? [];
    const { changed, skipped } = changedNetworks(records);
    const unknown = changed.filter((c) => !['INSERT', 'MODIFY', 'REMOVE', 'TTL-REMOVE'].includes(c.kind));
    if (unknown.length > 0) logger.warn('unknown stream event names, reading their listings from the table', { kinds: unknown.map((u) => u.kind) });
    if (changed.length === 0) return { batchItemFailures: [] };
    const deadline = Date.now() + Math.max(5_000, (context?.getRemainingTimeInMillis() ?? 300_000) - 15_000);
    const failAll = () => ({ batchItemFailures: [{ itemIdentifier: changed[0]!.sequenceNumber }] });
    if (!(await deps.lock.acquire(Math.min(60_000, deadline - Date.now())))) {
      logger.warn('zone lock busy; the batch will be retried');
      return failAll();
    }
    const opts = { deadline, fence: () => deps.lock.fence() };
    try {
      try {
        if (!testPointsChecked) await syncRegionsFromZone(deps, [TEST_POINT], opts);
        testPointsChecked = true;
        const report = await syncListings(deps, batchListings(records), opts);
        logger.info('synced', { records: records.length, skipped, ...report });
      } catch (e) {
        if (retryWhole(e)) {
          // Throttling that outlasted the deadline, a network fault, a lost lease: nothing is wrong
          // with any record. The batch is retried whole; the intent lets the retry finish it.
          logger.warn('batch not synced; retried whole', { error: String(e) });
          return failAll();
        }
        // Isolate the record that fails: one record at a time in stream order; everything before
        // the first failure is done, the failing one and all after it are retried.
        logger.warn('batch sync failed, isolating the failing record', { error: String(e) });
        for (const r of records) {
          const seq = r.dynamodb?.SequenceNumber ?? '';
          if (!changed.some((c) => c.sequenceNumber === seq)) continue;
          try {
            await syncListings(deps, batchListings([r]), opts);
          } catch (inner) {
            logger.error('record failed', { sequenceNumber: seq, error: String(inner) });
            return { batchItemFailures: [{ itemIdentifier: seq }] };
          }
        }
      }
      if (deps.afterSync) await deps.afterSync().catch((e) => logger.warn('afterSync failed', { error: String(e) }));
      if (deps.progress) await deps.progress.recordSync(syncProgressOf(records, Date.now())).catch((e) => logger.warn('recording sync progress failed', { error: String(e) }));
      return { batchItemFailures: [] };
    } finally {
      await deps.lock.release();
    }
  };
}

let handlerInstance: ReturnType<typeof createStreamSyncHandler> | undefined;

export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  if (!handlerInstance) {
    const rt = runtime();
    handlerInstance = createStreamSyncHandler({
      cfg: rt.cfg,
      table: rt.table,
      zone: rt.zone,
      published: new PublishedTable(rt.doc, requireEnv(ENV.publishedTable)),
      intent: new SyncIntent(rt.doc, rt.journalTable, rt.cfg.zone),
      nowSeconds: () => Date.now() / 1000,
      lock: new ZoneLock(rt.doc, rt.journalTable, rt.cfg.zone),
      afterSync: exportTrigger(process.env.EXPORT_FUNCTION_NAME),
      progress: new PublisherState(new Journal(rt.doc, rt.journalTable), rt.cfg.zone),
    });
  }
  return handlerInstance(event, context);
};

/** Asks the export function (asynchronously) to publish; it debounces bursts itself. */
function exportTrigger(functionName: string | undefined): (() => Promise<void>) | undefined {
  if (!functionName) return undefined;
  const lambda = new LambdaClient({});
  return async () => {
    await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify({ source: 'stream-sync' }) }));
  };
}
