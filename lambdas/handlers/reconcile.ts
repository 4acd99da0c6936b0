// Lambda: the steps of a sliced reconcile pass, as the Step Functions workflow calls them
// (lib/reconcile-workflow.ts): {action:'plan'} -> the pass plan; {action:'slice'} -> one slice's
// report (under the zone lock); {action:'finish'} -> the pass report (metrics, PublisherState).
// Invoked without an action ({"dryRun": true} or nothing) it runs a whole pass in this invocation,
// for small zones and manual use.
import type { Context } from 'aws-lambda';
import { Journal } from '../adapters/journal.js';
import { PublishedTable } from '../adapters/published-table.js';
import { PublisherState } from '../adapters/publisher-state.js';
import { RequestPacer } from '../adapters/request-pacer.js';
import { Route53Zone } from '../adapters/route53-zone.js';
import { SyncIntent } from '../adapters/sync-intent.js';
import { ENV } from '../adapters/table-schema.js';
import { ZoneLock } from '../adapters/zone-lock.js';
import { RUNNING_PASS_STATE, touchRunningPass, finishPass, type PassPlan, type PassReport, type PassSlice, passMetrics, RECONCILE_ENV, readRateFromEnv, type SliceOutcome } from '../services/reconcile-pass.js';
import { inProcessSteps, type InProcessPassDeps, lockedSlice, runPass } from '../services/reconcile-runner.js';
import { compactSliceReport, type SliceFigures } from '../services/reconcile-slice.js';
import { logger, requireEnv, runtime } from './runtime.js';

export type ReconcileEvent =
  | { action: 'plan'; dryRun?: boolean; network?: string; input?: { dryRun?: boolean; network?: string; passId?: string } }
  | { action: 'slice'; passId: string; dryRun?: boolean; slice: PassSlice }
  | { action: 'finish'; plan: PassPlan & { reports?: SliceOutcome[] }; reports?: SliceOutcome[] }
  | { action?: undefined; dryRun?: boolean; network?: string };

function passDeps(): InProcessPassDeps {
  const rt = runtime();
  // Reconcile reads Route 53 at its share of the account's rate (stream-sync keeps the rest).
  const zone = new Route53Zone(rt.route53, rt.zone.hostedZoneId, rt.cfg.zone, { readPacer: new RequestPacer(readRateFromEnv(process.env)) });
  const journal = new Journal(rt.doc, rt.journalTable);
  const state = new PublisherState(journal, rt.cfg.zone);
  return {
    cfg: rt.cfg,
    table: rt.table,
    published: new PublishedTable(rt.doc, requireEnv(ENV.publishedTable)),
    intent: new SyncIntent(rt.doc, rt.journalTable, rt.cfg.zone),
    zone,
    nowSeconds: () => Date.now() / 1000,
    warn: (message, detail) => logger.warn(message, detail),
    lock: () => new ZoneLock(rt.doc, rt.journalTable, rt.cfg.zone),
    recordPass: (r) => state.recordPass(r),
    running: {
      get: () => journal.getState(RUNNING_PASS_STATE(rt.cfg.zone)),
      set: (v) => journal.putState(RUNNING_PASS_STATE(rt.cfg.zone), v),
    },
  };
}

function sliceListings(): number | undefined {
  const v = Number(process.env[RECONCILE_ENV.sliceListings]);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

function report(r: PassReport, zone: string): PassReport {
  // CloudWatch embedded metric format: DriftFound (its alarm) and the pass figures, including the
  // completion of a full pass that the "no full pass" alarm watches.
  console.log(JSON.stringify(passMetrics(zone, r)));
  logger.info('reconcile pass', { ...r });
  return r;
}

export const handler = async (event: ReconcileEvent | undefined, context?: Context): Promise<PassPlan | SliceFigures | PassReport> => {
  const deps = passDeps();
  const deadline = () => Date.now() + (context?.getRemainingTimeInMillis() ?? 600_000) - 15_000;
  const e = event ?? {};
  switch (e.action) {
    case 'plan': {
      // The workflow passes its execution input as `input` (the schedule's, or the API's).
      const i = { ...e, ...(e.input ?? {}) };
      return inProcessSteps(deps, { dryRun: i.dryRun === true, network: i.network, sliceListings: sliceListings(), passId: e.input?.passId }).plan();
    }
    case 'slice': {
      await touchRunningPass(deps.running, e.passId);
      const r = await lockedSlice(deps, deps.lock(), e.slice, { dryRun: e.dryRun === true, deadline: deadline() });
      logger.info('reconcile slice', { passId: e.passId, ...r });
      // The Map collects every slice's result into the execution's state (256 KB at most): only
      // what finish adds up goes back, the rest is in the log.
      return compactSliceReport(r);
    }
    case 'finish':
      return report(await finishPass(deps, e.plan, e.reports ?? e.plan.reports ?? []), deps.cfg.zone);
    default: {
      const r = await runPass(inProcessSteps(deps, { dryRun: e.dryRun === true, network: e.network, sliceListings: sliceListings(), deadline }));
      return report(r, deps.cfg.zone);
    }
  }
};
