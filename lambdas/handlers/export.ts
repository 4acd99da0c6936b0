// Lambda: export the listings as an rbldnsd file to S3 for mirrors (logic: services/export.ts).
// Invoked by a schedule (EventBridge: {"source": "aws.events", ...} counts as trigger "schedule")
// and asynchronously after changes by the stream handler ({"source": "stream-sync"}, or
// {"trigger": "change"}); runs closer together than EXPORT_MIN_INTERVAL_SECONDS are skipped. {"force": true} skips the debounce,
// {"republish": true} publishes even unchanged content. Emits the Export* metrics (EMF).
import type { Context } from 'aws-lambda';
import { ExportStore, s3ClientFromEnv } from '../adapters/export-store.js';
import { Journal } from '../adapters/journal.js';
import { ENV } from '../adapters/table-schema.js';
import { ZoneLock } from '../adapters/zone-lock.js';
import { MetricUnit, zoneMetricsDocument } from '../adapters/zone-metrics.js';
import { METRIC } from '../core/metric-names.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DatasetSource } from '../core/rbldnsd-render.js';
import {
  DEFAULT_EXPORT_PREFIX,
  DEFAULT_MIN_INTERVAL_SECONDS,
  EXPORT_ENV,
  type ExportOptions,
  type ExportResult,
  type ExportTrigger,
  runExport,
} from '../services/export.js';
import { byListMergeSource, scanSortSource } from '../services/export-source.js';
import { logger, requireEnv, type Runtime, runtimeFromEnv } from './runtime.js';

export interface ExportEvent {
  force?: boolean;
  republish?: boolean;
  trigger?: ExportTrigger;
  /** EventBridge scheduled events carry these. */
  source?: string;
  'detail-type'?: string;
}

/** A lease longer than the longest Lambda run (15 min): a crashed run frees it after that. */
const LEASE_MS = 16 * 60_000;

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer of seconds, not ${JSON.stringify(v)}`);
  return n;
}

export interface ExportRuntime {
  rt: Pick<Runtime, 'cfg' | 'doc' | 'table' | 'journalTable'>;
  s3: S3Client;
  store: ExportStore;
  options: Pick<ExportOptions, 'minIntervalSeconds' | 'lifetimeSeconds'>;
  readMode: 'gsi-merge' | 'scan-sort';
}

export function exportRuntimeFromEnv(env: NodeJS.ProcessEnv = process.env): ExportRuntime {
  // The export never talks to Route 53; runtimeFromEnv wants a hosted zone id all the same.
  const rt = runtimeFromEnv({ ...env, [ENV.hostedZoneId]: env[ENV.hostedZoneId] || 'unused-by-export' });
  const s3 = s3ClientFromEnv(env);
  const prefix = (env[ENV.exportKey] || DEFAULT_EXPORT_PREFIX).replace(/^\/+|\/+$/g, '');
  const store = new ExportStore(s3, requireEnv(ENV.exportBucket, env), `${prefix}/${rt.cfg.zone}`);
  const readMode = env[EXPORT_ENV.readMode] || 'gsi-merge';
  if (readMode !== 'gsi-merge' && readMode !== 'scan-sort') throw new Error(`${EXPORT_ENV.readMode} must be gsi-merge or scan-sort`);
  const lifetimeSeconds = positiveInt(env, EXPORT_ENV.lifetimeSeconds);
  return {
    rt,
    s3,
    store,
    readMode,
    options: {
      minIntervalSeconds: positiveInt(env, EXPORT_ENV.minIntervalSeconds) ?? DEFAULT_MIN_INTERVAL_SECONDS,
      ...(lifetimeSeconds ? { lifetimeSeconds } : {}),
    },
  };
}

export function triggerOf(event: ExportEvent | undefined): ExportTrigger {
  if (event?.trigger) return event.trigger;
  if (event?.source === 'aws.events' || event?.['detail-type'] === 'Scheduled Event') return 'schedule';
  // The stream handler's asynchronous invocation after changes reached the zone.
  if (event?.source === 'stream-sync') return 'change';
  return 'manual';
}

export async function exportOnce(x: ExportRuntime, event: ExportEvent | undefined): Promise<ExportResult> {
  const source: DatasetSource = x.readMode === 'scan-sort' ? scanSortSource(x.rt.table) : byListMergeSource(x.rt.table);
  return runExport(
    {
      cfg: x.rt.cfg,
      store: x.store,
      source,
      journal: new Journal(x.rt.doc, x.rt.journalTable),
      lock: new ZoneLock(x.rt.doc, x.rt.journalTable, `export:${x.rt.cfg.zone}`, LEASE_MS),
      log: (message, data) => logger.info(message, data ?? {}),
    },
    { ...x.options, force: event?.force === true, republish: event?.republish === true, trigger: triggerOf(event) },
  );
}

let cached: ExportRuntime | undefined;

export const handler = async (event: ExportEvent | undefined, _context?: Context): Promise<ExportResult> => {
  cached ??= exportRuntimeFromEnv();
  const result = await exportOnce(cached, event);
  // CloudWatch embedded metric format (the dashboard's Export widget reads ExportPublished and ExportBytes).
  console.log(
    JSON.stringify(
      zoneMetricsDocument(cached.rt.cfg.zone, [
        [METRIC.exportPublished, MetricUnit.Count, result.status === 'published' ? 1 : 0],
        [METRIC.exportDurationMs, MetricUnit.Milliseconds, result.durationMs],
        [METRIC.exportBytes, MetricUnit.Bytes, result.bytes ?? 0],
      ]),
    ),
  );
  logger.info('export', { status: result.status, serial: result.serial, reason: result.reason, durationMs: result.durationMs });
  return result;
};
