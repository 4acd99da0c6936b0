// The local stack's stand-in for the reconcile workflow: passes started by the operator API run in
// this process with the same plan/slice/finish steps and retry rules as the Step Functions
// workflow (lambdas/services/reconcile-runner.ts), one pass at a time, their status kept in memory.
import { randomUUID } from 'node:crypto';
import type { ReconcilePassStatus, ReconcileStarter } from '../lambdas/api/reconcile.js';
import { inProcessSteps, type InProcessPassDeps, runPass } from '../lambdas/services/reconcile-runner.js';
import type { PassReport } from '../lambdas/services/reconcile-pass.js';

export class LocalReconcileRunner implements ReconcileStarter {
  private readonly passes = new Map<string, ReconcilePassStatus>();
  /** Passes run one after another, as the zone lock would have them anyway. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: InProcessPassDeps,
    private readonly opts: { sliceListings?: number; log?: (message: string) => void } = {},
  ) {}

  /** Runs a pass now and returns its report (the stack's start-up reconcile). */
  run(request: { dryRun: boolean; network?: string }, passId: string = randomUUID()): Promise<PassReport> {
    const status: ReconcilePassStatus = { passId, status: 'RUNNING', startedAt: new Date().toISOString() };
    this.passes.set(passId, status);
    const pass = this.queue.then(() => runPass(inProcessSteps(this.deps, { ...request, passId, sliceListings: this.opts.sliceListings })));
    this.queue = pass.catch(() => undefined);
    return pass.then(
      (report) => {
        Object.assign(status, { status: 'SUCCEEDED', report, stoppedAt: new Date().toISOString() });
        return report;
      },
      (e: unknown) => {
        Object.assign(status, { status: 'FAILED', error: `${(e as Error).name}: ${(e as Error).message}`, stoppedAt: new Date().toISOString() });
        throw e;
      },
    );
  }

  async start(request: { dryRun: boolean; network?: string }): Promise<{ passId: string }> {
    const passId = randomUUID();
    this.run(request, passId).catch((e: unknown) => this.opts.log?.(`reconcile pass ${passId} failed: ${String(e)}`));
    return { passId };
  }

  async status(passId: string): Promise<ReconcilePassStatus | undefined> {
    const s = this.passes.get(passId);
    return s ? { ...s } : undefined;
  }

  /** Waits for the passes started so far (stopping the stack). */
  async idle(): Promise<void> {
    await this.queue;
  }
}
