// One writer per hosted zone: a lease item in the journal table. Route 53 answers a second writer
// with PriorRequestNotComplete and interleaved plans could undo each other, so the stream handler,
// reconcile and the canary's repairs all take this lease before they write.
//
// A lease that is only taken once can run out while its holder is still writing (a stream batch
// may run 285 s, reconcile 585 s), and a writer can be paused (GC, CPU starvation, a slow network)
// past its lease while another takes it. So the holder renews the lease while it works, and every
// write is FENCED: fence() throws LeaseLostError unless the lease is known to be held for at least
// `marginMs` more, measured on the holder's own clock from before the renewal was sent. A writer
// that was paused past its lease therefore sends nothing more, whatever it had planned.
import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { sleep } from './listings-table.js';

/** Thrown by fence() when this writer may no longer hold the zone lease. */
export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface ZoneLockOptions {
  /** How long one acquisition or renewal holds the lease (default 120 s). */
  leaseMs?: number;
  /** Renew this often while held (default leaseMs / 4). */
  renewEveryMs?: number;
  /**
   * A write is sent only while the lease is held for at least this long (default leaseMs / 4):
   * more than one Route 53 request can take with its timeout, so a request never outlives the lease.
   */
  marginMs?: number;
}

export class ZoneLock {
  readonly owner = randomUUID();
  private readonly key: { pk: string; sk: string };
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly marginMs: number;
  /** Local time until which the lease is certainly ours (0 = not held). */
  private heldUntil = 0;
  private lost: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    zone: string,
    opts: ZoneLockOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { leaseMs: opts } : opts;
    this.key = { pk: 'STATE', sk: `lock#${zone}` };
    this.leaseMs = o.leaseMs ?? 120_000;
    this.renewEveryMs = o.renewEveryMs ?? Math.floor(this.leaseMs / 4);
    this.marginMs = o.marginMs ?? Math.floor(this.leaseMs / 4);
  }

  /**
   * One conditional write: take the lease if it is free, expired or ours; renew it only if it is
   * still ours (a lease that lapsed, even if nobody holds it now, may have had another holder who
   * wrote meanwhile: the plan in hand may be stale, so the writer stops and its batch is retried).
   */
  private async claim(renewal = false): Promise<boolean> {
    const sentAt = Date.now();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key, owner: this.owner, leaseUntil: sentAt + this.leaseMs },
          ConditionExpression: renewal ? '#o = :me AND leaseUntil >= :now' : 'attribute_not_exists(pk) OR leaseUntil < :now OR #o = :me',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':now': sentAt, ':me': this.owner },
        }),
      );
      // Counted from before the request left: the item may have been written at any time after.
      this.heldUntil = sentAt + this.leaseMs;
      return true;
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      return false;
    }
  }

  /** Takes the lease (waiting up to `waitMs` for another holder) and keeps renewing it until release(). */
  async acquire(waitMs: number): Promise<boolean> {
    const until = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      if (await this.claim()) {
        this.lost = undefined;
        this.startRenewal();
        return true;
      }
      if (Date.now() >= until) return false;
      await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
    }
  }

  private startRenewal(): void {
    this.stopRenewal();
    this.timer = setInterval(() => {
      if (this.renewing) return;
      this.renewing = this.renew().finally(() => (this.renewing = undefined));
    }, this.renewEveryMs);
    this.timer.unref?.();
  }

  private stopRenewal(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Renews now (also called by the timer). A failed condition means another writer has it. */
  async renew(): Promise<void> {
    if (this.lost || this.heldUntil === 0) return;
    if (Date.now() >= this.heldUntil) {
      this.markLost('the lease ran out before it was renewed (the writer was paused)');
      return;
    }
    try {
      if (!(await this.claim(true))) this.markLost('the lease lapsed or another writer took it');
    } catch {
      // A failed renewal is not a lost lease: fence() still refuses once heldUntil - margin passes.
    }
  }

  private markLost(why: string): void {
    this.lost = why;
    this.heldUntil = 0;
    this.stopRenewal();
  }

  /** Throws LeaseLostError unless this writer holds the lease for at least the margin. Call before every write. */
  fence(): void {
    if (this.lost) throw new LeaseLostError(`zone lease lost: ${this.lost}`);
    const left = this.heldUntil - Date.now();
    if (left < this.marginMs) {
      throw new LeaseLostError(this.heldUntil === 0 ? 'zone lease not held' : `zone lease has only ${left} ms left (a write needs ${this.marginMs} ms)`);
    }
  }

  /** Whether fence() would pass now. */
  get held(): boolean {
    return !this.lost && this.heldUntil - Date.now() >= this.marginMs;
  }

  async release(): Promise<void> {
    this.stopRenewal();
    await this.renewing?.catch(() => undefined);
    this.heldUntil = 0;
    // The delete is conditional on our ownership, so a lease another writer took stays theirs.
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key,
          ConditionExpression: '#o = :me',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':me': this.owner },
        }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
    }
  }
}
