// Lambda: every minute, delist listings whose expiry has passed.
import type { Context } from 'aws-lambda';
import { Journal } from '../adapters/journal.js';
import { type SweepReport, sweepExpired } from '../services/sweeper.js';
import { logger, runtime } from './runtime.js';

export const handler = async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SweepReport> => {
  const rt = runtime();
  // Stop taking new batches well before the timeout: the next run (a minute later) goes on.
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 55_000) - 10_000;
  const report = await sweepExpired({ table: rt.table, journal: new Journal(rt.doc, rt.journalTable), nowSeconds: () => Date.now() / 1000 }, { deadline });
  logger.info('swept', { ...report });
  return report;
};
