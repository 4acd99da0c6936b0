// Runs a reconcile pass in one process: the same plan/slice/finish steps and retry rules as the
// Step Functions workflow (lib/reconcile-workflow.ts), for the local stack, the operator API on it,
// tests and benchmarks.
import type { ZoneLock } from '../adapters/zone-lock.js';
import { sleep } from '../adapters/listings-table.js';
import { isTransient } from '../adapters/route53-zone.js';
import { SLICE_RETRY, ZoneLockBusyError } from './reconcile-retry.js';
import type { ReconcilePassRecord } from '../adapters/publisher-state.js';
import { finishPass, type PassPlan, type PassReport, planPass, type RunningPass, type SliceOutcome, touchRunningPass } from './reconcile-pass.js';
import { reconcileSlice, type SliceDeps, type SliceReport } from './reconcile-slice.js';
import type { PassSlice } from './reconcile-pass.js';

export { SLICE_RETRY, ZoneLockBusyError };

export function retryable(e: unknown): boolean {
  const name = (e as Error | undefined)?.name ?? '';
  return (SLICE_RETRY.errors as readonly string[]).includes(name) || isTransient(e);
}

/** One slice under the zone lock (taken for the slice only, renewed while it runs). */
export async function lockedSlice(
  deps: SliceDeps,
  lock: ZoneLock,
  ps: PassSlice,
  opts: { dryRun: boolean; deadline?: number; lockWaitMs?: number },
): Promise<SliceReport> {
  if (!(await lock.acquire(opts.lockWaitMs ?? 30_000))) throw new ZoneLockBusyError();
  try {
    return await reconcileSlice(deps, ps.slice, { dryRun: opts.dryRun, deadline: opts.deadline, fence: () => lock.fence(), orphans: ps.orphans });
  } finally {
    await lock.release();
  }
}

export interface RunnerSteps {
  plan(): Promise<PassPlan>;
  slice(plan: PassPlan, ps: PassSlice): Promise<SliceReport>;
  finish(plan: PassPlan, outcomes: SliceOutcome[]): Promise<PassReport>;
  /** Told about each slice as it ends (progress). */
  onSlice?: (outcome: SliceOutcome, done: number, of: number) => void;
  /** Backoff scale for tests (1 = the workflow's seconds). */
  retryScale?: number;
}

export async function runPass(steps: RunnerSteps): Promise<PassReport> {
  const plan = await steps.plan();
  const outcomes: SliceOutcome[] = [];
  for (const ps of plan.slices) {
    let outcome: SliceOutcome | undefined;
    for (let attempt = 1; !outcome; attempt++) {
      try {
        outcome = await steps.slice(plan, ps);
      } catch (e) {
        if (retryable(e) && attempt < SLICE_RETRY.maxAttempts) {
          await sleep(SLICE_RETRY.intervalSeconds * 1000 * SLICE_RETRY.backoffRate ** (attempt - 1) * (steps.retryScale ?? 1));
          continue;
        }
        outcome = { slice: JSON.stringify(ps.slice), failed: `${(e as Error).name}: ${(e as Error).message}` };
      }
    }
    outcomes.push(outcome);
    steps.onSlice?.(outcome, outcomes.length, plan.slices.length);
  }
  return steps.finish(plan, outcomes);
}

export interface InProcessPassDeps extends SliceDeps {
  readonly warn?: (message: string, detail: Record<string, unknown>) => void;
  /** A fresh zone lock (one per slice and for the apex SOA). */
  readonly lock: () => ZoneLock;
  /** Where the pass is recorded (PublisherState.recordPass), if anywhere. */
  readonly recordPass?: (r: ReconcilePassRecord) => Promise<void>;
  /** The pass in progress (one at a time), if tracked. */
  readonly running?: RunningPass;
}

/** The workflow's three steps, run in this process (same code as the handler's actions). */
export function inProcessSteps(
  deps: InProcessPassDeps,
  opts: { dryRun?: boolean; network?: string; sliceListings?: number; passId?: string; deadline?: () => number | undefined },
): Pick<RunnerSteps, 'plan' | 'slice' | 'finish'> {
  const dryRun = opts.dryRun === true;
  return {
    plan: () =>
      planPass(deps, {
        dryRun,
        network: opts.network,
        sliceListings: opts.sliceListings,
        passId: opts.passId,
        setSoa: async (ttl, value) => {
          const lock = deps.lock();
          if (!(await lock.acquire(30_000))) throw new ZoneLockBusyError();
          try {
            await deps.zone.setApexSoa(ttl, value, { fence: () => lock.fence() });
          } finally {
            await lock.release();
          }
        },
      }),
    slice: async (plan, ps) => {
      await touchRunningPass(deps.running, plan.passId);
      return lockedSlice(deps, deps.lock(), ps, { dryRun, deadline: opts.deadline?.() });
    },
    finish: (plan, outcomes) => finishPass({ published: deps.published, recordPass: deps.recordPass, running: deps.running }, plan, outcomes),
  };
}
