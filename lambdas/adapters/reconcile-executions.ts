// Reconcile passes as Step Functions executions: the operator API starts one (named by its pass
// id, which the plan step adopts) and reads it back. StartExecution / DescribeExecution:
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** What a pass is doing: RUNNING, SUCCEEDED (report set), FAILED/TIMED_OUT/ABORTED (error set). */
export interface ReconcilePassStatus {
  passId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  executionArn?: string;
  startedAt?: string;
  stoppedAt?: string;
  report?: unknown;
  error?: string;
}

/** Starts and reads reconcile passes (adapters/reconcile-executions.ts in AWS; the local runner). */
export interface ReconcileStarter {
  start(request: { dryRun: boolean; network?: string }): Promise<{ passId: string; executionArn?: string }>;
  status(passId: string): Promise<ReconcilePassStatus | undefined>;
}

/** Env var holding the state machine's ARN (set by the construct on the operator API function). */
export const RECONCILE_STATE_MACHINE_ENV = 'RECONCILE_STATE_MACHINE_ARN';

export class ReconcileExecutions implements ReconcileStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /** An execution's ARN: the state machine's with "execution" and the execution's name. */
  executionArn(passId: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${passId}`;
  }

  async start(request: { dryRun: boolean; network?: string }): Promise<{ passId: string; executionArn: string }> {
    const passId = randomUUID();
    const r = await this.client.send(
      new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: passId, input: JSON.stringify({ ...request, passId }) }),
    );
    return { passId, executionArn: r.executionArn ?? this.executionArn(passId) };
  }

  async status(passId: string): Promise<ReconcilePassStatus | undefined> {
    try {
      const r = await this.client.send(new DescribeExecutionCommand({ executionArn: this.executionArn(passId) }));
      return {
        passId,
        status: (r.status ?? 'RUNNING') as ReconcilePassStatus['status'],
        executionArn: r.executionArn,
        ...(r.startDate ? { startedAt: r.startDate.toISOString() } : {}),
        ...(r.stopDate ? { stoppedAt: r.stopDate.toISOString() } : {}),
        ...(r.output ? { report: JSON.parse(r.output) as unknown } : {}),
        ...(r.error ? { error: `${r.error}: ${r.cause ?? ''}` } : {}),
      };
    } catch (e) {
      if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw e;
    }
  }
}
