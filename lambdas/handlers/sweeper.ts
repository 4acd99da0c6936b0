// Lambda: every minute, delist listings whose expiry has passed.
import { Journal } from '../adapters/journal.js';
import { type SweepReport, sweepExpired } from '../services/sweeper.js';
import { logger, runtime } from './runtime.js';

export const handler = async (): Promise<SweepReport> => {
  const rt = runtime();
  const report = await sweepExpired({ table: rt.table, journal: new Journal(rt.doc, rt.journalTable), nowSeconds: () => Date.now() / 1000 });
  logger.info('swept', { ...report });
  return report;
};
