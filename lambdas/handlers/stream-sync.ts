// Lambda: the listings table's stream -> the live Route 53 zone.
// Thin wiring: parse records, take the zone lock, sync from the table's current state, and report
// the records that could not be synced so that only they (and later ones) are retried.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ZoneLock } from '../adapters/zone-lock.js';
import { TEST_POINT } from '../core/listing.js';
import { RecentWrites } from '../core/recent-writes.js';
import { changedNetworks, previousListings } from '../services/stream-records.js';
import { type SyncDeps, syncRegions } from '../services/zone-sync.js';
import { logger, runtime } from './runtime.js';

export interface StreamSyncDeps extends SyncDeps {
  readonly lock: Pick<ZoneLock, 'acquire' | 'release'>;
  /** Called after changes reached the zone (e.g. to schedule an export). */
  readonly afterSync?: () => Promise<void>;
}

export function createStreamSyncHandler(deps: StreamSyncDeps) {
  // The RFC 5782 test points are in no table record: make sure of them once per container.
  let testPointsChecked = false;
  // What this container wrote lately: saves refused requests when the stream lags the table.
  const syncDeps: SyncDeps = { ...deps, recentWrites: deps.recentWrites ?? new RecentWrites() };
  return async (event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<DynamoDBBatchResponse> => {
    const records = event.Records ?? [];
    const { changed, skipped } = changedNetworks(records);
    const unknown = changed.filter((c) => !['INSERT', 'MODIFY', 'REMOVE', 'TTL-REMOVE'].includes(c.kind));
    if (unknown.length > 0) logger.warn('unknown stream event names, re-planning their networks', { kinds: unknown.map((u) => u.kind) });
    if (changed.length === 0) return { batchItemFailures: [] };
    const deadline = Date.now() + Math.max(5_000, (context?.getRemainingTimeInMillis() ?? 300_000) - 15_000);
    const failAll = () => ({ batchItemFailures: [{ itemIdentifier: changed[0]!.sequenceNumber }] });
    if (!(await deps.lock.acquire(Math.min(60_000, deadline - Date.now())))) {
      logger.warn('zone lock busy; the batch will be retried');
      return failAll();
    }
    try {
      try {
        if (!testPointsChecked) await syncRegions(syncDeps, [TEST_POINT], { deadline });
        testPointsChecked = true;
        const previous = previousListings(records);
        const report = await syncRegions(syncDeps, changed.map((c) => c.network), { deadline, previous });
        logger.info('synced', { records: records.length, skipped, ...report });
      } catch (e) {
        // Isolate the record that fails: sync one network at a time in stream order; everything
        // before the first failure is done, the failing one and all after it are retried.
        logger.warn('batch sync failed, retrying record by record', { error: String(e) });
        for (const c of changed) {
          try {
            await syncRegions(syncDeps, [c.network], { deadline });
          } catch (inner) {
            logger.error('record failed', { sequenceNumber: c.sequenceNumber, error: String(inner) });
            return { batchItemFailures: [{ itemIdentifier: c.sequenceNumber }] };
          }
        }
      }
      if (deps.afterSync) await deps.afterSync().catch((e) => logger.warn('afterSync failed', { error: String(e) }));
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
      nowSeconds: () => Date.now() / 1000,
      lock: new ZoneLock(rt.doc, rt.journalTable, rt.cfg.zone),
      afterSync: exportTrigger(process.env.EXPORT_FUNCTION_NAME),
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
